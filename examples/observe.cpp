// observe.cpp: looking inside a running runtime — a process's info, the top-like table,
// the Prometheus text, and the same text over HTTP.
#include <cstdio>

#include <snow/snow.hpp>

struct Job {
  int n;
};
struct Start {};

// A worker stuck waiting for a Start that never comes, while Jobs pile up in its mailbox.
snow::Proc stuck_worker(snow::Self self) {
  co_await self.receive(snow::on<Start>([] {}));
  for (;;) co_await self.receive(snow::on<Job>([](Job) {}));
}

snow::Proc watcher(snow::Self self, snow::Pid watched) {
  (void)self.monitor(watched);
  co_await self.receive(snow::on<snow::Down>([](snow::Down) {}));
}

int main() {
  snow::Runtime rt({.histograms = true});  // histograms are off unless asked for
  snow::ScopedActor me(rt);
  const snow::Pid worker = rt.spawn_with({.mailbox_capacity = 100}, stuck_worker);
  if (!rt.register_name("worker", worker).ok()) return 1;
  rt.spawn(watcher, worker);
  for (int i = 0; i < 120; ++i) me.send(worker, Job{i});  // 100 fit, 20 are dropped
  const snow::Pid gone = rt.spawn([](snow::Self) -> snow::Proc { co_return; });
  while (rt.is_alive(gone)) absl::SleepFor(absl::Milliseconds(1));
  me.send(gone, Job{0});  // a dead letter

  // Ask the worker itself: its mailbox, links, monitors, counters.
  absl::StatusOr<snow::ProcessInfo> info = snow::process_info(me, worker, absl::Seconds(1));
  if (!info.ok()) return 1;
  std::printf("%s '%s': %zu messages queued, %llu dropped, watched by %zu\n", worker.to_string().c_str(),
              info->name.c_str(), info->mailbox_length, static_cast<unsigned long long>(info->dropped),
              info->monitored_by.size());

  // The top-like table, longest mailboxes first.
  std::printf("\n%s\n", snow::top_text(rt, {.order = snow::TopOptions::Order::mailbox, .limit = 5}).c_str());

  // The same numbers for Prometheus: as text, and served on http://127.0.0.1:<port>/metrics.
  snow::MetricsEndpoint endpoint(rt);
  if (absl::Status st = endpoint.start({.host = "127.0.0.1", .port = 0}); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("serving http://127.0.0.1:%u/metrics\n", endpoint.port());
  const std::string text = snow::prometheus_text(rt);
  std::printf("%s", text.substr(0, text.find("# HELP snow_unmatched")).c_str());

  // Ending it discards what it never received: counted as unmatched.
  rt.exit(worker, snow::ExitReason::kill());
  while (rt.is_alive(worker)) absl::SleepFor(absl::Milliseconds(1));
  const snow::RuntimeMetrics m = snow::metrics(rt);
  std::printf("dead letters %llu, dropped %llu, unmatched at exit %llu\n",
              static_cast<unsigned long long>(m.dead_letters.total()),
              static_cast<unsigned long long>(m.dropped_mailbox_full),
              static_cast<unsigned long long>(m.unmatched_at_exit));
  const bool as_expected = m.dead_letters.no_process == 1 && m.dropped_mailbox_full == 20 && m.unmatched_at_exit == 100;
  return endpoint.stop().ok() && as_expected ? 0 : 1;
}
