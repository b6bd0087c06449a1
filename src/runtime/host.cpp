// src/runtime/host.cpp: processes driven by host threads (ScopedActor).
//
// A host process has no coroutine and is never scheduled: its thread blocks on a
// condition variable in its HostWaiter, and wake() notifies that instead of queueing the
// process. It always traps exits, so nothing can end it behind its thread's back.
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "snow/scoped_actor.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
/// A ScopedActor blocks its thread; a process doing so holds a worker that the process it
/// waits for may need (with one worker, for ever), so it is refused where it is written.
void refuse_inside_process(const char* what) {
  if (running_process() != nullptr) [[unlikely]] {
    throw std::logic_error(absl::StrCat(
        "snow: ", what, " inside process ", pid_of(running_process()).to_string(),
        ": a ScopedActor is for threads that are not processes; a process uses its Self "
        "(co_await self.receive(...), co_await svc.call(self, ...))"));
  }
}
}  // namespace

Process* make_host_process(RuntimeCore& core) {
  refuse_inside_process("ScopedActor created");
  SNOW_CHECK(!core.stopping(), "ScopedActor created on a stopped Runtime");
  auto* p = new Process(core, core.local_pid(core.table.next_serial()));
  p->host = std::make_unique<HostWaiter>();
  p->trap_exit = true;
  p->state.store(RunState::running, std::memory_order_relaxed);
  p->add_ref();  // the ScopedActor's own reference, dropped in end_host_process
  core.on_process_started(RuntimeCore::ProcessKind::host);
  core.table.insert(p);
  return p;
}

void end_host_process(Process* p) noexcept {
  RuntimeCore& core = p->core;
  if (p->state.load() != RunState::exited) {
    drain(p);
    terminate(p, ExitReason::normal());
  }
  (void)core;
  p->release();
}

void host_receive(Process* p, ReceiveState& state) {
  refuse_inside_process("ScopedActor::receive called");
  RuntimeCore& core = p->core;
  p->waiter = &state;  // so the receive's timeout signal finds it; cleared on completion
  if (core.options.deterministic) {
    // No other thread will ever run anything: run the runtime ourselves, and move the
    // virtual clock to the next timer whenever everything is idle.
    for (;;) {
      while (core.scheduler.step()) {
        if (receive_try(p, state)) return;
      }
      if (receive_try(p, state)) return;
      SNOW_CHECK(core.timers.fire_next(absl::InfiniteFuture()),
                 "deterministic runtime: a ScopedActor waits for ever (no process can run and no timer is pending)");
    }
  }
  HostWaiter& w = *p->host;
  for (;;) {
    p->state.store(RunState::waiting, std::memory_order_seq_cst);
    if (p->intake.empty()) {
      std::unique_lock lock(w.mu);
      w.cv.wait(lock, [&] { return w.woken; });
      w.woken = false;
    }
    p->state.store(RunState::running, std::memory_order_seq_cst);
    if (receive_try(p, state)) return;
  }
}

}  // namespace snow::detail
