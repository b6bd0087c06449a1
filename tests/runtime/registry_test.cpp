#include <doctest/doctest.h>

#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};
Proc waits(Self self) { co_await self.receive(on<Go>([] {})); }
}  // namespace

TEST_SUITE("registry") {
TEST_CASE("register, whereis, send by name, unregister") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  int got = 0;
  const Pid p = rt.spawn([&](Self self) -> Proc { got = co_await self.receive(on<int>([](int v) { return v; })); });
  REQUIRE(rt.register_name("counter", p).ok());
  CHECK(rt.whereis("counter") == p);
  CHECK(rt.registered_names() == std::vector<std::string>{"counter"});
  rt.send("counter", 5);
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(got == 5);
}

TEST_CASE("a taken name is AlreadyExists, and a process has at most one name") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid a = rt.spawn(waits), b = rt.spawn(waits);
  REQUIRE(rt.register_name("svc", a).ok());
  CHECK(rt.register_name("svc", b).code() == absl::StatusCode::kAlreadyExists);
  CHECK(rt.register_name("other", a).code() == absl::StatusCode::kAlreadyExists);
  CHECK(rt.whereis("svc") == a);
  CHECK(rt.register_name("", b).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(rt.unregister_name("svc").ok());
  CHECK(rt.unregister_name("svc").code() == absl::StatusCode::kNotFound);
  CHECK(rt.register_name("renamed", a).ok());  // free to take a name again
  rt.send(a, Go{});
  rt.send(b, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
}

TEST_CASE("a name is released when its process ends, and dead processes cannot register") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn([](Self self) -> Proc {
    REQUIRE(self.register_name("temp").ok());
    CHECK(self.whereis("temp") == self.pid());
    co_await self.receive(on<Go>([] {}));
    throw std::runtime_error("gone");
  });
  rt.run_until_idle();
  CHECK(rt.whereis("temp") == p);
  rt.send(p, Go{});
  rt.run_until_idle();
  CHECK_FALSE(rt.whereis("temp").has_value());
  CHECK(rt.register_name("x", p).code() == absl::StatusCode::kNotFound);
}

TEST_CASE("sending to an unregistered name is a counted dead letter, not an error") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const auto before = rt.stats().dead_letters;
  rt.send("nobody", 1);
  const Pid dead = rt.spawn([](Self) -> Proc { co_return; });
  rt.run_until_idle();
  rt.send(dead, 2);
  CHECK(rt.stats().dead_letters == before + 2);
}

TEST_CASE("names are cleaned up under concurrent register and exit on real threads") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  for (int round = 0; round < 200; ++round) {
    const std::string name = "n" + std::to_string(round);
    const Pid p = rt.spawn([](Self self) -> Proc { co_await self.yield(); });
    (void)rt.register_name(name, p);  // may race with the exit: either outcome is fine
  }
  REQUIRE(rt.join(absl::Seconds(10)).ok());
  CHECK(rt.registered_names().empty());
}
}
