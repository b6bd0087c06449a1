// src/lang/program.cpp: running a Snow program (include/snow/lang/program.hpp): main's
// process, the quiescence test, and run_program, which generated `main` calls. Compiled
// once into libsnow_lang instead of into every generated program.
#include "snow/lang/program.hpp"

#include "snow/observe.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

namespace snow::lang {

snow::Proc main_process(Self self, MainFn main_fn) {
  LiveGuard live;
  MainEndWatch watch;
  std::exception_ptr error = co_await capture(main_fn(self));
  watch.finished = true;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      main_outcome.error = e.what();
    } catch (...) {
      main_outcome.error = "unknown error";
    }
    main_outcome.failed.store(true);
  }
  main_outcome.done.store(true);
  main_outcome.done.notify_all();
}

// Quiescent at this sample: every live process blocked, no timer pending, and no process
// running or queued to run. `epoch` is the activity epoch read in the same pass over the
// threads' counters.
//
// The counts alone are not enough: a process is uncounted when its frame goes, *before*
// the runtime tells its links and monitors, and one it wakes stays counted blocked until
// it runs. Between those, every count says "quiescent" while the program is not, and a
// worker thread descheduled there for the length of settled()'s samples ended the program
// early (tests/snow/program_end_test.cpp; example06_trap_exit lost its last lines under
// load). The scheduler sees that window: the ending process is in its turn, then the woken
// one is queued, until its receive wakes and moves the epoch.
bool quiescent(const snow::Runtime& rt, std::uint32_t& epoch) {
  const std::int64_t live = lifetime.live.load();
  const ActivitySample now = activity.sample();
  epoch = now.epoch;
  return live == now.blocked && absl::ToUnixMillis(absl::Now()) > lifetime.timers_until_ms.load() && rt.idle();
}

bool settled(const snow::Runtime& rt) {
  std::uint32_t epoch = 0;
  if (!quiescent(rt, epoch)) return false;
  for (int i = 0; i < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
    std::uint32_t later = 0;
    if (!quiescent(rt, later) || later != epoch) return false;
  }
  return true;
}

int run_program(MainFn main_fn) {
  // Output is block-buffered for speed; SNOW_LINE_BUFFERED=1 makes every line appear at
  // once, for a program whose output is watched as it runs (scripts/cluster-demo.py).
  const char* line_buffered = std::getenv("SNOW_LINE_BUFFERED");
  const bool by_line = line_buffered != nullptr && std::string(line_buffered) == "1";
  std::setvbuf(stdout, nullptr, by_line ? _IOLBF : _IOFBF, 1 << 16);
  int status = 0;
  {
    // SNOW_WORKERS=N runs the program on N worker threads (default: one per hardware
    // thread), like Erlang's +S: to bound a program's share of a machine, or to make a
    // test's scheduling independent of the machine's size (tests/snow/f01_fairness).
    snow::RuntimeOptions options;
    if (const char* workers = std::getenv("SNOW_WORKERS"); workers != nullptr) options.workers = std::atoi(workers);
    snow::Runtime rt(std::move(options));
    // SNOW_OBSERVER=PORT serves the Observer (docs/observer.md) on 127.0.0.1:PORT (0: a
    // free port); its address and action token go to stderr.
    snow::MetricsEndpoint observer(rt);
    if (const char* port = std::getenv("SNOW_OBSERVER"); port != nullptr && *port != '\0') {
      const int number = std::atoi(port);
      absl::Status started = number < 0 || number > 65535
                                 ? absl::InvalidArgumentError("SNOW_OBSERVER is not a port number")
                                 : observer.start({.port = static_cast<std::uint16_t>(number), .observer = true});
      if (!started.ok()) std::fprintf(stderr, "snow: no observer: %s\n", std::string(started.message()).c_str());
    }
    lifetime.live.fetch_add(1);
    // Snow's exit rules, and links never end main (snow.md#links; snow/exit_rules.hpp).
    rt.spawn_with({.exit_rules = ExitRules::snow_main}, &main_process, main_fn);
    // Waits without polling: a host thread waking every millisecond cost a busy program
    // a few percent of its time.
    main_outcome.done.wait(false);
    if (main_outcome.failed.load()) {
      std::fflush(stdout);
      std::fprintf(stderr, "snow: runtime error in main: %s\n", main_outcome.error.c_str());
      status = 1;
    } else {
      while (!settled(rt)) absl::SleepFor(absl::Milliseconds(2));
    }
    lifetime.stopping.store(true);
    if (observer.running()) (void)observer.stop();
    rt.stop();
  }
  std::fflush(stdout);
  return status;
}
}  // namespace snow::lang
