// src/dist/process_frames.cpp: process traffic on the wire, both ways. route() turns a
// message or a link, monitor or exit signal into its frame (on the sender's thread);
// on_process_frame() reads the same frame kinds back into a delivery here (on the
// transport thread), one case per kind. The bytes of each kind, its writer beside its
// reader, are in src/dist/signal_frames.hpp; what is here is the node's part: checks
// before a send, node-table translation, relations, delivery and counters.
//
// Also here: a large message decoded off the transport thread (decode_elsewhere) and the
// frames that wait behind it, since that is what keeps one peer's traffic in order.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "snow/detail/encoded_message.hpp"
#include "snow/wire.hpp"
#include "src/dist/cluster.hpp"
#include "src/dist/exit_reason_codec.hpp"
#include "src/dist/node_connection.hpp"
#include "src/dist/remote_call.hpp"
#include "src/dist/signal_frames.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"
#include "src/wire/localize_encoding.hpp"

namespace snow::detail {

namespace {
// A message (or an exit or Down whose reason carries a value) whose frame is at least this
// large is decoded off the network thread (decode_worker.hpp). Below it the hand-off (a
// copy, a wake of the worker and one of the loop: tens of µs) would cost about what it
// saves; at it, a decode holds the loop under
// a millisecond even for the slowest content the decode budget lets through (~10 ns per
// byte, measured: a map of long keys), far inside a heartbeat. It equals the default
// fragment size, so every message sent in fragments goes there.
constexpr std::size_t kDecodeElsewhereBytes = 64 << 10;
// Process frames that wait behind such a decode, per connection: past this the node
// stops reading from that peer (the transport's pause_reading; TCP then holds the peer
// back) until the decode lands. Four of the largest frames a peer sends by default.
constexpr std::size_t kMaxWaitingBytes = 4 << 20;
}  // namespace

// -- encoding: any thread --

Delivery NodeCore::route(Pid from, Pid to, MessageNode* node, absl::Status* refused) noexcept {
  RouteCommand c{.from = from, .to = to};
  const TypeInfo* type = node->type;
  if (is_signal<LinkSignal>(node)) {
    c.kind = FrameKind::link;
    c.from = unbox<LinkSignal>(node).from;
    c.frame = dist::write_link({.from = c.from, .to = to});
  } else if (is_signal<UnlinkSignal>(node)) {
    c.kind = FrameKind::unlink;
    c.from = unbox<UnlinkSignal>(node).from;
    c.frame = dist::write_unlink({.from = c.from, .to = to});
  } else if (is_signal<ExitSignal>(node)) {
    auto& s = unbox<ExitSignal>(node);
    c.kind = FrameKind::exit;
    c.from = s.from;
    c.frame = dist::write_exit(s.from, to, s.via_link, s.reason);
  } else if (is_signal<MonitorSignal>(node)) {
    auto& m = unbox<MonitorSignal>(node);
    c.kind = FrameKind::monitor;
    c.from = m.from;
    c.ref = m.ref;
    c.frame = dist::write_monitor({.from = m.from, .to = to, .ref = m.ref});
  } else if (is_signal<DemonitorSignal>(node)) {
    c.kind = FrameKind::demonitor;
    c.ref = unbox<DemonitorSignal>(node).ref;
    c.frame = dist::write_demonitor({.from = from, .to = to, .ref = c.ref});
  } else if (is_signal<DownSignal>(node)) {
    auto& d = unbox<DownSignal>(node);
    c.kind = FrameKind::down;
    c.from = d.pid;
    c.ref = d.ref;
    c.frame = dist::write_down(d.pid, to, d.ref, d.reason);
  } else if (type->is_signal) {
    destroy(node);  // timeouts and the like are never for another node
    return Delivery::dead;
  } else {
    c.kind = FrameKind::send;
    if (type->encode == nullptr) {
      log(LogLevel::error, absl::StrCat("cannot send ", demangle(*type->std_type), " to ", to.to_string(),
                                        ": not a wire type (declare it with SNOW_WIRE); dropped"));
      core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
      destroy(node);
      return Delivery::dead;
    }
    FrameWriter w = dist::start_send(from, to);
    const std::size_t header = w.buffer().size();
    absl::Status st = type->encode(node, w.buffer());  // straight into the frame: no copy
    const std::string_view stf = std::string_view(w.buffer()).substr(header);
    const std::string_view type_name = dist::message_type_name(stf);
    if (st.ok()) st = check_send(to.node(), std::string(), type_name, stf);
    if (!st.ok()) {
      destroy(node);
      return refuse_send(absl::Status(st.code(), absl::StrCat("cannot send ", type_name.empty() ? "a message" : av(type_name),
                                                              " to ", to.to_string(), " on ", node_of(to), ": ",
                                                              st.message())),
                         refused);
    }
    c.frame = w.finish();
  }
  destroy(node);
  post(std::move(c));
  return Delivery::delivered;
}

Delivery NodeCore::route_named(Pid from, std::string_view name, std::string_view node_name,
                               std::string encoded) noexcept {
  if (name.empty() || name.size() > 255) {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    return Delivery::dead;
  }
  const std::string_view type_name = dist::message_type_name(encoded);
  if (absl::Status st = check_send(0, std::string(node_name), type_name, encoded); !st.ok()) {
    return refuse_send(absl::Status(st.code(), absl::StrCat("cannot send ", type_name.empty() ? "a message" : av(type_name),
                                                            " to ", av(name), " on ", av(node_name), ": ", st.message())),
                       nullptr);
  }
  post(RouteNamedCommand{.from = from,
                         .node = std::string(node_name),
                         .frame = dist::write_send_named({.from = from, .name = name, .message = encoded})});
  return Delivery::delivered;
}

absl::Status NodeCore::try_route(Pid from, Pid to, MessageNode* node) noexcept {
  absl::Status refused;
  if (route(from, to, node, &refused) == Delivery::delivered) return absl::OkStatus();
  return refused.ok() ? absl::NotFoundError(absl::StrCat("no process ", to.to_string())) : refused;
}

Delivery NodeCore::refuse_send(absl::Status why, absl::Status* refused) noexcept {
  if (why.code() == absl::StatusCode::kResourceExhausted) {
    counters_.add(&NodeStats::refused_over_limits);
  }
  if (refused != nullptr) {
    *refused = std::move(why);
    return Delivery::dead;
  }
  core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(send_log_mu_);
  const absl::Time now = core_.timers.now();
  send_log_.tick(now);
  send_log_.write("send refused", LogLevel::error, absl::StrCat(why.message(), "; dropped"), now);
  return Delivery::dead;
}

// -- decoding: the transport thread --

void NodeCore::on_process_frame(Connection& c, FrameKind kind, std::string_view body, std::string* owned) {
  const DecodeLimits& limits = receive_limits_.decode;
  // The frame's layout is read by its kind's reader (signal_frames.hpp); what is left is
  // this node's. A process frame comes from a process on the peer (or from no process),
  // and goes to a process here: a node never relays for another.
  Pid from, to;
  auto sender = [&](Pid wire) {
    return wire.is_null() || (c.map.to_local_pid(wire, from) && from.node() == c.map.peer_index);
  };
  auto receiver = [&](Pid wire) { return c.map.to_local_pid(wire, to) && to.is_local() && !to.is_null(); };
  auto local_ref = [&](Ref wire, Ref& out) {
    std::uint16_t node;
    if (!c.map.to_local(wire.node(), node)) return false;
    out = Ref::make(node, wire.number());
    return true;
  };
  auto malformed = [&](std::string_view what) { malformed_frame(c, kind, what); };
  PeerRelations& rel = relations_[c.map.peer_index];
  switch (kind) {
    case FrameKind::send:
    case FrameKind::send_named:
    case FrameKind::send_acked: {
      const std::optional<dist::MessageFrame> f = kind == FrameKind::send         ? dist::read_send(body)
                                                  : kind == FrameKind::send_named ? dist::read_send_named(body)
                                                                                  : dist::read_send_acked(body);
      if (!f || !sender(f->from) || (kind != FrameKind::send_named && !receiver(f->to))) return malformed("");
      if (f->message.size() >= kDecodeElsewhereBytes) {
        return decode_elsewhere(c, kind, f->ticket, from, to, f->name, Ref(), false, f->message, owned);
      }
      if (kind != FrameKind::send_named && deliver_encoded(c, f->ticket, from, to, f->message)) return;
      absl::StatusOr<Term> message = decode_term_with(f->message, limits, c.map);
      // Well framed but not decodable: only this message is lost (refuse_undecodable).
      if (!message.ok()) return refuse_undecodable(c, f->ticket, to, limits, message.status());
      deliver_message(c, kind, f->ticket, from, to, f->name, *message);
      return;
    }
    case FrameKind::link:
    case FrameKind::unlink: {
      const std::optional<dist::LinkFrame> f = kind == FrameKind::link ? dist::read_link(body) : dist::read_unlink(body);
      if (!f || !sender(f->from) || !receiver(f->to)) return malformed("");
      if (kind == FrameKind::link) {
        rel.links.emplace(to, from);
        deliver(core_, to, box_signal(LinkSignal{from}), from);
      } else {
        rel.links.erase({to, from});
        deliver(core_, to, box_signal(UnlinkSignal{from}), from);
      }
      return;
    }
    case FrameKind::exit: {
      const std::optional<dist::ExitFrame> f = dist::read_exit(body);
      if (!f) return malformed("bad exit reason");
      if (!sender(f->from) || !receiver(f->to)) return malformed("");
      if (body.size() >= kDecodeElsewhereBytes) {
        return decode_elsewhere(c, kind, 0, from, to, {}, Ref(), f->via_link, f->reason, owned);
      }
      BodyReader r(f->reason);
      ExitReason reason;
      if (!dist::read_exit_reason(r, limits, c.map, reason)) return malformed("bad exit reason");
      if (f->via_link) rel.links.erase({to, from});
      deliver(core_, to, box_signal(ExitSignal{from, std::move(reason), f->via_link}), from);
      return;
    }
    case FrameKind::monitor:
    case FrameKind::demonitor: {
      const std::optional<dist::MonitorFrame> f =
          kind == FrameKind::monitor ? dist::read_monitor(body) : dist::read_demonitor(body);
      Ref ref;
      if (!f || !sender(f->from) || !receiver(f->to) || !local_ref(f->ref, ref)) return malformed("");
      if (kind == FrameKind::monitor) {
        rel.watched[ref.raw()] = {from, to};
        deliver(core_, to, box_signal(MonitorSignal{from, ref}), from);
      } else {
        rel.watched.erase(ref.raw());
        deliver(core_, to, box_signal(DemonitorSignal{ref}), from);
      }
      return;
    }
    case FrameKind::down: {
      const std::optional<dist::DownFrame> f = dist::read_down(body);
      Ref ref;
      if (!f || !sender(f->from) || !receiver(f->to) || !local_ref(f->ref, ref)) return malformed("");
      if (body.size() >= kDecodeElsewhereBytes) {
        return decode_elsewhere(c, kind, 0, from, to, {}, ref, false, f->reason, owned);
      }
      BodyReader r(f->reason);
      ExitReason reason;
      if (!dist::read_exit_reason(r, limits, c.map, reason)) return malformed("");
      rel.watching.erase(ref.raw());
      deliver(core_, to, box_signal(DownSignal{ref, from, std::move(reason)}), from);
      return;
    }
    default: return malformed("unexpected kind");
  }
}

void NodeCore::malformed_frame(Connection& c, FrameKind kind, std::string_view what) {
  counters_.add(&NodeStats::protocol_errors);
  log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed ", av(kind_name(kind)),
                                      " frame", what.empty() ? "" : ": ", internal::printable(what)));
  close_conn(c, absl::InvalidArgumentError(absl::StrCat("malformed ", av(kind_name(kind)), " frame")));
}

void NodeCore::deliver_message(Connection& c, FrameKind kind, std::uint64_t ticket, Pid from, Pid to,
                               std::string_view name, Term& message) {
  count_message_in();
  if (!c.mismatched.empty() && drop_mismatched(c, message)) [[unlikely]] {
    if (ticket != 0) {
      answer_send(c, dist::SendResult{.ticket = ticket, .to = to.raw(), .outcome = dist::SendOutcome::undecodable},
                  "the type is declared differently here (protocol fingerprint)");
    }
    return;
  }
  if (kind != FrameKind::send_named) {
    deliver_to_pid(c, ticket, from, to,
                   box_peer_message(cluster.get(), to, c.map.peer_index, std::exchange(message, Term())));
  } else if (auto pid = core_.registry.whereis(std::string(name))) {
    const Delivery d =
        deliver(core_, *pid, box_peer_message(cluster.get(), *pid, c.map.peer_index, std::exchange(message, Term())), from);
    if (d != Delivery::delivered) answer_delivery(c, 0, *pid, d);
  } else {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    answer_send(c, dist::SendResult{.outcome = dist::SendOutcome::no_process},
                absl::StrCat("no process is registered as ", internal::printable(name)));
  }
}

bool NodeCore::deliver_encoded(Connection& c, std::uint64_t ticket, Pid from, Pid to, std::string_view stf) {
  // What the Term path treats specially stays on it: messages of types the peer declares
  // differently (drop_mismatched looks inside the Term), messages for the cluster process
  // (wrapped with the peer they came from) and replies to calls (box_if_call_reply).
  if (!c.mismatched.empty() || (cluster != nullptr && to == cluster->process) || is_call_reply_encoding(stf))
    return false;
  EncodedMessage* node = box_encoded(stf);
  if (!localize_encoding({node->bytes(), node->size}, receive_limits_.decode, c.map)) [[unlikely]] {
    destroy(node);  // not known to decode: the Term path decides, from the bytes as they came
    return false;
  }
  count_message_in();
  deliver_to_pid(c, ticket, from, to, node);
  return true;
}

void NodeCore::count_message_in() {
  counters_.add(&NodeStats::messages_in);
  ++network_deliveries_;  // on_data lingers after a read that delivered one
}

void NodeCore::deliver_to_pid(Connection& c, std::uint64_t ticket, Pid from, Pid to, MessageNode* node) {
  const Delivery d = deliver(core_, to, node, from);
  if (d != Delivery::delivered || ticket != 0) answer_delivery(c, ticket, to, d);
}

void NodeCore::decode_elsewhere(Connection& c, FrameKind kind, std::uint64_t ticket, Pid from, Pid to,
                                std::string_view name, Ref ref, bool via_link, std::string_view stf,
                                std::string* owned) {
  // What the worker decodes it owns: the encoding (taken from a reassembled message,
  // else copied out of the read buffer) and a copy of the connection's node map as it is
  // now, which is what an inline decode would have used. `stf` is a message (send,
  // send_named) or an exit reason (exit, down), whose value may be as large.
  struct Decode {
    std::string bytes;
    std::size_t offset = 0;
    std::size_t size = 0;
    ConnectionNodeMap map;
    absl::StatusOr<Term> result = absl::UnknownError("not decoded");
    ExitReason reason;
    bool reason_ok = false;
  };
  auto job = std::make_shared<Decode>();
  if (owned != nullptr) {
    job->offset = static_cast<std::size_t>(stf.data() - owned->data());
    job->bytes = std::move(*owned);
  } else {
    job->bytes.assign(stf.data(), stf.size());
  }
  job->size = stf.size();
  job->map = c.map;
  c.decoding = true;
  const ConnId id = c.id;
  decoder_.submit(DecodeWorker::Job{
      .work = [job, kind, limits = receive_limits_.decode] {
        const std::string_view encoded = std::string_view(job->bytes).substr(job->offset, job->size);
        if (kind == FrameKind::exit || kind == FrameKind::down) {
          BodyReader r(encoded);
          job->reason_ok = dist::read_exit_reason(r, limits, job->map, job->reason);
        } else {
          job->result = decode_term_with(encoded, limits, job->map);
        }
        job->bytes = std::string();  // the encoding's memory goes back before the landing waits its turn
      },
      .land = [this, job, id, kind, ticket, from, to, name = std::string(name), ref, via_link] {
        Connection* conn = find_conn(id);
        // Closed meanwhile: dropped, and counted when the transport reports the close.
        if (conn == nullptr || conn->state != Connection::State::up) return;
        conn->decoding = false;
        if (kind == FrameKind::exit || kind == FrameKind::down) {
          if (!job->reason_ok) return malformed_frame(*conn, kind, "bad exit reason");
          PeerRelations& rel = relations_[conn->map.peer_index];
          if (kind == FrameKind::exit) {
            if (via_link) rel.links.erase({to, from});
            deliver(core_, to, box_signal(ExitSignal{from, std::move(job->reason), via_link}), from);
          } else {
            rel.watching.erase(ref.raw());
            deliver(core_, to, box_signal(DownSignal{ref, from, std::move(job->reason)}), from);
          }
          return replay_waiting(*conn);
        }
        if (!job->result.ok()) {
          refuse_undecodable(*conn, ticket, to, receive_limits_.decode, job->result.status());
          return replay_waiting(*conn);
        }
        deliver_message(*conn, kind, ticket, from, to, name, *job->result);
        // Not delivered (a name no process holds): the worker frees it, as freeing a large
        // Term takes time too.
        if (!job->result->is_unit()) decoder_.submit(DecodeWorker::Job{.work = [job] { job->result = Term(); }, .land = [] {}});
        replay_waiting(*conn);
      }});
}

void NodeCore::wait_behind_decode(Connection& c, FrameKind kind, std::string_view body) {
  c.waiting.push_back(Connection::Waiting{kind, std::string(body)});
  c.waiting_bytes += body.size();
  if (c.waiting_bytes > kMaxWaitingBytes && !c.reading_paused) {
    c.reading_paused = true;
    transport_->pause_reading(c.id, true);
  }
}

void NodeCore::replay_waiting(Connection& c) {
  while (!c.decoding && !c.waiting.empty() && c.state == Connection::State::up) {
    Connection::Waiting w = std::move(c.waiting.front());
    c.waiting.pop_front();
    c.waiting_bytes -= w.body.size();
    on_frame(c, w.kind, w.body, &w.body);
  }
  // Read again once what waits is back under the bound (another large decode may have begun).
  if (c.state != Connection::State::up || !c.reading_paused || c.waiting_bytes > kMaxWaitingBytes) return;
  c.reading_paused = false;
  c.last_received = transport_->now();
  transport_->pause_reading(c.id, false);
}

bool NodeCore::reading_paused_for_testing(const std::string& peer) const {
  for (auto& [id, c] : conns_) {
    if (c->peer_name == peer && c->state == Connection::State::up) return c->reading_paused;
  }
  return false;
}

}  // namespace snow::detail
