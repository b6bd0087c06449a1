// src/dist/connection_frames.hpp: the frames about the connection itself, not about
// processes or other nodes (kinds 0x03, 0x04 and 0x20 in src/dist/protocol.hpp;
// docs/WIRE.md §5.1 has the bytes): the heartbeat (ping, pong) and the pieces of a large
// frame (fragment). One kind a section, its writer and its reader side by side, so a
// kind's layout is read in one place (tests/dist/connection_frames_test.cpp holds each
// pair to the other).
//
// Pure: bytes in, fields out, no node state. When to ping, what a round trip was, and
// how a frame's pieces are kept and bounded are NodeCore's (src/dist/node_tick.cpp,
// src/dist/node_core.cpp; src/dist/outbound_lanes.cpp cuts, src/dist/reassembly.cpp
// joins).
//
// Header-only, as src/dist/signal_frames.hpp and for the same reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/dist/protocol.hpp"

namespace snow::dist {

// -- the heartbeat: ping, pong --

/// A ping's value: the sender's clock when it sent it, in ns since the Unix epoch. Only
/// the sender reads it, from the pong that echoes it, for the round-trip time.
struct PingFrame {
  std::uint64_t clock_ns = 0;
};
/// A pong's value: the ping's, echoed.
struct PongFrame {
  std::uint64_t clock_ns = 0;
};

// ping (0x03): u64 the sender's clock (ns).
inline std::string write_ping(const PingFrame& f) { return FrameWriter(FrameKind::ping).u64(f.clock_ns).finish(); }
/// Refuses a body cut short; bytes after the value are ignored. The node answers a ping
/// without reading it (answer_ping): this reader is the layout's, which the tests and the
/// fuzz target hold write_ping to.
inline std::optional<PingFrame> read_ping(std::string_view body) {
  BodyReader r(body);
  PingFrame f{.clock_ns = r.u64()};
  if (!r.ok()) return std::nullopt;
  return f;
}
/// The pong answering a ping whose body is `ping_body`: its first 8 bytes back, unread
/// (the clock is the sender's business). A ping is never refused: a shorter body comes
/// back whole, a longer one cut to 8 bytes, as always; for a ping write_ping wrote this
/// is write_pong with its value.
inline std::string answer_ping(std::string_view ping_body) {
  return FrameWriter(FrameKind::pong).bytes(ping_body.substr(0, 8)).finish();
}

// pong (0x04): u64 the ping's value.
inline std::string write_pong(const PongFrame& f) { return FrameWriter(FrameKind::pong).u64(f.clock_ns).finish(); }
/// Refuses a body cut short (the node then takes no round-trip time from it, and keeps
/// the connection); bytes after the value are ignored, as they always were.
inline std::optional<PongFrame> read_pong(std::string_view body) {
  BodyReader r(body);
  PongFrame f{.clock_ns = r.u64()};
  if (!r.ok()) return std::nullopt;
  return f;
}

// -- fragment --

/// One piece of a large frame's kind byte and body (its length prefix is implied by the
/// reassembled size). `piece` views the frame's body, or for the writer the large frame.
struct FragmentFrame {
  std::uint64_t stream = 0;  // the sending process's Pid: one frame in pieces at a time per stream
  bool last = false;         // the frame is whole with this piece
  std::string_view piece;
};

// fragment (0x20): u64 stream, u8 last (not 0: true), bytes to the end of the frame.
inline std::string write_fragment(const FragmentFrame& f) {
  return FrameWriter(FrameKind::fragment).u64(f.stream).u8(f.last ? 1 : 0).bytes(f.piece).finish();
}
/// Refuses a body shorter than its stream and last byte; an empty piece is a piece. What
/// the pieces make is judged once whole (reassembly.cpp: a known kind, within the limits).
inline std::optional<FragmentFrame> read_fragment(std::string_view body) {
  BodyReader r(body);
  FragmentFrame f{.stream = r.u64()};
  f.last = r.u8() != 0;
  f.piece = r.rest();
  if (!r.ok()) return std::nullopt;
  return f;
}

}  // namespace snow::dist
