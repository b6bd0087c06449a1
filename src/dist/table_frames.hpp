// src/dist/table_frames.hpp: the frames that tell a peer about other nodes (kinds 0x05
// and 0x06 in src/dist/protocol.hpp; docs/WIRE.md §5.1 has the bytes, §6 the node
// table), one kind a section, its writer and its reader side by side, so a kind's layout
// is read in one place (tests/dist/table_frames_test.cpp holds each pair to the other).
//
// Pure: bytes in, fields out, no node state. Whether a name is a node address, whether
// the peer may name one more life, which names to dial, is NodeCore's
// (src/dist/node_table.cpp, src/dist/node_tick.cpp), and so is closing a connection whose
// frame a reader refuses. A frame is read whole before any of it is acted on.
//
// Header-only, as src/dist/signal_frames.hpp and for the same reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/dist/protocol.hpp"

namespace snow::dist {

// -- node_name --

/// "In my Pids and Refs, node index `index` is this life (`name`, `creation`) of this
/// node; my Pids of it carry `generation`." `name` views the frame's body.
struct NodeNameFrame {
  std::uint16_t index = 0;
  std::uint8_t generation = 0;
  std::uint32_t creation = 0;
  std::string_view name;
};

// node_name (0x06): u16 index, u8 generation, u32 creation, name (u8 length + bytes).
/// `f.name` is a node's name (at most 255 bytes), `f.index` and `f.creation` not 0.
inline std::string write_node_name(const NodeNameFrame& f) {
  return FrameWriter(FrameKind::node_name).u16(f.index).u8(f.generation).u32(f.creation).name(f.name).finish();
}
/// Refuses a body cut short, bytes after the name, index 0 (a peer's own node, never
/// announced) and creation 0 (no life has it). Whether `name` is a node address is the
/// node's check.
inline std::optional<NodeNameFrame> read_node_name(std::string_view body) {
  BodyReader r(body);
  NodeNameFrame f;
  f.index = r.u16();
  f.generation = r.u8();
  f.creation = r.u32();
  f.name = r.name();
  if (!r.ok() || !r.at_end() || f.index == 0 || f.creation == 0) return std::nullopt;
  return f;
}

// -- peers --

/// The sender's other connected nodes, for the full mesh. The names view the frame's
/// body (or, for the writer, the caller's strings).
struct PeersFrame {
  std::vector<std::string_view> names;
};

// peers (0x05): u16 count, then count names (u8 length + bytes each).
/// At most 65,535 names of at most 255 bytes each (a node's connected peers, bounded by
/// its node table).
inline std::string write_peers(const PeersFrame& f) {
  FrameWriter w(FrameKind::peers);
  w.u16(static_cast<std::uint16_t>(f.names.size()));
  for (std::string_view name : f.names) w.name(name);
  return w.finish();
}
/// Refuses a body cut short: fewer names than its count, or a name longer than what is
/// left. Bytes after the last name are ignored (they always were: a peers frame was never
/// refused for them), so the writer of a body with such bytes writes back less. Names are
/// returned as they are: the node skips those that are not node addresses.
inline std::optional<PeersFrame> read_peers(std::string_view body) {
  BodyReader r(body);
  const std::uint16_t n = r.u16();
  PeersFrame f;
  // Each name takes at least its length byte: a count the body cannot hold is refused
  // before anything is reserved for it.
  if (!r.ok() || n > body.size() - 2) return std::nullopt;
  f.names.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) f.names.push_back(r.name());
  if (!r.ok()) return std::nullopt;
  return f;
}

}  // namespace snow::dist
