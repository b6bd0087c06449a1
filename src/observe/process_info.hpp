// src/observe/process_info.hpp: the runtime's side of process_info (snow/observe.hpp).
//
// A process's links, monitors and queue belong to the thread running it, so another
// thread never reads them: it sends an InfoSignal through the process's intake, and the
// process answers as it drains its intake (drain() calls answer_info), on its own
// thread, with a CallReply holding its ProcessInfo. Whoever finds the process gone
// (a push to a closed intake, or the signal still in the intake when the process
// ends) answers NotFound instead, so a request is always answered unless the process
// never takes its intake again (a busy turn, a ScopedActor outside receive): the
// asker's timeout covers that.
#pragma once

#include <cstddef>
#include <functional>

#include "snow/observe.hpp"
#include "src/runtime/process.hpp"

namespace snow::detail {

/// Answers `request` with the ProcessInfo of `p`. Owner thread only (while draining).
void answer_info(Process* p, const InfoSignal& request) noexcept;
/// Answers `request` for the process `target`, which is gone: NotFound. Any thread.
void answer_info_gone(RuntimeCore& core, const InfoSignal& request, Pid target) noexcept;
/// Calls `fn` for every live process (referenced while `fn` runs); any thread. Only what
/// Process publishes for other threads may be read there (state, counters, queue size).
void for_each_process(RuntimeCore& core, const std::function<void(Process&)>& fn);
/// The ProcessStatus a RunState shows as.
ProcessStatus status_of(RunState state) noexcept;

}  // namespace snow::detail
