// tests/discovery/discovery_sim_test.cpp: what a node does with a DNS answer, on the
// simulated network (the answer is handed to it: discovery_answer_for_testing).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dist/sim_cluster.hpp"
#include "src/discovery/dns_answer.hpp"

using simtest::SimCluster;
using snow::discovery::DnsAnswer;
using snow::discovery::DnsMember;

namespace {

snow::NodeOptions discovering(std::size_t max_members = 256) {
  snow::NodeOptions o = simtest::default_options();
  o.discovery.source = "a:snow.test:9000";
  o.discovery.max_members = max_members;
  return o;
}

DnsAnswer answer(std::vector<std::string> hosts) {
  DnsAnswer a;
  for (const std::string& h : hosts) a.members.push_back(DnsMember{h, 9000});
  return a;
}

}  // namespace

TEST_CASE("discovery: members are dialled by address and connected under the names they say; itself is not") {
  for (std::uint64_t seed : simtest::seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.add("b");
    c.add("c");
    c.add("a", discovering());
    c["a"].core->discovery_answer_for_testing(answer({"a", "b", "c"}));
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("a", "c") && c.sees("b", "a"); }, absl::Seconds(5)));
    CHECK(c["a"].node().stats().discovery.dialed == 2);  // not itself
    // The same answer again: everyone is connected, nothing is dialled.
    c["a"].core->discovery_answer_for_testing(answer({"a", "b", "c"}));
    c.net.run_for(absl::Milliseconds(300));
    CHECK(c["a"].node().stats().discovery.dialed == 2);
    CHECK(c["a"].node().stats().handshakes_refused == 0);
  }
}

TEST_CASE("discovery: one dial per member at a time, however often DNS lists it") {
  SimCluster c(1);
  c.add("b");
  c.add("a", discovering());
  for (int i = 0; i < 5; ++i) c["a"].core->discovery_answer_for_testing(answer({"b"}));
  CHECK(c["a"].node().stats().discovery.dialed == 1);
  CHECK(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(5)));
}

TEST_CASE("discovery: a member gone from DNS stays connected; only the heartbeat drops a node") {
  SimCluster c(1);
  c.add("b");
  c.add("c");
  c.add("a", discovering());
  c["a"].core->discovery_answer_for_testing(answer({"b", "c"}));
  REQUIRE(c.net.run_until([&] { return c.sees("a", "b") && c.sees("a", "c"); }, absl::Seconds(5)));
  c["a"].core->discovery_answer_for_testing(answer({"c"}));
  c.net.run_for(absl::Seconds(2));
  CHECK(c.sees("a", "b"));
  CHECK(c.sees("b", "a"));
}

TEST_CASE("discovery: a listed member that drops is connected again; past max_members nothing is dialled") {
  SimCluster c(1);
  c.add("b");
  c.add("a", discovering(/*max_members=*/2));
  std::vector<std::string> hosts{"b"};
  for (int i = 0; i < 50; ++i) hosts.push_back("nowhere" + std::to_string(i));
  c["a"].core->discovery_answer_for_testing(answer(hosts));
  CHECK(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(5)));
  CHECK(c["a"].node().stats().discovery.ignored == 49);
  CHECK(c["a"].node().stats().discovery.dialed == 2);  // b and the first of the others
  // b restarts: a reconnects to its next life by itself while DNS lists it.
  c["b"].rt->stop();
  c["b"].rt.reset();
  REQUIRE(c.net.run_until([&] { return c["a"].node().list().empty(); }, absl::Seconds(5)));
  c.add("b", simtest::default_options(), 2);
  CHECK(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(5)));
}
