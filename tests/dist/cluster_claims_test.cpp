// What a cluster process accepts from a peer holding the cookie, over the simulated
// network: claims only for the sender's own processes, no remote exit ends it, bounded
// escaped log lines; and which of two registrations of one name keeps it.
#include <doctest/doctest.h>

#include "tests/dist/sim_cluster.hpp"

namespace claimstest {
// The cluster processes' own messages, declared here as a peer would (same names and
// fields), so that a test can forge them.
struct GlobalAdd {
  std::string name;
  snow::Pid pid;
  std::int64_t claimed = 0;
};
SNOW_WIRE(GlobalAdd, name, pid, claimed)
struct GroupJoin {
  std::string group;
  snow::Pid pid;
};
SNOW_WIRE(GroupJoin, group, pid)
struct GroupLeave {
  std::string group;
  snow::Pid pid;
};
SNOW_WIRE(GroupLeave, group, pid)
/// No cluster process knows this one.
struct Gossip {
  std::string text;
};
SNOW_WIRE(Gossip, text)

snow::Proc idle(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Gossip>([](Gossip) {}));
}

/// Records each GlobalNameLost.
snow::Proc listener(snow::Self self, std::vector<std::string>* lost) {
  for (;;) co_await self.receive(snow::on<snow::GlobalNameLost>([&](snow::GlobalNameLost l) { lost->push_back(l.name); }));
}
}  // namespace claimstest

using namespace simtest;
using namespace claimstest;
using snow::Pid;
namespace global = snow::global;
namespace group = snow::group;

namespace {
std::uint64_t refused(SimCluster& c, const std::string& host) { return c[host].core->cluster->refused.load(); }
Pid cluster_process(SimCluster& c, const std::string& host) { return c[host].core->cluster->process; }
}  // namespace

TEST_CASE("a global-name claim naming another node's process is refused, and the name stays with its owner") {
  for (std::uint64_t seed : seeds(5)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    const Pid owner = c["a"].rt->spawn(idle);
    REQUIRE(global::register_name(*c["a"].rt, "db", owner).ok());
    REQUIRE(c.net.run_until([&] { return global::whereis(*c["c"].rt, "db").has_value(); }, absl::Seconds(1)));
    // b claims "db" for one of c's processes (and for a process of a), stamped at the
    // beginning of time, which would win any comparison of claims; and a free name too.
    const Pid victim = c["c"].rt->spawn(idle);
    for (const std::string to : {"a", "c"}) {
      c.send_to_cluster_process("b", to, GlobalAdd{"db", c.view("b", "c", victim), 0});
      c.send_to_cluster_process("b", to, GlobalAdd{"db", c.view("b", "a", c["a"].rt->spawn(idle)), 0});
      c.send_to_cluster_process("b", to, GlobalAdd{"free", c.view("b", "c", victim), 0});
    }
    c.net.run_for(absl::Milliseconds(50));
    CHECK(global::whereis(*c["a"].rt, "db") == owner);
    CHECK(global::whereis(*c["b"].rt, "db") == c.view("b", "a", owner));
    CHECK(global::whereis(*c["c"].rt, "db") == c.view("c", "a", owner));
    CHECK_FALSE(global::whereis(*c["a"].rt, "free"));
    CHECK_FALSE(global::whereis(*c["c"].rt, "free"));
    CHECK(refused(c, "a") == 3);
    CHECK(refused(c, "c") == 3);
    CHECK(c.logs.count_containing("cluster process: refused a claim of the global name \"db\"") == 4);
    // The forger leaves: still a's.
    c.crash("b");
    c.net.run_for(absl::Seconds(1));
    CHECK(global::whereis(*c["a"].rt, "db") == owner);
    CHECK(global::whereis(*c["c"].rt, "db") == c.view("c", "a", owner));
  }
}

TEST_CASE("a group join or leave naming another node's process is refused") {
  for (std::uint64_t seed : seeds(5)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    const Pid member = c["a"].rt->spawn(idle);
    REQUIRE(group::join(*c["a"].rt, "workers", member).ok());
    REQUIRE(c.net.run_until([&] { return group::members(*c["c"].rt, "workers").size() == 1; }, absl::Seconds(1)));
    // b says a's member left, and that another of a's processes joined.
    const Pid outsider = c["a"].rt->spawn(idle);
    c.send_to_cluster_process("b", "c", GroupLeave{"workers", c.view("b", "a", member)});
    c.send_to_cluster_process("b", "c", GroupJoin{"workers", c.view("b", "a", outsider)});
    c.net.run_for(absl::Milliseconds(50));
    CHECK(group::members(*c["c"].rt, "workers") == std::vector<Pid>{c.view("c", "a", member)});
    CHECK(refused(c, "c") == 2);
    // Its own processes it may speak for.
    const Pid own = c["b"].rt->spawn(idle);
    c.send_to_cluster_process("b", "c", GroupJoin{"workers", own});
    c.net.run_for(absl::Milliseconds(50));
    CHECK(group::members(*c["c"].rt, "workers").size() == 2);
    CHECK(refused(c, "c") == 2);
  }
}

TEST_CASE("a spawn reply for nobody naming a process of the receiving node does not kill it") {
  SimCluster c(31);
  c.pair();
  const Pid victim = c["a"].rt->spawn(idle);
  // A late reply's process is killed (nobody asked for it): b names one of a's.
  c.send_to_cluster_process("b", "a", snow::detail::SpawnReply{snow::Ref::make(0, 4242), c.view("b", "a", victim), "", 0});
  c.net.run_for(absl::Milliseconds(50));
  CHECK(c["a"].rt->is_alive(victim));
  CHECK(refused(c, "a") == 1);
}

TEST_CASE("exit signals from another node, kill included, do not end the cluster process") {
  for (std::uint64_t seed : seeds(5)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    const Pid target = cluster_process(c, "a");
    // b sends exit(kill) and exit(shutdown) to every process number up to 400 on a, and
    // links a's cluster process to one of its own processes, which then crashes.
    const std::uint16_t a_index = c["b"].core->node_index(c["a"].name);
    const Pid linker = c["b"].rt->spawn([target = c.view("b", "a", target)](snow::Self self) -> snow::Proc {
      self.link(target);
      co_await self.receive(snow::on<Gossip>([](Gossip) {}));
    });
    c["b"].rt->spawn([a_index](snow::Self self) -> snow::Proc {
      for (std::uint64_t serial = 1; serial <= 400; ++serial) {
        self.exit(Pid::make(a_index, 1, serial), snow::ExitReason::kill());
        self.exit(Pid::make(a_index, 1, serial), snow::ExitReason::shutdown());
      }
      co_return;
    });
    c.net.run_for(absl::Milliseconds(50));
    c["b"].rt->exit(linker, snow::ExitReason::kill());
    c.net.run_for(absl::Milliseconds(50));
    REQUIRE(c["a"].rt->is_alive(target));
    // Global names still propagate, both ways.
    REQUIRE(global::register_name(*c["a"].rt, "after", c["a"].rt->spawn(idle)).ok());
    REQUIRE(global::register_name(*c["c"].rt, "back", c["c"].rt->spawn(idle)).ok());
    CHECK(c.net.run_until(
        [&] { return global::whereis(*c["b"].rt, "after").has_value() && global::whereis(*c["a"].rt, "back").has_value(); },
        absl::Seconds(1)));
    // The program itself may still end it (a local exit).
    c["a"].rt->exit(target, snow::ExitReason::kill());
    c.net.run_for(absl::Milliseconds(10));
    CHECK_FALSE(c["a"].rt->is_alive(target));
  }
}

TEST_CASE("a peer's unexpected message is logged escaped, cut short, and rate-limited") {
  SimCluster c(32);
  c.pair();
  const std::string forged = "\x1b[31m\nsnow: error: forged line\x1b[0m" + std::string(1 << 20, 'x');
  for (int i = 0; i < 50; ++i) c.send_to_cluster_process("b", "a", Gossip{forged});
  c.net.run_for(absl::Milliseconds(100));
  std::vector<std::string> lines;
  for (const std::string& l : c.logs.lines) {
    if (l.find("unexpected message") != std::string::npos) lines.push_back(l);
  }
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.size() <= 5);  // a burst's budget; the rest counted for a summary line
  for (const std::string& l : lines) {
    CHECK(l.size() < 600);
    CHECK(l.find('\x1b') == std::string::npos);
    CHECK(l.find('\n') == std::string::npos);
    CHECK(l.find("\\x1b") != std::string::npos);
    CHECK(l.find(c["b"].name) != std::string::npos);  // names the sender
  }
}

TEST_CASE("first registration wins: a late registration racing the first one's propagation loses everywhere") {
  for (std::uint64_t seed : seeds(40)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    std::vector<std::string> lost_b, lost_c;
    const Pid first = c["c"].rt->spawn(listener, &lost_c);
    const Pid late = c["b"].rt->spawn(listener, &lost_b);
    REQUIRE(global::register_name(*c["c"].rt, "db", first).ok());
    // b registers a moment later, before or after c's claim reached it (latency 0.1-2 ms).
    c.net.run_for(absl::Microseconds(10 + static_cast<std::int64_t>(seed % 41) * 60));
    const absl::Status second = global::register_name(*c["b"].rt, "db", late);
    INFO("b's registration: " << second.ToString());
    c.net.run_for(absl::Milliseconds(50));
    CHECK(global::whereis(*c["a"].rt, "db") == c.view("a", "c", first));
    CHECK(global::whereis(*c["b"].rt, "db") == c.view("b", "c", first));
    CHECK(global::whereis(*c["c"].rt, "db") == first);
    CHECK(lost_c.empty());
    // The late owner, if it took the name for a moment, is told once that it lost it.
    CHECK(lost_b == (second.ok() ? std::vector<std::string>{"db"} : std::vector<std::string>{}));
  }
}
