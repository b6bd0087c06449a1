// Stopping a supervisor that a host thread started, and the debug log of ignored exits.
#include <doctest/doctest.h>

#include "snow/runtime.hpp"
#include "snow/supervisor.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
// Records its shutdown, then ends with it.
Proc stoppable(Self self, std::string name, Trace* trace) {
  self.trap_exits(true);
  co_await self.receive(on<Exit>([&](Exit e) { trace->push_back("stop " + name + " " + e.reason.to_string()); }));
  self.exit(ExitReason::shutdown());
}

SupervisorSpec two_children(Trace& trace) {
  SupervisorSpec spec;
  for (std::string id : {"a", "b"}) {
    ChildSpec c;
    c.id = id;
    c.start = [id, &trace](Self self) { return self.spawn(stoppable, id, &trace); };
    spec.children.push_back(c);
  }
  return spec;
}
}  // namespace

TEST_SUITE("supervisor stop") {
TEST_CASE("a supervisor started from a host thread ignores exit(shutdown) from it, and says why at debug") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  ScopedActor me(rt);
  absl::StatusOr<Pid> sup = start_supervisor(me, two_children(trace));
  REQUIRE(sup.ok());
  me.exit(*sup, ExitReason::shutdown());
  rt.run_until_idle();
  CHECK(rt.is_alive(*sup));  // no parent: the signal is not its parent's (Erlang's rule too)
  CHECK(trace.empty());
  CHECK(log.count_containing(absl::StrCat("debug: supervisor ", sup->to_string(), " ignores exit(shutdown) from ",
                                          me.pid().to_string(), ": not a child, nor its parent (it has none")) == 1);
  CHECK(stop_supervisor(me, *sup).ok());
}

TEST_CASE("stop_supervisor from a host thread stops the children in reverse order; join then finds nothing left") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  Pid sup;
  {
    ScopedActor me(rt);
    absl::StatusOr<Pid> started = start_supervisor(me, two_children(trace));
    REQUIRE(started.ok());
    sup = *started;
    CHECK(stop_supervisor(me, sup).ok());
    CHECK_FALSE(rt.is_alive(sup));
    CHECK(trace == Trace{"stop b shutdown", "stop a shutdown"});
    CHECK(stop_supervisor(me, sup).code() == absl::StatusCode::kNotFound);
  }
  CHECK(rt.join(absl::Seconds(1)).ok());
  CHECK(rt.stats().live == 0);
}

// (The children's traces are not checked here: on worker threads a child may get its
// shutdown before it has set trap_exits, and then ends without a word.)
TEST_CASE("stop_supervisor works on a threaded runtime, and from a process") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  Trace trace_host, trace_proc;
  const Pid from_rt = spawn_supervisor(rt, two_children(trace_proc));
  {
    ScopedActor me(rt);
    absl::StatusOr<Pid> sup = start_supervisor(me, two_children(trace_host));
    REQUIRE(sup.ok());
    CHECK(stop_supervisor(me, *sup).ok());
    CHECK_FALSE(rt.is_alive(*sup));
  }
  std::atomic<bool> stopped{false};
  rt.spawn([&](Self self) -> Proc { stopped = (co_await stop_supervisor(self, from_rt)).ok(); });
  CHECK(rt.join(absl::Seconds(10)).ok());
  CHECK(stopped.load());
}

TEST_CASE("exit(normal) sent to a process that does not trap exits is ignored, and said at debug") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn([](Self self) -> Proc { co_await self.receive(on<int>([](int) {})); });
  ScopedActor me(rt);
  me.exit(p, ExitReason::normal());
  rt.run_until_idle();
  CHECK(rt.is_alive(p));
  CHECK(log.count_containing(absl::StrCat("debug: process ", p.to_string(), " ignores exit(normal) from ",
                                          me.pid().to_string(), ": it does not trap exits")) == 1);
  me.send(p, 1);
  rt.run_until_idle();
}
}
