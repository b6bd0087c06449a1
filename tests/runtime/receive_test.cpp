#include "snow/receive.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "src/runtime/process.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Tagged {
  int sender;
  int seq;
};
struct Other {
  int n;
};
struct Go {};
struct TaggedReply {
  Ref tag;
  int n;
};
}  // namespace

TEST_SUITE("receive") {
TEST_CASE("messages from one sender arrive in the order they were sent") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<int> got;
  const Pid receiver = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 1000; ++i) co_await self.receive(on<int>([&](int v) { got.push_back(v); }));
  });
  rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 1000; ++i) self.send(receiver, i);
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  REQUIRE(got.size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(got[i] == i);
}

TEST_CASE("per-sender order holds with many concurrent senders on real threads") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  constexpr int kSenders = 8, kEach = 20000;
  std::vector<int> next(kSenders, 0);
  bool in_order = true;
  const Pid receiver = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < kSenders * kEach; ++i) {
      co_await self.receive(on<Tagged>([&](Tagged t) {
        if (t.seq != next[t.sender]) in_order = false;
        next[t.sender] = t.seq + 1;
      }));
    }
  });
  for (int s = 0; s < kSenders; ++s) {
    rt.spawn([receiver, s](Self self) -> Proc {
      for (int i = 0; i < kEach; ++i) self.send(receiver, Tagged{s, i});
      co_return;
    });
  }
  REQUIRE(rt.join(absl::Seconds(30)).ok());
  CHECK(in_order);
  for (int s = 0; s < kSenders; ++s) CHECK(next[s] == kEach);
}

TEST_CASE("a receive takes the oldest matching message and leaves the rest in place, in order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));
    // Mailbox now: Other{1}, 10, Other{2}, 20, Other{3}
    co_await self.receive(on<int>([&](int v) { trace.push_back("int " + std::to_string(v)); }));
    for (int i = 0; i < 4; ++i) {
      co_await self.receive(on<Other>([&](Other o) { trace.push_back("other " + std::to_string(o.n)); }),
                            on<int>([&](int v) { trace.push_back("int " + std::to_string(v)); }));
    }
  });
  rt.send(p, Other{1});
  rt.send(p, 10);
  rt.send(p, Other{2});
  rt.send(p, 20);
  rt.send(p, Other{3});
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"int 10", "other 1", "other 2", "int 20", "other 3"});
}

TEST_CASE("a typed pid carries each accepted type as itself") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const auto typed = TypedPid<std::variant<int, Other>>::unchecked(rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 2; ++i) {
      co_await self.receive(on<int>([&](int v) { trace.push_back("int " + std::to_string(v)); }),
                            on<Other>([&](Other o) { trace.push_back("other " + std::to_string(o.n)); }));
    }
  }));
  rt.send(typed, 3);
  rt.spawn([&, typed](Self self) -> Proc {
    self.send(typed, Other{4});
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"int 3", "other 4"});
}

TEST_CASE("clauses are tried in order and guards select by value") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 3; ++i) {
      std::string r = co_await self.receive(
          on<int>([](int v) { return v > 100; }, [](int v) { return "big " + std::to_string(v); }),
          on<int>([](int v) { return "small " + std::to_string(v); }));
      trace.push_back(r);
    }
  });
  rt.send(p, 5);
  rt.send(p, 500);
  rt.send(p, 7);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"small 5", "big 500", "small 7"});
}

TEST_CASE("a guard that rejects leaves the message for a later receive") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<int>([](int v) { return v == 2; }, [&](int) { trace.push_back("two"); }));
    co_await self.receive(on<int>([&](int v) { trace.push_back(std::to_string(v)); }));
  });
  rt.send(p, 1);
  rt.send(p, 2);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"two", "1"});
}

TEST_CASE("the catch-all takes any message and can inspect its type") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 2; ++i) {
      co_await self.receive(on<int>([&](int) { trace.push_back("int"); }), any([&](Message m) {
                              trace.push_back(m.is<std::string>() ? "string " + *m.get<std::string>() : "other");
                            }));
    }
  });
  rt.send(p, std::string("hi"));
  rt.send(p, 3);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"string hi", "int"});
}

TEST_CASE("after fires when nothing matches in time, and not when something does") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  absl::Time start = rt.now(), fired_at;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    std::string first = co_await self.receive(on<int>([](int) { return std::string("int"); }),
                                              after(absl::Milliseconds(100), [&] {
                                                fired_at = self.now();
                                                return std::string("timeout");
                                              }));
    trace.push_back(first);
    std::string second = co_await self.receive(on<int>([](int v) { return "int " + std::to_string(v); }),
                                               after(absl::Milliseconds(100), [] { return std::string("timeout"); }));
    trace.push_back(second);
  });
  rt.send(p, Other{0});  // not matched by either receive: must not stop the timeout
  rt.run_until_idle();
  rt.advance(absl::Milliseconds(99));
  CHECK(trace.empty());
  rt.advance(absl::Milliseconds(1));
  CHECK(trace == Trace{"timeout"});
  CHECK(fired_at - start == absl::Milliseconds(100));
  rt.advance(absl::Milliseconds(50));
  rt.send(p, 7);
  rt.run_until_idle();
  CHECK(trace == Trace{"timeout", "int 7"});
  CHECK_FALSE(rt.next_timer().has_value());  // the second receive's timer was cancelled
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("a message that arrives together with the timeout is taken, never lost") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    for (int round = 0; round < 2; ++round) {
      trace.push_back(co_await self.receive(on<int>([](int v) { return "int " + std::to_string(v); }),
                                            after(absl::Milliseconds(10), [] { return std::string("timeout"); })));
    }
  });
  // A timer with the same deadline as the receive's: both fire in one batch, so the
  // process finds the message and its timeout signal together when it next runs. The
  // receive takes the message (the timeout is moot); it must not drop it behind the
  // timeout.
  rt.spawn([&](Self self) -> Proc {
    self.send_after(absl::Milliseconds(10), p, 7);
    co_return;
  });
  rt.run_until_idle();
  rt.advance(absl::Milliseconds(10));
  CHECK(trace == Trace{"int 7"});
  rt.advance(absl::Milliseconds(10));
  CHECK(trace == Trace{"int 7", "timeout"});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("every message reaches a process that keeps receiving with a short timeout") {
  Runtime rt({.workers = 2});
  std::atomic<int> got{0};
  constexpr int kMessages = 20'000;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    while (got.load() < kMessages) {
      co_await self.receive(on<int>([&](int) { got.fetch_add(1); }), after(absl::Milliseconds(1), [] {}));
    }
  });
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      rt.send(p, i);
      if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));  // let timeouts fire
    }
  });
  sender.join();
  CHECK(rt.join(absl::Seconds(30)).ok());
  CHECK(got.load() == kMessages);
}

TEST_CASE("after(0) polls: it takes a queued match, else runs the timeout at once") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));
    for (int i = 0; i < 2; ++i) {
      trace.push_back(co_await self.receive(on<int>([](int v) { return std::to_string(v); }),
                                            after(absl::ZeroDuration(), [] { return std::string("empty"); })));
    }
  });
  rt.send(p, 1);
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"1", "empty"});
}

TEST_CASE("a waiting receive never re-examines a message it already rejected") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<int> guard_calls(100, 0);
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<int>(
        [&](int v) {
          ++guard_calls[v];
          return v == 99;
        },
        [](int) {}));
  });
  for (int i = 0; i < 99; ++i) {
    rt.send(p, i);
    rt.run_until_idle();  // the process wakes for each one and scans only the new message
  }
  rt.send(p, 99);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  for (int i = 0; i < 100; ++i) CHECK(guard_calls[i] == 1);
}

TEST_CASE("a receive whose clauses all test a fresh ref with has_ref skips every older message") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::uint64_t looked_at = ~0ULL;
  int got = 0;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));  // by now 1000 Other are queued
    const Ref tag = self.make_ref();
    self.send(self.pid(), TaggedReply{tag, 42});
    const std::uint64_t before = self.process()->scanned;
    co_await self.receive(on<TaggedReply>(has_ref(&TaggedReply::tag, tag), [&](TaggedReply r) { got = r.n; }),
                          after(absl::Seconds(1), [] {}));
    looked_at = self.process()->scanned - before;
    // The old messages are all still there, in order.
    for (int i = 0; i < 1000; ++i) {
      int n = co_await self.receive(on<Other>([](Other o) { return o.n; }));
      CHECK(n == i);
    }
  });
  for (int i = 0; i < 1000; ++i) rt.send(p, Other{i});
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(looked_at == 1);  // the reply only: the receive started at the marker
  CHECK(got == 42);
}

// Issue 23, item 4: since(ref) used to start every clause at the marker, so a Down queued
// before the request was never seen and the caller waited for ever.
TEST_CASE("since(ref) never hides an older message from a clause that does not test the ref") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<std::string> seen;
  rt.spawn([&](Self self) -> Proc {
    const Pid server = self.spawn([](Self) -> Proc { co_return; });
    const Ref watch = self.monitor(server);
    co_await self.sleep(absl::Milliseconds(10));  // the server has ended: its Down is queued
    const Ref tag = self.make_ref();              // the marker goes after the Down
    self.send(server, Tagged{1, 1});              // a request to a server that is gone
    // A guard the receive cannot see into, a Down clause, and since(tag).
    co_await self
        .receive(on<TaggedReply>([&](const TaggedReply& r) { return r.tag == tag; },
                                 [&](TaggedReply) { seen.push_back("reply"); }),
                 on<Down>([&](const Down& d) { return d.ref == watch; }, [&](Down) { seen.push_back("Down"); }),
                 after(absl::Seconds(1), [&] { seen.push_back("timeout"); }))
        .since(tag);
    // The same with the reply clause testing the ref with has_ref: the Down clause does
    // not, so the receive still looks before the marker.
    const Ref watch2 = self.monitor(server);  // noproc, at once
    co_await self.sleep(absl::Milliseconds(10));
    const Ref tag2 = self.make_ref();
    co_await self
        .receive(on<TaggedReply>(has_ref(&TaggedReply::tag, tag2), [&](TaggedReply) { seen.push_back("reply"); }),
                 on<Down>(has_ref(&Down::ref, watch2), [&](Down) { seen.push_back("Down noproc"); }),
                 after(absl::Seconds(1), [&] { seen.push_back("timeout"); }))
        .since(tag2);
  });
  REQUIRE(rt.join(absl::Seconds(10)).ok());
  CHECK(absl::StrJoin(seen, ", ") == "Down, Down noproc");
}

TEST_CASE("since(ref) with a ref that is not the latest marker scans from the oldest message") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  int got = 0;
  rt.spawn([&](Self self) -> Proc {
    self.send(self.pid(), 1);
    const Ref first = self.make_ref();
    (void)self.make_ref();  // moves the marker past `first`
    got = co_await self.receive(on<int>([](int v) { return v; })).since(first);
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got == 1);  // a stale marker must not hide older messages
}

TEST_CASE("a busy process is preempted after its budget and others get to run") {
  LogCapture log;
  RuntimeOptions o = snow::testing::deterministic(log);
  o.budget = 10;
  Runtime rt(o);
  Trace trace;
  const Pid busy = rt.spawn([&](Self self) -> Proc {
    for (int i = 0; i < 100; ++i) co_await self.receive(on<int>([&](int) { trace.push_back("busy"); }));
  });
  for (int i = 0; i < 100; ++i) rt.send(busy, i);
  rt.spawn([&](Self) -> Proc {
    trace.push_back("other");
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  const auto other_at = std::find(trace.begin(), trace.end(), "other") - trace.begin();
  CHECK(other_at <= 10);
}

TEST_CASE("a loop that only sends is preempted at tick once its budget is spent") {
  LogCapture log;
  RuntimeOptions o = snow::testing::deterministic(log);
  o.budget = 10;
  Runtime rt(o);
  Trace trace;
  const Pid sink = rt.spawn([](Self self) -> Proc {
    for (int i = 0; i < 100; ++i) co_await self.receive(on<int>([](int) {}));
  });
  rt.spawn([&, sink](Self self) -> Proc {
    for (int i = 0; i < 100; ++i) {
      self.send(sink, i);  // a send is a reduction
      trace.push_back("send");
      co_await self.tick();
    }
  });
  rt.spawn([&](Self) -> Proc {
    trace.push_back("other");
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  const auto other_at = std::find(trace.begin(), trace.end(), "other") - trace.begin();
  CHECK(other_at <= 10);  // the sender gave up its turn after about 10 reductions
  CHECK(std::count(trace.begin(), trace.end(), "send") == 100);
}

TEST_CASE("yield lets every other runnable process run first") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  rt.spawn([&](Self self) -> Proc {
    trace.push_back("a1");
    co_await self.yield();
    trace.push_back("a2");
  });
  rt.spawn([&](Self) -> Proc {
    trace.push_back("b");
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"a1", "b", "a2"});
}

TEST_CASE("a Task can receive, and its result and exceptions reach the awaiting process") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  auto sum_two = [](Self self) -> Task<int> {
    int a = co_await self.receive(on<int>([](int v) { return v; }));
    int b = co_await self.receive(on<int>([](int v) { return v; }));
    co_return a + b;
  };
  auto fail = [](Self self) -> Task<> {
    co_await self.yield();
    throw std::runtime_error("inner");
  };
  int sum = 0;
  std::string caught;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    sum = co_await sum_two(self);
    try {
      co_await fail(self);
    } catch (const std::exception& e) {
      caught = e.what();
    }
  });
  rt.send(p, 20);
  rt.send(p, 22);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(sum == 42);
  CHECK(caught == "inner");
}

TEST_CASE("sleep waits on the runtime clock") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  absl::Time woke;
  const absl::Time start = rt.now();
  rt.spawn([&](Self self) -> Proc {
    co_await self.sleep(absl::Seconds(5));
    woke = self.now();
  });
  REQUIRE(rt.join(absl::Seconds(10)).ok());
  CHECK(woke - start == absl::Seconds(5));
}

TEST_CASE("a waiting process uses no turns until a message arrives") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn([](Self self) -> Proc { co_await self.receive(on<int>([](int) {})); });
  CHECK(rt.run_until_idle() == 1);  // started, parked
  CHECK(rt.run_until_idle() == 0);
  rt.send(p, Other{1});  // wakes it once; nothing matches, it parks again
  CHECK(rt.run_until_idle() == 1);
  rt.send(p, 1);
  CHECK(rt.run_until_idle() == 1);
  CHECK_FALSE(rt.is_alive(p));
}
}
