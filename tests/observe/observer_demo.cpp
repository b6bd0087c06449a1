// observer_demo.cpp: a small supervised program for the Observer's browser test
// (observer_browser_test.py): a known tree, a little traffic, and the Observer on.
//
//     app (one_for_one)
//     ├── inventory          a worker registered as "inventory"
//     ├── pool (one_for_one)
//     │   ├── worker_a       registered as "worker_a"
//     │   └── worker_b       registered as "worker_b"
//     └── pinger             sends to both workers, and to a name nobody holds (dead letters)
//
// It is a node, observer_demo@127.0.0.1, connected to a second node in the same program
// (peer@127.0.0.1), so the page has a peer to show.
//
// Prints "observer-url URL" and "observer-token TOKEN" on stdout, then runs until its
// standard input closes (the test holding the other end ends it by going away), or 120 s.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "snow/node.hpp"
#include "snow/observe.hpp"
#include "snow/receive.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/supervisor.hpp"

namespace {

struct Work {
  int n;
};

/// Registers itself as `name`, then takes Work for ever.
snow::Proc named_worker(snow::Self self, std::string name) {
  (void)self.register_name(name);
  for (;;) co_await self.receive(snow::on<Work>([](Work) {}));
}

snow::Proc pinger(snow::Self self) {
  for (int n = 0;; ++n) {
    self.send("worker_a", Work{n});
    self.send("worker_b", Work{n});
    if (n % 10 == 0) self.send("nobody_here", Work{n});  // a dead letter, by name
    co_await self.sleep(absl::Milliseconds(5));
  }
}

snow::ChildSpec worker_child(std::string id) {
  snow::ChildSpec c;
  c.id = id;
  c.start = [id](snow::Self self) { return self.spawn(named_worker, id); };
  c.shutdown = snow::Shutdown::brutal_kill();
  return c;
}

}  // namespace

int main() {
  snow::Runtime rt({.workers = 2, .histograms = true});
  snow::Runtime peer_rt({.workers = 1});
  const snow::NodeOptions node_options{.cookie = "observer-demo-cookie-0123456789abcdef",
                                       .heartbeat = absl::Milliseconds(200)};
  absl::StatusOr<snow::Node> node = snow::Node::start(rt, "observer_demo@127.0.0.1:0", node_options);
  absl::StatusOr<snow::Node> peer = snow::Node::start(peer_rt, "peer@127.0.0.1:0", node_options);
  if (!node.ok() || !peer.ok() || !node->connect(peer->name()).ok()) {
    std::fprintf(stderr, "observer_demo: the two nodes did not connect\n");
    return 1;
  }
  snow::ScopedActor me(rt);

  snow::SupervisorSpec pool;
  pool.children = {worker_child("worker_a"), worker_child("worker_b")};
  pool.max_restarts = 100;
  snow::SupervisorSpec app;
  app.max_restarts = 100;
  app.children.push_back(worker_child("inventory"));
  snow::ChildSpec pool_child;
  pool_child.id = "pool";
  pool_child.type = snow::ChildType::supervisor;
  pool_child.start = [pool](snow::Self self) { return snow::spawn_supervisor(self, pool); };
  app.children.push_back(pool_child);
  snow::ChildSpec pinger_child;
  pinger_child.id = "pinger";
  pinger_child.start = [](snow::Self self) { return self.spawn(pinger); };
  app.children.push_back(pinger_child);
  absl::StatusOr<snow::Pid> sup = snow::start_supervisor(me, app);
  if (!sup.ok()) {
    std::fprintf(stderr, "observer_demo: %s\n", sup.status().ToString().c_str());
    return 1;
  }
  (void)rt.register_name("app", *sup);

  snow::MetricsEndpoint endpoint(rt);
  if (absl::Status st = endpoint.start({.port = 0, .observer = true}); !st.ok()) {
    std::fprintf(stderr, "observer_demo: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("observer-url http://127.0.0.1:%u/\nobserver-token %s\n", endpoint.port(),
              endpoint.observer_token().c_str());
  std::fflush(stdout);

  // Until stdin closes: the test's end of the pipe, or a terminal's ^D.
  static std::atomic<bool> input_closed{false};
  std::thread wait_for_eof([] {
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    input_closed = true;
  });
  wait_for_eof.detach();
  for (int i = 0; i < 1200 && !input_closed; ++i) absl::SleepFor(absl::Milliseconds(100));
  (void)endpoint.stop();
  (void)snow::stop_supervisor(me, *sup, absl::Seconds(5));
  return 0;
}
