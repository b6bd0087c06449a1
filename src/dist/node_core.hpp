// src/dist/node_core.hpp: a runtime's node — connections, handshake, routing.
// Its definitions are split one concern a file; src/dist/node_core.cpp lists them.
//
// Threads. Everything a NodeCore owns (connections, the relations with remote processes,
// reconnect state) belongs to the transport's thread. Other threads talk to it through
// `post()`: a runtime worker routing a message to a remote Pid builds the frame (the
// encoding work stays on the sender's thread) and posts it; the transport thread takes the
// posted commands in order, does the bookkeeping and queues the frame. What other threads
// may read (the node table, who is connected) is published under `table_mu_`.
//
// Outbound lanes. Each connection has a control lane (handshake, heartbeats, node names,
// peer lists), always written first, and one FIFO stream per sending process, served
// round robin one frame or one fragment at a time. So per sender-receiver order holds,
// heartbeats never wait behind data, and a 10 MiB message holds a small one from another
// process back by at most one fragment.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/log.hpp"
#include "snow/node.hpp"
#include "src/discovery/discovery_state.hpp"
#include "src/dist/decode_worker.hpp"
#include "src/dist/handshake.hpp"
#include "src/dist/node_address.hpp"
#include "src/dist/node_counters.hpp"
#include "src/dist/node_info.hpp"
#include "src/dist/protocol.hpp"
#include "src/dist/send_result.hpp"
#include "src/runtime/log_limiter.hpp"
#include "src/runtime/remote_router.hpp"
#include "src/transport/transport.hpp"

namespace snow::detail {

class RuntimeCore;

/// What a blocking connect() (or a process's co_await connect) waits on, filled in by
/// the transport thread: one status, the same waiter as an acknowledged send's.
using ConnectWaiter = AckWaiter;

/// Counters of one node, for tests, benchmarks and introspection: the public NodeStats
/// (one struct, so a new counter is declared once).
using NodeCounters = NodeStats;

struct ClusterState;  // src/dist/cluster.hpp

class NodeCore final : public RemoteRouter, public transport::TransportHandler {
 public:
  NodeCore(RuntimeCore& core, dist::NodeAddress address, NodeOptions options,
           std::unique_ptr<transport::Transport> transport);
  ~NodeCore() override;

  /// Listens (a port of 0 becomes the real one, and the name carries it) and starts the
  /// transport. Once.
  absl::Status start();
  const std::string& name() const { return name_; }
  const NodeOptions& options() const { return options_; }

  // -- RemoteRouter: any thread --
  Delivery route(Pid from, Pid to, MessageNode* node) noexcept override { return route(from, to, node, nullptr); }
  absl::Status try_route(Pid from, Pid to, MessageNode* node) noexcept override;
  Delivery route_named(Pid from, std::string_view name, std::string_view node_name,
                       std::string encoded) noexcept override;
  absl::StatusOr<std::string> encode_acked(Pid from, Pid to, MessageNode* node) noexcept override;
  void send_acked(Pid from, Pid to, std::string frame, absl::Time deadline,
                  std::shared_ptr<AckWaiter> waiter) noexcept override;
  void stop() noexcept override;

  // -- the public API's work: any thread --
  /// Starts connecting to `peer` (a valid "name@host:port"); `waiter`, if set, learns
  /// the outcome. `keep`: reconnect whenever the connection drops, until disconnect.
  /// The transport's clock (the virtual one in simulations), for connect deadlines.
  absl::Time now() const { return transport_->now(); }
  /// An attempt the peer drops before the handshake is done (resets it, or closes it
  /// before its hello) is made again, after `reconnect_min`, while that is before
  /// `deadline`: the waiter hears the outcome of the last attempt it had time for.
  void connect_async(dist::NodeAddress peer, std::shared_ptr<ConnectWaiter> waiter, bool keep,
                     absl::Time deadline = absl::InfinitePast());
  void disconnect(std::string peer);
  std::vector<std::string> connected() const;
  /// The node `pid` lives on; "" for the null Pid and for a Pid of a node life this node
  /// has forgotten (its index now names another life, or none).
  std::string node_of(Pid pid) const;
  /// The node an index names now, whatever the generation ("" for none).
  std::string node_name_at(std::uint16_t index) const;
  /// This node's index for `node_name` (0: unknown); how tests and tools name a remote Pid.
  std::uint16_t node_index(std::string_view node_name) const;
  /// This node's Pid for process `serial` of the life of `node_name` it knows now (null
  /// when it knows none): the index and its current generation.
  Pid remote_pid(std::string_view node_name, std::uint64_t serial) const;
  /// The node table's size: entries (one per node life, used or free), the ones held (by
  /// a connection, or by a peer's announcement of a life not known to be over), and the
  /// bytes they take with their lookups. For tests and the hardening figures.
  struct NodeTableSize {
    std::size_t entries = 0, held = 0, bytes = 0;
  };
  NodeTableSize node_table_size() const;
  void monitor_node(Pid watcher, std::string peer, bool on);
  NodeCounters counters() const;
  /// The connected peers, sorted by name.
  std::vector<PeerInfo> peers() const;
  std::vector<NodeEvent> history() const;
  void log(LogLevel level, std::string_view text) const;
  /// A line about one connection, which whoever opens connections can make happen:
  /// rate-limited per `kind` (src/runtime/log_limiter.hpp). Transport thread.
  void log_connection(std::string_view kind, LogLevel level, std::string_view text);

  // -- the protocol fingerprint (exchanged in node_info frames, src/dist/node_info.hpp) --
  /// This node's wire types and spawnable functions, with a digest of each layout.
  std::vector<std::pair<std::string, std::uint64_t>> fingerprint() const;
  /// The names whose layouts differ on `node`; sends of those types to it are refused.
  void set_mismatches(const std::string& node, std::vector<std::string> names);
  bool mismatched(const std::string& node, std::string_view name) const;
  /// A service here refused a request from another node (src/dist/remote_call.cpp). Any thread.
  void count_refused_service_request() { counters_.add(&NodeStats::refused_service_requests); }
  /// Tests make one node of a simulated cluster disagree about a layout.
  void override_fingerprint_for_testing(std::string name, std::uint64_t digest);
  /// Tests play a hostile peer holding the cookie: `frame` goes to `peer` (connected) as
  /// this node's own, after its control frames and outside max_control_bytes. Transport
  /// thread (the simulated network's: the test's).
  void send_frame_for_testing(const std::string& peer, std::string frame);
  /// The same from any thread (live tests): posted, sent by the transport thread.
  void post_frame_for_testing(std::string peer, std::string frame);
  /// Tests of DNS discovery without a DNS server: no lookup is made from now on, and
  /// `answer` is taken as a lookup's. Needs NodeOptions::discovery.source set. Transport
  /// thread (the simulated network's: the test's).
  void discovery_answer_for_testing(discovery::DnsAnswer answer);
  /// Outbound connections not up yet. Transport thread.
  std::size_t dials_in_flight_for_testing() const;
  /// Unfinished fragmented messages from `peer`, and the bytes they hold. Transport thread.
  std::pair<std::size_t, std::size_t> reassemblies_for_testing(const std::string& peer) const;
  /// Whether this node has stopped reading from `peer` (frames over the bound wait behind
  /// a large decode). Transport thread.
  bool reading_paused_for_testing(const std::string& peer) const;
  /// What waits to go to `peer` (its first connection, in any state): the control lane's
  /// cost against max_control_bytes, and the bytes the transport holds. Transport thread.
  std::pair<std::size_t, std::size_t> outbound_for_testing(const std::string& peer) const;

  /// Global names, groups and remote spawn (src/dist/cluster.cpp); set by start_node.
  std::unique_ptr<ClusterState> cluster;

  // -- TransportHandler: the transport's thread --
  void on_open(transport::ConnId id, bool inbound) override;
  void on_data(transport::ConnId id, std::string_view bytes) override;
  void on_closed(transport::ConnId id, const absl::Status& why) override;
  void on_drained(transport::ConnId id) override;
  void on_wake() override;
  void on_tick() override;

 private:
  struct Connection;
  // After a small read that delivered messages, waits up to kLingerForPosts for what the
  // receivers post (their replies), so that a reply goes out without a doorbell wake-up.
  void linger_for_posts();
  struct PeerRelations;
  class ConnectionNodeMap;

  // Commands: what other threads ask of the transport thread. Each is posted (post()),
  // taken in order by on_wake() and handled by the run() overload for its kind.
  struct RouteCommand {  // a process frame for a Pid on another node (route())
    dist::FrameKind kind = dist::FrameKind::send;
    Pid from, to;
    Ref ref;  // monitor, demonitor, down
    std::string frame;
  };
  struct RouteNamedCommand {  // a send to a name on another node (route_named())
    Pid from;
    std::string node;
    std::string frame;
  };
  struct SendAckedCommand {  // an acknowledged send (send_acked())
    Pid from, to;
    std::string frame;
    absl::Time deadline;  // when `waiter` hears a timeout, if the peer has not answered
    std::shared_ptr<AckWaiter> waiter;
  };
  struct ConnectCommand {
    dist::NodeAddress address;
    bool keep = false;  // reconnect whenever the connection drops, until disconnect
    std::shared_ptr<ConnectWaiter> waiter;
    absl::Time deadline;  // until when `waiter` waits (attempts the peer drops are retried)
  };
  struct DisconnectCommand {
    std::string node;
  };
  struct MonitorNodeCommand {  // monitor_node(), on or off
    Pid watcher;
    std::string node;  // "": every node
    bool on = true;
  };
  struct TestFrameCommand {  // post_frame_for_testing()
    std::string node;
    std::string frame;
  };
  using Command = std::variant<RouteCommand, RouteNamedCommand, SendAckedCommand, ConnectCommand, DisconnectCommand,
                               MonitorNodeCommand, TestFrameCommand>;

  void post(Command c);
  // A command that will not run (the node stopped): its waiter, if any, hears so.
  static void cancel(Command& c);
  /// route(), with `refused` set (try_send) or not (send): see RemoteRouter::try_route.
  Delivery route(Pid from, Pid to, MessageNode* node, absl::Status* refused) noexcept;
  /// OK when the message `stf` may go to node `index` (`node` by name): within its limits
  /// (ours until its node_info came), of a type both declare alike. Any thread.
  absl::Status check_send(std::uint16_t index, const std::string& node, std::string_view type_name,
                          std::string_view stf) const;
  /// A message that will not be sent: `refused` learns why (try_send), or the reason is
  /// logged (rate-limited) and a dead letter counted (send). Any thread.
  Delivery refuse_send(absl::Status why, absl::Status* refused) noexcept;
  void run(RouteCommand& c);
  void run(RouteNamedCommand& c);
  void run(SendAckedCommand& c);  // src/dist/send_outcomes.cpp
  void run(ConnectCommand& c);
  void run(DisconnectCommand& c);
  void run(MonitorNodeCommand& c);
  void run(TestFrameCommand& c);

  // connections
  void start_attempt(const dist::NodeAddress& peer);
  Connection* find_conn(transport::ConnId id);
  void close_conn(Connection& c, absl::Status why);
  void take_frames(Connection& c);
  void on_frame(Connection& c, dist::FrameKind kind, std::string_view body, std::string* owned = nullptr);
  void on_handshake_frame(Connection& c, dist::FrameKind kind, std::string_view body);
  void on_authenticated(Connection& c);
  bool keep_authenticated(Connection& c);
  void refuse(Connection& c, const dist::Refused& why);
  void connection_up(Connection& c);
  void connection_lost(Connection& c, const absl::Status& why);
  void on_peers(Connection& c, std::string_view body);
  void dial_mesh_peers();

  // DNS discovery (src/dist/node_discovery.cpp)
  void poll_discovery(absl::Time now);
  void apply_discovery(absl::StatusOr<discovery::DnsAnswer> answer);
  // Dials a member DNS gave by its address; its name comes in the handshake.
  void start_address_attempt(const discovery::DnsMember& member);
  bool member_is_self(const discovery::DnsMember& member) const;
  bool member_connected_or_dialling(const discovery::DnsMember& member) const;
  // An address dial's hello came (or it turned out to reach this node): what it says.
  void learn_member_name(Connection& c);
  void discovered_connection_up(Connection& c);
  std::size_t outbound_in_flight() const;  // our connections not up yet
  void on_node_name(Connection& c, std::string_view body);
  void on_node_info(Connection& c, dist::FrameKind kind, std::string_view body);  // until the peer's last piece
  bool drop_mismatched(Connection& c, const Term& message);  // a message of a type the peer declares differently
  // `owned`, when set, holds `body` and may be taken (a large message decoded elsewhere).
  void on_process_frame(Connection& c, dist::FrameKind kind, std::string_view body, std::string* owned = nullptr);
  void malformed_frame(Connection& c, dist::FrameKind kind, std::string_view what);
  // Takes `message` when it delivers it; leaves it when no process takes it.
  void deliver_message(Connection& c, dist::FrameKind kind, std::uint64_t ticket, Pid from, Pid to, std::string_view name,
                       Term& message);
  // A message delivered as its encoding (snow/detail/encoded_message.hpp), checked here
  // and decoded by its receiver; false, having done nothing, for a message the Term path
  // must take (deliver_message).
  bool deliver_encoded(Connection& c, std::uint64_t ticket, Pid from, Pid to, std::string_view stf);
  void count_message_in();
  // Delivers a message sent to a Pid, answering the sender when it asked (`ticket`) or
  // when the message was not delivered.
  void deliver_to_pid(Connection& c, std::uint64_t ticket, Pid from, Pid to, MessageNode* node);
  // Large messages: decoded on decoder_, the connection's later process frames waiting.
  void decode_elsewhere(Connection& c, dist::FrameKind kind, std::uint64_t ticket, Pid from, Pid to,
                        std::string_view name, Ref ref, bool via_link, std::string_view stf, std::string* owned);
  void wait_behind_decode(Connection& c, dist::FrameKind kind, std::string_view body);
  void replay_waiting(Connection& c);
  void on_fragment(Connection& c, std::string_view body);
  // What became of a message from a peer's process: refusals go back in a send_result
  // (paced for plain sends), acknowledged sends are always answered; `refused_why`
  // (logged) says why for a refusal. And the sender's side of the same frames.
  void answer_send(Connection& c, dist::SendResult result, std::string_view refused_why);
  void on_send_result(Connection& c, std::string_view body);
  void on_refusal_summary(Connection& c, std::string_view body);
  void count_remote_refusals(const Connection& c, dist::SendOutcome outcome, std::uint64_t n);
  void refuse_undecodable(Connection& c, std::uint64_t ticket, Pid to, const DecodeLimits& limits,
                          const absl::Status& why);
  void answer_delivery(Connection& c, std::uint64_t ticket, Pid to, Delivery d);
  void finish_acked_sends(transport::ConnId conn, absl::Time now);
  void expire_reassemblies(Connection& c, absl::Time now);
  // Tells the connect() calls waiting for `name` the outcome; those whose deadline is
  // after `still_waiting_after` are left waiting (for another attempt). True if any are.
  bool finish_waiters(const std::string& name, const absl::Status& status,
                      absl::Time still_waiting_after = absl::InfiniteFuture());

  // before authentication: questions only (see src/dist/handshake.hpp)
  class Gate;
  std::optional<dist::Refused> check_hello(const Connection& c, const dist::PeerHello& hello) const;
  // Mutual TLS: OK when the peer's certificate carries `claimed_name` under
  // options().tls.name_check (tls/name_check.hpp), else PermissionDenied saying why.
  // OK in ephemeral mode, where there is no CA-issued certificate to hold a name.
  absl::Status check_peer_certificate(const Connection& c, std::string_view claimed_name) const;
  absl::Duration failure_penalty(const std::string& address) const;
  void note_handshake_failure(const Connection& c);

  // outbound
  void queue_control(Connection& c, std::string frame);
  void queue_stream(Connection& c, Pid sender, std::string frame);
  void pump(Connection& c);
  // A peer that does not take what is written to it: how long the transport has held
  // bytes for it without writing one (zero when it holds none), and closing it.
  absl::Duration write_stall(Connection& c, absl::Time now);
  void cut_slow_reader(Connection& c, const std::string& why);

  // the node table: one entry per life (name and creation) of each node
  struct KnownNode;
  // 0: table full. `introduced_by`: the connection whose node_name frame names the life.
  std::uint16_t intern(const std::string& name, std::uint32_t creation, transport::ConnId introduced_by = 0);
  std::uint16_t reclaim_slot();  // under table_mu_; 0: none free
  static bool is_free(const KnownNode& n);
  std::size_t introduced_unconnected(transport::ConnId id) const;  // under table_mu_
  void release_mapping(std::uint16_t local, std::uint8_t local_generation);  // under table_mu_
  void release_entries(Connection& c);
  void announce(Connection& c, std::uint16_t index);

  // delivering to local processes and watchers
  void notify_node_watchers(const std::string& node, bool up, const std::string& reason);

  RuntimeCore& core_;
  dist::NodeAddress address_;
  std::string name_;
  const NodeOptions options_;
  std::unique_ptr<transport::Transport> transport_;
  std::atomic<bool> stopped_{false};
  bool started_ = false;

  mutable std::mutex fingerprint_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> mismatches_;  // by node
  absl::flat_hash_map<std::string, std::uint64_t> fingerprint_overrides_;
  std::atomic<bool> has_mismatches_{false};  // the common case costs one relaxed load

  // What this node accepts (told to peers in node_info), and what sends need no check of
  // their peer's limits: messages of at most sends_always_within_ bytes (the least of
  // every node's figure), or at most always_within_[index] for node `index`.
  const dist::ReceiveLimits receive_limits_;
  std::atomic<std::size_t> sends_always_within_;
  std::unique_ptr<std::atomic<std::size_t>[]> always_within_;  // by node index
  // Sends refused for the peer's limits or fingerprint: logged from any thread, a few a second.
  mutable std::mutex send_log_mu_;
  RateLimitedLog send_log_;

  // posted commands
  std::mutex post_mu_;
  std::vector<Command> posted_;
  // Lingering (linger_for_posts): `has_posted_` mirrors !posted_.empty() for the
  // lingering thread to poll without the mutex; a post made while `lingering_` is true
  // does not ring the doorbell (the lingering thread takes it). seq_cst on `lingering_`
  // pairs the poster's check with the lingerer's last look, as the scheduler's
  // spinning_ does: either the poster sees it false and rings, or the lingerer sees the
  // post.
  std::atomic<bool> has_posted_{false};
  std::atomic<bool> lingering_{false};
  std::uint64_t network_deliveries_ = 0;  // messages delivered from the network (transport thread)

  // published state
  mutable std::mutex table_mu_;
  // One node life. Entries are reused (DESIGN.md, "the node table"): an entry is free
  // when no connection is to its life and no peer's announcement holds it, and a free
  // one is taken for another life only when the table is full, the least recently used
  // first. Each reuse bumps `generation`, the 8 bits every local Pid of the index carries,
  // so a Pid kept from the earlier life no longer matches and is dead (noproc).
  struct KnownNode {
    std::string name;
    std::uint32_t creation = 0;
    transport::ConnId conn = 0;  // the up connection, 0 when not connected
    // A later life of the node has connected (or this is an earlier life of this node):
    // every process of this life is dead, so sends to its Pids are noproc.
    bool superseded = false;
    std::optional<dist::ReceiveLimits> limits;  // from its node_info; ours apply until then
    PeerInfo stats;              // of the current connection
    std::uint8_t generation = 0;
    // What holds the entry (transport thread, under table_mu_ for the readers of nodes_):
    // connections authenticated as this life, and peers' node_name mappings to it.
    std::uint32_t own_connections = 0, mappings = 0;
    transport::ConnId introduced_by = 0;  // the connection whose node_name made it (0: none)
    std::uint64_t last_used = 0;          // use_clock_ when last interned or released
  };
  std::vector<KnownNode> nodes_;  // index 0 is this node
  absl::flat_hash_map<std::string, std::uint16_t> node_index_;  // name -> its current life's index
  absl::flat_hash_map<std::pair<std::string, std::uint32_t>, std::uint16_t> lives_;  // (name, creation) -> index
  std::uint64_t use_clock_ = 0;  // orders the entries by last use (least recently used is reused first)
  // Bumped on the transport thread for every frame (and by senders for refusals), read
  // by anyone: one word per NodeStats field (src/dist/node_counters.hpp).
  NodeCounterWords counters_;

  // transport-thread state
  RateLimitedLog connection_log_;
  DecodeWorker decoder_;
  absl::Duration tick_ = absl::ZeroDuration();
  absl::Time last_tick_ = absl::InfinitePast();
  // Ordered containers where the node walks them (conns_ in ConnId order, kept_ by
  // name): the order of closes, pings and reconnects is part of a simulated run, and
  // absl's hash is seeded per process, so a hashed walk would not replay (DESIGN §7).
  std::map<transport::ConnId, std::unique_ptr<Connection>> conns_;
  absl::flat_hash_map<std::uint16_t, PeerRelations> relations_;
  // Acknowledged sends waiting for their send_result, by ticket. Each is answered by the
  // peer, by the loss of its connection, or at its deadline (on_tick), so a peer that
  // never answers cannot make the table grow past the senders waiting.
  struct AckedSend {
    transport::ConnId conn = 0;
    Pid to;
    absl::Time deadline;
    std::shared_ptr<AckWaiter> waiter;
  };
  std::map<std::uint64_t, AckedSend> acked_sends_;
  std::uint64_t next_ticket_ = 1;
  struct KeptPeer {
    dist::NodeAddress address;
    absl::Duration backoff;
    absl::Time next_attempt;
    // Kept because DNS discovery lists it (not connect()): dropped when DNS stops
    // listing it, the connection left to the heartbeat.
    bool by_discovery = false;
  };
  std::map<std::string, KeptPeer> kept_;  // explicitly connected peers
  // Mesh dials that peers frames asked for, paced (dial_mesh_peers).
  std::deque<dist::NodeAddress> mesh_queue_;
  absl::flat_hash_set<std::string> mesh_queued_;
  absl::Time mesh_window_start_ = absl::InfinitePast();
  int mesh_dials_in_window_ = 0;
  struct PendingConnect {
    std::shared_ptr<ConnectWaiter> waiter;
    absl::Time deadline;
  };
  absl::flat_hash_map<std::string, std::vector<PendingConnect>> waiters_;  // connect() calls waiting, by peer
  std::vector<std::pair<std::string, Pid>> node_watchers_;  // ("" = every node, watcher)
  // The last ups and downs, for observers (Node::history): a few per connection, so a
  // bounded deque behind its own lock costs nothing on any message path.
  mutable std::mutex history_mu_;
  std::deque<NodeEvent> history_;
  // Failed handshakes by source address (without port), in a sliding window: each
  // failure past a few delays that address's next handshakes a little more (never
  // refuses them: a good node behind the same address still gets in).
  struct Failures {
    int count = 0;
    absl::Time window_start;
  };
  absl::flat_hash_map<std::string, Failures> failures_;
  std::unique_ptr<discovery::DiscoveryState> discovery_;  // null: no NodeOptions::discovery.source
};

}  // namespace snow::detail
