// cluster_demo: three nodes over TLS; a globally named service supervised on alpha,
// clients on beta and gamma calling it by name; the service crashes and comes back, then
// alpha goes away and the clients notice.
//
// The three nodes run in this one process (three Runtimes, real TLS on 127.0.0.1), so the
// demo needs no set-up. tests/cluster/ runs nodes as separate processes.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "snow/snow.hpp"
#include "snow/supervisor.hpp"

namespace {

struct Incr {
  snow::Pid from;
  snow::Ref ref;
};
SNOW_WIRE(Incr, from, ref)
struct Count {
  snow::Ref ref;
  std::int64_t n = 0;
};
SNOW_WIRE(Count, ref, n)

void say(const std::string& line) { std::printf("%s\n", line.c_str()); std::fflush(stdout); }

/// The counter service: registers itself globally as "counter", counts Incr requests.
snow::Proc counter(snow::Self self) {
  if (!snow::global::register_name(self.runtime(), "counter", self.pid()).ok()) co_return;
  std::int64_t n = 0;
  for (;;) {
    co_await self.receive(snow::on<Incr>([&](Incr i) { self.send(i.from, Count{i.ref, ++n}); }));
  }
}

/// A client: calls "counter" by its global name every 50 ms, reports what changes.
snow::Proc client(snow::Self self, std::string name, std::string alpha, std::atomic<int>* calls) {
  snow::Node::of(self.runtime())->monitor_node(self.pid(), alpha);
  bool failing = false;
  for (;;) {
    const snow::Ref ref = self.make_ref();
    const bool sent = snow::global::send(self, "counter", Incr{self.pid(), ref});
    bool answered = false;
    bool alpha_down = false;
    if (sent) {
      co_await self.receive(snow::on<Count>([ref](const Count& c) { return c.ref == ref; },
                                            [&](Count) { answered = true; }),
                            snow::on<snow::NodeDown>([&](snow::NodeDown) { alpha_down = true; }),
                            snow::after(absl::Milliseconds(200), [] {}));
    } else {
      co_await self.receive(snow::on<snow::NodeDown>([&](snow::NodeDown) { alpha_down = true; }),
                            snow::after(absl::Milliseconds(50), [] {}));
    }
    if (alpha_down) {
      say(name + ": alpha is gone (NodeDown); the counter's name went with it: " +
          (snow::global::whereis(self.runtime(), "counter") ? "still there?!" : "no \"counter\" any more"));
      co_return;
    }
    if (answered) {
      calls->fetch_add(1);
      if (failing) say(name + ": the counter answers again");
      failing = false;
    } else if (!failing) {
      say(name + ": no answer from \"counter\" (" + (sent ? "timed out" : "not registered") + "), retrying");
      failing = true;
    }
    co_await self.sleep(absl::Milliseconds(50));
  }
}

void wait_until(const std::function<bool()>& done) {
  for (int i = 0; i < 200 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

}  // namespace

int main() {
  auto quiet = [](snow::LogLevel level, std::string_view text) {
    if (level >= snow::LogLevel::error) std::printf("  [log] %.*s\n", static_cast<int>(text.size()), text.data());
  };
  snow::Runtime alpha_rt({.log_sink = quiet}), beta_rt({.log_sink = quiet}), gamma_rt({.log_sink = quiet});
  snow::NodeOptions options{.cookie = "cluster-demo", .heartbeat = absl::Milliseconds(100)};
  auto alpha = snow::Node::start(alpha_rt, "alpha@127.0.0.1:0", options);
  auto beta = snow::Node::start(beta_rt, "beta@127.0.0.1:0", options);
  auto gamma = snow::Node::start(gamma_rt, "gamma@127.0.0.1:0", options);
  if (!alpha.ok() || !beta.ok() || !gamma.ok()) return 1;

  // beta and gamma each connect to alpha; the mesh connects them to each other.
  if (!beta->connect(alpha->name()).ok() || !gamma->connect(alpha->name()).ok()) return 1;
  wait_until([&] { return beta->list().size() == 2; });
  say("mesh: beta is connected to " + std::to_string(beta->list().size()) + " nodes");

  // alpha supervises the counter, which registers the global name "counter".
  snow::ScopedActor admin(alpha_rt);
  snow::SupervisorSpec spec;
  snow::ChildSpec child;
  child.id = "counter";
  child.start = [](snow::Self self) { return self.spawn(counter); };
  spec.children.push_back(child);
  if (!snow::start_supervisor(admin, spec).ok()) return 1;
  wait_until([&] { return snow::global::whereis(gamma_rt, "counter").has_value(); });
  say("global name: gamma sees \"counter\" on " + gamma->node_of(*snow::global::whereis(gamma_rt, "counter")));

  std::atomic<int> calls{0};
  beta_rt.spawn(client, std::string("beta"), alpha->name(), &calls);
  gamma_rt.spawn(client, std::string("gamma"), alpha->name(), &calls);
  wait_until([&] { return calls.load() >= 10; });
  say("clients: " + std::to_string(calls.load()) + " calls answered");

  // Crash the counter: the supervisor restarts it, it registers again, clients carry on.
  const snow::Pid old = *snow::global::whereis(alpha_rt, "counter");
  alpha_rt.exit(old, snow::ExitReason::kill());
  wait_until([&] {
    auto now = snow::global::whereis(alpha_rt, "counter");
    return now && *now != old;
  });
  say("crash: the counter was killed; the supervisor restarted it and it registered again");
  const int before = calls.load();
  wait_until([&] { return calls.load() >= before + 10; });
  say("clients: carried on (" + std::to_string(calls.load() - before) + " more calls answered)");

  // alpha goes away: the clients see NodeDown and the global name disappear.
  say("stopping alpha");
  alpha_rt.stop();
  const bool ended = beta_rt.join(absl::Seconds(5)).ok() && gamma_rt.join(absl::Seconds(5)).ok();
  say(ended ? "done: both clients saw alpha go" : "the clients did not notice alpha go");
  return ended ? 0 : 1;
}
