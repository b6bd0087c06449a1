// groups_and_remote_spawn: a process on alpha starts workers on beta by function name
// (remote spawn), every worker joins the process group "workers", and one broadcast
// reaches all of them on both nodes. Two nodes in one process, TLS on 127.0.0.1.
#include <cstdio>
#include <string>
#include <thread>

#include "snow/snow.hpp"

namespace {

struct Job {
  snow::Pid reply_to;
  std::int64_t n = 0;
};
SNOW_WIRE(Job, reply_to, n)
struct Done {
  std::string worker;  // "<node> x<factor>"
  std::int64_t result = 0;
};
SNOW_WIRE(Done, worker, result)

/// A worker multiplies what it is sent by its factor. Its parameters are wire types, so
/// another node can start it by name with arguments.
snow::Proc worker(snow::Self self, std::int64_t factor) {
  (void)snow::group::join(self.runtime(), "workers", self.pid());
  const std::string me = snow::Node::of(self.runtime())->name() + " x" + std::to_string(factor);
  for (;;) {
    co_await self.receive(snow::on<Job>([&](Job j) { self.send(j.reply_to, Done{me, j.n * factor}); }));
  }
}
SNOW_SPAWNABLE(worker);  // registers "worker" for remote spawn

snow::Proc coordinator(snow::Self self, std::string beta, bool* ok) {
  // Two workers here, two on beta, started by name.
  self.spawn(worker, std::int64_t{1});
  self.spawn(worker, std::int64_t{2});
  for (std::int64_t factor : {10, 20}) {
    absl::StatusOr<snow::Pid> pid = co_await snow::spawn_on(self, beta, "worker", factor);
    std::printf("spawn_on(beta, \"worker\", %lld): %s\n", static_cast<long long>(factor),
                pid.ok() ? pid->to_string().c_str() : pid.status().ToString().c_str());
  }
  absl::StatusOr<snow::Pid> unknown = co_await snow::spawn_on(self, beta, "no_such_function");
  std::printf("spawn_on(beta, \"no_such_function\"): %s\n", unknown.status().ToString().c_str());

  // Joining is immediate on the member's node and one message later elsewhere.
  for (int i = 0; i < 100 && snow::group::members(self.runtime(), "workers").size() < 4; ++i) {
    co_await self.sleep(absl::Milliseconds(10));
  }
  std::printf("\"workers\" has %zu members, %zu of them on this node\n",
              snow::group::members(self.runtime(), "workers").size(),
              snow::group::local_members(self.runtime(), "workers").size());

  const std::size_t sent = snow::group::broadcast(self, "workers", Job{self.pid(), 7});
  std::int64_t sum = 0;
  for (std::size_t got = 0; got < sent; ++got) {
    co_await self.receive(snow::on<Done>([&](Done d) {
                            std::printf("  %s answered %lld\n", d.worker.c_str(), static_cast<long long>(d.result));
                            sum += d.result;
                          }),
                          snow::after(absl::Seconds(5), [] {}));
  }
  std::printf("one broadcast reached %zu workers; their answers add up to %lld\n", sent, static_cast<long long>(sum));
  *ok = sent == 4 && sum == 7 * (1 + 2 + 10 + 20) && absl::IsNotFound(unknown.status());
}

}  // namespace

int main() {
  snow::Runtime alpha_rt, beta_rt;
  const snow::NodeOptions options{.cookie = "groups-demo-cookie-93d1"};
  auto alpha = snow::Node::start(alpha_rt, "alpha@127.0.0.1:0", options);
  auto beta = snow::Node::start(beta_rt, "beta@127.0.0.1:0", options);
  if (!alpha.ok() || !beta.ok() || !alpha->connect(beta->name()).ok()) return 1;

  bool ok = false;
  const snow::Pid c = alpha_rt.spawn(coordinator, beta->name(), &ok);
  snow::ScopedActor me(alpha_rt);
  (void)me.monitor(c);  // its Down says the coordinator is done
  me.receive(snow::on<snow::Down>([] {}), snow::after(absl::Seconds(20), [] {}));
  return ok ? 0 : 1;
}
