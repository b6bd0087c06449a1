// src/dist/node_connection.hpp: NodeCore's private types, for the files that make it up
// (src/dist/node_core.cpp lists them) and no one else: one connection's state, its
// translation of the peer's node indices, and the links and monitors that cross to a
// peer. (The commands other threads post are in node_core.hpp, with post().)
//
// Separate from node_core.hpp so that the public face of NodeCore (what the runtime, the
// cluster layer and tests call) does not carry the layout of a connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/dist/handshake.hpp"
#include "src/dist/node_address.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/protocol.hpp"
#include "src/dist/send_result.hpp"

namespace snow::detail {

using dist::BodyReader;
using dist::FrameKind;
using dist::FrameWriter;
using transport::ConnId;

// Node lives in the table at once, used and free (entries are reused, DESIGN.md "the
// node table"), and how many of them one connection may hold by naming lives this node
// has no connection to: half, so one peer can never fill the table, while a node joining
// a mesh of up to ~500 nodes through one peer still hears of all of them before it has
// dialled any.
inline constexpr std::size_t kMaxKnownNodes = 1024;
inline constexpr std::size_t kMaxIntroducedUnconnected = kMaxKnownNodes / 2;
// The index a Pid or Ref read from a peer gets when it names a node life this node cannot
// name: an index the peer never announced, or announced since for another life. Never an
// entry (the table is far smaller), so such a Pid is dead here: sends to it are noproc.
inline constexpr std::uint16_t kForgottenNode = 0xFFFF;

/// One connection's translation of the peer's node indices into mine. A Pid's 8 bits are
/// the generation of its index on the node that holds it, so a peer's Pid is taken only
/// with the generation the peer announced for its index (or, for the peer's own Pids,
/// its creation's low 8 bits), and becomes mine with my generation of my index. A Pid
/// with another generation was kept by the peer from a life its index named before: it
/// is a dead Pid here, whatever life the index names now.
class NodeCore::ConnectionNodeMap final : public NodeIndexMap {
 public:
  struct Mapped {
    std::uint16_t local = 0;
    std::uint8_t local_generation = 0;  // mine when mapped: if my entry is reused, the Pids read dead
    std::uint8_t peer_generation = 0;   // the peer's, from its node_name frame
  };
  bool to_local(std::uint16_t wire, std::uint16_t& local) const override {
    if (wire == 0) {
      local = peer_index;
      return peer_index != 0;
    }
    auto it = table.find(wire);
    local = it == table.end() ? kForgottenNode : it->second.local;
    return true;
  }
  bool to_local_pid(Pid wire, Pid& local) const override {
    if (wire.is_null()) {  // no process, from anywhere
      local = Pid();
      return true;
    }
    const Mapped* m = &peer;
    if (wire.node() != 0) {
      auto it = table.find(wire.node());
      m = it == table.end() ? nullptr : &it->second;
    }
    if (m == nullptr || (wire.node() == 0 && peer_index == 0) || m->peer_generation != wire.creation()) {
      local = Pid::make(kForgottenNode, 0, wire.serial());
    } else {
      local = Pid::make(m->local, m->local_generation, wire.serial());
    }
    return true;
  }
  std::uint16_t peer_index = 0;              // my index for the peer
  Mapped peer;                               // the peer's own Pids (its index 0)
  absl::flat_hash_map<std::uint16_t, Mapped> table;  // peer's index -> mine
};

struct NodeCore::Connection {
  enum class State { connecting, handshaking, up, closing };
  ConnId id = 0;
  bool inbound = false;
  State state = State::connecting;
  // Known from the start for an outbound connection; for an inbound one only once the
  // peer proved the cookie (until then its hello's name is a claim, in `handshake`).
  std::string peer_name;
  dist::NodeAddress peer_address;
  std::uint32_t peer_creation = 0;
  std::optional<dist::Handshake> handshake;  // from on_open until up
  absl::Time hold_until = absl::InfinitePast();  // a penalised address waits until then
  absl::Time opened_at, last_received, last_ping;
  absl::Status close_reason;
  dist::FrameReader reader{dist::kHandshakeFrameLimit};
  ConnectionNodeMap map;
  bool holds_entry = false;  // counted in its life's own_connections (released at close)
  absl::flat_hash_map<std::uint16_t, std::uint8_t> announced;  // my indices this peer knows, with their generation
  // The peer's node_info (src/dist/node_info.hpp) comes before any other frame from it;
  // until its last piece, `my_fingerprint` is what the pieces are compared with.
  bool peer_info_done = false;
  std::optional<absl::flat_hash_map<std::string, std::uint64_t>> my_fingerprint;
  absl::flat_hash_set<std::string> mismatched;  // names both declare, differently

  std::deque<std::string> control;
  // The pong owed for the latest ping, written before the control lane. One at most: a
  // ping that comes while the last one's answer still waits replaces it (the peer times
  // the newer ping), so pings a peer sends without reading cost this node nothing.
  std::optional<std::string> pong;
  // Frames a test sends as a hostile peer (send_frame_for_testing), after the control
  // lane: a test may queue megabytes at once, which max_control_bytes is not about.
  std::deque<std::string> injected;
  struct Stream {
    std::deque<std::string> frames;
    std::size_t offset = 0;  // bytes of the head frame already sent as fragments
  };
  absl::flat_hash_map<std::uint64_t, Stream> streams;  // by sender Pid
  std::deque<std::uint64_t> ring;                       // streams with frames, round robin
  std::size_t queued_bytes = 0;
  // The control lane's cost against max_control_bytes: each frame with its string.
  std::size_t control_cost = 0;
  // Write progress, to find a peer that takes nothing: bytes handed to the transport, how
  // many of them had left it at the last tick, and when that figure last moved.
  std::uint64_t handed_bytes = 0, written_seen = 0;
  absl::Time write_progress_at;
  // Fragmented messages arriving, by stream. What they hold is counted by capacity (what
  // the memory costs, not what was received), and an entry that gets no piece for
  // kReassemblyIdleLimit is dropped: a peer cannot park memory here.
  struct Reassembly {
    std::string bytes;
    absl::Time last_piece;
  };
  absl::flat_hash_map<std::uint64_t, Reassembly> reassembly;
  std::size_t reassembly_bytes = 0;
  std::string address;  // the transport's peer address, for logs and rate limiting
  absl::Duration rtt = absl::ZeroDuration();
  dist::NoticeBudget notices;  // refusals of this peer's plain sends, paced
  // A large message from this peer decoding on the decoder (decode_elsewhere), and the
  // process frames (and fragments) that came after it, waiting in arrival order to be
  // handled when it lands: one peer's messages and signals are delivered in the order
  // they were sent. Control frames (ping, pong, peers, node_name) do not wait: they
  // carry no process traffic, and a node_name only adds an index, which frames before it
  // cannot use (a peer announces an index before any frame that carries it).
  bool decoding = false;
  struct Waiting {
    FrameKind kind;
    std::string body;
  };
  std::deque<Waiting> waiting;
  std::size_t waiting_bytes = 0;
  bool reading_paused = false;  // over kMaxWaitingBytes: the transport holds the rest
  // An outbound connection to a member DNS discovery gave ("host:port"), dialled without
  // its name: `peer_name` is empty until the peer's hello says it.
  std::string dialed_member;
};

/// A node's links and monitors that cross to one peer node, so that losing the peer can
/// fire noconnection for them, and their remote halves can be forgotten.
struct NodeCore::PeerRelations {
  absl::btree_set<std::pair<Pid, Pid>> links;                    // (local, remote)
  absl::btree_map<std::uint64_t, std::pair<Pid, Pid>> watching;   // ref -> (local watcher, remote)
  absl::btree_map<std::uint64_t, std::pair<Pid, Pid>> watched;    // ref -> (remote watcher, local)
};

}  // namespace snow::detail
