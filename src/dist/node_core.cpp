// src/dist/node_core.cpp: connections, the handshake, routing and failure handling.
#include "src/dist/node_core.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "snow/wire.hpp"
#include "src/dist/cluster.hpp"
#include "src/dist/handshake.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow::detail {

using dist::BodyReader;
using dist::FrameKind;
using dist::FrameWriter;
using transport::ConnId;

namespace {
constexpr std::size_t kMaxKnownNodes = 1024;   // node names ever interned (never freed)
constexpr std::size_t kWriteWindow = 256 << 10;  // bytes handed to the transport ahead
constexpr std::size_t kBatchBytes = 64 << 10;    // small frames are written together
constexpr int kMaxHandshakeFailures = 10;        // per address per window, then refused
constexpr absl::Duration kFailureWindow = absl::Seconds(60);
constexpr std::size_t kMaxFailureEntries = 4096;

// Exit reasons on the wire: u8 kind, u32 text length, text, then for a user reason
// with a wire value the value's STF encoding (otherwise its printed form is the text).
void write_reason(FrameWriter& w, const ExitReason& r) {
  std::string text = r.kind() == ExitReason::Kind::user ? r.to_string() : r.text();
  std::string value;
  if (const MessageNode* n = r.user_node(); n != nullptr && n->type->encode != nullptr) {
    if (!n->type->encode(n, value).ok()) value.clear();
  }
  const auto len = static_cast<std::uint32_t>(text.size());
  w.u8(static_cast<std::uint8_t>(r.kind())).u64(len).bytes(text).u8(value.empty() ? 0 : 1).bytes(value);
}

bool read_reason(BodyReader& r, const DecodeLimits& limits, const NodeIndexMap& map, ExitReason& out) {
  const std::uint8_t kind = r.u8();
  const std::uint64_t len = r.u64();
  if (!r.ok() || len > limits.max_string_bytes) return false;
  const std::string_view text = r.take(len);
  const std::uint8_t has_value = r.u8();
  if (!r.ok() || !detail::is_valid_utf8(text)) return false;
  using K = ExitReason::Kind;
  switch (static_cast<K>(kind)) {
    case K::normal: out = ExitReason::normal(); return r.at_end();
    case K::shutdown: out = ExitReason::shutdown(); return r.at_end();
    case K::kill: out = ExitReason::kill(); return r.at_end();
    case K::killed: out = ExitReason::killed(); return r.at_end();
    case K::noproc: out = ExitReason::noproc(); return r.at_end();
    case K::noconnection: out = ExitReason::noconnection(); return r.at_end();
    case K::error: out = ExitReason::error(std::string(text)); return r.at_end();
    case K::user: {
      if (has_value == 0) {
        out = ExitReason::user(Term(std::string(text)));
        return r.at_end();
      }
      absl::StatusOr<Term> t = decode_term_with(r.rest(), limits, map);
      if (!t.ok()) return false;
      out = ExitReason::user(std::move(*t));
      return true;
    }
  }
  return false;
}

}  // namespace

// -- per-connection state --

class NodeCore::ConnectionNodeMap final : public NodeIndexMap {
 public:
  bool to_local(std::uint16_t wire, std::uint16_t& local) const override {
    if (wire == 0) {
      local = peer_index;
      return peer_index != 0;
    }
    auto it = table.find(wire);
    if (it == table.end()) return false;
    local = it->second;
    return true;
  }
  std::uint16_t peer_index = 0;                          // my index for the peer
  absl::flat_hash_map<std::uint16_t, std::uint16_t> table;  // peer's index -> mine
};

struct NodeCore::Connection {
  enum class State { connecting, handshaking, up, closing };
  ConnId id = 0;
  bool inbound = false;
  State state = State::connecting;
  std::string peer_name;  // known from the start for outbound, from hello for inbound
  dist::NodeAddress peer_address;
  std::uint8_t peer_creation = 0;
  std::string my_nonce, peer_nonce;
  bool auth_sent = false;
  bool hello_seen = false;
  absl::Time opened_at, last_received, last_ping;
  absl::Status close_reason;
  dist::FrameReader reader{dist::kHandshakeFrameLimit};
  ConnectionNodeMap map;
  absl::flat_hash_map<std::uint16_t, bool> announced;  // my indices this peer knows

  std::deque<std::string> control;
  struct Stream {
    std::deque<std::string> frames;
    std::size_t offset = 0;  // bytes of the head frame already sent as fragments
  };
  absl::flat_hash_map<std::uint64_t, Stream> streams;  // by sender Pid
  std::deque<std::uint64_t> ring;                       // streams with frames, round robin
  std::size_t queued_bytes = 0;
  absl::flat_hash_map<std::uint64_t, std::string> reassembly;  // by stream
  std::size_t reassembly_bytes = 0;
  std::string address;  // the transport's peer address, for logs and rate limiting
  absl::Duration rtt = absl::ZeroDuration();
};

/// A node's links and monitors that cross to one peer node, so that losing the peer can
/// fire noconnection for them, and their remote halves can be forgotten.
struct NodeCore::PeerRelations {
  absl::btree_set<std::pair<Pid, Pid>> links;                    // (local, remote)
  absl::btree_map<std::uint64_t, std::pair<Pid, Pid>> watching;   // ref -> (local watcher, remote)
  absl::btree_map<std::uint64_t, std::pair<Pid, Pid>> watched;    // ref -> (remote watcher, local)
};

struct NodeCore::Command {
  enum class Kind { route, connect, disconnect, monitor_node, demonitor_node } kind = Kind::route;
  FrameKind frame_kind = FrameKind::send;
  Pid from, to;
  Ref ref;
  std::string frame;   // route: the frame to queue
  std::string name;    // node name for connect / disconnect / node monitors; route_named target
  dist::NodeAddress address;
  bool keep = false;
  std::shared_ptr<ConnectWaiter> waiter;
};

// -- construction --

NodeCore::NodeCore(RuntimeCore& core, dist::NodeAddress address, NodeOptions options,
                   std::unique_ptr<transport::Transport> transport)
    : core_(core), address_(std::move(address)), options_(std::move(options)), transport_(std::move(transport)) {}

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
    node_index_.emplace(name_, 0);
  }
  started_ = true;
  const absl::Duration tick = std::max(options_.heartbeat / 4, absl::Milliseconds(5));
  transport_->start(this, tick);
  return absl::OkStatus();
}

void NodeCore::stop() noexcept {
  if (stopped_.exchange(true)) return;
  if (started_) transport_->stop();
  std::lock_guard lock(post_mu_);
  for (Command& c : posted_) {
    if (c.waiter) c.waiter->finish(absl::CancelledError("the node stopped"));
  }
  posted_.clear();
}

void NodeCore::log(LogLevel level, std::string_view text) const {
  core_.log(level, absl::StrCat("node ", name_, ": ", av(text)));
}

// -- other threads --

void NodeCore::post(Command c) {
  if (stopped_.load(std::memory_order_acquire)) {
    if (c.waiter) c.waiter->finish(absl::CancelledError("the node stopped"));
    return;
  }
  bool first;
  {
    std::lock_guard lock(post_mu_);
    first = posted_.empty();
    posted_.push_back(std::move(c));
  }
  // The transport thread takes the whole queue per wake-up, so only the post that finds
  // it empty needs to wake it: a burst of sends costs one wake-up, not one each.
  if (first) transport_->wake();
}

Delivery NodeCore::route(Pid from, Pid to, MessageNode* node) noexcept {
  Command c;
  c.from = from;
  c.to = to;
  const TypeInfo* type = node->type;
  if (is_signal<LinkSignal>(node)) {
    c.frame_kind = FrameKind::link;
    c.from = unbox<LinkSignal>(node).from;
    c.frame = FrameWriter(FrameKind::link).pid(c.from).pid(to).finish();
  } else if (is_signal<UnlinkSignal>(node)) {
    c.frame_kind = FrameKind::unlink;
    c.from = unbox<UnlinkSignal>(node).from;
    c.frame = FrameWriter(FrameKind::unlink).pid(c.from).pid(to).finish();
  } else if (is_signal<ExitSignal>(node)) {
    auto& s = unbox<ExitSignal>(node);
    c.frame_kind = FrameKind::exit;
    c.from = s.from;
    FrameWriter w(FrameKind::exit);
    w.pid(s.from).pid(to).u8(s.via_link ? 1 : 0);
    write_reason(w, s.reason);
    c.frame = w.finish();
  } else if (is_signal<MonitorSignal>(node)) {
    auto& m = unbox<MonitorSignal>(node);
    c.frame_kind = FrameKind::monitor;
    c.from = m.from;
    c.ref = m.ref;
    c.frame = FrameWriter(FrameKind::monitor).pid(m.from).pid(to).ref(m.ref).finish();
  } else if (is_signal<DemonitorSignal>(node)) {
    c.frame_kind = FrameKind::demonitor;
    c.ref = unbox<DemonitorSignal>(node).ref;
    c.frame = FrameWriter(FrameKind::demonitor).pid(from).pid(to).ref(c.ref).finish();
  } else if (is_signal<DownSignal>(node)) {
    auto& d = unbox<DownSignal>(node);
    c.frame_kind = FrameKind::down;
    c.from = d.pid;
    c.ref = d.ref;
    FrameWriter w(FrameKind::down);
    w.pid(d.pid).pid(to).ref(d.ref);
    write_reason(w, d.reason);
    c.frame = w.finish();
  } else if (type->is_signal) {
    destroy(node);  // timeouts and the like are never for another node
    return Delivery::dead;
  } else {
    c.frame_kind = FrameKind::send;
    if (type->encode == nullptr) {
      log(LogLevel::error, absl::StrCat("cannot send ", demangle(*type->std_type), " to ", to.to_string(),
                                        ": not a wire type (declare it with SNOW_WIRE); dropped"));
      core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
      destroy(node);
      return Delivery::dead;
    }
    if (has_mismatches_.load(std::memory_order_relaxed)) [[unlikely]] {
      const std::string name = wire_name_of(*type->std_type);
      if (!name.empty() && mismatched(to.node(), name)) {
        log(LogLevel::error, absl::StrCat("cannot send ", name, " to ", to.to_string(), " on ", node_of(to),
                                          ": the type is declared differently there (protocol fingerprint); dropped"));
        core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
        destroy(node);
        return Delivery::dead;
      }
    }
    FrameWriter w(FrameKind::send);
    w.pid(from).pid(to);
    const std::size_t header = w.buffer().size();
    absl::Status st = type->encode(node, w.buffer());  // straight into the frame: no copy
    if (st.ok() && w.buffer().size() - header > options_.max_message_bytes) {
      st = absl::InvalidArgumentError(
          absl::StrCat("message of ", w.buffer().size() - header, " bytes is over max_message_bytes"));
    }
    if (!st.ok()) {
      log(LogLevel::error, absl::StrCat("cannot send to ", to.to_string(), ": ", st.message()));
      core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
      destroy(node);
      return Delivery::dead;
    }
    c.frame = w.finish();
  }
  destroy(node);
  post(std::move(c));
  return Delivery::delivered;
}

Delivery NodeCore::route_named(Pid from, std::string_view name, std::string_view node_name,
                               std::string encoded) noexcept {
  if (name.empty() || name.size() > 255 || encoded.size() > options_.max_message_bytes) {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    return Delivery::dead;
  }
  Command c;
  c.frame_kind = FrameKind::send_named;
  c.from = from;
  c.name = std::string(node_name);
  c.frame = FrameWriter(FrameKind::send_named).pid(from).name(name).bytes(encoded).finish();
  post(std::move(c));
  return Delivery::delivered;
}

void NodeCore::connect_async(dist::NodeAddress peer, std::shared_ptr<ConnectWaiter> waiter, bool keep) {
  Command c;
  c.kind = Command::Kind::connect;
  c.name = peer.full();
  c.address = std::move(peer);
  c.waiter = std::move(waiter);
  c.keep = keep;
  post(std::move(c));
}

void NodeCore::disconnect(std::string peer) {
  Command c;
  c.kind = Command::Kind::disconnect;
  c.name = std::move(peer);
  post(std::move(c));
}

void NodeCore::monitor_node(Pid watcher, std::string peer, bool on) {
  Command c;
  c.kind = on ? Command::Kind::monitor_node : Command::Kind::demonitor_node;
  c.from = watcher;
  c.name = std::move(peer);
  post(std::move(c));
}

std::vector<std::string> NodeCore::connected() const {
  std::vector<std::string> out;
  std::lock_guard lock(table_mu_);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].conn != 0) out.push_back(nodes_[i].name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string NodeCore::node_of(Pid pid) const {
  if (pid.is_null()) return "";
  std::lock_guard lock(table_mu_);
  return pid.node() < nodes_.size() ? nodes_[pid.node()].name : "";
}

void NodeCore::set_mismatches(const std::string& node, std::vector<std::string> names) {
  std::lock_guard lock(fingerprint_mu_);
  if (names.empty()) {
    mismatches_.erase(node);
  } else {
    mismatches_[node] = absl::flat_hash_set<std::string>(names.begin(), names.end());
  }
  has_mismatches_.store(!mismatches_.empty(), std::memory_order_relaxed);
}

bool NodeCore::mismatched(std::uint16_t node_index, std::string_view name) const {
  const std::string node = node_of(Pid::make(node_index, 0, 0));
  std::lock_guard lock(fingerprint_mu_);
  auto it = mismatches_.find(node);
  return it != mismatches_.end() && it->second.contains(std::string(name));
}

std::vector<std::pair<std::string, std::uint64_t>> NodeCore::fingerprint() const {
  std::vector<std::pair<std::string, std::uint64_t>> out = wire_fingerprint();
  std::lock_guard lock(fingerprint_mu_);
  for (auto& [name, digest] : out) {
    if (auto it = fingerprint_overrides_.find(name); it != fingerprint_overrides_.end()) digest = it->second;
  }
  return out;
}

void NodeCore::override_fingerprint_for_testing(std::string name, std::uint64_t digest) {
  std::lock_guard lock(fingerprint_mu_);
  fingerprint_overrides_[std::move(name)] = digest;
}

std::vector<PeerStats> NodeCore::peers() const {
  std::vector<PeerStats> out;
  std::lock_guard lock(table_mu_);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].conn != 0) out.push_back(nodes_[i].stats);
  }
  std::sort(out.begin(), out.end(), [](const PeerStats& a, const PeerStats& b) { return a.name < b.name; });
  return out;
}

std::uint16_t NodeCore::node_index(std::string_view node_name) const {
  std::lock_guard lock(table_mu_);
  auto it = node_index_.find(std::string(node_name));
  return it == node_index_.end() ? 0 : it->second;
}

NodeCounters NodeCore::counters() const {
  NodeCounters out;
  out.frames_in = counters_.frames_in.load(std::memory_order_relaxed);
  out.frames_out = counters_.frames_out.load(std::memory_order_relaxed);
  out.bytes_in = counters_.bytes_in.load(std::memory_order_relaxed);
  out.bytes_out = counters_.bytes_out.load(std::memory_order_relaxed);
  out.messages_in = counters_.messages_in.load(std::memory_order_relaxed);
  out.messages_out = counters_.messages_out.load(std::memory_order_relaxed);
  out.dropped_unreachable = counters_.dropped_unreachable.load(std::memory_order_relaxed);
  out.dropped_overflow = counters_.dropped_overflow.load(std::memory_order_relaxed);
  out.dropped_at_close = counters_.dropped_at_close.load(std::memory_order_relaxed);
  out.handshakes_refused = counters_.handshakes_refused.load(std::memory_order_relaxed);
  out.protocol_errors = counters_.protocol_errors.load(std::memory_order_relaxed);
  return out;
}

// -- the transport thread: commands --

void NodeCore::on_wake() {
  std::vector<Command> batch;
  {
    std::lock_guard lock(post_mu_);
    batch.swap(posted_);
  }
  for (Command& c : batch) run(c);
}

void NodeCore::run(Command& c) {
  switch (c.kind) {
    case Command::Kind::route: return run_route(c);
    case Command::Kind::connect: {
      if (c.address.full() == name_) {
        if (c.waiter) c.waiter->finish(absl::InvalidArgumentError("a node cannot connect to itself"));
        return;
      }
      if (c.keep) kept_.try_emplace(c.name, KeptPeer{c.address, options_.reconnect_min, absl::InfinitePast()});
      {
        std::lock_guard lock(table_mu_);
        auto it = node_index_.find(c.name);
        if (it != node_index_.end() && nodes_[it->second].conn != 0) {
          if (c.waiter) c.waiter->finish(absl::OkStatus());
          return;
        }
      }
      if (c.waiter) waiters_[c.name].push_back(std::move(c.waiter));
      start_attempt(c.address);
      return;
    }
    case Command::Kind::disconnect: {
      kept_.erase(c.name);
      for (auto& [id, conn] : conns_) {
        if (conn->peer_name == c.name) close_conn(*conn, absl::CancelledError("disconnected by request"));
      }
      return;
    }
    case Command::Kind::monitor_node:
      node_watchers_.emplace_back(c.name, c.from);
      return;
    case Command::Kind::demonitor_node: {
      auto it = std::find(node_watchers_.begin(), node_watchers_.end(), std::make_pair(c.name, c.from));
      if (it != node_watchers_.end()) node_watchers_.erase(it);
      return;
    }
  }
}

void NodeCore::run_route(Command& c) {
  if (c.frame_kind == FrameKind::send_named) {
    Connection* conn = nullptr;
    {
      std::lock_guard lock(table_mu_);
      if (auto it = node_index_.find(c.name); it != node_index_.end() && it->second != 0) {
        conn = find_conn(nodes_[it->second].conn);
      }
    }
    if (conn == nullptr || conn->state != Connection::State::up) {
      core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(table_mu_);
      counters_.dropped_unreachable.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_stream(*conn, c.from, std::move(c.frame));
    return;
  }
  const Pid to = c.to;
  ConnId id = 0;
  std::uint8_t creation = 0;
  {
    std::lock_guard lock(table_mu_);
    if (to.node() != 0 && to.node() < nodes_.size()) {
      id = nodes_[to.node()].conn;
      creation = nodes_[to.node()].creation;
    }
  }
  Connection* conn = find_conn(id);
  if (conn != nullptr && conn->state != Connection::State::up) conn = nullptr;
  // Unreachable, or the Pid is from an earlier life of that node: answer as Erlang does,
  // noconnection for the first and noproc (a dead process) for the second.
  if (conn == nullptr || creation != to.creation()) {
    const ExitReason why = conn == nullptr ? ExitReason::noconnection() : ExitReason::noproc();
    switch (c.frame_kind) {
      case FrameKind::link:
        deliver(core_, c.from, box_signal(ExitSignal{to, why, true}), to);
        break;
      case FrameKind::monitor:
        deliver(core_, c.from, box_signal(DownSignal{c.ref, to, why}), to);
        break;
      case FrameKind::send: {
        core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(table_mu_);
        counters_.dropped_unreachable.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      default: break;  // unlink, exit, demonitor, down to a lost node: nothing to do
    }
    return;
  }
  PeerRelations& rel = relations_[to.node()];
  switch (c.frame_kind) {
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

// -- connections --

NodeCore::Connection* NodeCore::find_conn(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
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

void NodeCore::on_open(ConnId id, bool inbound) {
  if (stopped_.load()) return;
  Connection* c = find_conn(id);
  if (inbound) {
    const std::string address = transport_->peer_address(id);
    if (address_blocked(address)) {
      transport_->close(id, absl::PermissionDeniedError("too many failed handshakes"));
      return;
    }
    auto fresh = std::make_unique<Connection>();
    fresh->id = id;
    fresh->inbound = true;
    fresh->address = address;
    c = fresh.get();
    conns_[id] = std::move(fresh);
  }
  if (c == nullptr) return;
  c->state = Connection::State::handshaking;
  c->opened_at = c->last_received = transport_->now();
  c->my_nonce = dist::make_nonce();
  queue_control(*c, FrameWriter(FrameKind::hello)
                        .u8(dist::kProtocolVersion)
                        .u8(core_.creation())
                        .bytes(c->my_nonce)
                        .name(name_)
                        .finish());
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
  std::uint64_t lost = 0;
  for (auto& [key, stream] : c->streams) lost += stream.frames.size();
  if (lost > 0) counters_.dropped_at_close.fetch_add(lost, std::memory_order_relaxed);
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
  absl::Status status;
  if (!c->inbound && c->auth_sent && c->close_reason.ok()) {
    status = absl::PermissionDeniedError(absl::StrCat(
        c->peer_name, " refused the handshake (a different cookie?): ", reason.message()));
  } else if (reason.code() == absl::StatusCode::kPermissionDenied ||
             reason.code() == absl::StatusCode::kFailedPrecondition) {
    status = absl::Status(reason.code(), absl::StrCat("cannot connect to ", c->peer_name, ": ", reason.message()));
  } else {
    status = absl::UnavailableError(absl::StrCat("cannot connect to ", c->peer_name, ": ", reason.message()));
  }
  finish_waiters(c->peer_name, status);
  if (auto k = kept_.find(c->peer_name); k != kept_.end()) {
    k->second.next_attempt = transport_->now() + k->second.backoff;
    log(LogLevel::warning, absl::StrCat(status.message(), "; retrying in ", absl::FormatDuration(k->second.backoff)));
    k->second.backoff = std::min(k->second.backoff * 2, options_.reconnect_max);
  }
}

void NodeCore::finish_waiters(const std::string& name, const absl::Status& status) {
  auto it = waiters_.find(name);
  if (it == waiters_.end()) return;
  for (auto& w : it->second) w->finish(status);
  waiters_.erase(it);
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
  if (auto k = kept_.find(c.peer_name); k != kept_.end()) {
    k->second.backoff = options_.reconnect_min;
    k->second.next_attempt = transport_->now() + k->second.backoff;
  }
}

void NodeCore::on_drained(ConnId id) {
  if (Connection* c = find_conn(id)) pump(*c);
}

void NodeCore::on_tick() {
  const absl::Time now = transport_->now();
  const absl::Duration silence_limit = options_.heartbeat * options_.heartbeat_misses;
  std::vector<Connection*> all;
  for (auto& [id, c] : conns_) all.push_back(c.get());
  for (Connection* c : all) {
    if (c->state == Connection::State::connecting || c->state == Connection::State::handshaking) {
      if (now - c->opened_at > options_.handshake_timeout) {
        note_handshake_failure(*c);
        const std::string why = absl::StrCat("no handshake within ", absl::FormatDuration(options_.handshake_timeout));
        log(LogLevel::warning, absl::StrCat("closing connection ", c->inbound ? "from " : "to ", c->address, ": ", why));
        close_conn(*c, absl::DeadlineExceededError(why));
      }
    } else if (c->state == Connection::State::up) {
      if (now - c->last_received > silence_limit) {
        close_conn(*c, absl::UnavailableError(absl::StrCat("heartbeat timeout: nothing heard for ",
                                                            absl::FormatDuration(now - c->last_received))));
      } else if (now - c->last_ping >= options_.heartbeat) {
        c->last_ping = now;
        queue_control(*c, FrameWriter(FrameKind::ping).u64(static_cast<std::uint64_t>(absl::ToUnixNanos(now))).finish());
        pump(*c);
      }
    }
  }
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
    counters_.bytes_in.fetch_add(bytes.size(), std::memory_order_relaxed);
    if (c->state == Connection::State::up) nodes_[c->map.peer_index].stats.bytes_in += bytes.size();
  }
  for (;;) {
    bool got = false;
    FrameKind kind{};
    std::string_view body;
    absl::Status st = c->reader.next(got, kind, body);
    if (!st.ok()) {
      if (c->state != Connection::State::up) note_handshake_failure(*c);
      counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      log(LogLevel::warning, absl::StrCat("closing connection from ", c->address, ": ", st.message()));
      close_conn(*c, st);
      return;
    }
    if (!got) return;
    counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
    on_frame(*c, kind, body);
    if (c->state == Connection::State::closing) return;
  }
}

void NodeCore::on_frame(Connection& c, FrameKind kind, std::string_view body) {
  if (c.state != Connection::State::up) {
    if (kind == FrameKind::hello && !c.hello_seen) return on_hello(c, body);
    if (kind == FrameKind::auth && c.hello_seen) return on_auth(c, body);
    note_handshake_failure(c);
    log(LogLevel::warning, absl::StrCat("closing connection from ", c.address, ": unexpected ", av(kind_name(kind)),
                                        " frame during the handshake"));
    return close_conn(c, absl::InvalidArgumentError("unexpected frame during the handshake"));
  }
  switch (kind) {
    case FrameKind::ping:
      queue_control(c, FrameWriter(FrameKind::pong).bytes(body.substr(0, 8)).finish());
      return pump(c);
    case FrameKind::pong: {
      BodyReader r(body);
      const std::uint64_t sent = r.u64();
      if (r.ok()) {
        c.rtt = transport_->now() - absl::FromUnixNanos(static_cast<std::int64_t>(sent));
        std::lock_guard lock(table_mu_);
        nodes_[c.map.peer_index].stats.rtt = c.rtt;
      }
      return;
    }
    case FrameKind::peers: return on_peers(c, body);
    case FrameKind::node_name: return on_node_name(c, body);
    case FrameKind::fragment: return on_fragment(c, body);
    case FrameKind::hello:
    case FrameKind::auth:
      log(LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": a second handshake"));
      return close_conn(c, absl::InvalidArgumentError("handshake frame after authentication"));
    default: return on_process_frame(c, kind, body);
  }
}

void NodeCore::on_hello(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint8_t version = r.u8();
  const std::uint8_t creation = r.u8();
  const std::string_view nonce = r.take(dist::kNonceBytes);
  const std::string_view name = r.name();
  if (!r.ok() || !r.at_end()) {
    note_handshake_failure(c);
    log(LogLevel::warning, absl::StrCat("closing connection from ", c.address, ": malformed hello"));
    return close_conn(c, absl::InvalidArgumentError("malformed hello"));
  }
  if (version != dist::kProtocolVersion) {
    log(LogLevel::warning, absl::StrCat("refusing ", c.address, ": protocol version ", version, ", this node speaks ",
                                        dist::kProtocolVersion));
    return close_conn(c, absl::FailedPreconditionError("protocol version mismatch"));
  }
  absl::StatusOr<dist::NodeAddress> parsed = dist::parse_node_address(name, kDefaultNodePort);
  if (!parsed.ok() || parsed->full() != name || name == name_) {
    note_handshake_failure(c);
    log(LogLevel::warning, absl::StrCat("refusing ", c.address, ": bad node name in hello"));
    return close_conn(c, absl::InvalidArgumentError("bad node name"));
  }
  if (!c.inbound && name != c.peer_name) {
    log(LogLevel::warning, absl::StrCat("refusing ", c.address, ": expected ", c.peer_name, ", it is ", av(name)));
    return close_conn(c, absl::PermissionDeniedError(absl::StrCat("the node at that address is ", av(name))));
  }
  c.hello_seen = true;
  c.peer_name = std::string(name);
  c.peer_address = *parsed;
  c.peer_creation = creation;
  c.peer_nonce = std::string(nonce);
  if (!dedupe(c, creation)) return;
  if (!c.inbound) send_auth(c);  // the connecting side proves first
}

/// Two connections to one node: keep one, deterministically, so both ends agree without
/// talking: the one started by the node whose name sorts first. A live connection wins
/// over a new one unless the peer restarted (a new creation), which ends the old one.
bool NodeCore::dedupe(Connection& c, std::uint8_t creation) {
  std::vector<Connection*> others;
  for (auto& [id, o] : conns_) {
    if (o.get() != &c && o->peer_name == c.peer_name && o->state != Connection::State::closing) others.push_back(o.get());
  }
  for (Connection* o : others) {
    if (o->state == Connection::State::up) {
      if (o->peer_creation != creation) {
        close_conn(*o, absl::UnavailableError("the peer restarted"));
        continue;
      }
      close_conn(c, absl::AlreadyExistsError("already connected"));
      return false;
    }
    const std::string& mine = c.inbound ? c.peer_name : name_;
    const std::string& theirs = o->inbound ? o->peer_name : name_;
    if (mine < theirs || (mine == theirs && c.id < o->id)) {
      close_conn(*o, absl::AlreadyExistsError("simultaneous connection, the other one is kept"));
    } else {
      close_conn(c, absl::AlreadyExistsError("simultaneous connection, the other one is kept"));
      return false;
    }
  }
  return true;
}

void NodeCore::send_auth(Connection& c) {
  const std::string binding = transport_->channel_binding(c.id);
  queue_control(c, FrameWriter(FrameKind::auth)
                       .bytes(dist::auth_digest(options_.cookie, binding, c.peer_nonce, name_, c.peer_name))
                       .finish());
  c.auth_sent = true;
  pump(c);
}

void NodeCore::on_auth(Connection& c, std::string_view body) {
  const std::string binding = transport_->channel_binding(c.id);
  const std::string expected = dist::auth_digest(options_.cookie, binding, c.my_nonce, c.peer_name, name_);
  if (!dist::digests_equal(body, expected)) {
    note_handshake_failure(c);
    counters_.handshakes_refused.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::warning, absl::StrCat("refused ", c.peer_name, " from ", c.address,
                                        ": authentication failed (wrong cookie)"));
    return close_conn(c, absl::PermissionDeniedError("authentication failed (wrong cookie)"));
  }
  if (c.inbound && !c.auth_sent) send_auth(c);  // only now does the accepting side prove
  connection_up(c);
}

void NodeCore::note_handshake_failure(const Connection& c) {
  if (!c.inbound) return;
  const std::string key = c.address.substr(0, c.address.rfind(':'));
  if (failures_.size() > kMaxFailureEntries) failures_.clear();
  Failures& f = failures_[key];
  const absl::Time now = transport_->now();
  if (now - f.window_start > kFailureWindow) f = Failures{0, now, false};
  ++f.count;
}

bool NodeCore::address_blocked(const std::string& address) {
  auto it = failures_.find(address.substr(0, address.rfind(':')));
  if (it == failures_.end()) return false;
  Failures& f = it->second;
  if (transport_->now() - f.window_start > kFailureWindow) {
    failures_.erase(it);
    return false;
  }
  if (f.count < kMaxHandshakeFailures) return false;
  if (!f.logged) {
    f.logged = true;
    log(LogLevel::warning, absl::StrCat("refusing connections from ", it->first, " for up to ",
                                        absl::FormatDuration(kFailureWindow), ": ", f.count,
                                        " failed handshakes"));
  }
  return true;
}

void NodeCore::connection_up(Connection& c) {
  const std::uint16_t index = intern(c.peer_name);
  if (index == 0) {
    log(LogLevel::error, absl::StrCat("refusing ", c.peer_name, ": the table of known nodes is full"));
    return close_conn(c, absl::ResourceExhaustedError("too many nodes"));
  }
  transport_->admit(c.id);
  c.state = Connection::State::up;
  c.map.peer_index = index;
  c.last_received = c.last_ping = transport_->now();
  c.reader.set_limit(options_.max_frame_bytes);
  std::vector<std::string> peers;
  {
    std::lock_guard lock(table_mu_);
    nodes_[index].creation = c.peer_creation;
    nodes_[index].conn = c.id;
    nodes_[index].stats = PeerStats{c.peer_name};
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].conn != 0 && i != index) peers.push_back(nodes_[i].name);
    }
  }
  std::size_t count;
  {
    std::lock_guard lock(table_mu_);
    count = nodes_.size();
  }
  for (std::size_t i = 1; i < count; ++i) announce(c, static_cast<std::uint16_t>(i));
  FrameWriter w(FrameKind::peers);
  w.u16(static_cast<std::uint16_t>(peers.size()));
  for (const std::string& p : peers) w.name(p);
  queue_control(c, w.finish());
  pump(c);
  log(LogLevel::info, absl::StrCat("connected to ", c.peer_name));
  if (auto k = kept_.find(c.peer_name); k != kept_.end()) k->second.backoff = options_.reconnect_min;
  finish_waiters(c.peer_name, absl::OkStatus());
  notify_node_watchers(c.peer_name, true, "");
}

void NodeCore::on_peers(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint16_t n = r.u16();
  for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
    const std::string name(r.name());
    if (!r.ok()) break;
    absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(name, kDefaultNodePort);
    if (!a.ok() || a->full() != name || name == name_) continue;
    bool known = false;
    for (auto& [id, o] : conns_) known = known || o->peer_name == name;
    if (!known) start_attempt(*a);
  }
  if (!r.ok()) {
    log(LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed peers frame"));
    close_conn(c, absl::InvalidArgumentError("malformed peers frame"));
  }
}

void NodeCore::on_node_name(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint16_t wire = r.u16();
  const std::string name(r.name());
  absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(name, kDefaultNodePort);
  if (!r.ok() || !r.at_end() || wire == 0 || !a.ok() || a->full() != name) {
    log(LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed node_name frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed node_name frame"));
  }
  const std::uint16_t local = name == name_ ? 0 : intern(name);
  if (local == 0 && name != name_) {
    log(LogLevel::error, absl::StrCat("closing connection to ", c.peer_name, ": the table of known nodes is full"));
    return close_conn(c, absl::ResourceExhaustedError("too many nodes"));
  }
  c.map.table[wire] = local;  // my own name maps to 0: my Pids come home as local ones
}

std::uint16_t NodeCore::intern(const std::string& name) {
  std::uint16_t index;
  std::vector<Connection*> up;
  {
    std::lock_guard lock(table_mu_);
    if (auto it = node_index_.find(name); it != node_index_.end()) return it->second;
    if (nodes_.size() >= kMaxKnownNodes) return 0;
    index = static_cast<std::uint16_t>(nodes_.size());
    nodes_.push_back(KnownNode{name, 0, 0});
    node_index_.emplace(name, index);
  }
  // Every connection learns the new index before any frame that could carry it.
  for (auto& [id, c] : conns_) {
    if (c->state == Connection::State::up) up.push_back(c.get());
  }
  for (Connection* c : up) {
    announce(*c, index);
    pump(*c);
  }
  return index;
}

void NodeCore::announce(Connection& c, std::uint16_t index) {
  if (c.announced.contains(index)) return;
  c.announced[index] = true;
  std::string name;
  {
    std::lock_guard lock(table_mu_);
    name = nodes_[index].name;
  }
  queue_control(c, FrameWriter(FrameKind::node_name).u16(index).name(name).finish());
}

bool NodeCore::translate(const Connection& c, std::uint64_t raw, Pid& out) const {
  const Pid wire = Pid::from_raw(raw);
  std::uint16_t local;
  if (!c.map.to_local(wire.node(), local)) return false;
  out = Pid::make(local, wire.creation(), wire.serial());
  return true;
}

void NodeCore::on_fragment(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint64_t stream = r.u64();
  const bool last = r.u8() != 0;
  const std::string_view piece = r.rest();
  if (!r.ok()) return close_conn(c, absl::InvalidArgumentError("malformed fragment"));
  std::string& buf = c.reassembly[stream];
  c.reassembly_bytes += piece.size();
  if (buf.size() + piece.size() > options_.max_message_bytes + 64 ||
      c.reassembly_bytes > 4 * (options_.max_message_bytes + 64)) {
    log(LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": fragmented message over the limit"));
    return close_conn(c, absl::ResourceExhaustedError("fragmented message over max_message_bytes"));
  }
  buf.append(piece.data(), piece.size());
  if (!last) return;
  std::string whole = std::move(buf);
  c.reassembly.erase(stream);
  c.reassembly_bytes -= std::min(c.reassembly_bytes, whole.size());
  if (whole.empty() || !dist::is_known_kind(static_cast<std::uint8_t>(whole[0])) ||
      static_cast<FrameKind>(whole[0]) == FrameKind::fragment) {
    return close_conn(c, absl::InvalidArgumentError("malformed fragmented frame"));
  }
  on_frame(c, static_cast<FrameKind>(whole[0]), std::string_view(whole).substr(1));
}

void NodeCore::on_process_frame(Connection& c, FrameKind kind, std::string_view body) {
  BodyReader r(body);
  const DecodeLimits limits{};
  // A process frame comes from a process on the peer (or from no process), and goes
  // to a process here: a node never relays for another.
  const Pid from_wire = Pid::from_raw(r.u64());
  Pid from, to;
  bool ok = from_wire.is_null() || (translate(c, from_wire.raw(), from) && from.node() == c.map.peer_index);
  std::string_view name;
  if (kind == FrameKind::send_named) {
    name = r.name();
  } else {
    ok = ok && translate(c, r.u64(), to) && to.is_local() && !to.is_null();
  }
  ok = ok && r.ok();
  auto malformed = [&](std::string_view what) {
    counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed ", av(kind_name(kind)),
                                        " frame", what.empty() ? "" : ": ", av(what)));
    close_conn(c, absl::InvalidArgumentError(absl::StrCat("malformed ", av(kind_name(kind)), " frame")));
  };
  if (!ok) return malformed("");
  PeerRelations& rel = relations_[c.map.peer_index];
  switch (kind) {
    case FrameKind::send:
    case FrameKind::send_named: {
      absl::StatusOr<Term> message = decode_term_with(r.rest(), limits, c.map);
      if (!message.ok()) return malformed(internal::to_std(message.status().message()));
      counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
      if (kind == FrameKind::send) {
        deliver(core_, to, box(std::move(*message)), from);
      } else if (auto pid = core_.registry.whereis(std::string(name))) {
        deliver(core_, *pid, box(std::move(*message)), from);
      } else {
        core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    case FrameKind::link:
      if (!r.at_end()) return malformed("");
      rel.links.emplace(to, from);
      deliver(core_, to, box_signal(LinkSignal{from}), from);
      return;
    case FrameKind::unlink:
      if (!r.at_end()) return malformed("");
      rel.links.erase({to, from});
      deliver(core_, to, box_signal(UnlinkSignal{from}), from);
      return;
    case FrameKind::exit: {
      const bool via_link = r.u8() != 0;
      ExitReason reason;
      if (!r.ok() || !read_reason(r, limits, c.map, reason)) return malformed("bad exit reason");
      if (via_link) rel.links.erase({to, from});
      deliver(core_, to, box_signal(ExitSignal{from, std::move(reason), via_link}), from);
      return;
    }
    case FrameKind::monitor:
    case FrameKind::demonitor: {
      const std::uint64_t raw_ref = r.u64();
      std::uint16_t ref_node;
      if (!r.ok() || !r.at_end() || !c.map.to_local(Ref::from_raw(raw_ref).node(), ref_node)) return malformed("");
      const Ref ref = Ref::make(ref_node, Ref::from_raw(raw_ref).number());
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
      const std::uint64_t raw_ref = r.u64();
      std::uint16_t ref_node;
      ExitReason reason;
      if (!r.ok() || !c.map.to_local(Ref::from_raw(raw_ref).node(), ref_node) ||
          !read_reason(r, limits, c.map, reason)) {
        return malformed("");
      }
      const Ref ref = Ref::make(ref_node, Ref::from_raw(raw_ref).number());
      rel.watching.erase(ref.raw());
      deliver(core_, to, box_signal(DownSignal{ref, from, std::move(reason)}), from);
      return;
    }
    default: return malformed("unexpected kind");
  }
}

// -- outbound --

void NodeCore::queue_control(Connection& c, std::string frame) {
  c.queued_bytes += frame.size();
  c.control.push_back(std::move(frame));
}

void NodeCore::queue_stream(Connection& c, Pid sender, std::string frame) {
  if (c.queued_bytes + frame.size() > options_.max_outbound_bytes) {
    core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(table_mu_);
    counters_.dropped_overflow.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters_.messages_out.fetch_add(1, std::memory_order_relaxed);
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
      if (!c.control.empty()) {
        batch += c.control.front();
        c.queued_bytes -= c.control.front().size();
        c.control.pop_front();
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
        batch += FrameWriter(FrameKind::fragment)
                     .u64(key)
                     .u8(done ? 1 : 0)
                     .bytes(std::string_view(f).substr(s.offset, n))
                     .finish();
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
    if (batch.empty()) return;
    {
      std::lock_guard lock(table_mu_);
      counters_.frames_out.fetch_add(frames, std::memory_order_relaxed);
      counters_.bytes_out.fetch_add(batch.size(), std::memory_order_relaxed);
      if (c.state == Connection::State::up) {
        PeerStats& st = nodes_[c.map.peer_index].stats;
        st.bytes_out += batch.size();
        st.queued_bytes = c.queued_bytes;
      }
    }
    transport_->write(c.id, std::move(batch));
  }
}

void NodeCore::notify_node_watchers(const std::string& node, bool up, const std::string& reason) {
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
