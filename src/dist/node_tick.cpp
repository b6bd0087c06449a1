// src/dist/node_tick.cpp: what the node does on its own time: the periodic tick
// (heartbeats, handshake and silence timeouts, slow readers, expiries), reconnecting the
// peers connect() asked to keep, and the full mesh, whose dials peers frames ask for
// (on_peers queues them) and a pacing window lets out a few at a time.
//
// Separate because these are the node's timers: what happens here is decided by the
// clock, which is what a simulated run drives.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/connection_frames.hpp"
#include "src/dist/node_connection.hpp"
#include "src/dist/table_frames.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
// Dials that peers frames ask for (the full mesh) are paced: a peer, even one with the
// cookie, names the addresses, so one frame must not make this node open a thousand
// connections at once. A joining node still reaches a 1,000-node mesh in about 30 s.
constexpr std::size_t kMaxMeshDialsInFlight = 8;
constexpr int kMaxMeshDialsPerSecond = 32;
constexpr std::size_t kMaxMeshQueue = kMaxKnownNodes;
}  // namespace

void NodeCore::on_tick() {
  const absl::Time now = transport_->now();
  connection_log_.tick(now);
  {
    std::lock_guard lock(send_log_mu_);
    send_log_.tick(core_.timers.now());
  }
  if (last_tick_ != absl::InfinitePast() && now - last_tick_ > tick_) {
    const auto late = static_cast<std::uint64_t>(absl::ToInt64Microseconds(now - last_tick_ - tick_));
    counters_.raise_to(&NodeStats::longest_tick_delay_us, late);
  }
  last_tick_ = now;
  decoder_.land_finished();  // the simulated network's decodes land here (decode_worker.hpp)
  const absl::Duration silence_limit = options_.heartbeat * options_.heartbeat_misses;
  std::vector<Connection*> all;
  for (auto& [id, c] : conns_) all.push_back(c.get());
  for (Connection* c : all) {
    if (c->state == Connection::State::connecting || c->state == Connection::State::handshaking) {
      if (now - c->opened_at > options_.handshake_timeout) {
        refuse(*c, dist::Refused{dist::Refusal::timeout,
                                 absl::DeadlineExceededError(absl::StrCat(
                                     "no handshake within ", absl::FormatDuration(options_.handshake_timeout)))});
      } else if (c->hold_until != absl::InfinitePast() && now >= c->hold_until) {
        c->hold_until = absl::InfinitePast();
        take_frames(*c);  // what it sent while it waited
      }
    } else if (c->state == Connection::State::up) {
      expire_reassemblies(*c, now);
      if (std::optional<dist::RefusalCounts> held = c->notices.due_summary(now)) {
        queue_control(*c, dist::write_refusal_summary(*held));
        pump(*c);
      }
      if (c->reading_paused) c->last_received = now;  // this node holds the peer back, not the reverse
      // Twice the heartbeat budget: a peer that is cut off (no reads, no writes) is
      // declared down by its silence first, and only one that still sends but takes
      // nothing is a slow reader.
      const absl::Duration stalled = write_stall(*c, now);
      if (now - c->last_received > silence_limit) {
        close_conn(*c, absl::UnavailableError(absl::StrCat("heartbeat timeout: nothing heard for ",
                                                            absl::FormatDuration(now - c->last_received))));
      } else if (stalled > 2 * silence_limit) {
        cut_slow_reader(*c, absl::StrCat("nothing written for ",
                                         absl::FormatDuration(absl::Trunc(stalled, absl::Milliseconds(1))), " with ",
                                         transport_->pending_bytes(c->id),
                                         " bytes pending (the limit is twice heartbeat x heartbeat_misses, ",
                                         absl::FormatDuration(2 * silence_limit), ")"));
      } else if (now - c->last_ping >= options_.heartbeat) {
        c->last_ping = now;
        queue_control(*c, dist::write_ping({.clock_ns = static_cast<std::uint64_t>(absl::ToUnixNanos(now))}));
        pump(*c);
      }
    }
  }
  finish_acked_sends(0, now);
  dial_mesh_peers();
  poll_discovery(now);
  // Reconnect the peers connect() asked for.
  for (auto& [name, kept] : kept_) {
    if (now < kept.next_attempt) continue;
    bool have = false;
    for (auto& [id, c] : conns_) have = have || c->peer_name == name;
    if (have) continue;
    kept.next_attempt = absl::InfiniteFuture();  // set again when the attempt fails
    start_attempt(kept.address);
  }
}

void NodeCore::start_attempt(const dist::NodeAddress& peer) {
  const std::string name = peer.full();
  for (auto& [id, conn] : conns_) {
    if (conn->peer_name == name && conn->state != Connection::State::closing) return;  // one in flight
  }
  auto conn = std::make_unique<Connection>();
  conn->inbound = false;
  conn->peer_name = name;
  conn->peer_address = peer;
  conn->opened_at = transport_->now();
  conn->reader.set_limit(dist::kHandshakeFrameLimit);
  conn->id = transport_->connect(peer.host, peer.port);
  conn->address = absl::StrCat(peer.host, ":", peer.port);
  conns_[conn->id] = std::move(conn);
}

void NodeCore::on_peers(Connection& c, std::string_view body) {
  // Read whole first (src/dist/table_frames.hpp): none of a malformed frame's names is dialled.
  const std::optional<dist::PeersFrame> f = dist::read_peers(body);
  if (!f) {
    log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed peers frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed peers frame"));
  }
  absl::flat_hash_set<std::string> known;
  for (auto& [id, o] : conns_) {
    if (!o->peer_name.empty()) known.insert(o->peer_name);
  }
  for (std::string_view peer : f->names) {
    const std::string name(peer);
    absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(name, kDefaultNodePort);
    if (!a.ok() || a->full() != name || name == name_ || known.contains(name) || mesh_queued_.contains(name)) continue;
    if (mesh_queue_.size() >= kMaxMeshQueue) break;  // the rest may come in a later peers frame
    mesh_queued_.insert(name);
    mesh_queue_.push_back(*std::move(a));
  }
  dial_mesh_peers();
}

void NodeCore::dial_mesh_peers() {
  const absl::Time now = transport_->now();
  if (now - mesh_window_start_ >= absl::Seconds(1)) {
    mesh_window_start_ = now;
    mesh_dials_in_window_ = 0;
  }
  std::size_t in_flight = outbound_in_flight();
  absl::flat_hash_set<std::string> known;
  for (auto& [id, o] : conns_) {
    if (!o->peer_name.empty()) known.insert(o->peer_name);
  }
  while (!mesh_queue_.empty() && in_flight < kMaxMeshDialsInFlight && mesh_dials_in_window_ < kMaxMeshDialsPerSecond) {
    dist::NodeAddress next = std::move(mesh_queue_.front());
    mesh_queue_.pop_front();
    mesh_queued_.erase(next.full());
    if (known.contains(next.full())) continue;  // connected meanwhile (it dialled us)
    start_attempt(next);
    ++in_flight;
    ++mesh_dials_in_window_;
  }
}

std::size_t NodeCore::outbound_in_flight() const {
  std::size_t n = 0;
  for (auto& [id, o] : conns_) n += !o->inbound && o->state != Connection::State::up && o->state != Connection::State::closing;
  return n;
}

std::size_t NodeCore::dials_in_flight_for_testing() const { return outbound_in_flight(); }

}  // namespace snow::detail
