#include "snow/mailbox.hpp"

#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};
}  // namespace

TEST_SUITE("mailbox") {
TEST_CASE("a full bounded mailbox drops the newest messages and counts them") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<int> got;
  const Pid p = rt.spawn_with({.mailbox_capacity = 3}, [&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));
    for (;;) {
      const int v = co_await self.receive(on<int>([](int v) { return v; }), after(absl::ZeroDuration(), [] { return -1; }));
      if (v < 0) break;
      got.push_back(v);
    }
  });
  rt.run_until_idle();
  for (int i = 0; i < 5; ++i) rt.send(p, i);  // 3 fit, 2 are dropped
  auto stats = rt.mailbox_stats(p);
  REQUIRE(stats.has_value());
  CHECK(stats->capacity == 3);
  CHECK(stats->queued == 3);
  CHECK(stats->dropped == 2);
  CHECK(rt.stats().dropped == 2);
  CHECK(rt.try_send(p, Go{}).code() == absl::StatusCode::kResourceExhausted);  // full: Go is refused too
  rt.run_until_idle();
  CHECK(got.empty());  // still waiting for Go
  CHECK(rt.mailbox_stats(p)->dropped == 3);
}

TEST_CASE("try_send reports a full mailbox, then succeeds once the receiver has taken messages") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<int> got;
  const Pid p = rt.spawn_with({.mailbox_capacity = 2}, [&](Self self) -> Proc {
    for (int i = 0; i < 3; ++i) got.push_back(co_await self.receive(on<int>([](int v) { return v; })));
  });
  rt.spawn([&, p](Self self) -> Proc {
    CHECK(self.try_send(p, 1).ok());
    CHECK(self.try_send(p, 2).ok());
    CHECK(self.try_send(p, 3).code() == absl::StatusCode::kResourceExhausted);
    co_await self.yield();  // the receiver takes 1 and 2
    CHECK(self.try_send(p, 3).ok());
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got == std::vector<int>{1, 2, 3});
  CHECK(rt.try_send(p, 4).code() == absl::StatusCode::kNotFound);  // it has ended
}

TEST_CASE("signals are never refused: a full process still gets its Down and its Exit") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn([](Self self) -> Proc { co_await self.receive(on<Go>([] {})); });
  bool down = false, exit = false;
  const Pid watcher = rt.spawn_with({.mailbox_capacity = 1}, [&, target](Self self) -> Proc {
    self.trap_exits(true);
    (void)self.monitor(target);
    self.link(target);
    co_await self.receive(on<Go>([] {}));
    co_await self.receive(on<Down>([&](Down) { down = true; }));
    co_await self.receive(on<Exit>([&](Exit) { exit = true; }));
  });
  rt.run_until_idle();
  rt.send(watcher, 1);  // fills the mailbox
  rt.send(watcher, Go{});  // dropped
  rt.exit(target, ExitReason::kill());
  rt.run_until_idle();
  CHECK(rt.mailbox_stats(watcher)->dropped == 1);
  CHECK(rt.mailbox_stats(watcher)->queued == 3);  // the int, Down and Exit
  CHECK_FALSE(down);  // still waiting for the Go that was dropped
}
}

TEST_SUITE("mailbox") {
TEST_CASE("a host thread's send_wait blocks while the mailbox is full, up to its timeout") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  std::atomic<int> taken{0};
  std::atomic<bool> go{false};
  const Pid slow = rt.spawn_with({.mailbox_capacity = 2}, [&](Self self) -> Proc {
    while (!go.load()) co_await self.sleep(absl::Milliseconds(1));
    for (int i = 0; i < 10; ++i) {
      co_await self.receive(on<int>([&](int v) { CHECK(v == taken.load()); ++taken; }));
    }
    co_await self.receive(on<Go>([] {}));  // then stops draining
  });
  CHECK(rt.send_wait(slow, 0, absl::Seconds(5)).ok());
  CHECK(rt.send_wait(slow, 1, absl::Seconds(5)).ok());
  CHECK(rt.send_wait(slow, 2, absl::Milliseconds(20)).code() == absl::StatusCode::kDeadlineExceeded);
  go = true;
  for (int i = 2; i < 10; ++i) CHECK(rt.send_wait(slow, i, absl::Seconds(5)).ok());  // every one lands, in order
  for (int i = 0; i < 500 && taken.load() < 10; ++i) absl::SleepFor(absl::Milliseconds(2));
  CHECK(taken.load() == 10);
  CHECK(rt.mailbox_stats(slow)->dropped == 0);  // waiting is not dropping
  rt.exit(slow, ExitReason::kill());
  CHECK(rt.join(absl::Seconds(5)).ok());
  CHECK(rt.send_wait(slow, 11, absl::Seconds(1)).code() == absl::StatusCode::kNotFound);
}
}
