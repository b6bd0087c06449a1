// snow/testing/simulation.hpp: your cluster on a simulated network, for tests.
//
// A Simulation runs several snow nodes in one process, on one thread, over a network
// that exists only in memory: the simulator snow's own distribution tests use. Every
// node is a deterministic Runtime; one queue of events on a virtual clock (byte
// deliveries, heartbeats, timers, wake-ups) runs them all, and every latency and fault
// is drawn from the seed. A seed therefore fixes the whole run: a test that fails for
// one seed fails the same way every time it is run with that seed.
//
// Link `snow-testing` (pkg-config) or `snow::testing` (CMake:
// `find_package(snow REQUIRED COMPONENTS testing)`). A test (doctest's CHECK and REQUIRE
// here; any framework will do) of a counter service on one node, called from another,
// across a partition:
//
//     for (std::uint64_t seed : snow::testing::seeds()) {
//       INFO(snow::testing::replay_hint(seed));
//       snow::testing::Simulation sim(seed);
//       REQUIRE(sim.add_node("server@a").ok());
//       REQUIRE(sim.add_node("client@b").ok());
//       start_counter(sim.runtime("server@a"));         // your program's own set-up
//       REQUIRE(sim.connect("client@b", "server@a"));
//
//       sim.partition("server@a", "client@b");
//       absl::StatusOr<std::int64_t> during;
//       sim.run_process("client@b", [&](snow::Self self) -> snow::Task<> {
//         during = co_await increment(self, "server@a:9000");  // your program's call
//       });
//       CHECK(during.status().code() == absl::StatusCode::kAborted);  // noconnection
//
//       sim.heal_all();
//       CHECK(sim.run_until([&] { return sim.sees("client@b", "server@a"); }, absl::Seconds(30)));
//     }
//
// examples/testing_partition.cpp is that test in full.
//
// Processes, links, monitors, services and global names behave as on a real cluster;
// only the bytes between nodes and the clock are simulated. What a test cannot do is
// block a thread waiting for another node: nothing moves unless the simulation runs it
// (run_for, run_until, run_process), so a ScopedActor's receive (it runs its own runtime,
// not the network), Node::connect's blocking form and Runtime::send_wait would wait in
// vain, and Runtime::try_send refuses a deterministic runtime. Talk to your processes from
// other processes (run_process), and read results through variables they set: all of a
// simulation runs on the calling thread, so plain variables are safe.
//
// Seeds and replay: seeds() reads SNOW_SIM_SEED=N (run just seed N) and SNOW_SIM_SEEDS=K
// (run K seeds instead of the test's own number). Print replay_hint(seed) when a check
// fails, and the failing run is one environment variable away.
//
// What the simulator models: latency (seeded, per delivery), bandwidth, partitions,
// crashes (kill -9 or power cut), lossy links (a dropped write resets its connection, as
// TCP would give up; bytes inside a live connection are never lost or reordered), slow
// nodes (pause), heartbeats, reconnection and the cookie handshake. What it does not:
// TLS (no certificates: add_node drops NodeOptions::tls, so mutual TLS's name checks
// are not tested here), DNS discovery (leave NodeOptions::discovery empty; connect nodes or give seeds),
// real ports (one node per host; the port in a name is kept but not checked), and
// threads (each node is a deterministic runtime: one thread, FIFO run queue).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/log.hpp"
#include "snow/node.hpp"
#include "snow/proc.hpp"
#include "snow/runtime.hpp"

namespace snow::testing {

/// The seeds a test loops over: just N when SNOW_SIM_SEED=N is set; else `count` seeds
/// (SNOW_SIM_SEEDS=K makes it K), the same ones in every run.
std::vector<std::uint64_t> seeds(int count = 5);

/// "seed N (replay: SNOW_SIM_SEED=N)", for a failing check's message.
std::string replay_hint(std::uint64_t seed);

struct SimulationOptions {
  /// Fixes every latency and fault drawn, hence the run.
  std::uint64_t seed = 1;
  /// The cookie of nodes added with none (NodeOptions::cookie empty), so that they let
  /// each other in; a node given another cookie is refused by them, as on a network.
  std::string cookie = "snow-testing: simulated cluster cookie";
  /// Each delivery takes a uniform draw from [min_latency, max_latency].
  absl::Duration min_latency = absl::Microseconds(100);
  absl::Duration max_latency = absl::Milliseconds(2);
  /// Where the nodes' log lines go (RuntimeOptions::log_sink). Null: they are kept in
  /// the simulation (Simulation::log), so that a passing test prints nothing.
  LogSink log_sink;
};

/// Extra trouble on the link between two hosts, both ways (Simulation::set_link).
struct LinkFaults {
  absl::Duration delay = absl::ZeroDuration();   // added to every delivery
  absl::Duration jitter = absl::ZeroDuration();  // plus a uniform draw in [0, jitter]
  /// The chance that a write ends its connection: that write and all after it vanish and
  /// both ends see a reset (the node reconnects, as after a real TCP reset).
  double drop = 0;
};

/// Nodes on a simulated network, run from a seed. Not thread-safe: one thread owns it
/// and everything it runs.
///
/// Nodes are named as real ones are, "name@host" or "name@host:port" (port 9000 when
/// none is given); each method takes either form. One node per host: faults are between
/// hosts, so they may name a node not started yet. A malformed name, or a name that is no
/// live node where one is needed (runtime, node, sees, connect, crash, pause), throws
/// std::invalid_argument: a mistake in the test, not an outcome to check.
class Simulation {
 public:
  explicit Simulation(std::uint64_t seed);
  explicit Simulation(SimulationOptions options);
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  /// Stops every node (their processes are destroyed, as by Runtime::stop).
  ~Simulation();

  std::uint64_t seed() const;
  /// The virtual clock, shared by every node; it starts at the Unix epoch.
  absl::Time now() const;

  // ---- nodes ----
  /// Starts a node named `name` on its own deterministic runtime. `options` are the
  /// NodeOptions your program would use (an empty cookie takes SimulationOptions::cookie;
  /// `tls` is reset to its default, as the simulated network carries no TLS).
  /// `runtime` is used as given, except that it is made deterministic and gets the
  /// simulation's log sink when it has none; its `creation` 0 picks one more than the
  /// last life of this name, so a node added again after crash() is a new life whose old
  /// Pids are dead to the others. Errors: InvalidArgument (a malformed name or options),
  /// AlreadyExists (a live node on that host).
  absl::Status add_node(std::string_view name, NodeOptions options = {}, RuntimeOptions runtime = {});
  /// The runtime of node `name`: spawn your processes and services on it.
  Runtime& runtime(std::string_view name);
  /// The node `name` (its peers, its stats, monitor_node, connect_async).
  Node node(std::string_view name);
  /// The live nodes' names ("name@host:port"), sorted.
  std::vector<std::string> nodes() const;
  /// Whether node `a` is connected to node `b` now (b is in a's Node::list()).
  bool sees(std::string_view a, std::string_view b);
  /// Has `a` connect to `b` (and keep reconnecting after faults, as Node::connect_async)
  /// and runs until each sees the other: false if `limit` of virtual time came first.
  bool connect(std::string_view a, std::string_view b, absl::Duration limit = absl::Seconds(5));

  // ---- running ----
  /// Runs every node until `d` of virtual time has passed.
  void run_for(absl::Duration d);
  /// Runs until `done()` holds (checked between events) or `limit` of virtual time has
  /// passed; false if the limit came first.
  bool run_until(const std::function<bool()>& done, absl::Duration limit);
  /// Spawns `body(self)`, a coroutine returning snow::Task<>, as a process of node
  /// `name`, and runs until it has finished; false if `limit` came first (the process
  /// then keeps going when the simulation runs on). How a test makes calls from a node.
  template <class F>
  bool run_process(std::string_view name, F body, absl::Duration limit = absl::Seconds(10)) {
    // Shared with the process: it may outlive this call when the limit comes first.
    auto finished = std::make_shared<bool>(false);
    runtime(name).spawn([finished, body = std::move(body)](Self self) -> Proc {
      co_await body(self);
      *finished = true;
    });
    return run_until([&] { return *finished; }, limit);
  }

  // ---- faults ----
  /// Cuts the link between the hosts of nodes `a` and `b`: bytes on their connections
  /// vanish from now on (heartbeats then declare each other down) and new connections
  /// between them time out, until heal().
  void partition(std::string_view a, std::string_view b);
  /// Cuts every link between a node of `side_a` and a node of `side_b`.
  void partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b);
  /// Ends the cut between `a` and `b`; the nodes reconnect by themselves (reconnection
  /// backs off up to NodeOptions::reconnect_max, so allow for it in run_until).
  void heal(std::string_view a, std::string_view b);
  void heal_all();
  /// Kills node `name` and destroys its runtime: `reset` (kill -9) makes its peers see
  /// their connections close at once; false (a power cut) leaves them silent until the
  /// peers' heartbeats notice. add_node(name) afterwards starts its next life.
  void crash(std::string_view name, bool reset = true);
  /// Delay, jitter and loss on the link between the hosts of `a` and `b`, from now on.
  void set_link(std::string_view a, std::string_view b, LinkFaults faults);
  /// Stalls node `name` for `d` (a GC pause, SIGSTOP): it runs nothing and what arrives
  /// for it waits. Longer than its peers' heartbeat budget, it looks dead to them.
  void pause(std::string_view name, absl::Duration d);
  /// The range each delivery's latency is drawn from, from now on.
  void set_latency(absl::Duration min, absl::Duration max);

  // ---- what happened ----
  /// The nodes' log lines when SimulationOptions::log_sink was null, oldest first, each
  /// "+VIRTUAL_TIME LEVEL NODE KIND: TEXT". Print them when a check fails.
  std::vector<std::string> log() const;
  /// From now on, records a line per connection opened, delivery and close the nodes see
  /// (virtual time, host, connection, size): the same seed writes the same text in any
  /// process, so two runs can be compared byte for byte.
  void record_events();
  const std::string& event_log() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snow::testing
