#include "snow/link.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Go {};

// Waits for Go, then ends with `reason` (normal: returns; error: throws; else exit()).
Proc ends_with(Self self, ExitReason reason) {
  co_await self.receive(on<Go>([] {}));
  if (reason.is(ExitReason::Kind::error)) throw std::runtime_error(reason.text());
  if (!reason.is_normal()) self.exit(reason);
}

Proc waits_forever(Self self) { co_await self.receive(on<Go>([] {})); }
}  // namespace

TEST_SUITE("link") {
TEST_CASE("an abnormal exit kills a non-trapping linked process with the same reason") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason seen;
  Pid child, parent;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    parent = self.spawn_link([&](Self self) -> Proc {
      child = self.spawn_link(ends_with, ExitReason::shutdown());
      co_await self.receive(on<Go>([] {}));  // never comes
    });
    co_await self.receive(on<Exit>([&](Exit e) { seen = e.reason; }));
  });
  rt.run_until_idle();
  REQUIRE(rt.is_alive(child));
  rt.send(child, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(seen == ExitReason::shutdown());
  CHECK_FALSE(rt.is_alive(parent));
}

TEST_CASE("a normal exit does not kill a non-trapping linked process") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn_link(ends_with, ExitReason::normal());
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  rt.send(child, Go{});
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(child));
  CHECK(rt.is_alive(parent));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("a trapping process receives Exit for normal and abnormal exits alike, and survives") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<ExitReason> reasons;
  Pid a, b;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    a = self.spawn_link(ends_with, ExitReason::normal());
    b = self.spawn_link(ends_with, ExitReason::error("bad"));
    for (int i = 0; i < 2; ++i) co_await self.receive(on<Exit>([&](Exit e) { reasons.push_back(e.reason); }));
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  rt.send(a, Go{});
  rt.send(b, Go{});
  rt.run_until_idle();
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].is_normal());
  CHECK(reasons[1] == ExitReason::error("bad"));
  CHECK(rt.is_alive(parent));
  CHECK(log.count_containing("error(bad)") == 1);  // the crash is logged once
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("kill cannot be trapped; the victim ends as killed, and links see killed") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason observed;
  Pid victim;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    victim = self.spawn_link([](Self self) -> Proc {
      self.trap_exits(true);  // does not help against kill
      co_await self.receive(on<Go>([] {}));
    });
    co_await self.yield();
    self.exit(victim, ExitReason::kill());
    co_await self.receive(on<Exit>([&](Exit e) { observed = e.reason; }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(observed == ExitReason::killed());
}

TEST_CASE("exit(pid, reason) to a trapping process arrives as an Exit message") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Exit got;
  const Pid target = rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    co_await self.receive(on<Exit>([&](Exit e) { got = e; }));
  });
  const Pid sender = rt.spawn([&](Self self) -> Proc {
    self.exit(target, ExitReason::user(std::string("please stop")));
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got.from == sender);
  CHECK(got.reason.to_string() == "please stop");
}

TEST_CASE("exit(pid, reason) ends a non-trapping process; a normal reason does not") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid target = rt.spawn(waits_forever);
  rt.spawn([&](Self self) -> Proc {
    self.exit(target, ExitReason::normal());
    co_return;
  });
  rt.run_until_idle();
  CHECK(rt.is_alive(target));
  rt.exit(target, ExitReason::shutdown());
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(target));
}

TEST_CASE("linking to a dead process gives noproc") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid dead = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  REQUIRE_FALSE(rt.is_alive(dead));
  Exit got;
  rt.spawn([&](Self self) -> Proc {
    self.trap_exits(true);
    self.link(dead);
    co_await self.receive(on<Exit>([&](Exit e) { got = e; }));
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got.from == dead);
  CHECK(got.reason == ExitReason::noproc());

  // A non-trapping process that links to a dead one ends with noproc.
  Pid linker = rt.spawn([&](Self self) -> Proc {
    self.link(dead);
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(linker));
}

TEST_CASE("after unlink no exit signal arrives through that link") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn_link(ends_with, ExitReason::shutdown());
    self.unlink(child);
    self.send(child, Go{});
    co_await self.receive(on<Go>([] {}));
  });
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(child));
  CHECK(rt.is_alive(parent));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("link is bidirectional: the linked child dies when the linker crashes") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid parent = rt.spawn([&](Self self) -> Proc {
    child = self.spawn(waits_forever);
    self.link(child);
    co_await self.receive(on<Go>([] {}));
    throw std::runtime_error("parent fails");
  });
  rt.run_until_idle();
  REQUIRE(rt.is_alive(child));
  rt.send(parent, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK_FALSE(rt.is_alive(child));
}

TEST_CASE("an exception escaping a body is an error exit, never a runtime crash") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  ExitReason reason;
  rt.spawn([&](Self self) -> Proc {
    const SpawnedMonitor child = self.spawn_monitor([](Self) -> Proc {
      throw std::logic_error("broken invariant");
      co_return;
    });
    co_await self.receive(on<Down>([&](const Down& d) { return d.ref == child.ref; }, [&](Down d) { reason = d.reason; }));
  });
  rt.spawn([](Self) -> Proc {
    throw 42;  // not even a std::exception
    co_return;
  });
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(reason == ExitReason::error("broken invariant"));
  CHECK(log.count_containing("error(unknown exception)") == 1);
}
}

// Snow's rules (snow/exit_rules.hpp), asked for per process; the default stays Erlang's.
TEST_SUITE("exit rules") {
namespace {
constexpr SpawnOptions kSnowRules{.exit_rules = ExitRules::snow};

// Links to `partner`, then waits for Go.
Proc links_to(Self self, Pid partner) {
  self.link(partner);
  co_await self.receive(on<Go>([] {}));
}
}  // namespace

TEST_CASE("under Snow's rules a process taken down by a link ends with linked(partner, reason), which cascades") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid a = rt.spawn(ends_with, ExitReason::error("boom"));
  const Pid b = rt.spawn_with(kSnowRules, links_to, a);
  rt.run_until_idle();
  const Pid c = rt.spawn_with(kSnowRules, links_to, b);
  rt.run_until_idle();
  ScopedActor me(rt);
  const Ref watch_b = me.monitor(b);
  const Ref watch_c = me.monitor(c);
  rt.send(a, Go{});
  rt.run_until_idle();
  ExitReason of_b, of_c;
  for (int i = 0; i < 2; ++i) me.receive(on<Down>([&](Down d) { (d.ref == watch_b ? of_b : of_c) = d.reason; }));
  (void)watch_c;
  CHECK(of_b == ExitReason::linked(a, ExitReason::error("boom")));
  CHECK(of_c == ExitReason::linked(b, ExitReason::linked(a, ExitReason::error("boom"))));
  CHECK(of_c.to_string() == "linked(" + b.to_string() + ", linked(" + a.to_string() + ", error(boom)))");
  CHECK(of_c.partner() == b);
  REQUIRE(of_c.partner_reason() != nullptr);
  CHECK(*of_c.partner_reason() == of_b);

  // Linking to a process that is gone: as if it had just ended with noproc.
  const Pid d = rt.spawn_with(kSnowRules, links_to, a);
  const Ref watch_d = me.monitor(d);
  rt.run_until_idle();
  CHECK(me.receive(on<Down>([&](Down x) { return x.ref == watch_d; }, [](Down x) { return x.reason; })) ==
        ExitReason::linked(a, ExitReason::noproc()));
}

TEST_CASE("under Snow's rules normal and shutdown do not travel over links; the receiver's rules decide") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  for (const ExitReason& reason : {ExitReason::normal(), ExitReason::shutdown()}) {
    CAPTURE(reason);
    const Pid ending = rt.spawn(ends_with, reason);
    const Pid snow_partner = rt.spawn_with(kSnowRules, links_to, ending);
    const Pid erlang_partner = rt.spawn(links_to, ending);
    Exit trapped;
    rt.spawn_with(kSnowRules, [&, ending](Self self) -> Proc {
      self.trap_exits(true);
      self.link(ending);
      co_await self.receive(on<Exit>([&](Exit e) { trapped = e; }));
    });
    rt.run_until_idle();
    rt.send(ending, Go{});
    rt.run_until_idle();
    CHECK(rt.is_alive(snow_partner));
    // Erlang's rules: shutdown ends the partner too, normal does not.
    CHECK(rt.is_alive(erlang_partner) == reason.is_normal());
    CHECK(trapped.from == ending);  // a trapping process hears of it either way
    CHECK(trapped.reason == reason);
    rt.send(snow_partner, Go{});
    if (reason.is_normal()) rt.send(erlang_partner, Go{});
  }
  // exit(pid, shutdown), not through a link, ends a Snow process as it would any other.
  const Pid target = rt.spawn_with(kSnowRules, waits_forever);
  rt.run_until_idle();
  rt.exit(target, ExitReason::shutdown());
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(target));
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("under snow_main (a Snow program's main) nothing through a link ends the process; exit(pid, reason) does") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid failing = rt.spawn(ends_with, ExitReason::error("boom"));
  const Pid main_like = rt.spawn_with({.exit_rules = ExitRules::snow_main}, links_to, failing);
  rt.run_until_idle();
  rt.send(failing, Go{});
  rt.run_until_idle();
  CHECK(rt.is_alive(main_like));
  rt.exit(main_like, ExitReason::error("stop"));
  rt.run_until_idle();
  CHECK_FALSE(rt.is_alive(main_like));
}

TEST_CASE("an erlang process linked to a Snow process that fails ends with the Snow process's reason") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid a = rt.spawn(ends_with, ExitReason::error("boom"));
  const Pid b = rt.spawn_with(kSnowRules, links_to, a);
  rt.run_until_idle();
  ScopedActor me(rt);
  const Pid c = rt.spawn(links_to, b);
  rt.run_until_idle();
  const Ref watch = me.monitor(c);
  rt.send(a, Go{});
  rt.run_until_idle();
  CHECK(me.receive(on<Down>([&](Down x) { return x.ref == watch; }, [](Down x) { return x.reason; })) ==
        ExitReason::linked(a, ExitReason::error("boom")));
}
}

TEST_SUITE("exit reason") {
TEST_CASE("a linked reason nests at most kMaxLinkedDepth deep, keeping the nearest partners and the first failure") {
  ExitReason r = ExitReason::error("root");
  for (std::uint64_t i = 1; i <= 40; ++i) r = ExitReason::linked(Pid::make(0, 0, i), r);
  std::vector<std::uint64_t> partners;
  const ExitReason* at = &r;
  for (; at->is(ExitReason::Kind::linked); at = at->partner_reason()) partners.push_back(at->partner().serial());
  CHECK(*at == ExitReason::error("root"));
  REQUIRE(partners.size() == ExitReason::kMaxLinkedDepth);
  CHECK(partners.front() == 40);  // the nearest
  CHECK(partners[ExitReason::kMaxLinkedDepth - 2] == 40 - (ExitReason::kMaxLinkedDepth - 2));
  CHECK(partners.back() == 1);  // the first process to fail
}

TEST_CASE("linked reasons compare by partner and reason") {
  const Pid a = Pid::make(0, 0, 1), b = Pid::make(0, 0, 2);
  CHECK(ExitReason::linked(a, ExitReason::killed()) == ExitReason::linked(a, ExitReason::killed()));
  CHECK(ExitReason::linked(a, ExitReason::killed()) != ExitReason::linked(b, ExitReason::killed()));
  CHECK(ExitReason::linked(a, ExitReason::killed()) != ExitReason::linked(a, ExitReason::noproc()));
  CHECK(ExitReason::linked(a, ExitReason::killed()) != ExitReason::killed());
}
}
