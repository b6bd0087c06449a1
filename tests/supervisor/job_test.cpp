#include "snow/job.hpp"

#include <doctest/doctest.h>

#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

TEST_SUITE("job") {
TEST_CASE("await returns the job's value; jobs may receive through a Task") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  int a = 0, b = 0;
  rt.spawn([&](Self self) -> Proc {
    auto j1 = async(self, [] { return 6 * 7; });
    auto j2 = async(self, [](Self self) -> Task<int> {
      co_await self.sleep(absl::Milliseconds(10));
      co_return 5;
    });
    a = *co_await j1.await(self);
    b = *co_await j2.await(self);
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(a == 42);
  CHECK(b == 5);
}

TEST_CASE("a crashing job is an error for the awaiter, not a crash") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  absl::Status status;
  bool awaiter_survived = false;
  rt.spawn([&](Self self) -> Proc {
    auto j = async(self, []() -> int { throw std::runtime_error("job failed"); });
    status = (co_await j.await(self)).status();
    awaiter_survived = true;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(awaiter_survived);
  CHECK(status.code() == absl::StatusCode::kAborted);
  CHECK(std::string(status.message()).find("error(job failed)") != std::string::npos);
}

TEST_CASE("await times out; the late result is dropped") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  absl::Status status;
  bool leftover = true;
  rt.spawn([&](Self self) -> Proc {
    auto j = async(self, [](Self self) -> Task<int> {
      co_await self.sleep(absl::Seconds(2));
      co_return 1;
    });
    status = (co_await j.await(self, absl::Seconds(1))).status();
    co_await self.sleep(absl::Seconds(5));  // the job finishes meanwhile
    leftover = co_await self.receive(any([](Message) { return true; }), after(absl::ZeroDuration(), [] { return false; }));
  });
  REQUIRE(rt.join(absl::Seconds(10)).ok());
  CHECK(status.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_FALSE(leftover);
}

TEST_CASE("a host thread awaits a job; async_link ties the caller to the job") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  ScopedActor me(rt);
  auto j = async(me, [] { return std::string("from a job"); });
  CHECK(*j.await(me, absl::Seconds(5)) == "from a job");

  // The caller starts its job only when told, after the monitor is in place: otherwise
  // it may already be gone when monitored, and the Down would say noproc.
  const Pid caller = rt.spawn([](Self self) -> Proc {
    co_await self.receive(on<int>([](int) {}));
    (void)async_link(self, []() -> int { throw std::runtime_error("linked job failed"); });
    co_await self.sleep(absl::Seconds(5));  // the job's crash ends us first
  });
  const Ref watch = me.monitor(caller);
  me.send(caller, 1);
  const ExitReason reason = me.receive(on<Down>([watch](const Down& d) { return d.ref == watch; }, [](Down d) { return d.reason; }),
                                       after(absl::Seconds(5), [] { return ExitReason::normal(); }));
  CHECK(reason == ExitReason::error("linked job failed"));
}
}
