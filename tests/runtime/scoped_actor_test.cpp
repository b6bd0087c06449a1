// A ScopedActor's misuse (from inside a process) and its late replies (issue 23, item 7).
#include "snow/scoped_actor.hpp"

#include <doctest/doctest.h>

#include <string>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Request {
  Pid from;
  Ref tag;
  absl::Duration delay;  // how long the server waits before it replies
};
struct Reply {
  Ref tag;
  int n;
};
struct Done {};

/// Replies to each Request after its delay, then says Done (which the caller receives
/// after the reply: messages from one sender keep their order).
Proc slow_server(Self self) {
  for (;;) {
    Request r = co_await self.receive(on<Request>([](Request q) { return q; }));
    co_await self.sleep(r.delay);
    self.send(r.from, Reply{r.tag, 7});
    self.send(r.from, Done{});
  }
}

/// The reason `pid` ended with, waiting through `me`.
std::string exit_text(const ScopedActor& me, Pid pid) {
  const Ref watch = me.monitor(pid);
  return me.receive(on<Down>(has_ref(&Down::ref, watch), [](Down d) { return d.reason.to_string(); }),
                    after(absl::Seconds(5), [] { return std::string("no Down"); }));
}

/// What is left in `me`'s mailbox, as text.
std::string leftovers(const ScopedActor& me) {
  std::string out;
  bool more = true;
  while (more) {
    me.receive(any([&](Message m) { out += m.type_name() + " "; }), after(absl::ZeroDuration(), [&] { more = false; }));
  }
  return out;
}
}  // namespace

TEST_SUITE("scoped_actor") {
TEST_CASE("a ScopedActor created inside a process ends that process with an error that says why") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  const Pid p = rt.spawn([](Self self) -> Proc {
    ScopedActor inside(self.runtime());  // would block this worker in its receives
    co_return;
  });
  const std::string reason = exit_text(me, p);
  CHECK(reason.find("a ScopedActor is for threads that are not processes") != std::string::npos);
  CHECK(reason.find("co_await self.receive") != std::string::npos);
}

TEST_CASE("a ScopedActor's receive called from inside a process is refused") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log, 1));
  ScopedActor me(rt);
  ScopedActor host_only(rt);
  const Pid p = rt.spawn([&host_only](Self) -> Proc {
    host_only.receive(on<int>([](int) {}), after(absl::Milliseconds(50), [] {}));
    co_return;
  });
  const std::string reason = exit_text(me, p);
  CHECK(reason.find("ScopedActor::receive called inside process") != std::string::npos);
}

TEST_CASE("abandon drops a reply that comes after the receive for it timed out") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  const Pid server = rt.spawn(slow_server);
  const Ref tag = me.make_ref();
  me.send(server, Request{me.pid(), tag, absl::Seconds(2)});
  const int n = me.receive(on<Reply>(has_ref(&Reply::tag, tag), [](Reply r) { return r.n; }),
                           after(absl::Seconds(1), [] { return -1; }));
  REQUIRE(n == -1);  // gave up
  me.abandon<&Reply::tag>(tag);
  me.receive(on<Done>([] {}));  // the reply came just before this
  CHECK(leftovers(me).empty());
  rt.exit(server, ExitReason::kill());
}

TEST_CASE("abandon drops a reply that is already queued, and only that one") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ScopedActor me(rt);
  const Pid server = rt.spawn(slow_server);
  const Ref other = me.make_ref();
  me.send(server, Request{me.pid(), other, absl::ZeroDuration()});
  me.receive(on<Done>([] {}));
  const Ref tag = me.make_ref();
  me.send(server, Request{me.pid(), tag, absl::ZeroDuration()});
  me.receive(on<Done>([] {}));  // both replies are queued now
  me.abandon<&Reply::tag>(tag);
  const Ref kept = me.receive(on<Reply>([](Reply r) { return r.tag; }), after(absl::ZeroDuration(), [] { return Ref(); }));
  CHECK(kept == other);
  CHECK(leftovers(me).empty());
  rt.exit(server, ExitReason::kill());
}
}
