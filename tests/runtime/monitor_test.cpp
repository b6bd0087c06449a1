#include "snow/monitor.hpp"

#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};
Proc waits_then_ends(Self self) { co_await self.receive(on<Go>([] {})); }
}  // namespace

TEST_SUITE("monitor") {
TEST_CASE("a monitor delivers exactly one Down with the reason, and never kills the watcher") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<Down> downs;
  Pid target;
  Ref ref;
  const Pid watcher = rt.spawn([&](Self self) -> Proc {
    target = self.spawn([](Self self) -> Proc {
      co_await self.receive(on<Go>([] {}));
      throw std::runtime_error("crash");
    });
    ref = self.monitor(target);
    for (;;) {
      bool stop = false;
      co_await self.receive(on<Down>([&](Down d) { downs.push_back(d); }), on<Go>([&] { stop = true; }));
      if (stop) break;
    }
  });
  rt.run_until_idle();
  rt.send(target, Go{});
  rt.run_until_idle();
  rt.advance(absl::Seconds(1));
  REQUIRE(downs.size() == 1);
  CHECK(downs[0].ref == ref);
  CHECK(downs[0].pid == target);
  CHECK(downs[0].reason == ExitReason::error("crash"));
  CHECK(rt.is_alive(watcher));
  rt.send(watcher, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("monitoring a dead or unknown process yields Down noproc at once") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid dead = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  std::vector<Down> downs;
  rt.spawn([&](Self self) -> Proc {
    const Ref a = self.monitor(dead);
    const Ref b = self.monitor(Pid::make(0, 0, 999999));  // never existed
    for (int i = 0; i < 2; ++i) co_await self.receive(on<Down>([&](Down d) { downs.push_back(d); }));
    CHECK(downs[0].ref == a);
    CHECK(downs[1].ref == b);
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  REQUIRE(downs.size() == 2);
  CHECK(downs[0].reason == ExitReason::noproc());
  CHECK(downs[1].reason == ExitReason::noproc());
  CHECK(downs[0].pid == dead);
}

TEST_CASE("two monitors on one process give two Downs, one each") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_then_ends);
  std::vector<Ref> seen;
  Ref r1, r2;
  rt.spawn([&](Self self) -> Proc {
    r1 = self.monitor(target);
    r2 = self.monitor(target);
    for (int i = 0; i < 2; ++i) co_await self.receive(on<Down>([&](Down d) { seen.push_back(d.ref); }));
    co_await self.receive(on<Down>([&](Down d) { seen.push_back(d.ref); }), after(absl::Seconds(1), [] {}));
  });
  rt.run_until_idle();
  rt.send(target, Go{});
  REQUIRE(rt.join(absl::Seconds(5)).ok());
  CHECK(seen == std::vector<Ref>{r1, r2});
}

TEST_CASE("after demonitor no Down arrives, even one already queued") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_then_ends);
  bool got_down = false;
  const Pid watcher = rt.spawn([&](Self self) -> Proc {
    const Ref ref = self.monitor(target);
    co_await self.receive(on<Go>([] {}));  // meanwhile the target ends: Down is queued
    self.demonitor(ref);
    co_await self.receive(on<Down>([&](Down) { got_down = true; }), after(absl::Seconds(1), [] {}));
  });
  rt.run_until_idle();
  rt.send(target, Go{});
  rt.run_until_idle();
  rt.send(watcher, Go{});
  REQUIRE(rt.join(absl::Seconds(5)).ok());
  CHECK_FALSE(got_down);
}

TEST_CASE("spawn_monitor watches a child that ends before its parent runs again") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Down got;
  SpawnedMonitor spawned;
  rt.spawn([&](Self self) -> Proc {
    spawned = self.spawn_monitor([](Self) -> Proc { co_return; });
    co_await self.yield();  // the child runs and ends here
    co_await self.receive(on<Down>([&](Down d) { got = d; }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got.ref == spawned.ref);
  CHECK(got.pid == spawned.pid);
  CHECK(got.reason.is_normal());
}

TEST_CASE("Down is delivered exactly once under concurrent exits on real threads") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  constexpr int kTargets = 2000;
  std::atomic<int> downs{0}, extra{0};
  rt.spawn([&](Self self) -> Proc {
    std::vector<Pid> targets;
    for (int i = 0; i < kTargets; ++i) targets.push_back(self.spawn(waits_then_ends));
    for (Pid t : targets) (void)self.monitor(t);
    for (Pid t : targets) self.send(t, Go{});
    for (int i = 0; i < kTargets; ++i) co_await self.receive(on<Down>([&](Down) { ++downs; }));
    co_await self.receive(on<Down>([&](Down) { ++extra; }), after(absl::Milliseconds(200), [] {}));
  });
  REQUIRE(rt.join(absl::Seconds(30)).ok());
  CHECK(downs.load() == kTargets);
  CHECK(extra.load() == 0);
}
}
