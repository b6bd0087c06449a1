// Counters with reasons (dead letters, drops, unmatched messages, late replies, log lines)
// and the latency histograms.
#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};
Proc wait_for_go(Self self) { co_await self.receive(on<Go>([] {})); }

std::uint64_t total(const LatencyHistogram& h) {
  std::uint64_t n = 0;
  for (std::uint64_t c : h.counts) n += c;
  return n;
}
}  // namespace

TEST_SUITE("observe counters") {
TEST_CASE("dead letters are counted by reason") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid gone = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  rt.send(gone, 1);
  rt.send(gone, 2);
  rt.send(Pid::make(0, 1, 999'999), 3);   // never existed: no process either
  rt.send("nobody", 4);                    // no such name
  rt.send(Pid::make(5, 1, 1), 5);          // another node, and this runtime is not one
  rt.send("name", "other@127.0.0.1:9", 6);  // a name on another node: likewise
  rt.spawn([gone](Self self) -> Proc {     // from a process, through its send cache
    self.send(gone, 7);
    co_return;
  });
  rt.run_until_idle();

  const RuntimeMetrics m = metrics(rt);
  CHECK(m.dead_letters.no_process == 4);
  CHECK(m.dead_letters.no_name == 1);
  CHECK(m.dead_letters.not_a_node == 2);
  CHECK(m.dead_letters.node == 0);
  CHECK(m.dead_letters.total() == 7);
  CHECK(rt.stats().dead_letters == 7);  // the old total still adds up
}

TEST_CASE("a link or monitor to a dead process is no dead letter") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid gone = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  ScopedActor me(rt);
  me.link(gone);
  (void)me.monitor(gone);
  me.receive(on<Down>([] {}));
  CHECK(metrics(rt).dead_letters.total() == 0);
}

TEST_CASE("drops from a bounded mailbox, per process and in total") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn_with({.mailbox_capacity = 2}, wait_for_go);
  rt.run_until_idle();
  for (int i = 0; i < 5; ++i) rt.send(p, i);
  const RuntimeMetrics m = metrics(rt);
  CHECK(m.dropped_mailbox_full == 3);
  absl::StatusOr<ProcessInfo> info = process_info(rt, p);
  REQUIRE(info.ok());
  CHECK(info->mailbox_capacity == 2);
  CHECK(info->mailbox_length == 2);
  CHECK(info->dropped == 3);
  CHECK(metrics(rt).mailbox_messages == 2);
  CHECK(metrics(rt).mailbox_max == 2);
}

TEST_CASE("messages left unmatched when a process ends are counted") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn(wait_for_go);
  rt.run_until_idle();
  rt.send(p, 1);
  rt.send(p, 2);
  rt.run_until_idle();  // 1 and 2 sit in its queue
  rt.send(p, Go{});
  rt.send(p, 3);  // drained in the same batch as Go, never received
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(p));
  CHECK(metrics(rt).unmatched_at_exit == 3);

  // Also what is still in the intake (never drained) when a process is killed.
  const Pid q = rt.spawn(wait_for_go);
  rt.run_until_idle();
  rt.send(q, 1);
  rt.exit(q, ExitReason::kill());
  rt.run_until_idle();
  CHECK(metrics(rt).unmatched_at_exit == 4);
}

TEST_CASE("a reply to a call that timed out is dropped and counted as a late reply") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  ScopedActor server(rt);  // not in receive, so it answers late
  absl::StatusOr<ProcessInfo> info = process_info(me, server.pid(), absl::Milliseconds(10));
  CHECK(absl::IsDeadlineExceeded(info.status()));
  server.receive(after(absl::ZeroDuration(), [] {}));  // answers now
  me.receive(after(absl::ZeroDuration(), [] {}));      // takes its intake: the reply is dropped
  CHECK(metrics(rt).late_replies == 1);
}

TEST_CASE("log lines are counted by level") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  rt.log(LogLevel::warning, "w1");
  rt.log(LogLevel::warning, "w2");
  rt.log(LogLevel::info, "i");
  rt.spawn([](Self) -> Proc { throw std::runtime_error("boom"); co_return; });  // logs an error
  rt.run_until_idle();
  const RuntimeMetrics m = metrics(rt);
  CHECK(m.log_messages[static_cast<int>(LogLevel::debug)] == 0);
  CHECK(m.log_messages[static_cast<int>(LogLevel::info)] == 1);
  CHECK(m.log_messages[static_cast<int>(LogLevel::warning)] == 2);
  CHECK(m.log_messages[static_cast<int>(LogLevel::error)] == 1);
}

TEST_CASE("histograms stay empty unless enabled") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn([](Self self) -> Proc {
    for (int i = 0; i < 10; ++i) co_await self.receive(on<int>([] {}));
  });
  for (int i = 0; i < 10; ++i) rt.send(p, i);
  rt.run_until_idle();
  const RuntimeMetrics m = metrics(rt);
  CHECK_FALSE(m.histograms);
  CHECK(m.time_in_mailbox.count == 0);
  CHECK(m.handling_time.count == 0);
  CHECK(prometheus_text(rt).find("snow_mailbox_time_seconds") == std::string::npos);
}

TEST_CASE("histograms measure time in the mailbox and handling time on the virtual clock") {
  LogCapture log;
  RuntimeOptions options = snow::testing::deterministic(log);
  options.histograms = true;
  Runtime rt(options);
  const Pid p = rt.spawn([](Self self) -> Proc {
    co_await self.sleep(absl::Milliseconds(5));  // messages wait meanwhile
    for (int i = 0; i < 3; ++i) co_await self.receive(on<int>([] {}));
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  for (int i = 0; i < 3; ++i) rt.send(p, i);  // at t=0
  rt.advance(absl::Milliseconds(5));           // taken at t=5ms
  rt.advance(absl::Milliseconds(2));
  rt.send(p, Go{});                            // taken at once
  rt.run_until_idle();

  const RuntimeMetrics m = metrics(rt);
  CHECK(m.histograms);
  CHECK(m.time_in_mailbox.count == 4);
  CHECK(total(m.time_in_mailbox) == 4);
  CHECK(m.time_in_mailbox.counts[0] == 1);  // Go: 0 s
  CHECK(m.time_in_mailbox.counts[7] == 3);  // 5 ms: above 4.096 ms, at most 16.384 ms
  CHECK(LatencyHistogram::upper_bound(7) == absl::Microseconds(16384));
  CHECK(m.time_in_mailbox.sum == absl::Milliseconds(15));
  // Three ints, each handled until the next receive, and Go, until the process ended;
  // handling takes no virtual time (the clock moves only between turns).
  CHECK(m.handling_time.count == 4);
  CHECK(m.handling_time.counts[0] == 4);
  CHECK(m.handling_time.sum == absl::ZeroDuration());
}

TEST_CASE("with histograms on, every path of a message still works and is measured once") {
  LogCapture log;
  RuntimeOptions options = snow::testing::deterministic(log);
  options.histograms = true;
  Runtime rt(options);
  ScopedActor me(rt);
  const Pid gone = rt.spawn([](Self) -> Proc { co_return; });
  const Pid bounded = rt.spawn_with({.mailbox_capacity = 1}, wait_for_go);
  rt.run_until_idle();
  rt.send(gone, 1);     // a dead letter: the stamped message is unwrapped and counted
  rt.send(bounded, 1);  // fits
  rt.send(bounded, 2);  // dropped before any stamping
  CHECK(rt.send_wait(bounded, 3, absl::Milliseconds(5)).code() == absl::StatusCode::kDeadlineExceeded);
  rt.send(bounded, Go{});  // dropped too: full
  rt.exit(bounded, ExitReason::kill());
  rt.run_until_idle();
  // Exit and Down are queued by the runtime itself; a demonitored Down is withdrawn.
  const Pid linked = rt.spawn(wait_for_go);
  const Pid watched = rt.spawn(wait_for_go);
  rt.run_until_idle();
  me.link(linked);
  const Ref m1 = me.monitor(watched);
  const Ref m2 = me.monitor(linked);
  rt.exit(linked, ExitReason::kill());
  rt.exit(watched, ExitReason::kill());
  rt.run_until_idle();
  me.demonitor(m1);  // its Down is already queued: withdrawn, never measured
  me.receive(on<Exit>([] {}));
  me.receive(on<Down>([m2](const Down& d) { return d.ref == m2; }, [] {}));
  const bool more = me.receive(any([](Message) { return true; }), after(absl::ZeroDuration(), [] { return false; }));
  CHECK_FALSE(more);

  const RuntimeMetrics m = metrics(rt);
  CHECK(m.dead_letters.no_process == 1);
  CHECK(m.dropped_mailbox_full == 2);      // 2 and Go (send_wait's timeout is no drop)
  CHECK(m.unmatched_at_exit == 1);         // bounded's 1, killed before it took it
  CHECK(m.time_in_mailbox.count == 2);     // the Exit and the Down me took
  CHECK(m.handling_time.count == 0);       // me is a ScopedActor, the others took nothing
}

TEST_CASE("histograms on a threaded runtime see every message taken") {
  LogCapture log;
  RuntimeOptions options = snow::testing::threaded(log);
  options.histograms = true;
  Runtime rt(options);
  ScopedActor me(rt);
  const Pid echo = rt.spawn([](Self self) -> Proc {
    for (;;) {
      bool stop = false;
      co_await self.receive(on<Pid>([&](Pid from) { self.send(from, 1); }), on<Go>([&] { stop = true; }));
      if (stop) co_return;
    }
  });
  for (int i = 0; i < 100; ++i) {
    me.send(echo, me.pid());
    me.receive(on<int>([] {}));
  }
  me.send(echo, Go{});
  REQUIRE(rt.join(absl::Seconds(10)).ok());
  const RuntimeMetrics m = metrics(rt);
  CHECK(m.time_in_mailbox.count == 201);  // 100 requests, Go, 100 replies to the ScopedActor
  CHECK(m.handling_time.count == 101);    // the echo process's; a ScopedActor's do not count
  CHECK(m.time_in_mailbox.sum >= absl::ZeroDuration());
}
}  // TEST_SUITE
