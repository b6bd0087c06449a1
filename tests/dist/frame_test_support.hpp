// tests/dist/frame_test_support.hpp: what the per-kind frame tests (signal_frames_test,
// handshake_frames_test, table_frames_test, connection_frames_test) share: a frame's kind
// and body, and the check that a reader refuses a body cut short.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "src/dist/protocol.hpp"

namespace frame_test {

inline snow::dist::FrameKind kind_of(const std::string& frame) {
  return static_cast<snow::dist::FrameKind>(frame[snow::dist::kFrameHeaderBytes]);
}
inline std::string body_of(const std::string& frame) { return frame.substr(snow::dist::kFrameHeaderBytes + 1); }

/// Every body shorter than `fixed` bytes (the kind's fields before what runs to the end)
/// is refused.
template <class Read>
void refuses_short(Read read, const std::string& body, std::size_t fixed) {
  REQUIRE(body.size() >= fixed);
  for (std::size_t n = 0; n < fixed; ++n) {
    CAPTURE(n);
    CHECK_FALSE(read(std::string_view(body).substr(0, n)).has_value());
  }
}

/// Every body shorter than `body` is refused (a kind with nothing after its fields).
template <class Read>
void refuses_every_prefix(Read read, const std::string& body) {
  refuses_short(read, body, body.size());
}

}  // namespace frame_test
