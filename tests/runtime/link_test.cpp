#include "snow/link.hpp"

#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Go {};

// Waits for Go, then ends with `reason` (normal: returns; error: throws; else exit()).
Proc ends_with(Self self, ExitReason reason) {
  co_await self.receive(on<Go>([] {}));
  if (reason.is(ExitReason::Kind::error)) throw std::runtime_error(reason.text());
  if (!reason.is_normal()) self.exit(reason);
}

Proc waits_forever(Self self) { co_await self.receive(on<Go>([] {})); }
}  // namespace

TEST_SUITE("link") {
TEST_CASE("an abnormal exit kills a non-trapping linked process with the same reason") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason seen;
  Pid child, parent;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    parent = self.spawn_link([&](Self self) -> Proc {
      child = self.spawn_link(ends_with, ExitReason::shutdown());
      co_await self.receive(on<Go>([] {}));  // never comes
    });
    co_await self.receive(on<Exit>([&](Exit e) { seen = e.reason; }));
  });
  rt.run_until_idle();
  REQUIRE(rt.is_alive(child));
  rt.send(child, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(seen == ExitReason::shutdown());
  CHECK_FALSE(rt.is_alive(parent));
}

TEST_CASE("a normal exit does not kill a non-trapping linked process") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn_link(ends_with, ExitReason::normal());
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  rt.send(child, Go{});
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(child));
  CHECK(rt.is_alive(parent));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("a trapping process receives Exit for normal and abnormal exits alike, and survives") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<ExitReason> reasons;
  Pid a, b;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    a = self.spawn_link(ends_with, ExitReason::normal());
    b = self.spawn_link(ends_with, ExitReason::error("bad"));
    for (int i = 0; i < 2; ++i) co_await self.receive(on<Exit>([&](Exit e) { reasons.push_back(e.reason); }));
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  rt.send(a, Go{});
  rt.send(b, Go{});
  rt.run_until_idle();
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].is_normal());
  CHECK(reasons[1] == ExitReason::error("bad"));
  CHECK(rt.is_alive(parent));
  CHECK(log.count_containing("error(bad)") == 1);  // the crash is logged once
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("kill cannot be trapped; the victim ends as killed, and links see killed") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason observed;
  Pid victim;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    victim = self.spawn_link([](Self self) -> Proc {
      self.trap_exits(true);  // does not help against kill
      co_await self.receive(on<Go>([] {}));
    });
    co_await self.yield();
    self.exit(victim, ExitReason::kill());
    co_await self.receive(on<Exit>([&](Exit e) { observed = e.reason; }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(observed == ExitReason::killed());
}

TEST_CASE("exit(pid, reason) to a trapping process arrives as an Exit message") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Exit got;
  const Pid target = rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    co_await self.receive(on<Exit>([&](Exit e) { got = e; }));
  });
  const Pid sender = rt.spawn([&](Self self) -> Proc {
    self.exit(target, ExitReason::user(std::string("please stop")));
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got.from == sender);
  CHECK(got.reason.to_string() == "please stop");
}

TEST_CASE("exit(pid, reason) ends a non-trapping process; a normal reason does not") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_forever);
  rt.spawn([&](Self self) -> Proc {
    self.exit(target, ExitReason::normal());
    co_return;
  });
  rt.run_until_idle();
  CHECK(rt.is_alive(target));
  rt.exit(target, ExitReason::shutdown());
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(target));
}

TEST_CASE("linking to a dead process gives noproc") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid dead = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  REQUIRE_FALSE(rt.is_alive(dead));
  Exit got;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    self.link(dead);
    co_await self.receive(on<Exit>([&](Exit e) { got = e; }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got.from == dead);
  CHECK(got.reason == ExitReason::noproc());

  // A non-trapping process that links to a dead one ends with noproc.
  Pid linker = rt.spawn([&](Self self) -> Proc {
    self.link(dead);
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(linker));
}

TEST_CASE("after unlink no exit signal arrives through that link") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn_link(ends_with, ExitReason::shutdown());
    self.unlink(child);
    self.send(child, Go{});
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(child));
  CHECK(rt.is_alive(parent));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("link is bidirectional: the linked child dies when the linker crashes") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn(waits_forever);
    self.link(child);
    co_await self.receive(on<Go>([] {}));
    throw std::runtime_error("parent fails");
  });
  rt.run_until_idle();
  REQUIRE(rt.is_alive(child));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK_FALSE(rt.is_alive(child));
}

TEST_CASE("an exception escaping a body is an error exit, never a runtime crash") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason reason;
  rt.spawn([&](Self self) -> Proc {
    const SpawnedMonitor child = self.spawn_monitor([](Self) -> Proc {
      throw std::logic_error("broken invariant");
      co_return;
    });
    co_await self.receive(on<Down>([&](const Down& d) { return d.ref == child.ref; }, [&](Down d) { reason = d.reason; }));
  });
  rt.spawn([](Self) -> Proc {
    throw 42;  // not even a std::exception
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(reason == ExitReason::error("broken invariant"));
  CHECK(log.count_containing("error(unknown exception)") == 1);
}
}
