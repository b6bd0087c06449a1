// Cluster services over the simulated network: global names, groups, remote spawn.
#include <doctest/doctest.h>

#include "tests/dist/sim_cluster.hpp"

namespace clustertest {
struct Hi {
  std::int64_t n = 0;
};
SNOW_WIRE(Hi, n)

snow::Proc idle(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Hi>([](Hi) {}));
}

/// Records GlobalNameLost and Hi messages.
snow::Proc listener(snow::Self self, std::vector<std::string>* out) {
  for (;;) {
    co_await self.receive(
        snow::on<snow::GlobalNameLost>([&](snow::GlobalNameLost l) { out->push_back("lost " + l.name); }),
        snow::on<Hi>([&](Hi h) { out->push_back("hi " + std::to_string(h.n)); }));
  }
}

std::vector<std::int64_t>* g_added = nullptr;
snow::Proc adder(snow::Self self, std::int64_t base, std::string label) {
  co_await self.receive(snow::on<Hi>([&](Hi h) {
    if (g_added) g_added->push_back(base + h.n + static_cast<std::int64_t>(label.size()));
  }));
}
SNOW_SPAWNABLE(adder);

snow::Proc remote_worker(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Hi>([](Hi) {}));
}
SNOW_SPAWNABLE(remote_worker);
}  // namespace clustertest

using namespace simtest;
using namespace clustertest;
using snow::Pid;
using snow::Self;
namespace global = snow::global;
namespace group = snow::group;

TEST_CASE("a global name is seen on every node, refused twice, and goes with its process") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.mesh3();
    const Pid p = c["a"].rt->spawn(idle);
    REQUIRE(global::register_name(*c["a"].rt, "db", p).ok());
    CHECK(global::whereis(*c["a"].rt, "db") == p);  // at once on its own node
    CHECK(c.net.run_until([&] { return global::whereis(*c["b"].rt, "db") && global::whereis(*c["c"].rt, "db"); },
                          absl::Seconds(1)));
    CHECK(*global::whereis(*c["c"].rt, "db") == c.view("c", "a", p));
    const Pid q = c["b"].rt->spawn(idle);
    CHECK(global::register_name(*c["b"].rt, "db", q).code() == absl::StatusCode::kAlreadyExists);
    // A process elsewhere sends by the global name.
    std::vector<std::string> got;
    const Pid l = c["a"].rt->spawn(listener, &got);
    REQUIRE(global::register_name(*c["a"].rt, "listener", l).ok());
    c.net.run_for(absl::Milliseconds(50));
    c["c"].rt->spawn([](Self self) -> snow::Proc {
      CHECK(global::send(self, "listener", Hi{3}));
      CHECK_FALSE(global::send(self, "nobody", Hi{4}));
      co_return;
    });
    c.net.run_for(absl::Milliseconds(50));
    CHECK(got == std::vector<std::string>{"hi 3"});
    // The owner ends: the name goes everywhere.
    c["a"].rt->exit(p, snow::ExitReason::kill());
    CHECK(c.net.run_until([&] { return !global::whereis(*c["b"].rt, "db") && !global::whereis(*c["c"].rt, "db"); },
                          absl::Seconds(1)));
    CHECK_FALSE(global::whereis(*c["a"].rt, "db"));
    CHECK(global::register_name(*c["b"].rt, "db", q).ok());  // free again
  }
}

TEST_CASE("names owned by a lost node are removed; a node that connects later learns the names") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    REQUIRE(global::register_name(*c["b"].rt, "svc", c["b"].rt->spawn(idle)).ok());
    REQUIRE(global::register_name(*c["a"].rt, "keep", c["a"].rt->spawn(idle)).ok());
    CHECK(c.net.run_until([&] { return global::whereis(*c["a"].rt, "svc").has_value(); }, absl::Seconds(1)));
    c.add("c");
    c.connect("c", "a");
    CHECK(c.net.run_until([&] { return global::registered_names(*c["c"].rt).size() == 2; }, absl::Seconds(1)));
    c.crash("b");
    CHECK(c.net.run_until([&] { return !global::whereis(*c["a"].rt, "svc") && !global::whereis(*c["c"].rt, "svc"); },
                          absl::Seconds(2)));
    CHECK(global::whereis(*c["c"].rt, "keep").has_value());
  }
}

TEST_CASE("after a partition heals, the earlier registration keeps the name whichever node's name sorts first") {
  for (std::uint64_t seed : seeds(20)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    // Cut a from b and c; register "leader" on both sides, b (which sorts after a) first.
    c.net.partition("a", "b");
    c.net.partition("a", "c");
    c.net.run_until([&] { return c["a"].node().list().empty(); }, absl::Seconds(3));
    std::vector<std::string> lost_a, lost_b;
    const Pid pa = c["a"].rt->spawn(listener, &lost_a);
    const Pid pb = c["b"].rt->spawn(listener, &lost_b);
    REQUIRE(global::register_name(*c["b"].rt, "leader", pb).ok());
    c.net.run_for(absl::Milliseconds(10));
    REQUIRE(global::register_name(*c["a"].rt, "leader", pa).ok());
    c.net.run_for(absl::Milliseconds(100));
    CHECK(global::whereis(*c["c"].rt, "leader") == c.view("c", "b", pb));
    c.net.heal_all();
    // Both, kept: a peer met through the mesh is not dialled again if c had not yet
    // noticed a was gone when the mesh introduced them.
    c["a"].node().connect_async(c["b"].name);
    c["a"].node().connect_async(c["c"].name);
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("a", "c"); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(200));
    CHECK(global::whereis(*c["a"].rt, "leader") == c.view("a", "b", pb));
    CHECK(global::whereis(*c["b"].rt, "leader") == pb);
    CHECK(global::whereis(*c["c"].rt, "leader") == c.view("c", "b", pb));
    CHECK(lost_b.empty());
    CHECK(lost_a == std::vector<std::string>{"lost leader"});  // told exactly once
  }
}

TEST_CASE("groups: members on every node, broadcast reaches them all, death and node loss clean up") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.mesh3();
    std::vector<std::string> ga, gb1, gb2;
    const Pid ma = c["a"].rt->spawn(listener, &ga);
    const Pid mb1 = c["b"].rt->spawn(listener, &gb1);
    const Pid mb2 = c["b"].rt->spawn(listener, &gb2);
    REQUIRE(group::join(*c["a"].rt, "workers", ma).ok());
    REQUIRE(group::join(*c["b"].rt, "workers", mb1).ok());
    REQUIRE(group::join(*c["b"].rt, "workers", mb2).ok());
    REQUIRE(group::join(*c["b"].rt, "workers", mb2).ok());  // twice is once
    CHECK(c.net.run_until([&] { return group::members(*c["c"].rt, "workers").size() == 3; }, absl::Seconds(1)));
    CHECK(group::local_members(*c["b"].rt, "workers").size() == 2);
    c["c"].rt->spawn([](Self self) -> snow::Proc {
      CHECK(group::broadcast(self, "workers", Hi{9}) == 3);
      co_return;
    });
    c.net.run_for(absl::Milliseconds(50));
    CHECK(ga == std::vector<std::string>{"hi 9"});
    CHECK(gb1 == std::vector<std::string>{"hi 9"});
    CHECK(gb2 == std::vector<std::string>{"hi 9"});
    REQUIRE(group::leave(*c["b"].rt, "workers", mb1).ok());
    CHECK(group::leave(*c["b"].rt, "workers", mb1).code() == absl::StatusCode::kNotFound);
    c["a"].rt->exit(ma, snow::ExitReason::kill());
    CHECK(c.net.run_until([&] { return group::members(*c["c"].rt, "workers").size() == 1; }, absl::Seconds(1)));
    c.crash("b");
    CHECK(c.net.run_until([&] { return group::members(*c["c"].rt, "workers").empty() && group::groups(*c["a"].rt).empty(); },
                          absl::Seconds(2)));
  }
}

TEST_CASE("remote spawn by name: a usable Pid, or a clear error") {
  SimCluster c(21);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  std::vector<std::int64_t> added;
  g_added = &added;
  std::vector<std::string> results;
  const std::string b = c["b"].name;
  c["a"].rt->spawn([&, b](Self self) -> snow::Proc {
    absl::StatusOr<Pid> pid = co_await snow::spawn_on(self, b, "adder", std::int64_t{40}, std::string("xy"));
    results.push_back(pid.ok() ? "ok " + c["a"].node().node_of(*pid) : pid.status().ToString());
    if (pid.ok()) self.send(*pid, Hi{0});
    absl::StatusOr<Pid> unknown = co_await snow::spawn_on(self, b, "nope");
    results.push_back(absl::StatusCodeToString(unknown.status().code()));
    absl::StatusOr<Pid> bad_args = co_await snow::spawn_on(self, b, "adder", std::string("forty"));
    results.push_back(absl::StatusCodeToString(bad_args.status().code()));
    absl::StatusOr<Pid> nowhere = co_await snow::spawn_on(self, "n@zz:9000", "adder", std::int64_t{1}, std::string());
    results.push_back(absl::StatusCodeToString(nowhere.status().code()));
  });
  c.net.run_for(absl::Seconds(1));
  REQUIRE(results.size() == 4);
  CHECK(results[0] == "ok " + b);
  CHECK(results[1] == "NOT_FOUND");
  CHECK(results[2] == "INVALID_ARGUMENT");
  CHECK(results[3] == "UNAVAILABLE");
  CHECK(added == std::vector<std::int64_t>{42});
  g_added = nullptr;
}

TEST_CASE("remote spawn to a node that stopped answering fails when the node is found lost") {
  SimCluster c(22);
  c.pair();
  c.net.partition("a", "b");  // still listed as connected until the heartbeats notice
  std::string result;
  const std::string b = c["b"].name;
  c["a"].rt->spawn([&, b](Self self) -> snow::Proc {
    absl::StatusOr<Pid> pid = co_await snow::spawn_on(self, b, "adder", std::int64_t{1}, std::string());
    result = absl::StatusCodeToString(pid.status().code());
  });
  // Not the 5 s timeout: the heartbeat budget (4 x 100 ms), a tick, and the answer.
  c.net.run_for(absl::Milliseconds(600));
  CHECK(result == "UNAVAILABLE");
}

TEST_CASE("system processes do not keep rt.join() waiting, and the cluster API needs a node") {
  SimCluster c(23);
  c.add("a");
  CHECK(c["a"].rt->join(absl::Seconds(1)).ok());
  snow::Runtime plain({.deterministic = true});
  CHECK(global::register_name(plain, "x", plain.spawn(idle)).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(group::members(plain, "g").empty());
}

TEST_CASE("a type or function declared differently on a peer is refused with a clear error") {
  SimCluster c(24);
  c.add("a");
  c.add("b");
  // b pretends its Hi and its adder have other layouts than a's.
  c["b"].core->override_fingerprint_for_testing("Hi", 1);
  c["b"].core->override_fingerprint_for_testing("spawn adder", 2);
  c.connect("a", "b");
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c.logs.count_containing("protocol mismatch with " + c["b"].name + ": Hi, spawn adder") == 1);
  CHECK(c.logs.count_containing("protocol mismatch with " + c["a"].name + ": Hi, spawn adder") == 1);
  std::vector<std::string> got;
  const Pid r = c.view("a", "b", c["b"].rt->spawn(listener, &got));
  std::string spawn_error;
  const std::string b = c["b"].name;
  absl::Status try_status;
  c["a"].rt->spawn([&, r, b](Self self) -> snow::Proc {
    self.send(r, Hi{1});  // refused: declared differently on b
    try_status = self.try_send(r, Hi{2});  // the same, said to the sender
    absl::StatusOr<Pid> pid = co_await snow::spawn_on(self, b, "adder", std::int64_t{1}, std::string());
    spawn_error = pid.status().ToString();
  });
  c.net.run_for(absl::Milliseconds(100));
  CHECK(got.empty());
  CHECK(c.logs.count_containing("cannot send Hi to") == 1);
  CHECK(try_status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(try_status.message().find("declared differently") != std::string::npos);
  CHECK(c["b"].node().stats().dropped_mismatched == 0);  // refused at the sender: never sent
  CHECK(spawn_error.find("FAILED_PRECONDITION") != std::string::npos);
  CHECK(spawn_error.find("declared differently") != std::string::npos);
}

TEST_CASE("a send by {name, node} of a type declared differently is refused at the sender") {
  SimCluster c(25);
  c.add("a");
  c.add("b");
  c["b"].core->override_fingerprint_for_testing("Hi", 1);
  c.connect("a", "b");
  c.net.run_for(absl::Milliseconds(100));
  std::vector<std::string> got;
  REQUIRE(c["b"].rt->register_name("listener", c["b"].rt->spawn(listener, &got)).ok());
  const std::string b = c["b"].name;
  c["a"].rt->spawn([b](Self self) -> snow::Proc {
    self.send("listener", b, Hi{1});
    co_return;
  });
  c.net.run_for(absl::Milliseconds(100));
  CHECK(got.empty());
  CHECK(c.logs.count_containing("cannot send Hi to listener on " + b +
                                ": the type is declared differently there (protocol fingerprint)") == 1);
  CHECK(c["b"].node().stats().dropped_mismatched == 0);  // refused at the sender: never sent
  CHECK(c["a"].rt->stats().dead_letters == 1);
}

TEST_CASE("a message sent before the peer's fingerprint is known is dropped on receipt if its type differs") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c["b"].core->override_fingerprint_for_testing("Hi", 1);
    std::vector<std::string> got;
    const Pid l = c["a"].rt->spawn(listener, &got);
    REQUIRE(c["a"].rt->register_name("listener", l).ok());
    // a dials b: b (the acceptor) is up one trip before a, so before a's node_info
    // reaches it. b's processes send to a then, by Pid and by name: b cannot check.
    c["a"].node().connect_async(c["b"].name);
    REQUIRE(c.net.run_until([&] { return c.sees("b", "a"); }, absl::Seconds(5)));
    const Pid to = c.view("b", "a", l);
    const std::string a = c["a"].name;
    c["b"].rt->spawn([to, a](Self self) -> snow::Proc {
      self.send(to, Hi{1});
      self.send("listener", a, Hi{2});
      co_return;
    });
    c.net.run_for(absl::Milliseconds(200));
    CHECK(c.logs.count_containing("cannot send Hi") == 0);  // sent: b did not know yet
    CHECK(got.empty());                                      // never delivered mis-typed
    CHECK(c["a"].node().stats().dropped_mismatched == 2);
    CHECK(c.logs.count_containing("dropped a Hi from " + c["b"].name) == 2);
    CHECK(c.sees("a", "b"));
  }
}

TEST_CASE("a peer that skips its own fingerprint check gets its message dropped on receipt") {
  SimCluster c(26);
  c.add("a");
  c.add("b");
  c["a"].core->override_fingerprint_for_testing("Hi", 1);
  c.connect("a", "b");
  c.net.run_for(absl::Milliseconds(100));
  std::vector<std::string> got;
  const Pid r = c["b"].rt->spawn(listener, &got);
  // a holds the cookie and writes the send frame itself: its own check never runs.
  snow::dist::FrameWriter w(snow::dist::FrameKind::send);
  w.pid(Pid()).pid(c.view("a", "b", r)).bytes(*snow::encode(Hi{5}));
  c["a"].core->send_frame_for_testing(c["b"].name, w.finish());
  c.net.run_for(absl::Milliseconds(100));
  CHECK(got.empty());
  CHECK(c["b"].node().stats().dropped_mismatched == 1);
  CHECK(c.logs.count_containing("dropped a Hi from " + c["a"].name) == 1);
  CHECK(c.sees("b", "a"));  // a dropped message, not a broken connection
}

TEST_CASE("a supervisor with a child on another node restarts it there, also after the node comes back") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");  // kept: a reconnects after a partition heals
    snow::SupervisorSpec spec;
    spec.max_restarts = 20;
    spec.max_seconds = 60;
    snow::ChildSpec child;
    child.id = "worker";
    child.node = c["b"].name;
    child.function = "remote_worker";
    spec.children.push_back(child);
    Pid sup;
    absl::Status started = absl::UnknownError("not yet");
    c["a"].rt->spawn([&](Self self) -> snow::Proc {
      absl::StatusOr<Pid> s = co_await snow::start_supervisor(self, spec);
      started = s.status();
      if (s.ok()) sup = *s;
      co_await self.receive(snow::on<Hi>([](Hi) {}));
    });
    auto child_pid = [&]() -> Pid {
      std::vector<snow::ChildInfo> kids;
      c["a"].rt->spawn([&, sup](Self self) -> snow::Proc {
        absl::StatusOr<std::vector<snow::ChildInfo>> k = co_await snow::which_children(self, sup);
        if (k.ok()) kids = *k;
      });
      c.net.run_for(absl::Milliseconds(20));
      return kids.empty() ? Pid() : kids[0].pid;
    };
    c.net.run_for(absl::Milliseconds(100));
    REQUIRE(started.ok());
    const Pid first = child_pid();
    REQUIRE(first);
    CHECK(c["a"].node().node_of(first) == c["b"].name);
    // The child crashes: restarted on b.
    c["b"].rt->exit(Pid::make(0, first.creation(), first.serial()), snow::ExitReason::kill());
    c.net.run_for(absl::Milliseconds(100));
    const Pid second = child_pid();
    CHECK(second);
    CHECK(second != first);
    CHECK(c["a"].node().node_of(second) == c["b"].name);
    // b becomes unreachable: noconnection, retries with backoff, then b is back.
    c.net.partition("a", "b");
    c.net.run_for(absl::Seconds(2));
    CHECK(c.logs.count_containing("retrying in") >= 2);
    CHECK_FALSE(child_pid());
    c.net.heal_all();
    CHECK(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(15)));
    c.net.run_for(absl::Seconds(6));
    const Pid third = child_pid();
    CHECK(third);
    CHECK(c["a"].node().node_of(third) == c["b"].name);
    CHECK(c["a"].rt->is_alive(sup));
  }
}

TEST_CASE("a supervisor whose remote child's node stays away gives up after its restart intensity") {
  SimCluster c(25);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  snow::SupervisorSpec spec;
  spec.max_restarts = 3;
  spec.max_seconds = 60;
  snow::ChildSpec child;
  child.id = "worker";
  child.node = c["b"].name;
  child.function = "remote_worker";
  spec.children.push_back(child);
  Pid sup;
  std::string down;
  c["a"].rt->spawn([&](Self self) -> snow::Proc {
    self.trap_exits(true);  // the supervisor is linked to us: its end arrives as an Exit
    absl::StatusOr<Pid> s = co_await snow::start_supervisor(self, spec);
    if (!s.ok()) co_return;
    sup = *s;
    co_await self.receive(snow::on<snow::Exit>([&](snow::Exit e) { down = e.reason.to_string(); }));
  });
  c.net.run_for(absl::Milliseconds(100));
  REQUIRE(sup);
  c.crash("b");
  c.net.run_for(absl::Seconds(5));
  CHECK(down == "shutdown");
  CHECK(c.logs.count_containing("more than 3 restarts") == 1);
}

TEST_CASE("a restarted process takes its global name back at once, and every node follows") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.mesh3();
    // Like a supervisor: linked to the owner, trapping exits, and on its exit starting a
    // successor that registers the same name in the same breath, before the cluster
    // process may have handled the owner's Down.
    std::optional<Pid> first, successor;
    absl::Status retaken = absl::UnknownError("not yet");
    c["a"].rt->spawn([&](Self self) -> snow::Proc {
      self.trap_exits(true);
      first = self.spawn_link(idle);
      REQUIRE(global::register_name(self.runtime(), "db", *first).ok());
      co_await self.receive(snow::on<snow::Exit>([&](snow::Exit) {
        successor = self.spawn(idle);
        retaken = global::register_name(self.runtime(), "db", *successor);
      }));
    });
    CHECK(c.net.run_until([&] { return global::whereis(*c["c"].rt, "db").has_value(); }, absl::Seconds(1)));
    REQUIRE(first.has_value());
    c["a"].rt->exit(*first, snow::ExitReason::kill());
    CHECK(c.net.run_until([&] { return successor.has_value(); }, absl::Seconds(1)));
    CHECK_MESSAGE(retaken.ok(), retaken.ToString());
    CHECK(global::whereis(*c["a"].rt, "db") == successor);
    CHECK(c.net.run_until(
        [&] {
          return global::whereis(*c["b"].rt, "db") == c.view("b", "a", *successor) &&
                 global::whereis(*c["c"].rt, "db") == c.view("c", "a", *successor);
        },
        absl::Seconds(1)));
    c.net.run_for(absl::Milliseconds(100));  // the late Down of the first owner removes nothing
    CHECK(global::whereis(*c["b"].rt, "db") == c.view("b", "a", *successor));
  }
}

TEST_CASE("any node may unregister a global name, whichever node owns it") {
  for (std::uint64_t seed : seeds(5)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.mesh3();
    const Pid p = c["a"].rt->spawn(idle);
    REQUIRE(global::register_name(*c["a"].rt, "db", p).ok());
    REQUIRE(c.net.run_until([&] { return global::whereis(*c["b"].rt, "db").has_value(); }, absl::Seconds(1)));
    CHECK(global::unregister_name(*c["b"].rt, "db").ok());
    CHECK_FALSE(global::whereis(*c["b"].rt, "db"));  // at once where it was asked
    CHECK(c.net.run_until(
        [&] { return !global::whereis(*c["a"].rt, "db") && !global::whereis(*c["c"].rt, "db"); }, absl::Seconds(1)));
    CHECK(c["a"].rt->is_alive(p));  // the owner is not touched
    CHECK(global::unregister_name(*c["c"].rt, "db").code() == absl::StatusCode::kNotFound);
    CHECK(global::register_name(*c["a"].rt, "db", p).ok());  // and may register again
  }
}
