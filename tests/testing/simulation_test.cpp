// tests/testing/simulation_test.cpp: snow::testing::Simulation, what it adds to the
// simulated network (tests/dist/ test the network itself): names, lives, options, seeds.
// Only the public headers, as a user's test sees them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "snow/snow.hpp"
#include "snow/testing/simulation.hpp"
#include "tests/support/scoped_env.hpp"

using snow::testing::Simulation;

namespace {

/// A process that waits for ever: something to watch.
snow::Proc idle(snow::Self self) {
  for (;;) co_await self.receive(snow::any([](snow::Message) {}));
}

}  // namespace

TEST_CASE("nodes are named as real ones: either form of a name finds the node, listed in full") {
  Simulation sim(1);
  REQUIRE(sim.add_node("server@a").ok());
  REQUIRE(sim.add_node("client@b:9000").ok());
  CHECK(sim.nodes() == std::vector<std::string>{"client@b:9000", "server@a:9000"});
  CHECK(sim.node("server@a").name() == "server@a:9000");
  CHECK(&sim.runtime("server@a") == &sim.runtime("server@a:9000"));
  REQUIRE(sim.connect("client@b", "server@a:9000"));
  CHECK(sim.sees("server@a:9000", "client@b"));
}

TEST_CASE("one node per host; malformed or unknown names are a mistake in the test") {
  Simulation sim(1);
  REQUIRE(sim.add_node("one@a").ok());
  CHECK(sim.add_node("two@a").code() == absl::StatusCode::kAlreadyExists);
  CHECK(sim.add_node("no at sign").code() == absl::StatusCode::kInvalidArgument);
  CHECK_THROWS_AS(sim.runtime("nobody@z"), std::invalid_argument);
  CHECK_THROWS_AS(sim.partition("one@a", "not a name"), std::invalid_argument);
}

TEST_CASE("a crashed node's next life has the next creation, and its old Pids are dead to its peers") {
  Simulation sim(3);
  REQUIRE(sim.add_node("server@a").ok());
  REQUIRE(sim.add_node("client@b").ok());
  REQUIRE(sim.connect("client@b", "server@a"));
  const snow::Pid first_life = sim.runtime("server@a").spawn(idle);
  CHECK(first_life.creation() == 1);
  sim.crash("server@a");
  CHECK_THROWS_AS(sim.runtime("server@a"), std::invalid_argument);
  CHECK(sim.run_until([&] { return !sim.sees("client@b", "server@a"); }, absl::Seconds(5)));
  REQUIRE(sim.add_node("server@a").ok());
  CHECK(sim.runtime("server@a").spawn(idle).creation() == 2);
  CHECK(sim.run_until([&] { return sim.sees("client@b", "server@a"); }, absl::Seconds(30)));
}

TEST_CASE("options: the simulation's cookie by default, another cookie is refused, mutual TLS is dropped") {
  Simulation sim(5);
  REQUIRE(sim.add_node("a@a").ok());
  snow::NodeOptions mutual;
  mutual.tls.mode = snow::TlsOptions::Mode::mutual;  // no certificates: would refuse every peer
  REQUIRE(sim.add_node("b@b", mutual).ok());
  CHECK(sim.connect("a@a", "b@b"));
  REQUIRE(sim.add_node("stranger@c", {.cookie = "another cookie, sixteen bytes or more"}).ok());
  CHECK_FALSE(sim.connect("stranger@c", "a@a", absl::Seconds(2)));
  CHECK(sim.node("a@a").stats().refused.proof > 0);
}

TEST_CASE("run_process runs a coroutine on a node until it ends; partitions and crashes reach monitors") {
  Simulation sim(7);
  REQUIRE(sim.add_node("server@a").ok());
  REQUIRE(sim.add_node("client@b").ok());
  REQUIRE(sim.connect("client@b", "server@a"));
  snow::Runtime& server = sim.runtime("server@a");
  REQUIRE(snow::global::register_name(server, "idle", server.spawn(idle)).ok());
  snow::Runtime& client = sim.runtime("client@b");
  REQUIRE(sim.run_until([&] { return snow::global::whereis(client, "idle").has_value(); }, absl::Seconds(5)));
  const snow::Pid watched = *snow::global::whereis(client, "idle");  // the client's name for it
  std::optional<std::string> down;
  const bool ended = sim.run_process("client@b", [&](snow::Self self) -> snow::Task<> {
    const snow::Ref ref = self.monitor(watched);
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) {
      if (d.ref == ref) down = d.reason.to_string();
    }));
  }, absl::Seconds(30));
  CHECK_FALSE(ended);  // connected: nothing is down, so the process still waits at the limit
  sim.partition("server@a", "client@b");
  CHECK(sim.run_until([&] { return down.has_value(); }, absl::Seconds(10)));
  CHECK(down == "noconnection");
}

TEST_CASE("the nodes' log is kept, with virtual times, unless a sink is given") {
  Simulation sim(9);
  REQUIRE(sim.add_node("server@a").ok());
  REQUIRE(sim.add_node("client@b").ok());
  REQUIRE(sim.connect("client@b", "server@a"));
  bool connected_line = false;
  for (const std::string& line : sim.log()) {
    connected_line |= line.rfind("+", 0) == 0 && line.find("client@b:9000 node: connected to server@a:9000") != std::string::npos;
  }
  CHECK(connected_line);

  std::vector<std::string> mine;
  Simulation own({.seed = 9, .log_sink = [&](const snow::LogRecord& r) { mine.emplace_back(r.text); }});
  REQUIRE(own.add_node("server@a").ok());
  REQUIRE(own.add_node("client@b").ok());
  REQUIRE(own.connect("client@b", "server@a"));
  CHECK(own.log().empty());
  CHECK(!mine.empty());
}

TEST_CASE("seeds: fixed ones, or the one SNOW_SIM_SEED names, or as many as SNOW_SIM_SEEDS says") {
  // Whatever the shell that runs this test has set.
  ::unsetenv("SNOW_SIM_SEED");
  ::unsetenv("SNOW_SIM_SEEDS");
  CHECK(snow::testing::seeds(3).size() == 3);
  CHECK(snow::testing::seeds(3) == snow::testing::seeds(3));
  {
    snow::testing::ScopedEnv env;
    env.set("SNOW_SIM_SEED", "42");
    env.set("SNOW_SIM_SEEDS", "7");  // one named seed wins over a count
    CHECK(snow::testing::seeds(3) == std::vector<std::uint64_t>{42});
  }
  {
    snow::testing::ScopedEnv env;
    env.set("SNOW_SIM_SEEDS", "7");
    CHECK(snow::testing::seeds(3).size() == 7);
  }
  CHECK(snow::testing::replay_hint(42) == "seed 42 (replay: SNOW_SIM_SEED=42)");
}
