// The connection's own frames' writers and readers (src/dist/connection_frames.hpp): for
// each kind, what its writer writes its reader reads back field for field, in the bytes
// docs/WIRE.md §5.1 gives, and a body cut short is refused; bytes left over are refused
// or ignored as each kind's reader says (as the node always treated them).
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/dist/connection_frames.hpp"
#include "src/dist/protocol.hpp"
#include "tests/dist/frame_test_support.hpp"

using namespace snow::dist;
using namespace frame_test;

namespace connection_frames_test {

constexpr std::uint64_t kClock = 0x0102030405060708;

}  // namespace connection_frames_test

using namespace connection_frames_test;

TEST_CASE("ping: written and read back, in WIRE.md's bytes; a short body is refused, bytes after it ignored") {
  const std::string frame = write_ping({.clock_ns = kClock});
  CHECK(frame == FrameWriter(FrameKind::ping).u64(kClock).finish());
  CHECK(kind_of(frame) == FrameKind::ping);
  const std::string body = body_of(frame);
  const std::optional<PingFrame> f = read_ping(body);
  REQUIRE(f.has_value());
  CHECK(f->clock_ns == kClock);
  refuses_short(read_ping, body, 8);
  const std::optional<PingFrame> longer = read_ping(body + "xy");
  REQUIRE(longer.has_value());
  CHECK(longer->clock_ns == kClock);
}

TEST_CASE("pong: written and read back, in WIRE.md's bytes; a short body is refused, bytes after it ignored") {
  const std::string frame = write_pong({.clock_ns = kClock});
  CHECK(frame == FrameWriter(FrameKind::pong).u64(kClock).finish());
  CHECK(kind_of(frame) == FrameKind::pong);
  const std::string body = body_of(frame);
  const std::optional<PongFrame> f = read_pong(body);
  REQUIRE(f.has_value());
  CHECK(f->clock_ns == kClock);
  refuses_short(read_pong, body, 8);
  const std::optional<PongFrame> longer = read_pong(body + "xy");
  REQUIRE(longer.has_value());
  CHECK(longer->clock_ns == kClock);
}

TEST_CASE("a ping is answered with its value unread: the pong of its writer's value, or its first 8 bytes back") {
  const std::string ping = body_of(write_ping({.clock_ns = kClock}));
  CHECK(answer_ping(ping) == write_pong({.clock_ns = kClock}));
  CHECK(answer_ping(ping + "xy") == write_pong({.clock_ns = kClock}));
  CHECK(answer_ping("abc") == FrameWriter(FrameKind::pong).bytes("abc").finish());
  CHECK(answer_ping("") == FrameWriter(FrameKind::pong).finish());
}

TEST_CASE("fragment: written and read back, in WIRE.md's bytes; a body short of stream and last is refused") {
  const std::string piece = "\x10 the kind and body of a large frame";
  for (bool last : {false, true}) {
    CAPTURE(last);
    const std::string frame = write_fragment({.stream = kClock, .last = last, .piece = piece});
    CHECK(frame == FrameWriter(FrameKind::fragment).u64(kClock).u8(last ? 1 : 0).bytes(piece).finish());
    CHECK(kind_of(frame) == FrameKind::fragment);
    const std::string body = body_of(frame);
    const std::optional<FragmentFrame> f = read_fragment(body);
    REQUIRE(f.has_value());
    CHECK(f->stream == kClock);
    CHECK(f->last == last);
    CHECK(f->piece == piece);
    refuses_short(read_fragment, body, 9);
  }
  // An empty piece is a piece; any last byte but 0 is "last".
  const std::string bare = body_of(write_fragment({.stream = 1, .last = false}));  // kept: the piece views it
  const std::optional<FragmentFrame> empty = read_fragment(bare);
  REQUIRE(empty.has_value());
  CHECK(empty->piece.empty());
  const std::optional<FragmentFrame> two =
      read_fragment(body_of(FrameWriter(FrameKind::fragment).u64(1).u8(2).finish()));
  REQUIRE(two.has_value());
  CHECK(two->last);
}
