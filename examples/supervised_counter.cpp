// supervised_counter.cpp: a service under a supervisor. A bad request crashes the
// service; the supervisor restarts it (with fresh state) and callers carry on. Also shows
// a job computing a value in parallel.
// Run: build/examples/supervised_counter
#include <cstdio>
#include <string>

#include "snow/job.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/service.hpp"
#include "snow/supervisor.hpp"

namespace {

struct Add {
  std::int64_t n;
};
struct Get {};

struct Counter {
  std::int64_t total = 0;
  std::int64_t handle_call(const Get&) { return total; }
  std::int64_t handle_call(const Add& a) {
    if (a.n < 0) throw std::invalid_argument("negative amounts are not allowed");
    return total += a.n;
  }
};

void show(const char* what, const absl::StatusOr<std::int64_t>& r) {
  if (r.ok()) {
    std::printf("%-22s -> %lld\n", what, static_cast<long long>(*r));
  } else {
    std::printf("%-22s -> error: %s\n", what, std::string(r.status().message()).c_str());
  }
}

}  // namespace

int main() {
  snow::Runtime rt({.log_sink = [](snow::LogLevel level, std::string_view text) {
    if (level >= snow::LogLevel::warning) std::printf("  [log] %.*s\n", static_cast<int>(text.size()), text.data());
  }});
  snow::ScopedActor me(rt);

  // The supervisor starts the counter service and registers it as "counter"; a restarted
  // counter registers the name again, so callers find it by name.
  snow::SupervisorSpec spec;
  spec.strategy = snow::Strategy::one_for_one;
  snow::ChildSpec child;
  child.id = "counter";
  child.start = [](snow::Self self) { return snow::spawn_service(self, Counter{}, {.name = "counter"}).pid(); };
  spec.children.push_back(child);
  if (!snow::start_supervisor(me, spec).ok()) return 1;

  auto counter = [&] { return snow::Service<Counter>(rt, rt.whereis("counter").value_or(snow::Pid())); };
  show("add 5", counter().call(me, Add{5}));
  show("add 10", counter().call(me, Add{10}));
  show("add -1 (bad request)", counter().call(me, Add{-1}));
  // The supervisor has restarted the counter by now; its state starts again from zero.
  for (int i = 0; i < 100 && !rt.whereis("counter"); ++i) absl::SleepFor(absl::Milliseconds(1));
  show("get after restart", counter().call(me, Get{}));
  show("add 7", counter().call(me, Add{7}));

  // A job: a value computed in its own process, awaited with a timeout.
  snow::Job<std::int64_t> job = snow::async(me, [] {
    std::int64_t sum = 0;
    for (std::int64_t i = 1; i <= 1000; ++i) sum += i;
    return sum;
  });
  show("job: sum 1..1000", job.await(me, absl::Seconds(1)));
  return 0;
}
