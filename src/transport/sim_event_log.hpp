// src/transport/sim_event_log.hpp: what the simulated network handed to its nodes, as text.
//
// One line per event a node's transport handler sees: a connection opening, bytes
// arriving, a connection closing. Each line holds only what a seed determines (virtual
// time in nanoseconds, host, connection id, byte count), never an address or a pointer,
// so two processes run with the same seed must write the same log byte for byte. That is
// what makes a failing seed replayable, and what the replay test
// (tests/dist/replay_test.py) compares.
//
// Why sizes and not the bytes (or a digest of them): the handshake's SPAKE2 messages and
// confirmations are fresh randomness from BoringSSL in every run, as they must be, so the
// content of a connection's first frames differs between any two runs; their sizes, the
// times they arrive and everything after them do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace snow::transport {

class SimEventLog {
 public:
  /// Off until asked for: a thousand-seed run should not pay for a log nobody reads.
  void enable() { enabled_ = true; }
  bool enabled() const { return enabled_; }
  const std::string& text() const { return text_; }

  void opened(absl::Time at, absl::string_view host, std::uint64_t conn, bool inbound) {
    if (enabled_) line(at, host, conn, inbound ? "open inbound" : "open outbound");
  }
  void data(absl::Time at, absl::string_view host, std::uint64_t conn, std::size_t bytes) {
    if (enabled_) line(at, host, conn, absl::StrCat("data ", bytes));
  }
  void closed(absl::Time at, absl::string_view host, std::uint64_t conn, absl::string_view why) {
    if (enabled_) line(at, host, conn, absl::StrCat("closed ", why));
  }

 private:
  void line(absl::Time at, absl::string_view host, std::uint64_t conn, absl::string_view what) {
    absl::StrAppend(&text_, absl::ToUnixNanos(at), " ", host, " conn ", conn, " ", what, "\n");
  }

  bool enabled_ = false;
  std::string text_;
};

}  // namespace snow::transport
