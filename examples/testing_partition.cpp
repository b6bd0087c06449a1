// examples/testing_partition.cpp: testing your own two-node program under a network
// partition, with snow::testing (docs/guide.md, "Testing your cluster under faults").
//
// The program under test is the first part of this file: a counter service that one node
// runs and another node's processes call by name. Nothing in it knows about tests; a real
// deployment would Node::start each runtime and call the same two functions. The second
// part is the test: both nodes on a simulated network, the counter called before, during
// and after a partition between them, for several seeds, and one seed run twice to show
// that a seed replays the run exactly. It prints "ok" and exits 0, or prints what failed
// with the seed that replays it (SNOW_SIM_SEED=N) and exits 1.
//
// Build it against an installed snow:
//     c++ testing_partition.cpp $(pkg-config --cflags --libs snow-testing) -o testing_partition
#include <snow/snow.hpp>
#include <snow/testing/simulation.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

// ---- the program under test ----

struct Increment {
  std::int64_t by = 1;
};
SNOW_WIRE(Increment, by)

/// Counts; other nodes may call it (remote_requests).
struct Counter {
  using remote_requests = snow::RemoteRequests<Increment>;
  std::int64_t total = 0;
  std::int64_t handle_call(const Increment& inc) { return total += inc.by; }
};

/// The server node's set-up: the counter, under the local name "counter".
void start_counter(snow::Runtime& rt) { snow::spawn_service(rt, Counter{}, {.name = "counter"}); }

/// What a client process does: adds one to the counter of node `server`, within 5 s.
snow::Task<absl::StatusOr<std::int64_t>> increment(snow::Self self, std::string server) {
  // A variable, not a braced temporary inside the co_await: g++ 12 relocates such a
  // temporary bitwise, harmless here but not once a request has a std::string member.
  const Increment one{1};
  co_return co_await snow::call_service<Counter>(self, snow::NameOn{"counter", server}, one, absl::Seconds(5));
}

// ---- the test ----

namespace {

const std::string kServer = "server@a:9000";
const std::string kClient = "client@b:9000";

int failures = 0;

/// Records a failed expectation with the seed that replays it.
void expect(bool ok, std::uint64_t seed, const std::string& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "FAILED: %s [%s]\n", what.c_str(), snow::testing::replay_hint(seed).c_str());
}

/// The client's node watcher: each NodeUp and NodeDown for the server, as "up" or "down: REASON".
snow::Proc watch_server(snow::Self self, std::vector<std::string>* seen) {
  for (;;) {
    co_await self.receive(snow::on<snow::NodeUp>([&](snow::NodeUp) { seen->push_back("up"); }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown d) { seen->push_back("down: " + d.reason); }));
  }
}

/// One increment from a client process; its result, or the error's code and message.
absl::StatusOr<std::int64_t> increment_from_client(snow::testing::Simulation& sim) {
  absl::StatusOr<std::int64_t> result = absl::UnknownError("the call did not finish");
  sim.run_process(kClient, [&](snow::Self self) -> snow::Task<> { result = co_await increment(self, kServer); },
                  absl::Seconds(30));
  return result;
}

/// The scenario for one seed; returns the simulation's event log, to compare runs.
std::string partition_scenario(std::uint64_t seed) {
  std::vector<std::string> seen;  // written by the watcher process: must outlive `sim`
  snow::testing::Simulation sim(seed);
  sim.record_events();
  expect(sim.add_node(kServer).ok(), seed, "the server node starts");
  expect(sim.add_node(kClient).ok(), seed, "the client node starts");
  start_counter(sim.runtime(kServer));
  const snow::Pid watcher = sim.runtime(kClient).spawn(watch_server, &seen);
  sim.node(kClient).monitor_node(watcher, kServer);
  expect(sim.connect(kClient, kServer), seed, "the nodes connect");

  // Connected: calls succeed and count.
  absl::StatusOr<std::int64_t> first = increment_from_client(sim);
  absl::StatusOr<std::int64_t> second = increment_from_client(sim);
  expect(first.ok() && *first == 1 && second.ok() && *second == 2, seed,
         "before the partition the counter answers 1 then 2, got " + first.status().ToString());

  // Partitioned: the connection goes silent, heartbeats give up on it, and a call fails
  // with noconnection as soon as the node is down, long before its own 5 s timeout.
  sim.partition(kServer, kClient);
  const absl::Time cut_at = sim.now();
  absl::StatusOr<std::int64_t> during = increment_from_client(sim);
  expect(during.status().code() == absl::StatusCode::kAborted &&
             during.status().message().find("noconnection") != std::string::npos,
         seed, "during the partition a call is Aborted with noconnection, got " + during.status().ToString());
  expect(sim.now() - cut_at < absl::Seconds(5), seed, "the failed call ended before its timeout");
  expect(!sim.sees(kClient, kServer) && !sim.sees(kServer, kClient), seed, "neither node lists the other");
  expect(seen.size() == 2 && seen[0] == "up" && seen[1].rfind("down: ", 0) == 0, seed,
         "the client's monitor saw the server up, then down");

  // Healed: the client reconnects by itself (it connected with connect_async, which
  // retries), and the counter kept its state: the failed call never reached it.
  sim.heal_all();
  expect(sim.run_until([&] { return sim.sees(kClient, kServer) && sim.sees(kServer, kClient); }, absl::Seconds(30)),
         seed, "after healing the nodes reconnect");
  absl::StatusOr<std::int64_t> after = increment_from_client(sim);
  expect(after.ok() && *after == 3, seed, "after healing the counter answers 3, got " + after.status().ToString());
  sim.run_for(absl::Milliseconds(10));  // the NodeUp is on its way to the watcher
  expect(seen.size() == 3 && seen[2] == "up", seed, "the client's monitor saw the server up again");

  if (failures > 0) {
    for (const std::string& line : sim.log()) std::fprintf(stderr, "  log: %s\n", line.c_str());
  }
  return sim.event_log();
}

}  // namespace

int main() {
  const std::vector<std::uint64_t> seeds = snow::testing::seeds(5);
  for (std::uint64_t seed : seeds) partition_scenario(seed);
  // A seed fixes the run: the same seed twice, the same events at the same virtual times.
  expect(partition_scenario(seeds[0]) == partition_scenario(seeds[0]), seeds[0], "a seed replays the same run");
  if (failures > 0) {
    std::fprintf(stderr, "%d expectations failed\n", failures);
    return 1;
  }
  std::printf("ok: %zu seeds, partition and heal\n", seeds.size());
  return 0;
}
