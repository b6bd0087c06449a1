// src/dist/node_core.hpp: a runtime's node — connections, handshake, routing.
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
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/log.hpp"
#include "snow/node.hpp"
#include "src/dist/handshake.hpp"
#include "src/dist/node_address.hpp"
#include "src/dist/protocol.hpp"
#include "src/runtime/log_limiter.hpp"
#include "src/runtime/remote_router.hpp"
#include "src/transport/transport.hpp"

namespace snow::detail {

class RuntimeCore;

/// What a blocking connect() waits on; the transport thread fills it in.
struct ConnectWaiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu
  absl::Status status;
  /// For a process that waits (Node::connect(Self, ...)): called once, with the result,
  /// unless the waiter was abandoned first. Set before the connection starts.
  std::function<void(const absl::Status&)> on_done;
  void finish(absl::Status s) {
    std::function<void(const absl::Status&)> notify;
    {
      std::lock_guard lock(mu);
      if (done) return;
      done = true;
      status = std::move(s);
      notify = std::move(on_done);
      cv.notify_all();
    }
    if (notify) notify(status);  // outside the lock: it sends a message
  }
  /// The waiting side gave up (a timeout): finish() will not call on_done. False when
  /// finish() came first (its call of on_done has happened or is under way).
  bool abandon() {
    std::lock_guard lock(mu);
    if (done) return false;
    done = true;
    on_done = nullptr;
    return true;
  }
};

/// Counters of one node, for tests, benchmarks and introspection: the public NodeStats
/// (one struct, so a new counter is declared once).
using NodeCounters = NodeStats;

/// One connected peer, as seen from this node.
struct PeerStats {
  std::string name;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::size_t queued_bytes = 0;  // waiting in this node's lanes for the peer
  absl::Duration rtt = absl::ZeroDuration();  // last ping's round trip
};

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
  Delivery route(Pid from, Pid to, MessageNode* node) noexcept override;
  Delivery route_named(Pid from, std::string_view name, std::string_view node_name,
                       std::string encoded) noexcept override;
  void stop() noexcept override;

  // -- the public API's work: any thread --
  /// Starts connecting to `peer` (a valid "name@host:port"); `waiter`, if set, learns
  /// the outcome. `keep`: reconnect whenever the connection drops, until disconnect.
  void connect_async(dist::NodeAddress peer, std::shared_ptr<ConnectWaiter> waiter, bool keep);
  void disconnect(std::string peer);
  std::vector<std::string> connected() const;
  std::string node_of(Pid pid) const;
  /// This node's index for `node_name` (0: unknown); how tests and tools name a remote Pid.
  std::uint16_t node_index(std::string_view node_name) const;
  void monitor_node(Pid watcher, std::string peer, bool on);
  NodeCounters counters() const;
  /// The connected peers, sorted by name.
  std::vector<PeerStats> peers() const;
  void log(LogLevel level, std::string_view text) const;
  /// A line about one connection, which whoever opens connections can make happen:
  /// rate-limited per `kind` (src/runtime/log_limiter.hpp). Transport thread.
  void log_connection(std::string_view kind, LogLevel level, std::string_view text);

  // -- the protocol fingerprint (src/dist/cluster.cpp compares them at connect) --
  /// This node's wire types and spawnable functions, with a digest of each layout.
  std::vector<std::pair<std::string, std::uint64_t>> fingerprint() const;
  /// The names whose layouts differ on `node`; sends of those types to it are refused.
  void set_mismatches(const std::string& node, std::vector<std::string> names);
  bool mismatched(std::uint16_t node_index, std::string_view name) const;
  /// Tests make one node of a simulated cluster disagree about a layout.
  void override_fingerprint_for_testing(std::string name, std::uint64_t digest);
  /// Tests play a hostile peer holding the cookie: `frame` goes to `peer` (connected) as
  /// this node's own, after its control frames and outside max_control_bytes. Transport
  /// thread (the simulated network's: the test's).
  void send_frame_for_testing(const std::string& peer, std::string frame);
  /// Outbound connections not up yet. Transport thread.
  std::size_t dials_in_flight_for_testing() const;
  /// Unfinished fragmented messages from `peer`, and the bytes they hold. Transport thread.
  std::pair<std::size_t, std::size_t> reassemblies_for_testing(const std::string& peer) const;
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
  struct Command;
  struct PeerRelations;
  class ConnectionNodeMap;

  // commands from other threads
  void post(Command c);
  void run(Command& c);
  void run_route(Command& c);

  // connections
  void start_attempt(const dist::NodeAddress& peer);
  Connection* find_conn(transport::ConnId id);
  void close_conn(Connection& c, absl::Status why);
  void take_frames(Connection& c);
  void on_frame(Connection& c, dist::FrameKind kind, std::string_view body);
  void on_handshake_frame(Connection& c, dist::FrameKind kind, std::string_view body);
  void on_authenticated(Connection& c);
  bool keep_authenticated(Connection& c);
  void refuse(Connection& c, const dist::Refused& why);
  void connection_up(Connection& c);
  void connection_lost(Connection& c, const absl::Status& why);
  void on_peers(Connection& c, std::string_view body);
  void dial_mesh_peers();
  std::size_t outbound_in_flight() const;  // our connections not up yet
  void on_node_name(Connection& c, std::string_view body);
  void on_process_frame(Connection& c, dist::FrameKind kind, std::string_view body);
  void on_fragment(Connection& c, std::string_view body);
  void expire_reassemblies(Connection& c, absl::Time now);
  void finish_waiters(const std::string& name, const absl::Status& status);

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
  std::uint16_t intern(const std::string& name, std::uint32_t creation);  // 0: table full
  void announce(Connection& c, std::uint16_t index);
  bool translate(const Connection& c, std::uint64_t raw, Pid& out) const;

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

  // posted commands
  std::mutex post_mu_;
  std::vector<Command> posted_;

  // published state
  mutable std::mutex table_mu_;
  struct KnownNode {
    std::string name;
    std::uint32_t creation = 0;
    transport::ConnId conn = 0;  // the up connection, 0 when not connected
    // A later life of the node has connected (or this is an earlier life of this node):
    // every process of this life is dead, so sends to its Pids are noproc.
    bool superseded = false;
    PeerStats stats;             // of the current connection
  };
  std::vector<KnownNode> nodes_;  // index 0 is this node
  absl::flat_hash_map<std::string, std::uint16_t> node_index_;  // name -> its current life's index
  absl::flat_hash_map<std::pair<std::string, std::uint32_t>, std::uint16_t> lives_;  // (name, creation) -> index
  // Bumped on the transport thread for every frame, read by anyone: relaxed atomics.
  struct {
    std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0};
    std::atomic<std::uint64_t> messages_in{0}, messages_out{0};
    std::atomic<std::uint64_t> dropped_unreachable{0}, dropped_overflow{0}, dropped_at_close{0}, dropped_incomplete{0};
    std::atomic<std::uint64_t> handshakes_refused{0}, protocol_errors{0}, handshakes_delayed{0};
    std::atomic<std::uint64_t> disconnected_slow_reader{0};
    std::array<std::atomic<std::uint64_t>, dist::kRefusalKinds> refused{};
  } counters_;

  // transport-thread state
  RateLimitedLog connection_log_;
  // Ordered containers where the node walks them (conns_ in ConnId order, kept_ by
  // name): the order of closes, pings and reconnects is part of a simulated run, and
  // absl's hash is seeded per process, so a hashed walk would not replay (DESIGN §7).
  std::map<transport::ConnId, std::unique_ptr<Connection>> conns_;
  absl::flat_hash_map<std::uint16_t, PeerRelations> relations_;
  struct KeptPeer {
    dist::NodeAddress address;
    absl::Duration backoff;
    absl::Time next_attempt;
  };
  std::map<std::string, KeptPeer> kept_;  // explicitly connected peers
  // Mesh dials that peers frames asked for, paced (dial_mesh_peers).
  std::deque<dist::NodeAddress> mesh_queue_;
  absl::flat_hash_set<std::string> mesh_queued_;
  absl::Time mesh_window_start_ = absl::InfinitePast();
  int mesh_dials_in_window_ = 0;
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<ConnectWaiter>>> waiters_;
  std::vector<std::pair<std::string, Pid>> node_watchers_;  // ("" = every node, watcher)
  // Failed handshakes by source address (without port), in a sliding window: each
  // failure past a few delays that address's next handshakes a little more (never
  // refuses them: a good node behind the same address still gets in).
  struct Failures {
    int count = 0;
    absl::Time window_start;
  };
  absl::flat_hash_map<std::string, Failures> failures_;
};

}  // namespace snow::detail
