// tests/discovery/seeds_sim_test.cpp: NodeOptions::seeds and the checks Node::start makes
// of the seeds and of NodeOptions::discovery, on the simulated network.
#include <doctest/doctest.h>

#include <string>

#include "dist/sim_cluster.hpp"

using simtest::SimCluster;

TEST_CASE("seeds: a node connects to its seeds at start, skips itself among them, and keeps them up") {
  for (std::uint64_t seed : simtest::seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.add("b");
    snow::NodeOptions o = simtest::default_options();
    o.seeds = {"n@a:9000", "n@b:9000"};  // one list for every node: its own name included
    c.add("a", o);
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(5)));
    CHECK(c["a"].node().list() == std::vector<std::string>{"n@b:9000"});
    // b restarts: a, which b never dialled, connects to b's next life by itself.
    c["b"].rt->stop();
    c["b"].rt.reset();
    CHECK(c.net.run_until([&] { return c["a"].node().list().empty(); }, absl::Seconds(5)));
    c.add("b", simtest::default_options(), 2);
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(5)));
  }
}

TEST_CASE("seeds and discovery: Node::start refuses a malformed seed or discovery source, saying which") {
  snow::Runtime rt(snow::RuntimeOptions{.deterministic = true});
  snow::NodeOptions o = simtest::default_options();
  o.seeds = {"n@b:9000", "not a node"};
  snow::transport::SimNetwork net(1);
  auto bad_seed = snow::detail::start_node(rt, "n@a:9000", o, net.make_transport("a", rt));
  CHECK(bad_seed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad_seed.status().message().find("NodeOptions::seeds") != std::string::npos);
  o.seeds.clear();
  o.discovery.source = "srv:bad name";
  auto bad_source = snow::detail::start_node(rt, "n@a:9000", o, net.make_transport("a", rt));
  CHECK(bad_source.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad_source.status().message().find("NodeOptions::discovery") != std::string::npos);
  o.discovery.source = "a:snow.test:4370";
  o.discovery.interval = absl::ZeroDuration();
  CHECK(snow::detail::start_node(rt, "n@a:9000", o, net.make_transport("a", rt)).status().code() ==
        absl::StatusCode::kInvalidArgument);
}
