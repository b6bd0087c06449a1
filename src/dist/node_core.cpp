// src/dist/node_core.cpp: connections, the handshake, routing and failure handling.
#include "src/dist/node_core.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "snow/wire.hpp"
#include "src/dist/cluster.hpp"
#include "src/dist/handshake.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"
#include "src/tls/name_check.hpp"

namespace snow::detail {

using dist::BodyReader;
using dist::FrameKind;
using dist::FrameWriter;
using transport::ConnId;

namespace {
// Node lives in the table at once, used and free (entries are reused, DESIGN.md "the
// node table"), and how many of them one connection may hold by naming lives this node
// has no connection to: half, so one peer can never fill the table, while a node joining
// a mesh of up to ~500 nodes through one peer still hears of all of them before it has
// dialled any.
constexpr std::size_t kMaxKnownNodes = 1024;
constexpr std::size_t kMaxIntroducedUnconnected = kMaxKnownNodes / 2;
// The index a Pid or Ref read from a peer gets when it names a node life this node cannot
// name: an index the peer never announced, or announced since for another life. Never an
// entry (the table is far smaller), so such a Pid is dead here: sends to it are noproc.
constexpr std::uint16_t kForgottenNode = 0xFFFF;
constexpr std::size_t kWriteWindow = 256 << 10;  // bytes handed to the transport ahead
constexpr std::size_t kBatchBytes = 64 << 10;    // small frames are written together
// Failed handshakes from one address: the first few cost nothing (a restart, a typo in
// a cookie); past them each new handshake from that address waits before it is heard,
// doubling up to a ceiling (2 s, and at most a third of the handshake timeout) that keeps
// a good node behind the same address well inside its handshake. One guess of the cookie per connection, at most one connection
// heard per delay: online guessing slows to a crawl without anyone being locked out.
constexpr int kFreeFailures = 5;
constexpr absl::Duration kFirstPenalty = absl::Milliseconds(50);
constexpr absl::Duration kMaxPenalty = absl::Seconds(2);
constexpr absl::Duration kFailureWindow = absl::Seconds(60);
constexpr std::size_t kMaxFailureEntries = 4096;
// While a connection is held back, what it sends waits unread; a handshake is a few
// hundred bytes, so more than this is not a handshake.
constexpr std::size_t kMaxHeldBytes = 4 * dist::kHandshakeFrameLimit;
// Dials that peers frames ask for (the full mesh) are paced: a peer, even one with the
// cookie, names the addresses, so one frame must not make this node open a thousand
// connections at once. A joining node still reaches a 1,000-node mesh in about 30 s.
constexpr std::size_t kMaxMeshDialsInFlight = 8;
constexpr int kMaxMeshDialsPerSecond = 32;
constexpr std::size_t kMaxMeshQueue = kMaxKnownNodes;
// Fragmented messages a peer may have open at once (one per sending process is the
// normal case), and how long one may wait for its next piece before it is dropped (the
// sender serves its streams round robin, so a live one gets a piece every few ms).
constexpr std::size_t kMaxOpenReassemblies = 1024;
constexpr absl::Duration kReassemblyIdleLimit = absl::Seconds(30);
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

// What a control frame costs while it waits: its bytes and the string that holds them
// (a 13-byte ping is 45 bytes of memory).
std::size_t control_cost(const std::string& frame) { return frame.size() + sizeof(std::string); }

// Source address without its port: the unit of failure accounting.
std::string host_of(const std::string& address) { return address.substr(0, address.rfind(':')); }

// Exit reasons on the wire: u8 kind, u32 text length, text, then for a user reason
// with a wire value the value's STF encoding (otherwise its printed form is the text),
// for a linked reason the partner's pid and its reason (nested at most
// ExitReason::kMaxLinkedDepth deep, which the constructor guarantees and the reader checks).
void write_reason(FrameWriter& w, const ExitReason& r) {
  std::string text = r.kind() == ExitReason::Kind::user ? r.to_string() : r.text();
  std::string value;
  if (const MessageNode* n = r.user_node(); n != nullptr && n->type->encode != nullptr) {
    if (!n->type->encode(n, value).ok()) value.clear();
  }
  const auto len = static_cast<std::uint32_t>(text.size());
  w.u8(static_cast<std::uint8_t>(r.kind())).u64(len).bytes(text).u8(value.empty() ? 0 : 1).bytes(value);
  if (r.is(ExitReason::Kind::linked)) {
    w.pid(r.partner());
    write_reason(w, *r.partner_reason());
  }
}

bool read_reason(BodyReader& r, const DecodeLimits& limits, const NodeIndexMap& map, ExitReason& out, int depth = 0) {
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
    case K::linked: {
      if (!text.empty() || has_value != 0 || depth >= ExitReason::kMaxLinkedDepth) return false;
      const Pid wire = Pid::from_raw(r.u64());
      std::uint16_t node = 0;
      ExitReason partner_reason;
      if (!r.ok() || !map.to_local(wire.node(), node) || !read_reason(r, limits, map, partner_reason, depth + 1)) {
        return false;
      }
      out = ExitReason::linked(Pid::make(node, wire.creation(), wire.serial()), std::move(partner_reason));
      return true;
    }
  }
  return false;
}

}  // namespace

// -- per-connection state --

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

struct NodeCore::Command {
  enum class Kind { route, connect, disconnect, monitor_node, demonitor_node, test_frame } kind = Kind::route;
  FrameKind frame_kind = FrameKind::send;
  Pid from, to;
  Ref ref;
  std::string frame;   // route: the frame to queue
  std::string name;    // node name for connect / disconnect / node monitors; route_named target
  dist::NodeAddress address;
  bool keep = false;
  std::shared_ptr<ConnectWaiter> waiter;
  std::shared_ptr<AckWaiter> ack;  // send_acked: who waits for the answer, until `deadline`
  absl::Time deadline;
};

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
  for (Command& c : posted_) {
    if (c.waiter) c.waiter->finish(absl::CancelledError("the node stopped"));
    if (c.ack) c.ack->finish(absl::CancelledError("the node stopped"));
  }
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
  if (stopped_.load(std::memory_order_acquire)) {
    if (c.waiter) c.waiter->finish(absl::CancelledError("the node stopped"));
    if (c.ack) c.ack->finish(absl::CancelledError("the node stopped"));
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

Delivery NodeCore::route(Pid from, Pid to, MessageNode* node, absl::Status* refused) noexcept {
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
    FrameWriter w(FrameKind::send);
    w.pid(from).pid(to);
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
  Command c;
  c.frame_kind = FrameKind::send_named;
  c.from = from;
  c.name = std::string(node_name);
  c.frame = FrameWriter(FrameKind::send_named).pid(from).name(name).bytes(encoded).finish();
  post(std::move(c));
  return Delivery::delivered;
}

absl::Status NodeCore::try_route(Pid from, Pid to, MessageNode* node) noexcept {
  absl::Status refused;
  if (route(from, to, node, &refused) == Delivery::delivered) return absl::OkStatus();
  return refused.ok() ? absl::NotFoundError(absl::StrCat("no process ", to.to_string())) : refused;
}

absl::Status NodeCore::check_send(std::uint16_t index, const std::string& node, std::string_view type_name,
                                  std::string_view stf) const {
  // The common case (no fingerprint differs anywhere, a message smaller than every
  // node's limits) costs two relaxed loads; only the rest looks at the node table.
  const bool check_type = !type_name.empty() && has_mismatches_.load(std::memory_order_relaxed);
  const bool check_size = stf.size() > sends_always_within_.load(std::memory_order_relaxed);
  if (!check_type && !check_size) [[likely]] return absl::OkStatus();
  std::string peer = node;
  if (index == 0 && !peer.empty()) index = node_index(peer);
  if (peer.empty()) peer = node_name_at(index);
  if (check_type && mismatched(peer, type_name)) {
    return absl::FailedPreconditionError("the type is declared differently there (protocol fingerprint)");
  }
  if (!check_size ||
      (index != 0 && index < kMaxKnownNodes && stf.size() <= always_within_[index].load(std::memory_order_relaxed))) {
    return absl::OkStatus();
  }
  dist::ReceiveLimits limits = receive_limits_;
  std::string whose = absl::StrCat("this node (", peer, " has not said its own limits yet)");
  {
    std::lock_guard lock(table_mu_);
    if (index != 0 && index < nodes_.size() && nodes_[index].limits) {
      limits = *nodes_[index].limits;
      // Our own max_message_bytes bounds what we send, whatever the peer takes.
      limits.max_message_bytes = std::min(limits.max_message_bytes, options_.max_message_bytes);
      whose = peer;
    }
  }
  return dist::check_message_for(limits, whose, stf);
}

Delivery NodeCore::refuse_send(absl::Status why, absl::Status* refused) noexcept {
  if (why.code() == absl::StatusCode::kResourceExhausted) {
    counters_.refused_over_limits.fetch_add(1, std::memory_order_relaxed);
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
  if (pid.node() == 0) return name_;
  if (pid.node() >= nodes_.size() || nodes_[pid.node()].generation != pid.creation()) return "";
  return nodes_[pid.node()].name;
}

std::string NodeCore::node_name_at(std::uint16_t index) const {
  std::lock_guard lock(table_mu_);
  return index < nodes_.size() ? nodes_[index].name : "";
}

Pid NodeCore::remote_pid(std::string_view node_name, std::uint64_t serial) const {
  std::lock_guard lock(table_mu_);
  auto it = node_index_.find(std::string(node_name));
  if (it == node_index_.end() || it->second == 0) return Pid();
  return Pid::make(it->second, nodes_[it->second].generation, serial);
}

NodeCore::NodeTableSize NodeCore::node_table_size() const {
  std::lock_guard lock(table_mu_);
  NodeTableSize out;
  out.entries = nodes_.size();
  out.bytes = nodes_.capacity() * sizeof(KnownNode);
  for (const KnownNode& n : nodes_) {
    out.held += !is_free(n);
    if (n.name.capacity() > 15) out.bytes += n.name.capacity() + 1;  // beyond the inline buffer
  }
  // The lookups: a slot (and a control byte) each, and the names that do not fit inline.
  out.bytes += node_index_.capacity() * (sizeof(std::pair<std::string, std::uint16_t>) + 1) +
               lives_.capacity() * (sizeof(std::pair<std::pair<std::string, std::uint32_t>, std::uint16_t>) + 1);
  for (const auto& [name, index] : node_index_) {
    if (name.capacity() > 15) out.bytes += name.capacity() + 1;
  }
  for (const auto& [key, index] : lives_) {
    if (key.first.capacity() > 15) out.bytes += key.first.capacity() + 1;
  }
  return out;
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

bool NodeCore::mismatched(const std::string& node, std::string_view name) const {
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
  out.dropped_incomplete = counters_.dropped_incomplete.load(std::memory_order_relaxed);
  out.dropped_mismatched = counters_.dropped_mismatched.load(std::memory_order_relaxed);
  out.refused_over_limits = counters_.refused_over_limits.load(std::memory_order_relaxed);
  out.refused_service_requests = counters_.refused_service_requests.load(std::memory_order_relaxed);
  out.dropped_inbound_at_close = counters_.dropped_inbound_at_close.load(std::memory_order_relaxed);
  out.longest_tick_delay_us = counters_.longest_tick_delay_us.load(std::memory_order_relaxed);
  out.handshakes_refused = counters_.handshakes_refused.load(std::memory_order_relaxed);
  auto refused = [&](dist::Refusal r) { return counters_.refused[static_cast<int>(r)].load(std::memory_order_relaxed); };
  out.refused = NodeStats::Refusals{.malformed = refused(dist::Refusal::malformed),
                                    .version = refused(dist::Refusal::version),
                                    .name = refused(dist::Refusal::name),
                                    .certificate = refused(dist::Refusal::certificate),
                                    .proof = refused(dist::Refusal::proof),
                                    .duplicate = refused(dist::Refusal::duplicate),
                                    .timeout = refused(dist::Refusal::timeout),
                                    .capacity = refused(dist::Refusal::capacity)};
  out.handshakes_delayed = counters_.handshakes_delayed.load(std::memory_order_relaxed);
  const transport::TransportCounters t = transport_->counters();
  out.admission = NodeStats::Admission{.evicted_total_cap = t.evicted_total_cap,
                                       .evicted_address_cap = t.evicted_address_cap,
                                       .closed_silent = t.closed_silent,
                                       .tls_failed = t.tls_failed,
                                       .tls_timeout = t.tls_timeout};
  out.protocol_errors = counters_.protocol_errors.load(std::memory_order_relaxed);
  out.dropped_undecodable = counters_.dropped_undecodable.load(std::memory_order_relaxed);
  out.notices_summarized = counters_.notices_summarized.load(std::memory_order_relaxed);
  auto remote = [&](dist::SendOutcome o) { return counters_.remote_refused[static_cast<int>(o)].load(std::memory_order_relaxed); };
  out.remote_refused = NodeStats::RemoteRefusals{.mailbox_full = remote(dist::SendOutcome::mailbox_full),
                                                 .no_process = remote(dist::SendOutcome::no_process),
                                                 .undecodable = remote(dist::SendOutcome::undecodable)};
  out.node_names_refused = counters_.node_names_refused.load(std::memory_order_relaxed);
  out.disconnected_slow_reader = counters_.disconnected_slow_reader.load(std::memory_order_relaxed);
  out.discovery.polls = counters_.discovery_polls.load(std::memory_order_relaxed);
  out.discovery.failures = counters_.discovery_failures.load(std::memory_order_relaxed);
  out.discovery.dialed = counters_.discovery_dialed.load(std::memory_order_relaxed);
  out.discovery.ignored = counters_.discovery_ignored.load(std::memory_order_relaxed);
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
  decoder_.land_finished();
}

void NodeCore::run(Command& c) {
  switch (c.kind) {
    case Command::Kind::route: return run_route(c);
    case Command::Kind::connect: {
      if (c.address.full() == name_) {
        if (c.waiter) c.waiter->finish(absl::InvalidArgumentError("a node cannot connect to itself"));
        return;
      }
      if (c.keep) {
        auto [kept, fresh] = kept_.try_emplace(c.name, KeptPeer{c.address, options_.reconnect_min, absl::InfinitePast()});
        if (!fresh) kept->second.by_discovery = false;  // connect() asked for it now too
        if (discovery_) discovery_->disconnected.erase(c.name);
      }
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
      if (discovery_ && discovery_->disconnected.size() < options_.discovery.max_members) {
        discovery_->disconnected.insert(c.name);
      }
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
    case Command::Kind::test_frame: return send_frame_for_testing(c.name, std::move(c.frame));
  }
}

void NodeCore::run_route(Command& c) {
  if (c.frame_kind == FrameKind::send_acked) return run_send_acked(c);
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
      counters_.handshakes_delayed.fetch_add(1, std::memory_order_relaxed);
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
  if (lost > 0) counters_.dropped_at_close.fetch_add(lost, std::memory_order_relaxed);
  // A large message still decoding, and what waited behind it, are dropped: its landing
  // finds no connection. The noconnection signals went out when the connection was lost,
  // and nothing from this peer may follow them. (A fragment waiting counts as one.)
  if (c->decoding || !c->waiting.empty()) {
    counters_.dropped_inbound_at_close.fetch_add((c->decoding ? 1 : 0) + c->waiting.size(), std::memory_order_relaxed);
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
  absl::Status status;
  if (!c->inbound && c->handshake && c->handshake->peer_hello() && c->close_reason.ok()) {
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
  finish_acked_sends(c.id, absl::InfinitePast());
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
  connection_log_.tick(now);
  {
    std::lock_guard lock(send_log_mu_);
    send_log_.tick(core_.timers.now());
  }
  if (last_tick_ != absl::InfinitePast() && now - last_tick_ > tick_) {
    const auto late = static_cast<std::uint64_t>(absl::ToInt64Microseconds(now - last_tick_ - tick_));
    if (late > counters_.longest_tick_delay_us.load(std::memory_order_relaxed)) {
      counters_.longest_tick_delay_us.store(late, std::memory_order_relaxed);
    }
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
        queue_control(*c, FrameWriter(FrameKind::ping).u64(static_cast<std::uint64_t>(absl::ToUnixNanos(now))).finish());
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

// -- DNS discovery: its connections (the polls are in node_discovery.cpp) --

void NodeCore::start_address_attempt(const discovery::DnsMember& member) {
  auto conn = std::make_unique<Connection>();
  conn->inbound = false;
  conn->dialed_member = member.key();
  conn->opened_at = transport_->now();
  conn->reader.set_limit(dist::kHandshakeFrameLimit);
  conn->id = transport_->connect(member.host, member.port);
  conn->address = member.key();
  conns_[conn->id] = std::move(conn);
  counters_.discovery_dialed.fetch_add(1, std::memory_order_relaxed);
}

bool NodeCore::member_connected_or_dialling(const discovery::DnsMember& member) const {
  const std::string key = member.key();
  auto learned = discovery_->learned.find(key);
  for (const auto& [id, c] : conns_) {
    if (c->state == Connection::State::closing) continue;
    if (c->dialed_member == key) return true;  // never two dials to one member at once
    if (!c->peer_name.empty() && discovery::DnsMember{c->peer_address.host, c->peer_address.port}.key() == key) return true;
    if (learned != discovery_->learned.end() && c->peer_name == learned->second) return true;
  }
  return false;
}

void NodeCore::learn_member_name(Connection& c) {
  if (!discovery_ || !c.handshake) return;
  discovery::DiscoveryState& d = *discovery_;
  const bool listed = d.listed.contains(c.dialed_member);
  if (c.handshake->dialled_itself()) {
    if (listed) d.learned[c.dialed_member] = name_;
    log_connection("discovery self", LogLevel::debug,
                   absl::StrCat("discovery: ", c.dialed_member, " is this node; not dialled again"));
    return;
  }
  const std::optional<dist::PeerHello>& hello = c.handshake->peer_hello();
  if (!hello || !c.peer_name.empty()) return;
  // From here the connection is a dial to that name (a claim until the proof, as a
  // named dial's is): one in flight to it is enough (start_attempt), and the rule for
  // simultaneous connections (keep_authenticated) applies to it.
  c.peer_name = hello->name;
  if (absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(hello->name, kDefaultNodePort); a.ok()) {
    c.peer_address = *a;
  }
  if (listed) d.learned[c.dialed_member] = hello->name;
}

void NodeCore::discovered_connection_up(Connection& c) {
  if (!discovery_ || !discovery_->listed.contains(c.dialed_member)) return;
  discovery_->learned[c.dialed_member] = c.peer_name;
  // Reconnected like a peer connect() named, while DNS lists it.
  kept_.try_emplace(c.peer_name, KeptPeer{c.peer_address, options_.reconnect_min, absl::InfinitePast(), true});
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
  take_frames(*c);
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
      counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": ", st.message()));
      close_conn(c, st);
      return;
    }
    if (!got) return;
    counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
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
      c.pong = FrameWriter(FrameKind::pong).bytes(body.substr(0, 8)).finish();
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
    case FrameKind::send_result: return on_send_result(c, body);
    case FrameKind::refusal_summary: return on_refusal_summary(c, body);
    case FrameKind::hello:
    case FrameKind::pake:
    case FrameKind::confirm:
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": a second handshake"));
      return close_conn(c, absl::InvalidArgumentError("handshake frame after authentication"));
    case FrameKind::node_info:
      counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": a second node_info"));
      return close_conn(c, absl::InvalidArgumentError("node_info after the peer's last one"));
    default: return on_process_frame(c, kind, body, owned);
  }
}

// -- the handshake: questions before the proof, decisions after it --

/// The node as one connection's handshake sees it: answers only (src/dist/handshake.hpp).
class NodeCore::Gate final : public dist::HandshakeGate {
 public:
  Gate(const NodeCore& node, const Connection& c) : node_(node), c_(c) {}
  std::optional<dist::Refused> check_hello(const dist::PeerHello& hello) const override {
    return node_.check_hello(c_, hello);
  }

 private:
  const NodeCore& node_;
  const Connection& c_;
};

void NodeCore::on_handshake_frame(Connection& c, FrameKind kind, std::string_view body) {
  dist::Handshake::Step step = c.handshake->on_frame(kind, body, transport_->channel_binding(c.id), Gate(*this, c));
  if (!c.dialed_member.empty() && kind == FrameKind::hello) learn_member_name(c);
  for (std::string& frame : step.send) queue_control(c, std::move(frame));
  if (step.refused) return refuse(c, *step.refused);
  if (step.authenticated) return on_authenticated(c);
  pump(c);
}

absl::Status NodeCore::check_peer_certificate(const Connection& c, std::string_view claimed_name) const {
  if (options_.tls.mode != TlsOptions::Mode::mutual) return absl::OkStatus();
  return tls::check_certificate_name(options_.tls.name_check, claimed_name, transport_->peer_certificate_names(c.id));
}

std::optional<dist::Refused> NodeCore::check_hello(const Connection& c, const dist::PeerHello& hello) const {
  // The certificate must name the node the hello claims (for a connection we made, the
  // handshake already checked that the hello names the node we dialled).
  if (absl::Status cert = check_peer_certificate(c, hello.name); !cert.ok()) {
    return dist::Refused{dist::Refusal::certificate, std::move(cert)};
  }
  // Refusing this connection early is all a check may do; it saves the peer a proof
  // that would be refused anyway after it (keep_authenticated decides for real).
  for (const auto& [id, o] : conns_) {
    if (o.get() != &c && o->state == Connection::State::up && o->peer_name == hello.name &&
        o->peer_creation == hello.creation) {
      return dist::Refused{dist::Refusal::duplicate, absl::AlreadyExistsError("already connected")};
    }
  }
  return std::nullopt;
}

void NodeCore::on_authenticated(Connection& c) {
  const dist::PeerHello& hello = *c.handshake->peer_hello();
  if (c.inbound) {
    c.peer_name = hello.name;
    if (absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(hello.name, kDefaultNodePort); a.ok()) {
      c.peer_address = *a;
    }
  }
  c.peer_creation = hello.creation;
  if (!keep_authenticated(c)) return;
  // The node's entry is made before the acceptor proves itself, so a full table refuses
  // the peer before it thinks itself connected (its connect() then fails, not succeeds).
  c.map.peer_index = intern(c.peer_name, c.peer_creation);
  if (c.map.peer_index == 0) {
    return refuse(c, dist::Refused{dist::Refusal::capacity, absl::ResourceExhaustedError("the table of known nodes is full")});
  }
  {
    std::lock_guard lock(table_mu_);
    KnownNode& life = nodes_[c.map.peer_index];
    ++life.own_connections;  // held until this connection closes (release_entries)
    c.holds_entry = true;
    c.map.peer = {c.map.peer_index, life.generation, static_cast<std::uint8_t>(c.peer_creation)};
  }
  // Every other connection learns the life (again, if its entry was free or reused)
  // before any frame that could carry its Pids.
  for (auto& [id, o] : conns_) {
    if (o.get() != &c && o->state == Connection::State::up) {
      announce(*o, c.map.peer_index);
      pump(*o);
    }
  }
  if (c.inbound) queue_control(c, c.handshake->acceptance());  // only now does the acceptor prove
  connection_up(c);
}

/// Which of several connections to one node to keep, now that `c`'s peer proved the
/// cookie. Both ends must agree without talking, and neither may have sent data on the
/// one dropped. Data flows on a connection once its acceptor is up (the connector waits
/// for the acceptor's proof, sent just after this), so the acceptor decides:
/// - an up connection to the same life of the node wins (`c` is a late duplicate);
/// - an up connection to another life is the peer's previous life: it ends;
/// - our own outbound connection to the node, when it has sent its proof (so the peer
///   may be deciding on it too), is compared by the rule both ends share, "keep the one
///   started by the node whose name sorts first"; when it has not, `c` wins and ours
///   ends before its proof goes out, so the peer never decides on it.
/// A connector that gets here keeps `c`: its acceptor already decided.
bool NodeCore::keep_authenticated(Connection& c) {
  std::vector<std::pair<Connection*, absl::Status>> to_close;
  for (auto& [id, o] : conns_) {
    if (o.get() == &c || o->state == Connection::State::closing || o->peer_name != c.peer_name) continue;
    if (o->state == Connection::State::up) {
      if (o->peer_creation != c.peer_creation) {
        to_close.emplace_back(o.get(), absl::UnavailableError("the peer restarted"));
        continue;
      }
      refuse(c, dist::Refused{dist::Refusal::duplicate, absl::AlreadyExistsError("already connected")});
      return false;
    }
    if (c.inbound && !o->inbound && o->handshake && o->handshake->confirmation_sent() && name_ < c.peer_name) {
      refuse(c, dist::Refused{dist::Refusal::duplicate,
                              absl::AlreadyExistsError("simultaneous connection, the other one is kept")});
      return false;
    }
    to_close.emplace_back(o.get(), absl::AlreadyExistsError("simultaneous connection, the other one is kept"));
  }
  for (auto& [o, why] : to_close) close_conn(*o, why);
  return true;
}

void NodeCore::refuse(Connection& c, const dist::Refused& why) {
  counters_.refused[static_cast<int>(why.reason)].fetch_add(1, std::memory_order_relaxed);
  counters_.handshakes_refused.fetch_add(1, std::memory_order_relaxed);
  // Not penalised: a duplicate (no attack), another version (an upgrade under way), a
  // certificate without the name (its holder has our CA's certificate, so it is no
  // guesser, and a misconfigured node must not get its host's other nodes delayed).
  if (why.reason != dist::Refusal::duplicate && why.reason != dist::Refusal::version &&
      why.reason != dist::Refusal::certificate && why.reason != dist::Refusal::capacity) {
    note_handshake_failure(c);
  }
  const bool duplicate = why.reason == dist::Refusal::duplicate;
  // A DNS member that is this node itself (its name a host name, the record an IP, say):
  // expected once per such member, and never dialled again.
  const bool quiet = duplicate || (c.handshake && c.handshake->dialled_itself());
  // An inbound peer's name is its hello's claim: remote data, so made printable.
  const std::string who = !c.peer_name.empty()                            ? c.peer_name
                          : c.handshake && c.handshake->peer_hello()      ? internal::printable(c.handshake->peer_hello()->name)
                                                                          : std::string("a peer");
  log_connection(duplicate ? "duplicate connection" : "handshake refused", quiet ? LogLevel::debug : LogLevel::warning,
      absl::StrCat(c.inbound ? "refused " : "gave up on ", who, c.inbound ? " from " : " at ", c.address, " (",
                   av(dist::refusal_name(why.reason)), "): ", why.status.message()));
  close_conn(c, why.status);
}

absl::Duration NodeCore::failure_penalty(const std::string& address) const {
  auto it = failures_.find(host_of(address));
  if (it == failures_.end() || transport_->now() - it->second.window_start > kFailureWindow) return absl::ZeroDuration();
  const int over = it->second.count - kFreeFailures;
  if (over < 0) return absl::ZeroDuration();
  // Never so long that the held connection's own handshake timeout would end it.
  const absl::Duration ceiling = std::min(kMaxPenalty, options_.handshake_timeout / 3);
  return std::min(kFirstPenalty * (std::int64_t{1} << std::min(over, 10)), ceiling);
}

void NodeCore::note_handshake_failure(const Connection& c) {
  if (!c.inbound) return;
  const absl::Time now = transport_->now();
  if (failures_.size() >= kMaxFailureEntries) {
    absl::erase_if(failures_, [&](const auto& e) { return now - e.second.window_start > kFailureWindow; });
    if (failures_.size() >= kMaxFailureEntries) return;  // a flood from many addresses: the table stays bounded
  }
  Failures& f = failures_[host_of(c.address)];
  if (now - f.window_start > kFailureWindow) f = Failures{0, now};
  ++f.count;
}

void NodeCore::connection_up(Connection& c) {
  const std::uint16_t index = c.map.peer_index;  // interned by on_authenticated
  transport_->admit(c.id);
  c.state = Connection::State::up;
  c.handshake.reset();
  c.last_received = c.last_ping = c.write_progress_at = transport_->now();
  c.reader.set_limit(options_.max_frame_bytes);
  std::vector<std::string> peers;
  {
    std::lock_guard lock(table_mu_);
    // This life is the node now: its name means this index, and every other life of
    // it is over (a node has one life at a time, and this one just proved itself).
    node_index_[c.peer_name] = index;
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (i != index && nodes_[i].name == c.peer_name) nodes_[i].superseded = true;
    }
    nodes_[index].conn = c.id;
    nodes_[index].stats = PeerStats{c.peer_name};
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].conn != 0 && i != index) peers.push_back(nodes_[i].name);
    }
  }
  // The lives connected here (this one included). Lives only heard of from peers are not
  // passed on: a peer that made up nodes must not make this node fill every other node's
  // table, or have them cut it off for naming too many. A Pid of a life the peer was not
  // told of reads as a dead Pid there.
  std::vector<std::uint16_t> connected_lives;
  {
    std::lock_guard lock(table_mu_);
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].own_connections > 0) connected_lives.push_back(static_cast<std::uint16_t>(i));
    }
  }
  // node_info first: the peer knows our limits and fingerprint before any process frame.
  for (std::string& f : dist::node_info_frames(receive_limits_, fingerprint(), options_.fragment_bytes)) {
    queue_control(c, std::move(f));
  }
  for (std::uint16_t i : connected_lives) announce(c, i);
  FrameWriter w(FrameKind::peers);
  w.u16(static_cast<std::uint16_t>(peers.size()));
  for (const std::string& p : peers) w.name(p);
  queue_control(c, w.finish());
  pump(c);
  if (c.state != Connection::State::up) return;  // a max_control_bytes below this greeting cut it
  log(LogLevel::info, absl::StrCat("connected to ", c.peer_name));
  if (!c.dialed_member.empty()) discovered_connection_up(c);
  if (auto k = kept_.find(c.peer_name); k != kept_.end()) k->second.backoff = options_.reconnect_min;
  finish_waiters(c.peer_name, absl::OkStatus());
  notify_node_watchers(c.peer_name, true, "");
}

void NodeCore::on_peers(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint16_t n = r.u16();
  absl::flat_hash_set<std::string> known;
  for (auto& [id, o] : conns_) {
    if (!o->peer_name.empty()) known.insert(o->peer_name);
  }
  for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
    const std::string name(r.name());
    if (!r.ok()) break;
    absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(name, kDefaultNodePort);
    if (!a.ok() || a->full() != name || name == name_ || known.contains(name) || mesh_queued_.contains(name)) continue;
    if (mesh_queue_.size() >= kMaxMeshQueue) break;  // the rest may come in a later peers frame
    mesh_queued_.insert(name);
    mesh_queue_.push_back(*std::move(a));
  }
  dial_mesh_peers();
  if (!r.ok()) {
    log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed peers frame"));
    close_conn(c, absl::InvalidArgumentError("malformed peers frame"));
  }
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

void NodeCore::post_frame_for_testing(std::string peer, std::string frame) {
  Command c;
  c.kind = Command::Kind::test_frame;
  c.name = std::move(peer);
  c.frame = std::move(frame);
  post(std::move(c));
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

void NodeCore::on_node_info(Connection& c, FrameKind kind, std::string_view body) {
  absl::StatusOr<dist::NodeInfoPiece> piece =
      kind == FrameKind::node_info
          ? dist::parse_node_info(body)
          : absl::InvalidArgumentError(absl::StrCat("a ", av(kind_name(kind)), " frame before node_info"));
  if (!piece.ok()) {
    counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": ", piece.status().message()));
    return close_conn(c, piece.status());
  }
  // Only names this node knows are kept: what a peer sends costs no memory here.
  if (!c.my_fingerprint) {
    const dist::Fingerprint mine = fingerprint();
    c.my_fingerprint.emplace(mine.begin(), mine.end());
  }
  for (const auto& [name, digest] : piece->entries) {
    if (auto it = c.my_fingerprint->find(av(name)); it != c.my_fingerprint->end() && it->second != digest) {
      c.mismatched.insert(it->first);
    }
  }
  if (!piece->last) return;
  c.peer_info_done = true;
  c.my_fingerprint.reset();
  const std::uint16_t index = c.map.peer_index;
  {
    std::lock_guard lock(table_mu_);
    nodes_[index].limits = piece->limits;
  }
  dist::ReceiveLimits limits = piece->limits;
  limits.max_message_bytes = std::min(limits.max_message_bytes, options_.max_message_bytes);
  const std::size_t within = dist::size_always_within(limits);
  always_within_[index].store(within, std::memory_order_relaxed);
  for (std::size_t least = sends_always_within_.load(); within < least;) {
    if (sends_always_within_.compare_exchange_weak(least, within)) break;
  }
  std::vector<std::string> differ(c.mismatched.begin(), c.mismatched.end());
  std::sort(differ.begin(), differ.end());
  if (!differ.empty()) {
    log(LogLevel::warning, absl::StrCat("protocol mismatch with ", c.peer_name, ": ", absl::StrJoin(differ, ", "),
                                        " declared differently there; those are refused between the two"));
  }
  set_mismatches(c.peer_name, std::move(differ));
}

bool NodeCore::drop_mismatched(Connection& c, const Term& message) {
  if (!message.is_struct() && !message.is_sum()) return false;
  if (!c.mismatched.contains(message.type_name())) return false;
  counters_.dropped_mismatched.fetch_add(1, std::memory_order_relaxed);
  core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  log_connection("type declared differently", LogLevel::warning,
                 absl::StrCat("dropped a ", message.type_name(), " from ", c.peer_name,
                              ": the type is declared differently on the two nodes (protocol fingerprint)"));
  return true;
}

void NodeCore::on_node_name(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint16_t wire = r.u16();
  const std::uint8_t generation = r.u8();
  const std::uint32_t creation = r.u32();
  const std::string name(r.name());
  absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(name, kDefaultNodePort);
  if (!r.ok() || !r.at_end() || wire == 0 || creation == 0 || !a.ok() || a->full() != name) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed node_name frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed node_name frame"));
  }
  const bool me = name == name_ && creation == core_.creation();
  std::uint16_t local = 0;
  if (!me) {
    bool over_cap;
    {
      std::lock_guard lock(table_mu_);
      // A life not in the table, or in a free entry (perhaps one this peer named on an
      // earlier connection), is one more this connection would hold.
      auto it = lives_.find(std::make_pair(name, creation));
      const bool adds = it == lives_.end() || (is_free(nodes_[it->second]) && !nodes_[it->second].superseded);
      over_cap = adds && introduced_unconnected(c.id) >= kMaxIntroducedUnconnected;
    }
    if (over_cap) {
      // No node needs to tell another of this many nodes it is not connected to: made-up
      // nodes, to fill the table. What it named is freed when the connection closes.
      counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      counters_.node_names_refused.fetch_add(1, std::memory_order_relaxed);
      log_connection("bad frame", LogLevel::warning,
                     absl::StrCat("closing connection to ", c.peer_name, ": it named over ", kMaxIntroducedUnconnected,
                                  " node lives this node has no connection to"));
      return close_conn(c, absl::ResourceExhaustedError("too many node lives without a connection"));
    }
    local = intern(name, creation, c.id);
    if (local == 0) {
      log(LogLevel::error, absl::StrCat("closing connection to ", c.peer_name, ": the table of known nodes is full"));
      return close_conn(c, absl::ResourceExhaustedError("too many nodes"));
    }
  }
  std::lock_guard lock(table_mu_);
  auto [it, fresh] = c.map.table.try_emplace(wire);
  if (!fresh) release_mapping(it->second.local, it->second.local_generation);  // the peer reused its index
  // My own name maps to 0: my Pids come home as local ones.
  it->second = {local, nodes_[local].generation, generation};
  if (local != 0) ++nodes_[local].mappings;
}

bool NodeCore::is_free(const KnownNode& n) {
  // A life known to be over is not held by announcements: its Pids are dead whatever its
  // entry says, and two peers that each announced it to the other must not keep it forever.
  return n.own_connections == 0 && n.conn == 0 && (n.mappings == 0 || n.superseded);
}

std::size_t NodeCore::introduced_unconnected(ConnId id) const {
  std::size_t n = 0;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const KnownNode& life = nodes_[i];
    n += life.introduced_by == id && life.own_connections == 0 && !is_free(life);
  }
  return n;
}

void NodeCore::release_mapping(std::uint16_t local, std::uint8_t local_generation) {
  if (local == 0 || local >= nodes_.size()) return;
  KnownNode& life = nodes_[local];
  if (life.generation != local_generation || life.mappings == 0) return;  // reused since: not its mapping
  --life.mappings;
  life.last_used = ++use_clock_;
}

void NodeCore::release_entries(Connection& c) {
  std::lock_guard lock(table_mu_);
  if (c.holds_entry) {
    KnownNode& life = nodes_[c.map.peer_index];
    --life.own_connections;
    life.last_used = ++use_clock_;
    c.holds_entry = false;
  }
  for (auto& [wire, m] : c.map.table) release_mapping(m.local, m.local_generation);
  c.map.table.clear();
}

std::uint16_t NodeCore::reclaim_slot() {
  std::uint16_t oldest = 0;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (is_free(nodes_[i]) && (oldest == 0 || nodes_[i].last_used < nodes_[oldest].last_used)) {
      oldest = static_cast<std::uint16_t>(i);
    }
  }
  if (oldest == 0) return 0;
  KnownNode& old = nodes_[oldest];
  lives_.erase(std::make_pair(old.name, old.creation));
  if (auto it = node_index_.find(old.name); it != node_index_.end() && it->second == oldest) node_index_.erase(it);
  // Every Pid of the index made until now carries the old generation: dead from here on,
  // until the generation comes round again (pid.hpp says when).
  const std::uint8_t next = static_cast<std::uint8_t>(old.generation + 1);
  old = KnownNode{};
  old.generation = next;
  // The limits that life said (node_info) are not the next one's.
  always_within_[oldest].store(sends_always_within_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  return oldest;
}

std::uint16_t NodeCore::intern(const std::string& name, std::uint32_t creation, ConnId introduced_by) {
  std::uint16_t index;
  {
    std::lock_guard lock(table_mu_);
    if (auto it = lives_.find(std::make_pair(name, creation)); it != lives_.end()) {
      index = it->second;
      KnownNode& life = nodes_[index];
      if (is_free(life)) life.introduced_by = introduced_by;  // held again: by whoever names it now
      life.last_used = ++use_clock_;
    } else {
      if (nodes_.size() < kMaxKnownNodes) {
        index = static_cast<std::uint16_t>(nodes_.size());
        nodes_.emplace_back();
        // An index's first life: its Pids carry the creation's low 8 bits, as on the node itself.
        nodes_[index].generation = static_cast<std::uint8_t>(creation);
      } else {
        index = reclaim_slot();
        if (index == 0) return 0;
      }
      KnownNode& life = nodes_[index];
      life.name = name;
      life.creation = creation;
      life.introduced_by = introduced_by;
      life.last_used = ++use_clock_;
      // Another life of this very node is an earlier one (this one is running). An older
      // life of a node connected now is over too (creations grow with time, compared
      // across the 32-bit wrap); a newer one is its next life, not connected yet.
      if (name == name_) {
        life.superseded = true;
      } else if (auto cur = node_index_.find(name); cur != node_index_.end() && nodes_[cur->second].conn != 0 &&
                 static_cast<std::int32_t>(nodes_[cur->second].creation - creation) > 0) {
        life.superseded = true;
      }
      lives_.emplace(std::make_pair(name, creation), index);
      node_index_.try_emplace(name, index);  // the first life heard of names the node until one connects
    }
  }
  return index;
}

void NodeCore::announce(Connection& c, std::uint16_t index) {
  std::string name;
  std::uint32_t creation;
  std::uint8_t generation;
  {
    std::lock_guard lock(table_mu_);
    name = nodes_[index].name;
    creation = nodes_[index].creation;
    generation = nodes_[index].generation;
  }
  auto [it, fresh] = c.announced.try_emplace(index, generation);
  if (!fresh && it->second == generation) return;
  it->second = generation;
  queue_control(c, FrameWriter(FrameKind::node_name).u16(index).u8(generation).u32(creation).name(name).finish());
}

void NodeCore::on_fragment(Connection& c, std::string_view body) {
  BodyReader r(body);
  const std::uint64_t stream = r.u64();
  const bool last = r.u8() != 0;
  const std::string_view piece = r.rest();
  if (!r.ok()) return close_conn(c, absl::InvalidArgumentError("malformed fragment"));
  if (!c.reassembly.contains(stream) && c.reassembly.size() >= kMaxOpenReassemblies) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": over ", kMaxOpenReassemblies,
                                " unfinished fragmented messages"));
    return close_conn(c, absl::ResourceExhaustedError("too many unfinished fragmented messages"));
  }
  Connection::Reassembly& entry = c.reassembly[stream];
  std::string& buf = entry.bytes;
  const std::size_t capacity_before = buf.capacity();
  if (buf.size() + piece.size() > options_.max_message_bytes + 64 ||
      c.reassembly_bytes + piece.size() > 2 * (options_.max_message_bytes + 64)) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": fragmented message over the limit"));
    return close_conn(c, absl::ResourceExhaustedError("fragmented message over max_message_bytes"));
  }
  buf.append(piece.data(), piece.size());
  entry.last_piece = transport_->now();
  c.reassembly_bytes += buf.capacity() - capacity_before;
  if (!last) return;
  c.reassembly_bytes -= std::min(c.reassembly_bytes, buf.capacity());
  std::string whole = std::move(buf);
  c.reassembly.erase(stream);
  if (whole.empty() || !dist::is_known_kind(static_cast<std::uint8_t>(whole[0])) ||
      static_cast<FrameKind>(whole[0]) == FrameKind::fragment) {
    return close_conn(c, absl::InvalidArgumentError("malformed fragmented frame"));
  }
  on_frame(c, static_cast<FrameKind>(whole[0]), std::string_view(whole).substr(1), &whole);
}

void NodeCore::expire_reassemblies(Connection& c, absl::Time now) {
  std::uint64_t expired = 0;
  absl::erase_if(c.reassembly, [&](auto& e) {
    if (now - e.second.last_piece <= kReassemblyIdleLimit) return false;
    c.reassembly_bytes -= std::min(c.reassembly_bytes, e.second.bytes.capacity());
    ++expired;
    return true;
  });
  if (expired == 0) return;
  counters_.dropped_incomplete.fetch_add(expired, std::memory_order_relaxed);
  log_connection("fragments expired", LogLevel::warning,
                 absl::StrCat("dropped ", expired, " fragmented message(s) from ", c.peer_name, " that got no piece for ",
                              absl::FormatDuration(kReassemblyIdleLimit)));
}

std::pair<std::size_t, std::size_t> NodeCore::reassemblies_for_testing(const std::string& peer) const {
  for (auto& [id, c] : conns_) {
    if (c->peer_name == peer && c->state == Connection::State::up) return {c->reassembly.size(), c->reassembly_bytes};
  }
  return {0, 0};
}

void NodeCore::malformed_frame(Connection& c, FrameKind kind, std::string_view what) {
  counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
  log_connection("bad frame", LogLevel::warning, absl::StrCat("closing connection to ", c.peer_name, ": malformed ", av(kind_name(kind)),
                                      " frame", what.empty() ? "" : ": ", internal::printable(what)));
  close_conn(c, absl::InvalidArgumentError(absl::StrCat("malformed ", av(kind_name(kind)), " frame")));
}

void NodeCore::deliver_message(Connection& c, FrameKind kind, std::uint64_t ticket, Pid from, Pid to,
                               std::string_view name, Term& message) {
  counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
  if (!c.mismatched.empty() && drop_mismatched(c, message)) [[unlikely]] {
    if (ticket != 0) {
      answer_send(c, dist::SendResult{.ticket = ticket, .to = to.raw(), .outcome = dist::SendOutcome::undecodable},
                  "the type is declared differently here (protocol fingerprint)");
    }
    return;
  }
  if (kind != FrameKind::send_named) {
    const Delivery d =
        deliver(core_, to, box_peer_message(cluster.get(), to, c.map.peer_index, std::exchange(message, Term())), from);
    if (d != Delivery::delivered || ticket != 0) answer_delivery(c, ticket, to, d);
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
          job->reason_ok = read_reason(r, limits, job->map, job->reason);
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

void NodeCore::on_process_frame(Connection& c, FrameKind kind, std::string_view body, std::string* owned) {
  BodyReader r(body);
  const DecodeLimits& limits = receive_limits_.decode;
  // A process frame comes from a process on the peer (or from no process), and goes
  // to a process here: a node never relays for another.
  const Pid from_wire = Pid::from_raw(r.u64());
  Pid from, to;
  bool ok = from_wire.is_null() || (c.map.to_local_pid(from_wire, from) && from.node() == c.map.peer_index);
  std::string_view name;
  if (kind == FrameKind::send_named) {
    name = r.name();
  } else {
    ok = ok && c.map.to_local_pid(Pid::from_raw(r.u64()), to) && to.is_local() && !to.is_null();
  }
  ok = ok && r.ok();
  auto malformed = [&](std::string_view what) { malformed_frame(c, kind, what); };
  if (!ok) return malformed("");
  PeerRelations& rel = relations_[c.map.peer_index];
  switch (kind) {
    case FrameKind::send:
    case FrameKind::send_named:
    case FrameKind::send_acked: {
      const std::uint64_t ticket = kind == FrameKind::send_acked ? r.u64() : 0;
      if (!r.ok() || (kind == FrameKind::send_acked && ticket == 0)) return malformed("");
      const std::string_view stf = r.rest();
      if (stf.size() >= kDecodeElsewhereBytes) {
        return decode_elsewhere(c, kind, ticket, from, to, name, Ref(), false, stf, owned);
      }
      absl::StatusOr<Term> message = decode_term_with(stf, limits, c.map);
      // Well framed but not decodable: only this message is lost (refuse_undecodable).
      if (!message.ok()) return refuse_undecodable(c, ticket, to, limits, message.status());
      deliver_message(c, kind, ticket, from, to, name, *message);
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
      if (r.ok() && body.size() >= kDecodeElsewhereBytes) {
        return decode_elsewhere(c, kind, 0, from, to, name, Ref(), via_link, r.rest(), owned);
      }
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
      const bool ref_ok = r.ok() && c.map.to_local(Ref::from_raw(raw_ref).node(), ref_node);
      if (ref_ok && body.size() >= kDecodeElsewhereBytes) {
        const Ref ref = Ref::make(ref_node, Ref::from_raw(raw_ref).number());
        return decode_elsewhere(c, kind, 0, from, to, name, ref, false, r.rest(), owned);
      }
      if (!ref_ok || !read_reason(r, limits, c.map, reason)) return malformed("");
      const Ref ref = Ref::make(ref_node, Ref::from_raw(raw_ref).number());
      rel.watching.erase(ref.raw());
      deliver(core_, to, box_signal(DownSignal{ref, from, std::move(reason)}), from);
      return;
    }
    default: return malformed("unexpected kind");
  }
}

// -- what became of a peer's message --

void NodeCore::refuse_undecodable(Connection& c, std::uint64_t ticket, Pid to, const DecodeLimits& limits,
                                  const absl::Status& why) {
  counters_.dropped_undecodable.fetch_add(1, std::memory_order_relaxed);
  core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  const auto [limit, value] = dist::classify_decode_failure(why, limits);
  answer_send(c, dist::SendResult{.ticket = ticket, .to = to.raw(), .outcome = dist::SendOutcome::undecodable,
                                  .limit = limit, .detail = value},
              internal::printable(internal::to_std(why.message())));
}

void NodeCore::answer_delivery(Connection& c, std::uint64_t ticket, Pid to, Delivery d) {
  dist::SendResult result{.ticket = ticket, .to = to.raw()};
  switch (d) {
    case Delivery::delivered: return answer_send(c, result, "");
    case Delivery::dead:
      result.outcome = dist::SendOutcome::no_process;
      return answer_send(c, result, absl::StrCat("no process ", to.to_string()));
    case Delivery::full: {
      ProcessRef p = core_.find(to);
      result.outcome = dist::SendOutcome::mailbox_full;
      result.detail = p ? p->capacity : 0;
      return answer_send(c, result, absl::StrCat("the mailbox of ", to.to_string(), " is full"));
    }
  }
}

void NodeCore::answer_send(Connection& c, dist::SendResult result, std::string_view refused_why) {
  if (result.outcome == dist::SendOutcome::undecodable) {
    log_connection("undecodable message", LogLevel::warning,
                   absl::StrCat("dropped a message from ", c.peer_name, " (the connection stays up): ", av(refused_why)));
  } else if (result.outcome != dist::SendOutcome::delivered) {
    log_connection("message refused", LogLevel::debug,
                   absl::StrCat("dropped a message from ", c.peer_name, ": ", av(refused_why)));
  }
  // Answers to acknowledged sends are one per request, each smaller than it; notices
  // about plain sends are paced, the rest reported in the next refusal_summary.
  if (result.ticket == 0 && !c.notices.take(result.outcome, transport_->now())) {
    counters_.notices_summarized.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::string frame = dist::write_send_result(result);
  // Bounded as data is: a peer that sends and never reads cannot park answers here.
  if (c.queued_bytes + frame.size() > options_.max_outbound_bytes) return;
  queue_control(c, std::move(frame));
  pump(c);
}

void NodeCore::count_remote_refusals(const Connection& c, dist::SendOutcome outcome, std::uint64_t n) {
  if (n == 0 || outcome == dist::SendOutcome::delivered) return;
  counters_.remote_refused[static_cast<int>(outcome)].fetch_add(n, std::memory_order_relaxed);
  std::lock_guard lock(table_mu_);
  nodes_[c.map.peer_index].stats.remote_refused += n;
}

void NodeCore::on_send_result(Connection& c, std::string_view body) {
  std::optional<dist::SendResult> r = dist::read_send_result(body);
  Pid to;
  if (!r || (r->to != 0 && !c.map.to_local_pid(Pid::from_raw(r->to), to))) {
    counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed send_result frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed send_result frame"));
  }
  count_remote_refusals(c, r->outcome, 1);
  if (r->ticket != 0) {
    // An answer after the deadline, or for a ticket never given, finds nothing to finish.
    auto it = acked_sends_.find(r->ticket);
    if (it == acked_sends_.end() || it->second.conn != c.id) return;
    const Pid addressed = it->second.to;  // as the sender named it
    std::shared_ptr<AckWaiter> waiter = std::move(it->second.waiter);
    acked_sends_.erase(it);
    waiter->finish(dist::refusal_status(*r, c.peer_name, addressed));
    return;
  }
  log_connection("refused by peer", LogLevel::warning,
                 absl::StrCat("a message sent to ", c.peer_name, " was dropped there: ",
                              dist::refusal_status(*r, c.peer_name, to).message()));
}

void NodeCore::on_refusal_summary(Connection& c, std::string_view body) {
  std::optional<dist::RefusalCounts> counts = dist::read_refusal_summary(body);
  if (!counts) {
    counters_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed refusal_summary frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed refusal_summary frame"));
  }
  std::uint64_t total = 0;
  for (int o = 0; o < dist::kSendOutcomes; ++o) {
    count_remote_refusals(c, static_cast<dist::SendOutcome>(o), (*counts)[o]);
    total += (*counts)[o];
  }
  log_connection("refused by peer", LogLevel::warning,
                 absl::StrCat(c.peer_name, " dropped ", total, " more messages from this node (",
                              (*counts)[static_cast<int>(dist::SendOutcome::mailbox_full)], " to full mailboxes, ",
                              (*counts)[static_cast<int>(dist::SendOutcome::no_process)], " to no process, ",
                              (*counts)[static_cast<int>(dist::SendOutcome::undecodable)], " undecodable)"));
}

// -- acknowledged sends: the sender's side --

absl::StatusOr<std::string> NodeCore::encode_acked(Pid from, Pid to, MessageNode* node) noexcept {
  const TypeInfo* type = node->type;
  if (type->is_signal || type->encode == nullptr) {
    const std::string what = demangle(*type->std_type);
    destroy(node);
    return absl::InvalidArgumentError(absl::StrCat("cannot send ", what, " to ", to.to_string(),
                                                   ": not a wire type (declare it with SNOW_WIRE)"));
  }
  FrameWriter w(FrameKind::send_acked);
  w.pid(from).pid(to).u64(0);  // the ticket, written when the frame is queued
  const std::size_t header = w.buffer().size();
  absl::Status st = type->encode(node, w.buffer());
  destroy(node);
  // The same checks as a plain send's (route): the peer's fingerprint and limits.
  const std::string_view stf = std::string_view(w.buffer()).substr(header);
  const std::string_view type_name = dist::message_type_name(stf);
  if (st.ok()) st = check_send(to.node(), std::string(), type_name, stf);
  if (!st.ok()) {
    if (st.code() == absl::StatusCode::kResourceExhausted) {
      counters_.refused_over_limits.fetch_add(1, std::memory_order_relaxed);
    }
    return absl::Status(st.code(), absl::StrCat("cannot send ", type_name.empty() ? "a message" : av(type_name), " to ",
                                                to.to_string(), " on ", node_of(to), ": ", st.message()));
  }
  return w.finish();
}

void NodeCore::send_acked(Pid from, Pid to, std::string frame, absl::Time deadline,
                          std::shared_ptr<AckWaiter> waiter) noexcept {
  Command c;
  c.frame_kind = FrameKind::send_acked;
  c.from = from;
  c.to = to;
  c.frame = std::move(frame);
  c.deadline = deadline;
  c.ack = std::move(waiter);
  post(std::move(c));
}

void NodeCore::run_send_acked(Command& c) {
  const Pid to = c.to;
  ConnId id = 0;
  bool dead_life = false;
  std::string node;
  {
    std::lock_guard lock(table_mu_);
    if (to.node() != 0 && to.node() < nodes_.size()) {
      const KnownNode& n = nodes_[to.node()];
      id = n.conn;
      node = n.name;
      dead_life = n.superseded || static_cast<std::uint8_t>(n.creation) != to.creation();
    }
  }
  Connection* conn = find_conn(id);
  if (dead_life) return c.ack->finish(absl::NotFoundError(absl::StrCat("no process ", to.to_string(), " (", node, " has restarted since)")));
  if (conn == nullptr || conn->state != Connection::State::up) {
    return c.ack->finish(absl::UnavailableError(absl::StrCat("not connected to ", node.empty() ? "its node" : node)));
  }
  if (conn->queued_bytes + c.frame.size() > options_.max_outbound_bytes) {
    return c.ack->finish(absl::ResourceExhaustedError(
        absl::StrCat("the queue to ", node, " is over max_outbound_bytes (", options_.max_outbound_bytes, ")")));
  }
  const std::uint64_t ticket = next_ticket_++;
  for (std::size_t i = 0; i < 8; ++i) {  // after the length, kind, from and to
    c.frame[dist::kFrameHeaderBytes + 1 + 16 + i] = static_cast<char>(ticket >> (8 * i));
  }
  acked_sends_[ticket] = AckedSend{conn->id, to, c.deadline, std::move(c.ack)};
  queue_stream(*conn, c.from, std::move(c.frame));
}

void NodeCore::finish_acked_sends(ConnId conn, absl::Time now) {
  std::vector<std::pair<std::shared_ptr<AckWaiter>, absl::Status>> done;
  for (auto it = acked_sends_.begin(); it != acked_sends_.end();) {
    AckedSend& a = it->second;
    if (conn != 0 && a.conn == conn) {
      done.emplace_back(std::move(a.waiter), absl::UnavailableError(absl::StrCat(
                                                 "the connection to ", node_of(a.to), " was lost before it answered")));
    } else if (conn == 0 && now >= a.deadline) {
      done.emplace_back(std::move(a.waiter), absl::DeadlineExceededError(absl::StrCat(
                                                 "no answer from ", node_of(a.to), " about the message to ", a.to.to_string())));
    } else {
      ++it;
      continue;
    }
    it = acked_sends_.erase(it);
  }
  for (auto& [waiter, status] : done) waiter->finish(status);
}

// -- outbound --

void NodeCore::queue_control(Connection& c, std::string frame) {
  c.queued_bytes += frame.size();
  c.control_cost += control_cost(frame);
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
    if (batch.empty()) break;
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
  counters_.disconnected_slow_reader.fetch_add(1, std::memory_order_relaxed);
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
