// process_info (asking a process through its mailbox) and processes() (what every process
// publishes), on deterministic runtimes unless the test is about threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <thread>

#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};

/// Waits for Go, leaving everything else in its mailbox.
Proc wait_for_go(Self self) { co_await self.receive(on<Go>([] {})); }

/// Parks for ever (until killed).
Proc park(Self self) { co_await self.receive(on<Go>([] {})); }

/// A message of a known, pool-sized footprint: 200 bytes of payload in one node.
struct Payload {
  std::array<char, 200> bytes{};
};
struct Release {};

/// Receives Release, then `count` Payloads, then parks.
Proc take_payloads_after_release(Self self, int count) {
  co_await self.receive(on<Release>([] {}));
  for (int i = 0; i < count; ++i) co_await self.receive(on<Payload>([](const Payload&) {}));
  co_await self.receive(on<Go>([] {}));
}

/// Parks holding 16 KiB in its coroutine frame across the receive.
Proc park_holding_a_buffer(Self self) {
  std::array<unsigned char, 16384> buffer{};
  buffer[0] = 1;
  co_await self.receive(on<Go>([] {}));
  volatile unsigned char keep = buffer[0];  // the buffer lives across the receive
  (void)keep;
}

/// A helper that waits with 8 KiB in its own (Task) frame.
Task<int> wait_holding_a_buffer(Self self) {
  std::array<unsigned char, 8192> buffer{};
  buffer[1] = 2;
  co_await self.receive(on<Release>([] {}));
  co_return buffer[1];
}

/// Waits inside wait_holding_a_buffer, then parks.
Proc park_after_helper(Self self) {
  co_await wait_holding_a_buffer(self);
  co_await self.receive(on<Go>([] {}));
}

std::size_t memory_of(Runtime& rt, Pid pid) {
  absl::StatusOr<ProcessInfo> info = process_info(rt, pid);
  REQUIRE(info.ok());
  return info->memory_bytes;
}
std::size_t summary_memory_of(Runtime& rt, Pid pid) {
  for (const ProcessSummary& row : processes(rt)) {
    if (row.pid == pid) return row.memory_bytes;
  }
  FAIL("no row for " << pid.to_string());
  return 0;
}
}  // namespace

TEST_SUITE("process_info") {
TEST_CASE("the mailbox length counts the messages no receive took") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn(wait_for_go);
  rt.run_until_idle();
  for (int i = 0; i < 7; ++i) rt.send(p, i);  // none matches: all stay queued
  absl::StatusOr<ProcessInfo> info = process_info(rt, p);
  REQUIRE(info.ok());
  CHECK(info->pid == p);
  CHECK(info->mailbox_length == 7);
  CHECK(info->status == ProcessStatus::waiting);  // parked in its receive when it answered
  CHECK(info->messages_received == 0);
  CHECK_FALSE(info->scoped_actor);
  CHECK(info->mailbox_capacity == 0);

  rt.send(p, Go{});
  rt.send(p, std::string("late"));
  // The question is answered as the intake is taken, before the receive takes Go.
  info = process_info(rt, p);
  REQUIRE(info.ok());
  CHECK(info->mailbox_length == 9);
  CHECK_FALSE(rt.is_alive(p));  // then Go ended it, in the same turn
  CHECK(process_info(rt, p).status().code() == absl::StatusCode::kNotFound);
  CHECK(metrics(rt).unmatched_at_exit == 8);  // the 7 ints and "late"
}

TEST_CASE("an answer counts exactly what was sent before the question, also across threads") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid p = rt.spawn(wait_for_go);
  for (int i = 0; i < 1000; ++i) rt.send(p, i);
  absl::StatusOr<ProcessInfo> info = process_info(rt, p, absl::Seconds(10));
  REQUIRE(info.ok());
  CHECK(info->mailbox_length == 1000);  // the question travels behind the 1000 messages
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(10)).ok());
}

TEST_CASE("links, monitors and watchers are listed from each side") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid a = rt.spawn(park);
  Pid b, c;
  b = rt.spawn([&](Self self) -> Proc {
    self.link(a);
    (void)self.monitor(a);
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  c = rt.spawn([&](Self self) -> Proc {
    (void)self.monitor(b);
    (void)self.monitor(a);
    self.trap_exits(true);
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();

  absl::StatusOr<ProcessInfo> ia = process_info(rt, a);
  REQUIRE(ia.ok());
  CHECK(ia->links == std::vector<Pid>{b});
  CHECK(ia->monitors.empty());
  CHECK(ia->monitored_by == std::vector<Pid>{b, c});  // in the order the monitors were made
  CHECK_FALSE(ia->traps_exits);

  absl::StatusOr<ProcessInfo> ib = process_info(rt, b);
  REQUIRE(ib.ok());
  CHECK(ib->links == std::vector<Pid>{a});
  CHECK(ib->monitors == std::vector<Pid>{a});
  CHECK(ib->monitored_by == std::vector<Pid>{c});

  absl::StatusOr<ProcessInfo> ic = process_info(rt, c);
  REQUIRE(ic.ok());
  CHECK(ic->links.empty());
  CHECK(ic->monitors == std::vector<Pid>{b, a});
  CHECK(ic->monitored_by.empty());
  CHECK(ic->traps_exits);

  rt.exit(a, ExitReason::kill());  // b dies with it (linked); c gets two Downs
  rt.run_until_idle();
  absl::StatusOr<ProcessInfo> after = process_info(rt, c);
  REQUIRE(after.ok());
  CHECK(after->monitors.empty());
  CHECK(after->mailbox_length == 2);  // the two Downs, unmatched by its receive
}

TEST_CASE("the registered name, reductions and received messages") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  const Pid sink = rt.spawn(park);
  const Pid p = rt.spawn([&, sink](Self self) -> Proc {
    for (int i = 0; i < 3; ++i) co_await self.receive(on<int>([] {}));  // 3 reductions
    self.send(sink, 1);  // 2 more
    self.send(sink, 2);
    co_await self.receive(on<Go>([] {}));
  });
  REQUIRE(rt.register_name("worker", p).ok());
  for (int i = 0; i < 3; ++i) rt.send(p, i);
  rt.run_until_idle();
  absl::StatusOr<ProcessInfo> info = process_info(me, p);
  REQUIRE(info.ok());
  CHECK(info->name == "worker");
  CHECK(info->reductions == 5);
  CHECK(info->messages_received == 3);

  // The summaries say the same without asking.
  std::vector<ProcessSummary> rows = processes(rt);
  auto row = std::find_if(rows.begin(), rows.end(), [&](const ProcessSummary& r) { return r.pid == p; });
  REQUIRE(row != rows.end());
  CHECK(row->name == "worker");
  CHECK(row->reductions == 5);
  CHECK(row->messages_received == 3);
  CHECK(row->status == ProcessStatus::waiting);
  auto sink_row = std::find_if(rows.begin(), rows.end(), [&](const ProcessSummary& r) { return r.pid == sink; });
  REQUIRE(sink_row != rows.end());
  CHECK(sink_row->mailbox_length == 2);
  auto me_row = std::find_if(rows.begin(), rows.end(), [&](const ProcessSummary& r) { return r.pid == me.pid(); });
  REQUIRE(me_row != rows.end());
  CHECK(me_row->scoped_actor);
  CHECK(rows.size() == 3);
  CHECK(std::is_sorted(rows.begin(), rows.end(), [](auto& x, auto& y) { return x.pid < y.pid; }));
}

TEST_CASE("dead, unknown, null and remote Pids") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  CHECK(process_info(rt, p).status().code() == absl::StatusCode::kNotFound);
  CHECK(process_info(rt, Pid::make(0, 1, 123456)).status().code() == absl::StatusCode::kNotFound);
  CHECK(process_info(rt, Pid()).status().code() == absl::StatusCode::kNotFound);
  CHECK(process_info(rt, Pid::make(0, 7, p.serial())).status().code() == absl::StatusCode::kNotFound);  // other life
  CHECK(process_info(rt, Pid::make(3, 1, 5)).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(rt.stats().dead_letters == 0);  // asking is not sending
}

TEST_CASE("from a process, about another and about itself") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid other = rt.spawn(wait_for_go);
  rt.send(other, 1);
  rt.send(other, 2);
  std::optional<absl::StatusOr<ProcessInfo>> about_other, about_self;
  rt.spawn([&, other](Self self) -> Proc {
    self.link(other);
    self.send(self.pid(), 42);
    about_other.emplace(co_await process_info(self, other));
    about_self.emplace(co_await process_info(self, self.pid()));
  });
  rt.run_until_idle();  // `other` still waits for Go
  REQUIRE(about_other.has_value());
  REQUIRE(about_other->ok());
  CHECK((*about_other)->mailbox_length == 2);
  CHECK((*about_other)->links.size() == 1);
  REQUIRE(about_self->ok());
  CHECK((*about_self)->mailbox_length == 1);  // its own 42 (the answer about `other` was taken)
  CHECK((*about_self)->links == std::vector<Pid>{other});
  CHECK((*about_self)->status == ProcessStatus::running);
}

TEST_CASE("a ScopedActor answers while it receives, and describes itself at once") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  ScopedActor me(rt);
  rt.send(me.pid(), 1);
  absl::StatusOr<ProcessInfo> self_info = process_info(me, me.pid());
  REQUIRE(self_info.ok());
  CHECK(self_info->scoped_actor);
  CHECK(self_info->traps_exits);  // ScopedActors always trap exits
  CHECK(self_info->mailbox_length == 1);

  std::atomic<bool> receiving{false};
  std::thread host([&] {
    ScopedActor other(rt);
    rt.register_name("host", other.pid()).IgnoreError();
    receiving = true;
    other.receive(on<Go>([] {}), after(absl::Seconds(10), [] {}));
  });
  while (!receiving) std::this_thread::yield();
  std::optional<Pid> host_pid;
  while (!(host_pid = rt.whereis("host"))) std::this_thread::yield();
  absl::StatusOr<ProcessInfo> info = process_info(me, *host_pid, absl::Seconds(10));
  REQUIRE(info.ok());
  CHECK(info->scoped_actor);
  CHECK(info->name == "host");
  me.send(*host_pid, Go{});
  host.join();
}

TEST_CASE("a process that does not take its intake in time: DeadlineExceeded, and its late answer is dropped") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  ScopedActor busy(rt);  // not in receive: it cannot answer
  const absl::Time before = rt.now();
  absl::StatusOr<ProcessInfo> info = process_info(me, busy.pid(), absl::Milliseconds(300));
  CHECK(info.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(rt.now() - before == absl::Milliseconds(300));  // on the virtual clock
  busy.receive(after(absl::ZeroDuration(), [] {}));     // now it takes its intake and answers
  const bool got_anything =
      me.receive(any([](Message) { return true; }), after(absl::ZeroDuration(), [] { return false; }));
  CHECK_FALSE(got_anything);  // the late answer never reaches the mailbox
  CHECK(metrics(rt).late_replies == 1);

  // Asked from the runtime, through a temporary ScopedActor that is gone when the late
  // answer comes: the answer is dropped, and is no dead letter.
  CHECK(process_info(rt, busy.pid(), absl::Milliseconds(10)).status().code() == absl::StatusCode::kDeadlineExceeded);
  busy.receive(after(absl::ZeroDuration(), [] {}));
  CHECK(rt.stats().dead_letters == 0);
}

TEST_CASE("a question that meets a dying or dead process is answered NotFound, never lost") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  detail::RuntimeCore& core = rt.core();
  const Ref ref = me.make_ref();
  // The question is still in the process's intake when it ends (it asks itself through
  // the runtime's internals and then exits in the same turn).
  const Pid dying = rt.spawn([&, ref](Self self) -> Proc {
    detail::deliver(core, self.pid(), detail::box_signal(detail::InfoSignal{me.pid(), ref}), self.pid());
    co_return;
  });
  const absl::Status status = me.receive_since(
      ref, on<detail::CallReply>([ref](const detail::CallReply& r) { return r.ref == ref; },
                                 [](detail::CallReply r) { return r.status; }),
      after(absl::Seconds(1), [] { return absl::DeadlineExceededError("lost"); }));
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(status.message()).find(dying.to_string()) != std::string::npos);

  // And a question pushed to a process that is already gone.
  const Ref ref2 = me.make_ref();
  detail::deliver(core, dying, detail::box_signal(detail::InfoSignal{me.pid(), ref2}), me.pid());
  const absl::Status status2 = me.receive_since(
      ref2, on<detail::CallReply>([ref2](const detail::CallReply& r) { return r.ref == ref2; },
                                  [](detail::CallReply r) { return r.status; }),
      after(absl::Seconds(1), [] { return absl::DeadlineExceededError("lost"); }));
  CHECK(status2.code() == absl::StatusCode::kNotFound);
}

TEST_CASE("memory grows by the queued messages' nodes and drops back once they are received") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  constexpr int kQueued = 10;
  const Pid p = rt.spawn(take_payloads_after_release, kQueued);
  rt.run_until_idle();
  const std::size_t idle = memory_of(rt, p);
  CHECK(idle >= sizeof(detail::Process));  // the control block at least
  CHECK(summary_memory_of(rt, p) == idle);

  for (int i = 0; i < kQueued; ++i) rt.send(p, Payload{});  // queued: its receive wants Release
  const std::size_t loaded = memory_of(rt, p);
  CHECK(loaded >= idle + kQueued * sizeof(Payload));
  CHECK(loaded <= idle + kQueued * (sizeof(Payload) + 64));  // a node's header and pool rounding, no more
  CHECK(summary_memory_of(rt, p) == loaded);  // published as the process took its intake

  rt.send(p, Release{});
  rt.run_until_idle();
  CHECK(memory_of(rt, p) == idle);
  CHECK(summary_memory_of(rt, p) == idle);
  rt.send(p, Go{});
  rt.run_until_idle();
}

TEST_CASE("memory counts the coroutine frames: a big local held across a receive, in the body or in a Task") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid small = rt.spawn(park);
  const Pid big = rt.spawn(park_holding_a_buffer);
  const Pid in_helper = rt.spawn(park_after_helper);
  rt.run_until_idle();
  const std::size_t small_bytes = memory_of(rt, small);
  CHECK(memory_of(rt, big) >= small_bytes + 16384);
  CHECK(summary_memory_of(rt, big) == memory_of(rt, big));

  // Suspended in the helper, its 8 KiB frame counts; once the helper returns it does not.
  const std::size_t waiting_in_helper = memory_of(rt, in_helper);
  CHECK(waiting_in_helper >= small_bytes + 8192);
  rt.send(in_helper, Release{});
  rt.run_until_idle();
  const std::size_t after_helper = memory_of(rt, in_helper);
  CHECK(after_helper + 8192 <= waiting_in_helper);
  CHECK(summary_memory_of(rt, in_helper) == after_helper);
  for (Pid p : {small, big, in_helper}) rt.send(p, Go{});
  rt.run_until_idle();
}

TEST_CASE("many askers at once on a threaded runtime") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  std::vector<Pid> targets;
  for (int i = 0; i < 20; ++i) targets.push_back(rt.spawn(wait_for_go));
  std::atomic<int> ok{0};
  std::vector<std::thread> askers;
  for (int t = 0; t < 4; ++t) {
    askers.emplace_back([&] {
      for (int round = 0; round < 25; ++round) {
        for (Pid p : targets) ok += process_info(rt, p, absl::Seconds(10)).ok();
      }
    });
  }
  for (auto& t : askers) t.join();
  CHECK(ok == 4 * 25 * 20);
  for (Pid p : targets) rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(10)).ok());
}
}  // TEST_SUITE
