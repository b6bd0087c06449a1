// The network thread lingers after delivering a message, for the reply its receiver
// posts (NodeCore::linger_for_posts, docs/DESIGN.md "Threads"), and a post made while it
// lingers rings no doorbell. Real sockets (loopback) and threaded runtimes: the
// simulated network never lingers.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "snow/snow.hpp"
#include "support/runtime_fixture.hpp"

namespace linger_types {
struct Ball {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(Ball, from, n)
struct Rallied {
  std::int64_t count = 0;
};
}  // namespace linger_types

using linger_types::Ball;
using linger_types::Rallied;

TEST_CASE("a remote ping-pong on real sockets: every reply arrives in order, and replies go out while the network thread lingers") {
  snow::testing::LogCapture log;
  snow::Runtime a_rt(snow::testing::threaded(log));
  snow::Runtime b_rt(snow::testing::threaded(log));
  const snow::NodeOptions options{.cookie = "linger-test"};
  absl::StatusOr<snow::Node> a = snow::Node::start(a_rt, "a@127.0.0.1:0", options);
  absl::StatusOr<snow::Node> b = snow::Node::start(b_rt, "b@127.0.0.1:0", options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->connect(b->name()).ok());
  const snow::Pid echo = b_rt.spawn([](snow::Self self) -> snow::Proc {
    for (;;) co_await self.receive(snow::on<Ball>([&](Ball ball) { self.send(ball.from, Ball{self.pid(), ball.n}); }));
  });
  REQUIRE(b_rt.register_name("echo", echo).ok());

  constexpr std::int64_t kRounds = 2000;
  snow::ScopedActor me(a_rt);
  const snow::Pid main = me.pid();
  const std::string b_name = b->name();
  a_rt.spawn([main, b_name](snow::Self self) -> snow::Proc {
    self.send("echo", b_name, Ball{self.pid(), -1});
    const snow::Pid server = co_await self.receive(snow::on<Ball>([](Ball ball) { return ball.from; }));
    std::int64_t in_order = 0;
    for (std::int64_t i = 0; i < kRounds; ++i) {
      self.send(server, Ball{self.pid(), i});
      in_order += co_await self.receive(snow::on<Ball>([&](Ball ball) { return ball.n == i ? 1 : 0; }));
    }
    self.send(main, Rallied{in_order});
  });
  // A post the lingering thread missed would wait for the next unrelated wake-up (a
  // heartbeat's, every 500 ms): 2,000 of them would take far longer than this.
  std::int64_t rallied = -1;
  me.receive(snow::on<Rallied>([&](Rallied r) { rallied = r.count; }), snow::after(absl::Seconds(60), [] {}));
  CHECK(rallied == kRounds);
  // Each node lingered after deliveries and took replies without a wake-up: b after each
  // ball (its echo), a after each answer (the next ball).
  CHECK(a->stats().posts_taken_lingering > 0);
  CHECK(b->stats().posts_taken_lingering > 0);
}
