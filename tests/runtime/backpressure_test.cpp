// Senders to a backlogged process wait for its turn to end (src/runtime/backpressure.hpp):
// its queue stays bounded, and no rule of it can leave a process waiting forever.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "snow/actor.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "src/runtime/backpressure.hpp"
#include "src/runtime/process.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Junk {};
struct Hello {};
struct Stop {};
struct Work {};

std::size_t mailbox_length(Runtime& rt, Pid pid) {
  for (const ProcessSummary& p : processes(rt)) {
    if (p.pid == pid) return p.mailbox_length;
  }
  return 0;
}

// Senders that tick after every send, as a loop that never waits should.
Proc ticking_sender(Self self, Pid to, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    self.send(to, i);
    co_await self.tick();
  }
}
}  // namespace

TEST_SUITE("backpressure") {
TEST_CASE("16 ticking senders cannot grow one receiver's queue past a bound") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  constexpr int kSenders = 16;
  constexpr std::int64_t kEach = 5'000;
  std::int64_t sum = 0;
  const Pid receiver = rt.spawn([&](Self self) -> Proc {
    for (std::int64_t k = 0; k < kSenders * kEach; ++k) {
      co_await self.receive(on<std::int64_t>([&](std::int64_t v) { sum += v; }));
    }
  });
  for (int s = 0; s < kSenders; ++s) rt.spawn(ticking_sender, receiver, kEach);
  std::size_t longest = 0;
  while (rt.step()) longest = std::max(longest, mailbox_length(rt, receiver));
  CHECK(sum == kSenders * (kEach * (kEach - 1) / 2));
  // Backlogged past 2,000; until the receiver's next drain notices, each sender may
  // spend one whole turn (500 sends) on it.
  MESSAGE("longest queue: " << longest);
  CHECK(longest <= 2'000 + kSenders * 500 + 500);
  CHECK(rt.stats().live == 0);
}

// A receiver whose queue holds junk it will not take (3,000 messages: backlogged) works
// through 600 Work messages, more than one turn's budget; a sender that sends to it in
// between parks at its yield, muted. `finish` is what the receiver does next.
struct MutedSenderScene {
  LogCapture log;
  Runtime rt{snow::testing::deterministic(log)};
  bool sender_done = false;
  bool got_hello = false;

  template <class Finish>
  void run(Finish finish) {
    const Pid sender = rt.spawn([this](Self self) -> Proc {
      const Pid r = co_await self.receive(on<Pid>([](Pid p) { return p; }));
      self.send(r, Junk{});    // r is backlogged: this sender is muted...
      co_await self.yield();   // ...and parks here until r's turn ends
      self.send(r, Hello{});
      sender_done = true;
    });
    const Pid receiver = rt.spawn([this, sender, finish](Self self) -> Proc {
      co_await self.receive(on<Stop>([] {}));
      self.send(sender, self.pid());
      for (int i = 0; i < 600; ++i) co_await self.receive(on<Work>([] {}));
      co_await finish(self, *this);
    });
    rt.spawn([receiver](Self self) -> Proc {
      for (int i = 0; i < 3'000; ++i) self.send(receiver, Junk{});
      for (int i = 0; i < 600; ++i) self.send(receiver, Work{});
      self.send(receiver, Stop{});
      co_return;
    });
    rt.run_until_idle();
  }
};

TEST_CASE("a backlogged receiver that waits for a muted sender's message releases it by waiting") {
  MutedSenderScene scene;
  scene.run([](Self self, MutedSenderScene& s) -> Task<void> {
    co_await self.receive(on<Hello>([&] { s.got_hello = true; }));  // the junk stays queued
  });
  CHECK(scene.got_hello);
  CHECK(scene.sender_done);
  CHECK(scene.rt.stats().live == 0);
}

TEST_CASE("a backlogged receiver that ends releases the senders waiting for it") {
  MutedSenderScene scene;
  scene.run([](Self, MutedSenderScene&) -> Task<void> { co_return; });
  CHECK(scene.sender_done);
  CHECK_FALSE(scene.got_hello);
  CHECK(scene.rt.stats().live == 0);
}

// Scheduler::steal leaves a process on its worker while keeps_its_worker says so: for
// kBacklogMemory intake takes after the process was last backlogged, and for a process
// whose last send went to it.
TEST_CASE("a backlogged process, and its sender, keep their worker until its backlog memory runs out") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  detail::Process* sender = nullptr;
  Pid sender_pid;
  bool receiver_kept = false, sender_kept = false;
  bool receiver_kept_later = true, sender_kept_later = true;
  const Pid receiver = rt.spawn([&](Self self) -> Proc {
    CHECK_FALSE(detail::keeps_its_worker(self.process()));
    for (std::size_t i = 0; i <= detail::kBacklogHigh; ++i) self.send(self.pid(), Junk{});
    co_await self.receive(on<Hello>([] {}));  // takes its intake: over kBacklogHigh queued
    receiver_kept = detail::keeps_its_worker(self.process());
    sender_kept = detail::keeps_its_worker(sender);
    for (std::size_t i = 0; i <= detail::kBacklogHigh; ++i) co_await self.receive(on<Junk>([] {}));
    // Every receive now finds the queue empty and takes the intake again.
    for (int i = 0; i < 2 * detail::kBacklogMemory; ++i) {
      self.send(self.pid(), Junk{});
      co_await self.receive(on<Junk>([] {}));
    }
    receiver_kept_later = detail::keeps_its_worker(self.process());
    sender_kept_later = detail::keeps_its_worker(sender);
    self.send(sender_pid, Stop{});
  });
  sender_pid = rt.spawn([&](Self self) -> Proc {
    sender = self.process();
    self.send(receiver, Hello{});
    co_await self.receive(on<Stop>([] {}));
  });
  REQUIRE(rt.join(absl::Seconds(30)).ok());
  CHECK(receiver_kept);
  CHECK(sender_kept);
  CHECK_FALSE(receiver_kept_later);
  CHECK_FALSE(sender_kept_later);
}

TEST_CASE("fan-in on worker threads: every message arrives and every process ends") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  constexpr int kSenders = 8;
  constexpr std::int64_t kEach = 50'000;
  std::atomic<std::int64_t> sum{0};
  const Pid receiver = rt.spawn([&](Self self) -> Proc {
    std::int64_t s = 0;
    for (std::int64_t k = 0; k < kSenders * kEach; ++k) {
      co_await self.receive(on<std::int64_t>([&](std::int64_t v) { s += v; }));
    }
    sum = s;
  });
  for (int s = 0; s < kSenders; ++s) rt.spawn(ticking_sender, receiver, kEach);
  REQUIRE(rt.join(absl::Seconds(60)).ok());
  CHECK(sum.load() == kSenders * (kEach * (kEach - 1) / 2));
}
}
