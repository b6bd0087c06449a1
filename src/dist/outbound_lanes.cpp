// src/dist/outbound_lanes.cpp: frames on their way out of a connection (the lanes are
// described at the top of src/dist/node_core.hpp): the control lane, one lane per sending
// process served round robin, large frames cut into fragments, the write window that
// keeps the transport from holding more than it must, and the peers that stop reading.
//
// Separate because it is where this node's memory for a slow peer is bounded, and its
// order of lanes is the fairness every sender relies on.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/connection_frames.hpp"
#include "src/dist/node_connection.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
constexpr std::size_t kWriteWindow = 256 << 10;  // bytes handed to the transport ahead
constexpr std::size_t kBatchBytes = 64 << 10;    // small frames are written together

// What a control frame costs while it waits: its bytes and the string that holds them
// (a 13-byte ping is 45 bytes of memory).
std::size_t control_cost(const std::string& frame) { return frame.size() + sizeof(std::string); }
}  // namespace

void NodeCore::queue_control(Connection& c, std::string frame) {
  c.queued_bytes += frame.size();
  c.control_cost += control_cost(frame);
  c.control.push_back(std::move(frame));
}

void NodeCore::queue_stream(Connection& c, Pid sender, std::string frame) {
  if (c.queued_bytes + frame.size() > options_.max_outbound_bytes) {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(table_mu_);
    counters_.add(&NodeStats::dropped_overflow);
    return;
  }
  counters_.add(&NodeStats::messages_out);
  c.queued_bytes += frame.size();
  Connection::Stream& s = c.streams[sender.raw()];
  if (s.frames.empty()) c.ring.push_back(sender.raw());
  s.frames.push_back(std::move(frame));
  pump(c);
}

void NodeCore::pump(Connection& c) {
  if (c.state == Connection::State::closing || c.state == Connection::State::connecting) return;
  const bool data_allowed = c.state == Connection::State::up;
  while (transport_->pending_bytes(c.id) < kWriteWindow) {
    std::string batch;
    std::uint64_t frames = 0;
    while (batch.size() < kBatchBytes) {
      if (c.pong) {
        batch += *c.pong;
        c.pong.reset();
        ++frames;
        continue;
      }
      if (!c.control.empty()) {
        batch += c.control.front();
        c.queued_bytes -= c.control.front().size();
        c.control_cost -= control_cost(c.control.front());
        c.control.pop_front();
        ++frames;
        continue;
      }
      if (!c.injected.empty()) {
        batch += c.injected.front();
        c.queued_bytes -= c.injected.front().size();
        c.injected.pop_front();
        ++frames;
        continue;
      }
      if (!data_allowed || c.ring.empty()) break;
      const std::uint64_t key = c.ring.front();
      c.ring.pop_front();
      Connection::Stream& s = c.streams[key];
      std::string& f = s.frames.front();
      bool done;
      if (s.offset == 0 && f.size() <= options_.fragment_bytes) {
        batch += f;
        done = true;
      } else {
        // A large frame goes as fragments of its kind and body (the length prefix is
        // implied by the reassembled size).
        if (s.offset == 0) s.offset = dist::kFrameHeaderBytes;
        const std::size_t n = std::min(options_.fragment_bytes, f.size() - s.offset);
        done = s.offset + n == f.size();
        batch += dist::write_fragment({.stream = key, .last = done, .piece = std::string_view(f).substr(s.offset, n)});
        s.offset += n;
      }
      ++frames;
      if (done) {
        c.queued_bytes -= f.size();
        s.frames.pop_front();
        s.offset = 0;
      }
      if (s.frames.empty()) {
        c.streams.erase(key);
      } else {
        c.ring.push_back(key);
      }
    }
    if (batch.empty()) break;
    {
      std::lock_guard lock(table_mu_);
      counters_.add(&NodeStats::frames_out, frames);
      counters_.add(&NodeStats::bytes_out, batch.size());
      if (c.state == Connection::State::up) {
        PeerInfo& st = nodes_[c.map.peer_index].stats;
        st.bytes_out += batch.size();
        st.queued_bytes = c.queued_bytes;
      }
    }
    c.handed_bytes += batch.size();
    transport_->write(c.id, std::move(batch));
  }
  // What is left waits for the transport to take more, which it does as the peer reads.
  // Data lanes refuse sends past their bound (queue_stream); the control lane cannot (a
  // lost node name would garble the peer's Pids), so a peer for which it passes its
  // bound has stopped reading, and the connection goes.
  if (c.control_cost > options_.max_control_bytes) {
    cut_slow_reader(c, absl::StrCat(c.control_cost, " bytes of control frames queued, over max_control_bytes (",
                                    options_.max_control_bytes, ")"));
  }
}

absl::Duration NodeCore::write_stall(Connection& c, absl::Time now) {
  const std::size_t pending = transport_->pending_bytes(c.id);
  const std::uint64_t written = c.handed_bytes - pending;
  if (pending == 0 || written != c.written_seen) {
    c.written_seen = written;
    c.write_progress_at = now;
  }
  return now - c.write_progress_at;
}

void NodeCore::cut_slow_reader(Connection& c, const std::string& why) {
  counters_.add(&NodeStats::disconnected_slow_reader);
  const std::string who = c.peer_name.empty() ? absl::StrCat("a peer at ", c.address) : c.peer_name;
  log_connection("slow reader", LogLevel::warning,
                 absl::StrCat("closing connection to ", who, ": it does not read what this node sends: ", why));
  close_conn(c, absl::ResourceExhaustedError(absl::StrCat("the peer does not read: ", why)));
  // Nothing more is written on it, and the transport may linger a while over what it
  // holds: the control lane is let go now. (Data lanes stay for on_closed to count.)
  for (const std::string& frame : c.control) c.queued_bytes -= frame.size();
  c.control.clear();
  c.control_cost = 0;
}

std::pair<std::size_t, std::size_t> NodeCore::outbound_for_testing(const std::string& peer) const {
  for (auto& [id, c] : conns_) {
    if (c->peer_name == peer) return {c->control_cost, transport_->pending_bytes(c->id)};
  }
  return {0, 0};
}

void NodeCore::send_frame_for_testing(const std::string& peer, std::string frame) {
  for (auto& [id, c] : conns_) {
    if (c->peer_name == peer && c->state == Connection::State::up) {
      c->queued_bytes += frame.size();
      c->injected.push_back(std::move(frame));
      pump(*c);
      return;
    }
  }
}

}  // namespace snow::detail
