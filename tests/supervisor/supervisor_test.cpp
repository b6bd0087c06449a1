#include "snow/supervisor.hpp"

#include <doctest/doctest.h>

#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Crash {};
struct Quit {};

// A worker that records its start, crashes or quits on request, and (when it traps
// exits) records the shutdown it gets. `stubborn` ignores shutdown until killed.
Proc worker(Self self, std::string name, Trace* trace, bool trap, bool stubborn) {
  trace->push_back("start " + name);
  self.trap_exits(trap);
  for (;;) {
    int what = co_await self.receive(on<Crash>([] { return 1; }), on<Quit>([] { return 2; }),
                                     on<Exit>([](Exit) { return 3; }));
    if (what == 1) throw std::runtime_error(name + " crashed");
    if (what == 2) co_return;
    if (what == 3 && !stubborn) {
      trace->push_back("stop " + name);
      self.exit(ExitReason::shutdown());
    }
  }
}

ChildSpec child(std::string id, Trace& trace, Restart restart = Restart::permanent, bool trap = false,
                bool stubborn = false) {
  ChildSpec spec;
  spec.id = id;
  spec.start = [id, &trace, trap, stubborn](Self self) { return self.spawn(worker, id, &trace, trap, stubborn); };
  spec.restart = restart;
  return spec;
}

Pid child_pid(Runtime& rt, Pid sup, const std::string& id) {
  ScopedActor me(rt);
  auto kids = which_children(me, sup);
  REQUIRE(kids.ok());
  for (const ChildInfo& c : *kids) {
    if (c.id == id) return c.pid;
  }
  return Pid();
}
}  // namespace

TEST_SUITE("supervisor") {
TEST_CASE("one_for_one restarts only the crashed child, and logs the restart") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.strategy = Strategy::one_for_one, .children = {child("a", trace), child("b", trace)}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  const Pid a = child_pid(rt, sup, "a"), b = child_pid(rt, sup, "b");
  rt.send(b, Crash{});
  rt.run_until_idle();
  CHECK(trace == Trace{"start a", "start b", "start b"});
  CHECK(child_pid(rt, sup, "a") == a);
  CHECK(child_pid(rt, sup, "b") != b);
  CHECK(log.count_containing("child 'b' exited with error(b crashed); restarting") == 1);
}

TEST_CASE("one_for_all stops the others in reverse order and restarts all in start order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.strategy = Strategy::one_for_all,
                      .children = {child("a", trace, Restart::permanent, true), child("b", trace, Restart::permanent, true),
                                   child("c", trace, Restart::permanent, true)}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  trace.clear();
  rt.send(child_pid(rt, sup, "b"), Crash{});
  rt.run_until_idle();
  CHECK(trace == Trace{"stop c", "stop a", "start a", "start b", "start c"});
}

TEST_CASE("rest_for_one restarts the crashed child and those after it") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.strategy = Strategy::rest_for_one,
                      .children = {child("a", trace, Restart::permanent, true), child("b", trace, Restart::permanent, true),
                                   child("c", trace, Restart::permanent, true), child("d", trace, Restart::permanent, true)}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  trace.clear();
  rt.send(child_pid(rt, sup, "b"), Crash{});
  rt.run_until_idle();
  CHECK(trace == Trace{"stop d", "stop c", "start b", "start c", "start d"});
}

TEST_CASE("transient restarts only after an abnormal exit; temporary never") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.children = {child("t", trace, Restart::transient), child("tmp", trace, Restart::temporary)}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  rt.send(child_pid(rt, sup, "t"), Quit{});  // normal: not restarted
  rt.run_until_idle();
  CHECK_FALSE(child_pid(rt, sup, "t"));
  REQUIRE((restart_child(ScopedActor(rt), sup, "t")).ok());
  rt.run_until_idle();
  rt.send(child_pid(rt, sup, "t"), Crash{});  // abnormal: restarted
  rt.send(child_pid(rt, sup, "tmp"), Crash{});  // temporary: forgotten
  rt.run_until_idle();
  CHECK(trace == Trace{"start t", "start tmp", "start t", "start t"});
  ScopedActor me(rt);
  auto counts = count_children(me, sup);
  REQUIRE(counts.ok());
  CHECK(counts->specs == 1);
  CHECK(counts->active == 1);
}

TEST_CASE("past the restart intensity the supervisor stops its children and exits with shutdown") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.max_restarts = 2, .max_seconds = 5, .children = {child("a", trace), child("b", trace, Restart::permanent, true)}};
  ScopedActor me(rt);
  auto sup = start_supervisor(me, spec);
  REQUIRE(sup.ok());
  const Ref watch = me.monitor(*sup);
  for (int i = 0; i < 3; ++i) {
    rt.send(child_pid(rt, *sup, "a"), Crash{});
    rt.run_until_idle();
  }
  const ExitReason reason = me.receive(on<Down>([](Down d) { return d.reason; }));
  CHECK(reason == ExitReason::shutdown());
  (void)watch;
  // a started 3 times (initial + 2 restarts); b was stopped at the end.
  CHECK(std::count(trace.begin(), trace.end(), "start a") == 3);
  CHECK(trace.back() == "stop b");
  CHECK(log.count_containing("restarts in 5 s; shutting down") == 1);
}

TEST_CASE("with ExitRules::snow, past the intensity the supervisor fails with restart limit exceeded") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.max_restarts = 1, .max_seconds = 5, .children = {child("a", trace)}};
  spec.exit_rules = ExitRules::snow;
  ScopedActor me(rt);
  auto sup = start_supervisor(me, spec);
  REQUIRE(sup.ok());
  // A non-trapping process linked to it is taken down (shutdown would have spared a
  // Snow process), and a monitor sees the reason.
  const Pid linked = rt.spawn_with({.exit_rules = ExitRules::snow}, [s = *sup](Self self) -> Proc {
    self.link(s);
    co_await self.receive(on<Crash>([] {}));
  });
  rt.run_until_idle();
  const Ref watch = me.monitor(linked);
  (void)me.monitor(*sup);
  for (int i = 0; i < 2; ++i) {
    rt.send(child_pid(rt, *sup, "a"), Crash{});
    rt.run_until_idle();
  }
  ExitReason sup_reason, linked_reason;
  for (int i = 0; i < 2; ++i) {
    me.receive(on<Down>([&](Down d) { (d.ref == watch ? linked_reason : sup_reason) = d.reason; }));
  }
  CHECK(sup_reason == ExitReason::error("restart limit exceeded"));
  CHECK(linked_reason == ExitReason::linked(*sup, ExitReason::error("restart limit exceeded")));
  CHECK(std::count(trace.begin(), trace.end(), "start a") == 2);
}

TEST_CASE("restarts spread out in time stay within the intensity") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.max_restarts = 1, .max_seconds = 5, .children = {child("a", trace)}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  for (int i = 0; i < 4; ++i) {
    rt.send(child_pid(rt, sup, "a"), Crash{});
    rt.run_until_idle();
    rt.advance(absl::Seconds(6));  // the sliding window forgets the last restart
  }
  CHECK(rt.is_alive(sup));
  CHECK(std::count(trace.begin(), trace.end(), "start a") == 5);
}

TEST_CASE("a nested supervisor that gives up is restarted by its parent") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec inner{.max_restarts = 0, .children = {child("leaf", trace)}};
  ChildSpec inner_child;
  inner_child.id = "inner";
  inner_child.type = ChildType::supervisor;
  inner_child.start = [inner](Self self) { return spawn_supervisor(self, inner); };
  SupervisorSpec outer{.children = {inner_child}};
  const Pid top = spawn_supervisor(rt, outer);
  rt.run_until_idle();
  const Pid first_inner = child_pid(rt, top, "inner");
  rt.send(child_pid(rt, first_inner, "leaf"), Crash{});  // inner allows no restart: it exits
  rt.run_until_idle();
  const Pid second_inner = child_pid(rt, top, "inner");
  CHECK(second_inner);
  CHECK(second_inner != first_inner);
  CHECK(std::count(trace.begin(), trace.end(), "start leaf") == 2);
  ScopedActor me(rt);
  auto kids = which_children(me, top);
  REQUIRE(kids.ok());
  CHECK((*kids)[0].type == ChildType::supervisor);
}

TEST_CASE("stopping the supervisor stops children in reverse start order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.children = {child("a", trace, Restart::permanent, true), child("b", trace, Restart::permanent, true),
                                   child("c", trace, Restart::permanent, true)}};
  Pid sup;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    sup = spawn_supervisor(self, spec);
    self.link(sup);
    co_await self.receive(on<Quit>([] {}));
    self.exit(ExitReason::shutdown());
  });
  rt.run_until_idle();
  trace.clear();
  rt.send(parent, Quit{});
  rt.run_until_idle();
  CHECK(trace == Trace{"stop c", "stop b", "stop a"});
  CHECK_FALSE(rt.is_alive(sup));
}

TEST_CASE("brutal_kill kills at once; a timeout waits, then kills; infinity waits") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  ChildSpec polite = child("polite", trace, Restart::permanent, true);
  polite.shutdown = Shutdown::infinity();
  ChildSpec stubborn = child("stubborn", trace, Restart::permanent, true, true);
  stubborn.shutdown = absl::Milliseconds(500);
  ChildSpec brutal = child("brutal", trace, Restart::permanent, true);
  brutal.shutdown = Shutdown::brutal_kill();
  SupervisorSpec spec{.children = {polite, stubborn, brutal}};
  ScopedActor me(rt);
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  trace.clear();

  CHECK(terminate_child(me, sup, "brutal").ok());
  CHECK(trace.empty());  // killed: it never saw a shutdown
  const absl::Time before = rt.now();
  CHECK(terminate_child(me, sup, "stubborn").ok());
  CHECK(rt.now() - before == absl::Milliseconds(500));  // waited its timeout, then killed it
  CHECK(terminate_child(me, sup, "polite").ok());
  CHECK(trace == Trace{"stop polite"});
  auto counts = count_children(me, sup);
  REQUIRE(counts.ok());
  CHECK(counts->specs == 3);
  CHECK(counts->active == 0);
}

TEST_CASE("simple_one_for_one adds children from the template and restarts them") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  SupervisorSpec spec{.strategy = Strategy::simple_one_for_one, .children = {child("conn", trace, Restart::transient)}};
  ScopedActor me(rt);
  const Pid sup = spawn_supervisor(rt, spec);
  std::vector<Pid> pids;
  for (int i = 0; i < 3; ++i) {
    ChildSpec dynamic;
    dynamic.start = [i, &trace](Self self) { return self.spawn(worker, "conn" + std::to_string(i), &trace, false, false); };
    auto pid = start_child(me, sup, dynamic);
    REQUIRE(pid.ok());
    pids.push_back(*pid);
  }
  rt.run_until_idle();
  auto kids = which_children(me, sup);
  REQUIRE(kids.ok());
  REQUIRE(kids->size() == 3);
  CHECK((*kids)[0].id == "conn#1");
  rt.send(pids[1], Crash{});  // transient, abnormal: restarted
  rt.send(pids[2], Quit{});   // transient, normal: gone
  rt.run_until_idle();
  CHECK(std::count(trace.begin(), trace.end(), "start conn1") == 2);
  auto counts = count_children(me, sup);
  REQUIRE(counts.ok());
  CHECK(counts->specs == 2);
  CHECK(counts->active == 2);
}

TEST_CASE("the dynamic API: start, terminate, restart and delete a child; errors for misuse") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  ScopedActor me(rt);
  SupervisorSpec spec{.children = {child("a", trace)}};
  auto sup = start_supervisor(me, spec);
  REQUIRE(sup.ok());
  auto b = start_child(me, *sup, child("b", trace));
  REQUIRE(b.ok());
  CHECK(start_child(me, *sup, child("b", trace)).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(delete_child(me, *sup, "b").code() == absl::StatusCode::kFailedPrecondition);  // running
  CHECK(terminate_child(me, *sup, "b").ok());
  CHECK_FALSE(rt.is_alive(*b));
  auto b2 = restart_child(me, *sup, "b");
  REQUIRE(b2.ok());
  CHECK(*b2 != *b);
  CHECK(restart_child(me, *sup, "b").status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(terminate_child(me, *sup, "b").ok());
  CHECK(delete_child(me, *sup, "b").ok());
  CHECK(terminate_child(me, *sup, "nope").code() == absl::StatusCode::kNotFound);
  auto kids = which_children(me, *sup);
  REQUIRE(kids.ok());
  REQUIRE(kids->size() == 1);
  CHECK((*kids)[0].id == "a");
}

TEST_CASE("a child that fails to start fails the supervisor, after stopping the started ones") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  ChildSpec bad;
  bad.id = "bad";
  bad.start = [](Self) -> Pid { throw std::runtime_error("no config"); };
  SupervisorSpec spec{.children = {child("a", trace, Restart::permanent, true), bad}};
  ScopedActor me(rt);
  auto sup = start_supervisor(me, spec);
  CHECK(sup.status().code() == absl::StatusCode::kInternal);
  CHECK(std::string(sup.status().message()).find("child 'bad' failed to start: no config") != std::string::npos);
  rt.run_until_idle();
  CHECK(rt.stats().live == 1);  // only `me`: child a was stopped, the supervisor ended
  SupervisorSpec invalid{.strategy = Strategy::simple_one_for_one};
  CHECK(start_supervisor(me, invalid).status().code() == absl::StatusCode::kInvalidArgument);
}
}

TEST_SUITE("supervisor") {
TEST_CASE("a start that fails during a restart is retried, and the tries count towards the intensity") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  int starts = 0;
  ChildSpec flaky;
  flaky.id = "flaky";
  // Starts 1 and 4 succeed; 2 and 3 fail: the restart after the crash needs two retries.
  flaky.start = [&](Self self) -> Pid {
    ++starts;
    if (starts == 2 || starts == 3) throw std::runtime_error("not yet");
    return self.spawn(worker, std::string("flaky"), &trace, false, false);
  };
  SupervisorSpec spec{.max_restarts = 3, .max_seconds = 5, .children = {flaky}};
  const Pid sup = spawn_supervisor(rt, spec);
  rt.run_until_idle();
  rt.send(child_pid(rt, sup, "flaky"), Crash{});
  rt.run_until_idle();
  CHECK(starts == 4);
  CHECK(child_pid(rt, sup, "flaky"));
  CHECK(rt.is_alive(sup));
  CHECK(log.count_containing("child 'flaky' failed to start: not yet; retrying") == 2);
  // Three restart attempts are spent: one more crash exceeds max_restarts = 3.
  rt.send(child_pid(rt, sup, "flaky"), Crash{});
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(sup));
}
}
