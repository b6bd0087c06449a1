#include "snow/service.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Get {};
struct Add {
  std::int64_t n;
};
struct Slow {
  absl::Duration d;
};
struct Crash {};
struct Reset {};

struct Counter {
  std::int64_t value = 0;
  std::vector<std::string>* log = nullptr;
  std::int64_t handle_call(const Get&) { return value; }
  void handle_call(const Reset&) { value = 0; }
  std::int64_t handle_call(const Crash&) { throw std::runtime_error("counter broke"); }
  void handle_cast(const Add& a) { value += a.n; }
  void terminate(const ExitReason& r) {
    if (log) log->push_back("terminate " + r.to_string());
  }
};

// A service whose call handler sleeps: it needs Self, so it is a two-step protocol.
struct Sleeper {
  int served = 0;
  int handle_call(const Get&) { return ++served; }
  void handle_cast(const Slow& s) { absl::SleepFor(s.d); }
};

struct FailingInit {
  absl::Status init(Self) { return absl::FailedPreconditionError("no disk"); }
  int handle_call(const Get&) { return 0; }
};
}  // namespace

TEST_SUITE("service") {
TEST_CASE("casts and calls from one caller are handled in the order sent") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  auto svc = spawn_service(rt, Counter{.value = 10});
  std::vector<std::int64_t> seen;
  rt.spawn([&](Self self) -> Proc {
    svc.cast(Add{5});
    seen.push_back(*co_await svc.call(self, Get{}));
    svc.cast(Add{1});
    svc.cast(Add{1});
    seen.push_back(*co_await svc.call(self, Get{}));
    CHECK((co_await svc.call(self, Reset{})).ok());  // a void handler answers OK
    seen.push_back(*co_await svc.call(self, Get{}));
  });
  rt.advance(absl::Seconds(1));
  CHECK(seen == std::vector<std::int64_t>{15, 17, 0});
}

TEST_CASE("a call to a dead or unknown service answers NotFound at once") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Service<Counter> ghost(rt, Pid::make(0, 0, 4242));
  absl::Status status;
  rt.spawn([&](Self self) -> Proc { status = (co_await ghost.call(self, Get{})).status(); });
  rt.run_until_idle();
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(rt.next_timer().has_value());  // the call's timer is gone too
}

TEST_CASE("a service that crashes while serving answers its caller with the reason") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<std::string> events;
  auto svc = spawn_service(rt, Counter{.value = 1, .log = &events});
  absl::Status status;
  rt.spawn([&](Self self) -> Proc { status = (co_await svc.call(self, Crash{})).status(); });
  rt.run_until_idle();
  CHECK(status.code() == absl::StatusCode::kAborted);
  CHECK(std::string(status.message()).find("error(counter broke)") != std::string::npos);
  CHECK(events == std::vector<std::string>{"terminate error(counter broke)"});
  CHECK_FALSE(rt.is_alive(svc.pid()));
}

TEST_CASE("a call times out, and the late reply never reaches the caller's mailbox") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  auto svc = spawn_service(rt, Sleeper{});
  ScopedActor me(rt);
  svc.cast(Slow{absl::Milliseconds(300)});  // the service is busy for 300 ms
  auto r = svc.call(me, Get{}, absl::Milliseconds(50));
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  // The request was skipped (its caller had given up); the next call is served first-hand.
  auto r2 = svc.call(me, Get{}, absl::Seconds(5));
  REQUIRE(r2.ok());
  CHECK(*r2 == 1);
  const bool leftover = me.receive(any([](Message) { return true; }), after(absl::Milliseconds(100), [] { return false; }));
  CHECK_FALSE(leftover);
}

TEST_CASE("a late reply that arrives after the timeout is dropped") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  // A service that replies late on purpose: its handler ignores the deadline check
  // because the request was already being served when the caller gave up.
  struct Lazy {
    int handle_call(const Get&) {
      absl::SleepFor(absl::Milliseconds(150));
      return 7;
    }
  };
  auto svc = spawn_service(rt, Lazy{});
  ScopedActor me(rt);
  CHECK(svc.call(me, Get{}, absl::Milliseconds(30)).status().code() == absl::StatusCode::kDeadlineExceeded);
  absl::SleepFor(absl::Milliseconds(300));  // the reply has arrived by now
  const bool leftover = me.receive(any([](Message) { return true; }), after(absl::Milliseconds(50), [] { return false; }));
  CHECK_FALSE(leftover);
}

TEST_CASE("calls from many host threads and processes are all answered") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  auto svc = spawn_service(rt, Counter{});
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    rt.spawn([&](Self self) -> Proc {
      for (int k = 0; k < 100; ++k) {
        svc.cast(Add{1});
        if ((co_await svc.call(self, Get{})).ok()) ++ok;
      }
    });
  }
  std::vector<std::thread> hosts;
  for (int t = 0; t < 2; ++t) {
    hosts.emplace_back([&] {
      ScopedActor me(rt);
      for (int k = 0; k < 100; ++k) {
        svc.cast(Add{1});
        if (svc.call(me, Get{}).ok()) ++ok;
      }
    });
  }
  for (auto& h : hosts) h.join();
  ScopedActor me(rt);
  // Wait for the processes, then check the total.
  for (int i = 0; i < 100 && ok.load() < 2200; ++i) absl::SleepFor(absl::Milliseconds(20));
  CHECK(ok.load() == 2200);
  CHECK(*svc.call(me, Get{}) == 2200);
}

TEST_CASE("start_service reports a failing init and a taken name; names and links work") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  auto bad = start_service(me, FailingInit{});
  CHECK(bad.status().code() == absl::StatusCode::kFailedPrecondition);
  auto named = start_service(me, Counter{.value = 3}, {.name = "counter"});
  REQUIRE(named.ok());
  CHECK(rt.whereis("counter") == named->pid());
  auto again = start_service(me, Counter{}, {.name = "counter"});
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);

  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    rt.spawn([&](Self self) -> Proc {
      auto svc = co_await start_service(self, Counter{}, {.link = true});
      REQUIRE(svc.ok());
      throw std::runtime_error("owner dies");  // the linked service goes with it
    });
    co_return;
  });
  rt.run_until_idle();
  CHECK(rt.stats().live == 2);  // me and "counter": the linked service died with its owner
  CHECK(named->stop(me).ok());
  CHECK_FALSE(rt.is_alive(named->pid()));
}
}
