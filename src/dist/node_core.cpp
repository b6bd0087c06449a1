// src/dist/node_core.cpp: NodeCore's orchestration — construction, the commands other
// threads post, a connection's life from open to close, and the dispatch of each inbound
// frame to the file that owns its kind.
//
// The rest of NodeCore lives one concern a file (their private types are in
// src/dist/node_connection.hpp):
// - src/dist/node_handshake.cpp: the node's side of the handshake, until a connection is up;
// - src/dist/node_table.cpp: the node table (one entry per node life) and node_name frames;
// - src/dist/process_frames.cpp: process traffic, encoded (route) and decoded (on_process_frame);
// - src/dist/reassembly.cpp: fragments in, made whole again;
// - src/dist/outbound_lanes.cpp: the control lane, the per-sender lanes, fragments out;
// - src/dist/send_outcomes.cpp: refusals reported back, acknowledged sends;
// - src/dist/fingerprint.cpp: the peer's node_info (limits, fingerprint) and the sends it refuses;
// - src/dist/node_tick.cpp: heartbeats, timeouts, reconnects and mesh dials;
// - src/dist/node_discovery.cpp: DNS discovery's polls and dials.
#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/dist/cluster.hpp"
#include "src/dist/connection_frames.hpp"
#include "src/dist/node_connection.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
// While a connection is held back, what it sends waits unread; a handshake is a few
// hundred bytes, so more than this is not a handshake.
constexpr std::size_t kMaxHeldBytes = 4 * dist::kHandshakeFrameLimit;
// linger_for_posts: how long the transport thread waits for a reply to what it
// delivered (past a worker's wake-up, which is the slow part), and the largest read after
// which it does (a full read is a stream: its next bytes are waiting in the socket).
constexpr std::chrono::microseconds kLingerForPosts{50};
constexpr std::size_t kLingerReadBytes = 4096;
}  // namespace

// -- construction --

NodeCore::NodeCore(RuntimeCore& core, dist::NodeAddress address, NodeOptions options,
                   std::unique_ptr<transport::Transport> transport)
    : core_(core),
      address_(std::move(address)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      receive_limits_{options_.max_message_bytes, options_.decode_limits},
      sends_always_within_(dist::size_always_within(receive_limits_)),
      always_within_(new std::atomic<std::size_t>[kMaxKnownNodes]),
      send_log_([this](LogLevel level, std::string_view text) { log(level, text); }),
      connection_log_([this](LogLevel level, std::string_view text) { log(level, text); }),
      decoder_(core_.options.deterministic, [this] { transport_->wake(); }) {
  for (std::size_t i = 0; i < kMaxKnownNodes; ++i) always_within_[i].store(sends_always_within_.load());
  if (!options_.discovery.source.empty()) {
    // start_node checked it; a source that does not parse here means no discovery.
    if (absl::StatusOr<discovery::DiscoverySource> source = discovery::parse_discovery_source(options_.discovery.source);
        source.ok()) {
      discovery_ = std::make_unique<discovery::DiscoveryState>();
      discovery_->source = *std::move(source);
      discovery_->jitter.seed(static_cast<std::uint32_t>(core_.creation()));
    }
  }
}

NodeCore::~NodeCore() { stop(); }

absl::Status NodeCore::start() {
  absl::StatusOr<std::uint16_t> port = transport_->listen(address_.host, address_.port);
  if (!port.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address_.host, ":", address_.port, ": ",
                                               port.status().message()));
  }
  address_.port = *port;
  name_ = address_.full();
  {
    std::lock_guard lock(table_mu_);
    nodes_.push_back(KnownNode{name_, core_.creation(), 0});
    nodes_[0].generation = core_.pid_creation();  // local Pids carry the creation's low 8 bits
    nodes_[0].own_connections = 1;                // this node's own life: never free
    node_index_.emplace(name_, 0);
    lives_.emplace(std::make_pair(name_, core_.creation()), 0);
  }
  started_ = true;
  const absl::Duration tick = std::max(options_.heartbeat / 4, absl::Milliseconds(5));
  tick_ = tick;
  transport_->start(this, tick);
  return absl::OkStatus();
}

void NodeCore::stop() noexcept {
  if (stopped_.exchange(true)) return;
  decoder_.stop();  // first: it wakes the transport when a decode is done
  if (started_) transport_->stop();
  std::lock_guard lock(post_mu_);
  for (Command& c : posted_) cancel(c);
  posted_.clear();
}

void NodeCore::log_connection(std::string_view kind, LogLevel level, std::string_view text) {
  connection_log_.write(kind, level, text, transport_->now());
}

void NodeCore::log(LogLevel level, std::string_view text) const {
  core_.log(level, "node", Pid(), text);  // the record carries the node's name
}

// -- other threads --

void NodeCore::post(Command c) {
  if (stopped_.load(std::memory_order_acquire)) return cancel(c);
  bool first;
  {
    std::lock_guard lock(post_mu_);
    first = posted_.empty();
    posted_.push_back(std::move(c));
    has_posted_.store(true, std::memory_order_relaxed);
  }
  // The transport thread takes the whole queue per wake-up, so only the post that finds
  // it empty needs to wake it: a burst of sends costs one wake-up, not one each. Nor
  // does a post while the thread lingers for it (linger_for_posts).
  if (first && !lingering_.load(std::memory_order_seq_cst)) transport_->wake();
}

void NodeCore::cancel(Command& c) {
  const absl::Status stopped = absl::CancelledError("the node stopped");
  if (auto* connect = std::get_if<ConnectCommand>(&c); connect != nullptr && connect->waiter) {
    connect->waiter->finish(stopped);
  } else if (auto* acked = std::get_if<SendAckedCommand>(&c); acked != nullptr && acked->waiter) {
    acked->waiter->finish(stopped);
  }
}

void NodeCore::connect_async(dist::NodeAddress peer, std::shared_ptr<ConnectWaiter> waiter, bool keep,
                             absl::Time deadline) {
  post(ConnectCommand{.address = std::move(peer), .keep = keep, .waiter = std::move(waiter), .deadline = deadline});
}

void NodeCore::disconnect(std::string peer) { post(DisconnectCommand{.node = std::move(peer)}); }

void NodeCore::monitor_node(Pid watcher, std::string peer, bool on) {
  post(MonitorNodeCommand{.watcher = watcher, .node = std::move(peer), .on = on});
}

void NodeCore::post_frame_for_testing(std::string peer, std::string frame) {
  post(TestFrameCommand{.node = std::move(peer), .frame = std::move(frame)});
}

// -- the transport thread: commands --

void NodeCore::on_wake() {
  std::vector<Command> batch;
  {
    std::lock_guard lock(post_mu_);
    batch.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (Command& c : batch) std::visit([this](auto& command) { run(command); }, c);
  decoder_.land_finished();
}

void NodeCore::run(ConnectCommand& c) {
  const std::string name = c.address.full();
  if (name == name_) {
    if (c.waiter) c.waiter->finish(absl::InvalidArgumentError("a node cannot connect to itself"));
    return;
  }
  if (c.keep) {
    auto [kept, fresh] = kept_.try_emplace(name, KeptPeer{c.address, options_.reconnect_min, absl::InfinitePast()});
    if (!fresh) kept->second.by_discovery = false;  // connect() asked for it now too
    if (discovery_) discovery_->disconnected.erase(name);
  }
  {
    std::lock_guard lock(table_mu_);
    auto it = node_index_.find(name);
    if (it != node_index_.end() && nodes_[it->second].conn != 0) {
      if (c.waiter) c.waiter->finish(absl::OkStatus());
      return;
    }
  }
  if (c.waiter) waiters_[name].push_back(PendingConnect{std::move(c.waiter), c.deadline});
  start_attempt(c.address);
}

void NodeCore::run(DisconnectCommand& c) {
  kept_.erase(c.node);
  // A connect() still waiting for another attempt would otherwise wait out its deadline.
  finish_waiters(c.node, absl::CancelledError(absl::StrCat("disconnected from ", c.node, " by request")));
  if (discovery_ && discovery_->disconnected.size() < options_.discovery.max_members) {
    discovery_->disconnected.insert(c.node);
  }
  for (auto& [id, conn] : conns_) {
    if (conn->peer_name == c.node) close_conn(*conn, absl::CancelledError("disconnected by request"));
  }
}

void NodeCore::run(MonitorNodeCommand& c) {
  if (c.on) {
    node_watchers_.emplace_back(c.node, c.watcher);
    return;
  }
  auto it = std::find(node_watchers_.begin(), node_watchers_.end(), std::make_pair(c.node, c.watcher));
  if (it != node_watchers_.end()) node_watchers_.erase(it);
}

void NodeCore::run(TestFrameCommand& c) { send_frame_for_testing(c.node, std::move(c.frame)); }

void NodeCore::run(RouteNamedCommand& c) {
  Connection* conn = nullptr;
  {
    std::lock_guard lock(table_mu_);
    if (auto it = node_index_.find(c.node); it != node_index_.end() && it->second != 0) {
      conn = find_conn(nodes_[it->second].conn);
    }
  }
  if (conn == nullptr || conn->state != Connection::State::up) {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(table_mu_);
    counters_.add(&NodeStats::dropped_unreachable);
    return;
  }
  queue_stream(*conn, c.from, std::move(c.frame));
}

void NodeCore::run(RouteCommand& c) {
  const Pid to = c.to;
  ConnId id = 0;
  bool dead_life = false;
  {
    std::lock_guard lock(table_mu_);
    if (to.node() != 0 && to.node() < nodes_.size()) {
      const KnownNode& n = nodes_[to.node()];
      id = n.conn;
      // Another generation: the Pid is of a life this index named before it was reused.
      dead_life = n.superseded || n.generation != to.creation();
    } else {
      dead_life = to.node() == kForgottenNode;  // a life a peer named that this node cannot
    }
  }
  Connection* conn = find_conn(id);
  if (conn != nullptr && conn->state != Connection::State::up) conn = nullptr;
  // Unreachable, or the Pid is from an earlier life of that node (or one this node has
  // forgotten): answer as Erlang does, noconnection for the first and noproc (a dead
  // process) for the second.
  if (conn == nullptr || dead_life) {
    const ExitReason why = dead_life ? ExitReason::noproc() : ExitReason::noconnection();
    switch (c.kind) {
      case FrameKind::link:
        deliver(core_, c.from, box_signal(ExitSignal{to, why, true}), to);
        break;
      case FrameKind::monitor:
        deliver(core_, c.from, box_signal(DownSignal{c.ref, to, why}), to);
        break;
      case FrameKind::send: {
        core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(table_mu_);
        counters_.add(&NodeStats::dropped_unreachable);
        break;
      }
      default: break;  // unlink, exit, demonitor, down to a lost node: nothing to do
    }
    return;
  }
  PeerRelations& rel = relations_[to.node()];
  switch (c.kind) {
    case FrameKind::link: rel.links.emplace(c.from, to); break;
    case FrameKind::unlink: rel.links.erase({c.from, to}); break;
    case FrameKind::exit: rel.links.erase({c.from, to}); break;
    case FrameKind::monitor: rel.watching[c.ref.raw()] = {c.from, to}; break;
    case FrameKind::demonitor: rel.watching.erase(c.ref.raw()); break;
    case FrameKind::down: rel.watched.erase(c.ref.raw()); break;
    default: break;
  }
  queue_stream(*conn, c.from, std::move(c.frame));
}

// -- introspection --

NodeCounters NodeCore::counters() const {
  NodeCounters out = counters_.snapshot();
  out.admission = transport_->counters();  // the transport's own, not bumped here
  return out;
}

// -- connections --

NodeCore::Connection* NodeCore::find_conn(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void NodeCore::on_open(ConnId id, bool inbound) {
  if (stopped_.load()) return;
  Connection* c = find_conn(id);
  if (inbound) {
    auto fresh = std::make_unique<Connection>();
    fresh->id = id;
    fresh->inbound = true;
    fresh->address = transport_->peer_address(id);
    c = fresh.get();
    conns_[id] = std::move(fresh);
  }
  if (c == nullptr) return;
  c->state = Connection::State::handshaking;
  c->opened_at = c->last_received = transport_->now();
  if (inbound) {
    if (const absl::Duration wait = failure_penalty(c->address); wait > absl::ZeroDuration()) {
      c->hold_until = c->opened_at + wait;
      counters_.add(&NodeStats::handshakes_delayed);
    }
  }
  c->handshake.emplace(inbound ? dist::Handshake::Role::acceptor : dist::Handshake::Role::connector, name_,
                       core_.creation(), inbound ? std::string() : c->peer_name, options_.cookie);
  for (std::string& frame : c->handshake->opening()) queue_control(*c, std::move(frame));
  pump(*c);
}

void NodeCore::close_conn(Connection& c, absl::Status why) {
  if (c.state == Connection::State::closing) return;
  if (c.close_reason.ok()) c.close_reason = why;
  const bool was_up = c.state == Connection::State::up;
  if (was_up) connection_lost(c, why);
  c.state = Connection::State::closing;
  transport_->close(c.id, why);
}

void NodeCore::on_closed(ConnId id, const absl::Status& why) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::unique_ptr<Connection> c = std::move(it->second);
  conns_.erase(it);
  const absl::Status reason = c->close_reason.ok() ? why : c->close_reason;
  const bool was_up = c->state == Connection::State::up;
  if (was_up) connection_lost(*c, reason);
  release_entries(*c);
  std::uint64_t lost = 0;
  for (auto& [key, stream] : c->streams) lost += stream.frames.size();
  if (lost > 0) counters_.add(&NodeStats::dropped_at_close, lost);
  // A large message still decoding, and what waited behind it, are dropped: its landing
  // finds no connection. The noconnection signals went out when the connection was lost,
  // and nothing from this peer may follow them. (A fragment waiting counts as one.)
  if (c->decoding || !c->waiting.empty()) {
    counters_.add(&NodeStats::dropped_inbound_at_close, (c->decoding ? 1 : 0) + c->waiting.size());
    log(LogLevel::info, absl::StrCat("dropped ", c->decoding ? "a message still decoding and " : "", c->waiting.size(),
                                     " frame(s) waiting from ", c->peer_name, ": the connection closed"));
  }
  if (!c->dialed_member.empty() && !was_up) {
    // A dial to an address DNS gave: the next poll tries again while DNS lists it.
    log_connection("discovery dial", LogLevel::info,
                   absl::StrCat("discovery: no connection to ", c->dialed_member,
                                c->peer_name.empty() ? "" : absl::StrCat(" (", c->peer_name, ")"), ": ",
                                reason.message()));
    return;
  }
  if (c->peer_name.empty()) return;
  bool other = false;
  for (auto& [oid, o] : conns_) other = other || o->peer_name == c->peer_name;
  if (other || was_up) return;
  {
    std::lock_guard lock(table_mu_);
    auto nit = node_index_.find(c->peer_name);
    if (nit != node_index_.end() && nodes_[nit->second].conn != 0) return;
  }
  // The attempt failed: tell whoever waits, and schedule the next try for kept peers.
  // Dropped, not refused: reset (how a node flooded with unauthenticated connections
  // evicts one, ours among them when the flood shares our address), or closed before its
  // hello (a node says hello as soon as TLS is up, and refuses only after it: the end of
  // the connection then judged nothing of ours). Whoever waits in connect() with time for
  // another attempt gets it, soon.
  const bool peer_closed_handshake = !c->inbound && c->handshake && c->close_reason.ok();
  const bool heard_hello = peer_closed_handshake && c->handshake->peer_hello();
  const bool dropped = transport::dropped_by_peer(reason) ||
                       (peer_closed_handshake && !heard_hello && reason.code() == absl::StatusCode::kUnavailable);
  absl::Status status;
  if (dropped) {
    status = absl::UnavailableError(absl::StrCat("cannot connect to ", c->peer_name, ": ", reason.message(),
                                                 " (dropped: a node flooded with unauthenticated connections drops newcomers)"));
  } else if (heard_hello) {
    // It said hello (a node of our version, the one we dialled), then closed before the
    // handshake was done: it refused us. Why, it does not say to an unauthenticated peer.
    status = absl::PermissionDeniedError(absl::StrCat(
        c->peer_name, " refused the handshake (a different cookie, or a certificate without our name?): ",
        reason.message()));
  } else if (reason.code() == absl::StatusCode::kPermissionDenied ||
             reason.code() == absl::StatusCode::kFailedPrecondition ||
             reason.code() == absl::StatusCode::kResourceExhausted) {
    status = absl::Status(reason.code(), absl::StrCat("cannot connect to ", c->peer_name, ": ", reason.message()));
  } else {
    status = absl::UnavailableError(absl::StrCat("cannot connect to ", c->peer_name, ": ", reason.message()));
  }
  const absl::Time now = transport_->now();
  const auto k = kept_.find(c->peer_name);
  const bool someone_waits = finish_waiters(
      c->peer_name, status,
      dropped && k != kept_.end() ? now + options_.reconnect_min : absl::InfiniteFuture());
  if (someone_waits) {
    k->second.next_attempt = now + options_.reconnect_min;
    log(LogLevel::warning, absl::StrCat(status.message(), "; trying again in ", absl::FormatDuration(options_.reconnect_min),
                                     " (connect() waits)"));
  } else if (k != kept_.end()) {
    k->second.next_attempt = now + k->second.backoff;
    log(LogLevel::warning, absl::StrCat(status.message(), "; retrying in ", absl::FormatDuration(k->second.backoff)));
    k->second.backoff = std::min(k->second.backoff * 2, options_.reconnect_max);
  }
}

bool NodeCore::finish_waiters(const std::string& name, const absl::Status& status, absl::Time still_waiting_after) {
  auto it = waiters_.find(name);
  if (it == waiters_.end()) return false;
  std::vector<PendingConnect>& pending = it->second;
  std::erase_if(pending, [&](PendingConnect& p) {
    if (p.deadline > still_waiting_after) return false;
    p.waiter->finish(status);
    return true;
  });
  if (!pending.empty()) return true;
  waiters_.erase(it);
  return false;
}

void NodeCore::connection_lost(Connection& c, const absl::Status& why) {
  const std::uint16_t index = c.map.peer_index;
  {
    std::lock_guard lock(table_mu_);
    if (index != 0 && nodes_[index].conn == c.id) nodes_[index].conn = 0;
  }
  c.state = Connection::State::closing;
  log(LogLevel::info, absl::StrCat("lost ", c.peer_name, ": ", why.message()));
  // Everything linked to, watching or watched from the lost node hears of it, in a fixed
  // order (Pid order for links, ref order for monitors).
  if (auto it = relations_.find(index); it != relations_.end()) {
    PeerRelations rel = std::move(it->second);
    relations_.erase(it);
    for (auto& [local, remote] : rel.links) {
      deliver(core_, local, box_signal(ExitSignal{remote, ExitReason::noconnection(), true}), remote);
    }
    for (auto& [ref, pair] : rel.watching) {
      deliver(core_, pair.first, box_signal(DownSignal{Ref::from_raw(ref), pair.second, ExitReason::noconnection()}),
              pair.second);
    }
    for (auto& [ref, pair] : rel.watched) {
      deliver(core_, pair.second, box_signal(DemonitorSignal{Ref::from_raw(ref)}), pair.first);
    }
  }
  notify_node_watchers(c.peer_name, false, std::string(why.message()));
  finish_acked_sends(c.id, absl::InfinitePast());
  if (auto k = kept_.find(c.peer_name); k != kept_.end()) {
    k->second.backoff = options_.reconnect_min;
    k->second.next_attempt = transport_->now() + k->second.backoff;
  }
}

void NodeCore::on_drained(ConnId id) {
  if (Connection* c = find_conn(id)) pump(*c);
}

// -- inbound bytes --

void NodeCore::on_data(ConnId id, std::string_view bytes) {
  Connection* c = find_conn(id);
  if (c == nullptr || c->state == Connection::State::closing) {
    // No counter covers these (the sender counted them as sent): log them, so that
    // messages lost around a connection's end can be traced.
    log(LogLevel::debug, absl::StrCat("discarded ", bytes.size(), " bytes from ",
                                      c == nullptr ? transport_->peer_address(id) : c->peer_name,
                                      ": the connection is ", c == nullptr ? "unknown" : "closing"));
    return;
  }
  c->last_received = transport_->now();
  c->reader.append(bytes);
  {
    std::lock_guard lock(table_mu_);
    counters_.add(&NodeStats::bytes_in, bytes.size());
    if (c->state == Connection::State::up) nodes_[c->map.peer_index].stats.bytes_in += bytes.size();
  }
  const std::uint64_t delivered_before = network_deliveries_;
  take_frames(*c);
  if (network_deliveries_ != delivered_before && bytes.size() < kLingerReadBytes && !core_.options.deterministic)
    linger_for_posts();
}

void NodeCore::linger_for_posts() {
  // A process that gets a message from another node often answers it at once: in a
  // remote ping-pong the reply is posted a few µs after the delivery (plus the worker's
  // wake-up). Going back to the loop, the transport thread would sleep in epoll and the
  // post would have to wake it (a doorbell write and a wake-up: about 10-20 µs on a
  // virtual machine); waiting here for a short while, yielding the core, it takes the post
  // at once. Only after a small read (a request, not a stream, whose next bytes are
  // already in the socket) and never in a simulation (nothing is posted while it waits).
  using Clock = std::chrono::steady_clock;
  lingering_.store(true, std::memory_order_seq_cst);
  const Clock::time_point until = Clock::now() + kLingerForPosts;
  // It stops as soon as anything else waits for the loop (transport_->io_waiting()): a
  // reply is worth a short wait, another peer's bytes are not to be kept waiting for it,
  // and a peer that sends many small messages only makes the thread linger when it has
  // nothing else to do.
  while (!has_posted_.load(std::memory_order_relaxed) && Clock::now() < until && !transport_->io_waiting())
    std::this_thread::yield();
  lingering_.store(false, std::memory_order_seq_cst);
  bool posted;
  {
    std::lock_guard lock(post_mu_);
    posted = !posted_.empty();
  }
  if (posted) {
    counters_.add(&NodeStats::posts_taken_lingering);
    on_wake();
  }
}

void NodeCore::take_frames(Connection& c) {
  if (c.hold_until != absl::InfinitePast()) {
    if (c.reader.buffered() > kMaxHeldBytes) {
      refuse(c, dist::Refused{dist::Refusal::malformed, absl::InvalidArgumentError("too much data during the handshake")});
    }
    return;  // heard when the penalty is over (on_tick)
  }
  for (;;) {
    bool got = false;
    FrameKind kind{};
    std::string_view body;
    absl::Status st = c.reader.next(got, kind, body);
    if (!st.ok()) {
      if (c.state != Connection::State::up) return refuse(c, dist::Refused{dist::Refusal::malformed, st});
      counters_.add(&NodeStats::protocol_errors);
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": ", st.message()));
      close_conn(c, st);
      return;
    }
    if (!got) return;
    counters_.add(&NodeStats::frames_in);
    on_frame(c, kind, body);
    if (c.state == Connection::State::closing) return;
  }
}

void NodeCore::on_frame(Connection& c, FrameKind kind, std::string_view body, std::string* owned) {
  if (c.state != Connection::State::up) return on_handshake_frame(c, kind, body);
  if (!c.peer_info_done) [[unlikely]] return on_node_info(c, kind, body);
  switch (kind) {
    case FrameKind::ping:
    case FrameKind::pong:
    case FrameKind::peers:
    case FrameKind::node_name:
    case FrameKind::hello:
    case FrameKind::pake:
    case FrameKind::confirm: break;
    default:
      if (c.decoding) return wait_behind_decode(c, kind, body);
  }
  switch (kind) {
    case FrameKind::ping:
      c.pong = dist::answer_ping(body);
      return pump(c);
    case FrameKind::pong: {
      if (const std::optional<dist::PongFrame> f = dist::read_pong(body)) {
        c.rtt = transport_->now() - absl::FromUnixNanos(static_cast<std::int64_t>(f->clock_ns));
        std::lock_guard lock(table_mu_);
        nodes_[c.map.peer_index].stats.rtt = c.rtt;
      }
      return;
    }
    case FrameKind::peers: return on_peers(c, body);
    case FrameKind::node_name: return on_node_name(c, body);
    case FrameKind::fragment: return on_fragment(c, body);
    case FrameKind::send_result: return on_send_result(c, body);
    case FrameKind::refusal_summary: return on_refusal_summary(c, body);
    case FrameKind::hello:
    case FrameKind::pake:
    case FrameKind::confirm:
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": a second handshake"));
      return close_conn(c, absl::InvalidArgumentError("handshake frame after authentication"));
    case FrameKind::node_info:
      counters_.add(&NodeStats::protocol_errors);
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": a second node_info"));
      return close_conn(c, absl::InvalidArgumentError("node_info after the peer's last one"));
    default: return on_process_frame(c, kind, body, owned);
  }
}

// -- delivering to local processes and watchers --

std::vector<NodeEvent> NodeCore::history() const {
  std::lock_guard lock(history_mu_);
  return {history_.begin(), history_.end()};
}

void NodeCore::notify_node_watchers(const std::string& node, bool up, const std::string& reason) {
  {
    std::lock_guard lock(history_mu_);
    if (history_.size() == Node::kNodeHistory) history_.pop_front();
    history_.push_back(NodeEvent{absl::Now(), node, up, up ? std::string() : reason});
  }
  std::vector<Pid> dead;
  for (auto& [name, watcher] : node_watchers_) {
    if (!name.empty() && name != node) continue;
    MessageNode* msg = up ? box(NodeUp{node}) : box(NodeDown{node, reason});
    if (deliver(core_, watcher, msg) == Delivery::dead) dead.push_back(watcher);
  }
  if (!dead.empty()) {
    std::erase_if(node_watchers_, [&](const auto& w) { return std::find(dead.begin(), dead.end(), w.second) != dead.end(); });
  }
}

}  // namespace snow::detail
