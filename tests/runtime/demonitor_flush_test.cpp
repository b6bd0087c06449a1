// Demonitor's flush and the cost of a call with a long mailbox.
//
// After demonitor(ref) returns, no Down for ref is ever received, and demonitor (like
// every other step of a call) looks at none of the messages already queued. The cost is
// counted, not timed: Process::scanned counts the queued messages the runtime looks at
// (receive scans and its own walks), so "looks at none of them" is an equality.
#include <doctest/doctest.h>

#include <cstdint>

#include "snow/actor.hpp"
#include "snow/job.hpp"
#include "snow/monitor.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/service.hpp"
#include "snow/supervisor.hpp"
#include "src/runtime/process.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {

struct Go {};
struct Junk {
  std::int64_t i;
};
constexpr std::int64_t kQueued = 100'000;

Proc waits_then_ends(Self self) { co_await self.receive(on<Go>([] {})); }
Proc ends_at_once(Self) { co_return; }

void send_junk(Self self, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) self.send(self.pid(), Junk{i});
}

/// What a process finds when it finally empties its mailbox.
struct Emptied {
  std::int64_t junk = 0;
  std::int64_t downs = 0;
  std::int64_t other = 0;
};
Task<Emptied> empty_mailbox(Self self) {
  Emptied e;
  bool more = true;
  while (more) {
    co_await self.receive(on<Junk>([&] { ++e.junk; }), on<Down>([&] { ++e.downs; }), any([&] { ++e.other; }),
                          after(absl::ZeroDuration(), [&] { more = false; }));
  }
  co_return e;
}

/// The bookkeeping of queued Downs is empty: nothing indexed, nothing withdrawn left.
bool no_down_bookkeeping(detail::Process* p) {
  return (!p->has_relations() || p->relations().queued_downs.empty()) && p->queue.withdrawn() == 0;
}

/// demonitor(ref), returning how many queued messages it looked at.
std::uint64_t looks_of_demonitor(Self self, Ref ref) {
  const std::uint64_t before = self.process()->scanned;
  self.demonitor(ref);
  return self.process()->scanned - before;
}

/// Lets `watcher` reach its wait for Go, ends `target` (waits_then_ends) meanwhile, then
/// sends the watcher its Go and runs everything to the end.
void end_target_while_waiting(Runtime& rt, Pid target, Pid watcher) {
  rt.run_until_idle();
  rt.send(target, Go{});
  rt.run_until_idle();
  rt.send(watcher, Go{});
  REQUIRE(rt.join(absl::Seconds(5)).ok());
}

struct Echo {
  std::int64_t n;
};
struct EchoService {
  std::int64_t handle_call(const Echo& e) { return e.n; }
};

}  // namespace

TEST_SUITE("demonitor") {
TEST_CASE("demonitor withdraws a Down queued behind 100,000 messages without looking at them") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_then_ends);
  std::uint64_t looked_at = ~0ULL;
  std::size_t length_after = 0;
  std::int64_t counted_after = 0;
  Emptied found;
  // Bounded, so the mailbox also counts what it holds (mailbox_stats().queued).
  const Pid watcher = rt.spawn_with({.mailbox_capacity = 2 * kQueued}, [&](Self self) -> Proc {
    const Ref ref = self.monitor(target);
    send_junk(self, kQueued);
    co_await self.receive(on<Go>([] {}));  // meanwhile the target ends: its Down is queued
    looked_at = looks_of_demonitor(self, ref);
    length_after = self.process()->queue.size();
    counted_after = self.runtime().mailbox_stats(self.pid())->queued;
    found = co_await empty_mailbox(self);
    CHECK(no_down_bookkeeping(self.process()));
  });
  end_target_while_waiting(rt, target, watcher);
  CHECK(looked_at == 0);
  CHECK(length_after == static_cast<std::size_t>(kQueued));  // the withdrawn Down is not counted
  CHECK(counted_after == kQueued);
  CHECK(found.downs == 0);
  CHECK(found.junk == kQueued);
  CHECK(found.other == 0);
}

TEST_CASE("a Down arriving after demonitor is never received, and demonitor looks at nothing queued") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_then_ends);
  std::uint64_t looked_at = ~0ULL;
  Emptied found;
  const Pid watcher = rt.spawn([&](Self self) -> Proc {
    send_junk(self, kQueued);
    const Ref ref = self.monitor(target);
    looked_at = looks_of_demonitor(self, ref);
    co_await self.receive(on<Go>([] {}));  // meanwhile the target ends
    found = co_await empty_mailbox(self);
    CHECK(no_down_bookkeeping(self.process()));
  });
  end_target_while_waiting(rt, target, watcher);
  CHECK(looked_at == 0);
  CHECK(found.downs == 0);
  CHECK(found.junk == kQueued);
}

TEST_CASE("100,000 withdrawn Downs leave bounded bookkeeping and cost O(1) each") {
  LogCapture log;
  RuntimeOptions options = snow::testing::deterministic(log);
  options.histograms = true;  // a withdrawn Down's arrival time must be forgotten too
  Runtime rt(std::move(options));
  const Pid dead = rt.spawn(ends_at_once);
  rt.run_until_idle();
  constexpr std::int64_t kCycles = 100'000;
  constexpr std::int64_t kJunk = 1'000;
  std::uint64_t looked_at = ~0ULL;
  std::size_t withdrawn_left = ~std::size_t{0};
  Emptied found;
  rt.spawn([&](Self self) -> Proc {
    send_junk(self, kJunk);
    const std::uint64_t before = self.process()->scanned;
    for (std::int64_t i = 0; i < kCycles; ++i) {
      const Ref ref = self.monitor(dead);  // Down noproc comes at once
      (void)self.make_ref();                // takes the intake: the Down is now queued
      self.demonitor(ref);                  // and is withdrawn
    }
    looked_at = self.process()->scanned - before;
    withdrawn_left = self.process()->queue.withdrawn();
    CHECK(self.process()->relations().queued_downs.empty());
    CHECK(self.process()->queue.size() == static_cast<std::size_t>(kJunk));
    REQUIRE(self.process()->times);
    CHECK(self.process()->times->arrivals.size() == static_cast<std::size_t>(kJunk));
    found = co_await empty_mailbox(self);
    CHECK(no_down_bookkeeping(self.process()));
  });
  REQUIRE(rt.join(absl::Seconds(5)).ok());
  // Withdrawn Downs are freed in sweeps once they outnumber the live messages, so
  // at most as many stay as there are messages, and every sweep is paid for by the
  // demonitors since the last one: a few looks per cycle, never the whole queue each time.
  CHECK(withdrawn_left <= static_cast<std::size_t>(kJunk));
  CHECK(looked_at <= static_cast<std::uint64_t>(3 * kCycles));
  CHECK(found.downs == 0);
  CHECK(found.junk == kJunk);
}

TEST_CASE("service calls, job awaits and supervisor calls look at none of the messages queued before them") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  auto svc = spawn_service(rt, EchoService{});
  ScopedActor me(rt);
  auto sup = start_supervisor(me, SupervisorSpec{});
  REQUIRE(sup.ok());
  constexpr std::int64_t kCalls = 100'000;
  std::uint64_t call_looks = ~0ULL, job_looks = ~0ULL, sup_looks = ~0ULL;
  bool done = false;
  rt.spawn([&](Self self) -> Proc {
    send_junk(self, kQueued);
    (void)self.make_ref();  // the junk is queued now
    std::uint64_t before = self.process()->scanned;
    for (std::int64_t i = 0; i < kCalls; ++i) {
      auto r = co_await svc.call(self, Echo{i});
      REQUIRE(r.ok());
      REQUIRE(*r == i);
    }
    call_looks = self.process()->scanned - before;
    CHECK(no_down_bookkeeping(self.process()));

    before = self.process()->scanned;
    auto job = async(self, [] { return 42; });
    auto v = co_await job.await(self);
    job_looks = self.process()->scanned - before;
    CHECK(v.ok());

    before = self.process()->scanned;
    auto children = co_await which_children(self, *sup);
    sup_looks = self.process()->scanned - before;
    CHECK(children.ok());

    const Emptied found = co_await empty_mailbox(self);
    CHECK(found.junk == kQueued);
    CHECK(found.downs + found.other == 0);
    done = true;
  });
  rt.run_until_idle();  // the service and the supervisor stay: no join
  REQUIRE(done);
  // Each receive looks at what arrived after its marker: the reply, at most a Down.
  CHECK(call_looks <= static_cast<std::uint64_t>(2 * kCalls));
  CHECK(job_looks <= 2);
  CHECK(sup_looks <= 2);
}

TEST_CASE("a call from a host thread looks at none of the messages queued before it") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  auto svc = spawn_service(rt, EchoService{});
  ScopedActor me(rt);
  for (std::int64_t i = 0; i < kQueued; ++i) me.send(me.pid(), Junk{i});
  (void)me.make_ref();
  const std::uint64_t before = me.process()->scanned;
  for (std::int64_t i = 0; i < 1000; ++i) REQUIRE(*svc.call(me, Echo{i}) == i);
  CHECK(me.process()->scanned - before <= 2 * 1000);
  CHECK(me.process()->queue.size() == static_cast<std::size_t>(kQueued));
}
}
