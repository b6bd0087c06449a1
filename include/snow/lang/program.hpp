// snow/lang/program.hpp: running a Snow program (snow.md#execution-model, snow.md#main-and-program-lifetime).
//
// `main` is a process (snow.md#decisions item 3). The host thread starts the runtime, spawns main, and
// then watches: a runtime error in main ends the program at once with status 1 and the
// error (which names the .snow file and line) on stderr; otherwise, once main has
// returned, the program ends when it is quiescent (see process.hpp), discarding the
// processes still blocked without running their terminate clauses.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "snow/monitor.hpp"
#include "snow/runtime.hpp"
#include "snow/lang/process.hpp"

namespace snow::lang {

using MainFn = Co<Value> (*)(Self);

struct MainOutcome {
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  std::string error;  // written before `done` is set
};
inline MainOutcome main_outcome;

/// Lives in main's frame: if the frame goes before main has finished, main was ended by
/// an exit signal (Process.exit; links cannot end it, see run_program), and the program
/// ends as after a runtime error in main instead of waiting for a main that is gone.
struct MainEndWatch {
  bool finished = false;
  MainEndWatch() = default;
  MainEndWatch(const MainEndWatch&) = delete;
  ~MainEndWatch() {
    if (finished || main_outcome.done.load()) return;
    main_outcome.error = "main was ended by an exit signal";
    main_outcome.failed.store(true);
    main_outcome.done.store(true);
    main_outcome.done.notify_all();
  }
};

/// main's process. It catches main's runtime error itself (rather than the host waiting
/// for a Down) so the host only polls two atomics.
snow::Proc main_process(Self self, MainFn main_fn);

/// Every live process blocked, no timer pending and no process of `rt` running or waiting
/// to run, at this sample; `epoch` is set to the activity epoch read with it (process.hpp).
bool quiescent(const snow::Runtime& rt, std::uint32_t& epoch);

/// Quiescent now and still, with nothing happening, a little later.
bool settled(const snow::Runtime& rt);

int run_program(MainFn main_fn);

}  // namespace snow::lang
