// src/transport/sim_transport.hpp: the simulated network (DESIGN §7).
//
// Several nodes in one process, each a deterministic Runtime, joined by a SimNetwork that
// owns a virtual clock and one queue of events (byte deliveries, ticks, wake-ups) ordered
// by (time, sequence). Latency is drawn from a seeded generator, so a seed fixes the whole
// run: a failing test prints its seed and replays exactly from it.
//
// Faults: partition(a, b) makes bytes between two hosts vanish (connections across it go
// silent and the nodes' heartbeats find out, as on a real network) and refuses new
// connections across it; heal(a, b) ends that. crash(host) kills a node the way kill -9
// does: its connections reset (peers see them close) and the node hears nothing more;
// crash(host, false) is a power cut: its connections just go silent. set_link(a, b, ...)
// gives a link extra delay, jitter and a drop probability; pause(host, d) stalls a node
// (a GC pause, SIGSTOP, an overloaded machine).
//
// Every connection is a reliable ordered stream while it lives, as TCP is: jitter never
// reorders bytes within a connection (only across connections), and a "dropped" write is
// not a lost segment inside a live stream (TCP would resend it) but the end of the
// connection at that point: the write and everything after it vanish, and both ends see
// a reset.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "src/transport/sim_event_log.hpp"
#include "src/transport/transport.hpp"

namespace snow {
class Runtime;
}

namespace snow::transport {

class SimTransport;

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed, absl::Duration min_latency = absl::Microseconds(100),
                      absl::Duration max_latency = absl::Milliseconds(2));
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  std::uint64_t seed() const { return seed_; }
  absl::Time now() const { return now_; }

  /// A transport for a node on `host` (one node per host). `runtime` is that node's
  /// deterministic runtime: the network runs it and keeps its clock with the network's.
  std::unique_ptr<Transport> make_transport(const std::string& host, Runtime& runtime);

  /// Runs events, timers and processes until `d` of virtual time has passed.
  void run_for(absl::Duration d);
  /// Runs until `done()` is true (checked between events) or `limit` passes; false if
  /// the limit came first.
  bool run_until(const std::function<bool()>& done, absl::Duration limit);

  void partition(const std::string& a, const std::string& b);
  /// Cuts every link between a host of `side_a` and a host of `side_b`, as partition() on
  /// each pair would, but walks the connections once: partition() walks all of them per
  /// call, so cutting a 256-node cluster in halves pair by pair (16,384 calls over 65,280
  /// connection ends) took the simulator longer than the rest of the run.
  void partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b);
  void heal(const std::string& a, const std::string& b);
  void heal_all();
  /// Kills the node on `host`: its transport goes deaf and its connections are reset
  /// (`reset`, kill -9: peers see them close) or go silent (a power cut: peers find out
  /// by their heartbeats).
  void crash(const std::string& host, bool reset = true);

  /// Faults of the link between two hosts, both ways, for every connection on it.
  struct LinkFaults {
    absl::Duration delay = absl::ZeroDuration();   // added to every delivery
    absl::Duration jitter = absl::ZeroDuration();  // plus a uniform draw in [0, jitter]
    double drop = 0;  // the chance that a write ends its connection (a reset)
  };
  void set_link(const std::string& a, const std::string& b, LinkFaults faults);
  /// Stalls the node on `host` for `d`: its processes, timers and transport run nothing,
  /// and what arrives for it waits, in order, until the pause ends. Peers hear nothing
  /// from it meanwhile, so a pause longer than their heartbeat budget looks like a dead
  /// node, and a shorter one must not.
  void pause(const std::string& host, absl::Duration d);
  /// The node on `host` stops taking bytes from the network, for good (a peer that never
  /// reads while it still writes): bytes written to it from then on stay in the writer's
  /// send buffer, counted in its pending_bytes and never delivered, as over TCP once the
  /// reader's buffers are full; bytes already on their way are never taken either.
  void stop_reading(const std::string& host) { deaf_.insert(host); }
  /// Records every open, delivery and close the nodes see from now on (SimEventLog): the
  /// same seed gives the same log in any process, which the replay test checks.
  void record_events() { events_log_.enable(); }
  /// What was recorded since record_events(), one line per event.
  const std::string& event_log() const { return events_log_.text(); }
  /// Connections ended by `LinkFaults::drop` so far.
  std::uint64_t drops() const { return drops_; }
  /// Latency range for new deliveries.
  void set_latency(absl::Duration min, absl::Duration max);
  /// Each direction of a connection sends this many bytes per second; bytes wait their
  /// turn (and count in pending_bytes) as on a real link.
  void set_bandwidth(double bytes_per_second) { bytes_per_second_ = bytes_per_second; }

 private:
  friend class SimTransport;
  struct Endpoint;  // one end of a connection
  struct Event {
    absl::Time at;
    std::uint64_t seq;
    std::string host;  // whose event it is (it waits while that host is paused); "" none
    std::function<void()> fn;
  };
  struct EventOrder {
    bool operator()(const Event& a, const Event& b) const { return a.at != b.at ? a.at < b.at : a.seq < b.seq; }
  };

  void schedule(absl::Time at, std::string host, std::function<void()> fn);
  /// The transport registered for `host` if it is still the one with `generation`: events
  /// outlive transports, so they find theirs by name, never by a pointer kept.
  SimTransport* live(const std::string& host, std::uint64_t generation) const;
  /// A delivery's delay between two hosts: the drawn latency plus the link's faults.
  absl::Duration latency(const std::string& a, const std::string& b);
  bool cut(const std::string& a, const std::string& b) const;
  const LinkFaults* link(const std::string& a, const std::string& b) const;
  bool paused(const std::string& host) const { return paused_.contains(host); }
  bool reads(const std::string& host) const { return !deaf_.contains(host); }
  void resume(const std::string& host, std::uint64_t pause_id);
  void advance_runtimes(absl::Time to);
  void run_runtimes();
  /// One step: the earliest of the next event and the next timer. False if neither.
  bool step(absl::Time limit);

  std::uint64_t seed_;
  std::mt19937_64 random_;
  absl::Duration min_latency_, max_latency_;
  double bytes_per_second_ = 1e9;
  absl::Time now_ = absl::UnixEpoch();
  std::uint64_t next_seq_ = 0;
  std::set<Event, EventOrder> events_;
  std::map<std::string, SimTransport*> hosts_;
  std::set<std::pair<std::string, std::string>> partitions_;
  std::map<std::pair<std::string, std::string>, LinkFaults> links_;
  struct Pause {
    std::uint64_t id;           // so that a crashed and restarted host's new pause is its own
    std::vector<Event> waiting;  // the host's events, in order
  };
  std::map<std::string, Pause> paused_;
  std::set<std::string> deaf_;  // hosts that stopped reading (stop_reading)
  std::uint64_t next_pause_ = 1;
  std::uint64_t drops_ = 0;
  std::uint64_t next_conn_ = 1;
  std::uint64_t next_generation_ = 1;
  SimEventLog events_log_;
};

class SimTransport final : public Transport {
 public:
  SimTransport(SimNetwork& net, std::string host, Runtime& runtime);
  ~SimTransport() override;

  absl::StatusOr<std::uint16_t> listen(const std::string& host, std::uint16_t port) override;
  void start(TransportHandler* handler, absl::Duration tick) override;
  void stop() override;
  ConnId connect(const std::string& host, std::uint16_t port) override;
  void write(ConnId id, std::string bytes) override;
  std::size_t pending_bytes(ConnId id) const override;
  void close(ConnId id, const absl::Status& reason) override;
  /// While paused, deliveries for `id` wait in order (and so does the peer's close);
  /// restarting hands them over at once, in one event.
  void pause_reading(ConnId id, bool paused) override;
  std::string channel_binding(ConnId id) const override;
  std::string peer_address(ConnId id) const override;
  /// The simulated network has no hostile peers, hence no limits on unauthenticated
  /// connections: nothing to do, and all counters stay zero.
  void admit(ConnId) override {}
  TransportCounters counters() const override { return {}; }
  /// Always empty: the simulated network has no TLS, so no certificates.
  std::vector<std::string> peer_certificate_names(ConnId) const override { return {}; }
  void wake() override;
  absl::Time now() const override { return net_.now(); }

 private:
  friend class SimNetwork;
  struct Conn {
    ConnId peer_id = 0;       // the other end's id (0 while connecting)
    SimTransport* peer = nullptr;
    std::string peer_host;
    std::string binding;
    bool open = false;
    bool broken = false;      // bytes to it vanish (a partition happened while it lived)
    absl::Time last_delivery; // keeps each direction in order whatever the latency drawn
    absl::Time link_free_at;  // when the bytes written so far have all left
    std::deque<std::pair<absl::Time, std::size_t>> sending;  // (leaves at, bytes)
    bool drain_scheduled = false;
    bool read_paused = false;
    std::deque<std::string> held;     // arrived while paused, delivered in order on restart
    std::optional<absl::Status> held_close;  // the peer closed behind the held bytes
  };
  void flush_held(ConnId id);
  void finish_connect(ConnId id, const std::string& host, bool across_cut);
  void deliver_bytes(ConnId id, std::string bytes);
  /// A drop on the link: the connection ends here, both ends see a reset.
  void reset(ConnId id);
  void check_drained(ConnId id);
  void peer_closed(ConnId id, const absl::Status& why);
  void tick();
  /// The handler's on_open / on_closed, recorded in the network's event log first.
  void notify_open(ConnId id, bool inbound);
  void notify_closed(ConnId id, const absl::Status& why);

  SimNetwork& net_;
  std::string host_;
  const std::uint64_t generation_;
  Runtime& runtime_;
  TransportHandler* handler_ = nullptr;
  absl::Duration tick_;
  bool listening_ = false;
  bool dead_ = false;
  bool wake_pending_ = false;
  // Ordered by id, not hashed: crash() and stop() walk it, drawing a latency and taking
  // a sequence number per connection, so its order is part of the run a seed replays.
  std::map<ConnId, Conn> conns_;
};

}  // namespace snow::transport
