#include "snow/timer.hpp"

#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

TEST_SUITE("timer") {
TEST_CASE("send_after delivers at the deadline, in deadline order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<std::pair<int, absl::Duration>> got;
  const absl::Time start = rt.now();
  const Pid p = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 3; ++i) {
      co_await self.receive(on<int>([&](int v) { got.emplace_back(v, self.now() - start); }));
    }
  });
  rt.send_after(absl::Milliseconds(30), p, 3);
  rt.send_after(absl::Milliseconds(10), p, 1);
  rt.send_after(absl::Milliseconds(20), p, 2);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::pair{1, absl::Milliseconds(10)});
  CHECK(got[1] == std::pair{2, absl::Milliseconds(20)});
  CHECK(got[2] == std::pair{3, absl::Milliseconds(30)});
}

TEST_CASE("a cancelled timer never delivers; cancelling twice reports false") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  bool got = false;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<int>([&](int) { got = true; }), after(absl::Seconds(1), [] {}));
  });
  const TimerRef t = rt.send_after(absl::Milliseconds(500), p, 1);
  CHECK(rt.cancel_timer(t));
  CHECK_FALSE(rt.cancel_timer(t));
  REQUIRE(rt.join(absl::Seconds(5)).ok());
  CHECK_FALSE(got);
}

TEST_CASE("a process can arm and cancel its own timers") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<int> got;
  rt.spawn([&](Self self) -> Proc {
    const TimerRef a = self.send_after(absl::Milliseconds(5), self.pid(), 1);
    self.send_after(absl::Milliseconds(10), self.pid(), 2);
    CHECK(self.cancel_timer(a));
    co_await self.receive(on<int>([&](int v) { got.push_back(v); }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got == std::vector<int>{2});
}

TEST_CASE("timers fire on the real clock in threaded mode") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  ScopedActor me(rt);
  const absl::Time start = absl::Now();
  rt.send_after(absl::Milliseconds(50), me.pid(), 7);
  const int v = me.receive(on<int>([](int v) { return v; }), after(absl::Seconds(5), [] { return -1; }));
  const absl::Duration took = absl::Now() - start;
  CHECK(v == 7);
  CHECK(took >= absl::Milliseconds(50));
}
}
