// src/runtime/process.cpp: signals, receive, the run loop of one process, and its end.
#include "src/runtime/process.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "src/observe/process_info.hpp"
#include "src/runtime/queued_downs.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {

/// A signal `node` could not be delivered because `target` is gone: answer for it, so
/// the sender of a link or monitor hears noproc instead of waiting for ever.
void answer_for_dead(RuntimeCore& core, Pid target, MessageNode* node) noexcept {
  if (is_signal<LinkSignal>(node)) {
    const Pid from = unbox<LinkSignal>(node).from;
    deliver(core, from, box_signal(ExitSignal{target, ExitReason::noproc(), true}), target);
  } else if (is_signal<MonitorSignal>(node)) {
    auto& m = unbox<MonitorSignal>(node);
    deliver(core, m.from, box_signal(DownSignal{m.ref, target, ExitReason::noproc()}), target);
  } else if (is_signal<InfoSignal>(node)) {
    answer_info_gone(core, unbox<InfoSignal>(node), target);
  } else if (!node->type->is_signal) {
    core.obs.dead_no_process.fetch_add(1, std::memory_order_relaxed);
  }
  destroy(node);
}

void end_with(Process* p, ExitReason reason) {
  if (!p->pending_exit) p->pending_exit = std::make_unique<ExitReason>(std::move(reason));
}

void handle_exit_signal(Process* p, ExitSignal& s) {
  // The runtime's own processes (the cluster process) serve every node: no exit signal
  // from another node ends them, kill included, whether sent or through a link (a peer
  // holding the cookie could otherwise stop a node's global names). The program itself
  // may still end them with a local exit.
  if (p->system && !s.from.is_local()) {
    p->core.log(LogLevel::debug, absl::StrCat("process ", p->pid.to_string(), " ignores exit(", s.reason.to_string(),
                                              ") from ", s.from.to_string(), ": a runtime process ignores other nodes' exits"));
    return;
  }
  if (s.via_link) {
    // An exit through a link we have since removed must not act (unlink guarantees it).
    if (!p->has_relations() || p->relations().links.erase(s.from) == 0) return;
  }
  if (!s.via_link && s.reason.is(ExitReason::Kind::kill)) {
    end_with(p, ExitReason::killed());  // untrappable
  } else if (p->trap_exit) {
    p->append_local(box(Exit{s.from, std::move(s.reason)}));
  } else if (s.via_link && p->exit_rules != ExitRules::erlang) {
    // Snow's rules (snow/exit_rules.hpp): only an abnormal end travels, and it says whose.
    if (p->exit_rules == ExitRules::snow && !s.reason.is_normal() && !s.reason.is(ExitReason::Kind::shutdown)) {
      end_with(p, ExitReason::linked(s.from, std::move(s.reason)));
    }
  } else if (!s.reason.is_normal()) {
    end_with(p, std::move(s.reason));
  } else if (s.from == p->pid) {
    end_with(p, ExitReason::normal());  // exit(self, normal) ends the caller, as in Erlang
  } else if (!s.via_link) {
    // Erlang's rule; said at debug because a sender may expect exit(pid, normal) to stop it.
    p->core.log(LogLevel::debug, absl::StrCat("process ", p->pid.to_string(), " ignores exit(normal) from ",
                                              s.from.to_string(), ": it does not trap exits"));
  }
}

void handle_signal(Process* p, MessageNode* node) {
  if (is_signal<ExitSignal>(node)) {
    handle_exit_signal(p, unbox<ExitSignal>(node));
  } else if (is_signal<LinkSignal>(node)) {
    p->relations().links.insert(unbox<LinkSignal>(node).from);
  } else if (is_signal<UnlinkSignal>(node)) {
    if (p->has_relations()) p->relations().links.erase(unbox<UnlinkSignal>(node).from);
  } else if (is_signal<MonitorSignal>(node)) {
    auto& m = unbox<MonitorSignal>(node);
    p->relations().watchers.emplace(m.ref.raw(), m.from);
  } else if (is_signal<DemonitorSignal>(node)) {
    if (p->has_relations()) p->relations().watchers.erase(unbox<DemonitorSignal>(node).ref.raw());
  } else if (is_signal<DownSignal>(node)) {
    auto& d = unbox<DownSignal>(node);
    // Only a monitor we still hold produces a Down, and erasing it makes it exactly once.
    if (p->has_relations() && p->relations().monitors.erase(d.ref.raw()) == 1) {
      queue_down(p, Down{d.ref, d.pid, std::move(d.reason)});
    }
  } else if (is_signal<TimeoutSignal>(node)) {
    const std::uint64_t timer = unbox<TimeoutSignal>(node).timer;
    if (p->waiter && p->waiter->timer == timer) {
      p->waiter->timed_out = true;
      p->waiter->timer = 0;  // fired: nothing left to cancel
    }
  } else if (is_signal<InfoSignal>(node)) {
    answer_info(p, unbox<InfoSignal>(node));
  }
  destroy(node);
}

ExitReason reason_from(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const ProcessExit& exit) {
    return exit.reason;
  } catch (const std::exception& ex) {
    return ExitReason::error(ex.what());
  } catch (...) {
    return ExitReason::error("unknown exception");
  }
}

void finish_receive(Process* p, ReceiveState& s) {
  if (s.timer != 0) {
    p->core.timers.cancel(s.timer);
    s.timer = 0;
  }
  p->waiter = nullptr;
}

}  // namespace

namespace {
/// True for the late reply of a call this process abandoned (the reply is consumed).
bool is_abandoned_reply(Process* p, MessageNode* n) {
  if (!p->has_relations()) return false;
  if (auto& matching = p->relations().abandoned_matching; !matching.empty()) [[unlikely]] {
    for (auto it = matching.begin(); it != matching.end(); ++it) {
      if (it->second(n, it->first)) {
        matching.erase(it);
        return true;
      }
    }
  }
  if (n->type != type_of<CallReply>()) return false;
  auto& abandoned = p->relations().abandoned_replies;
  return !abandoned.empty() && abandoned.erase(unbox<CallReply>(n).ref.raw()) == 1;
}

// -- histograms (snow/observe.hpp): only called while RuntimeOptions::histograms is on --

/// Wraps a message about to enter an intake with its arrival time.
MessageNode* stamp_arrival(RuntimeCore& core, MessageNode* node) noexcept {
  if (node->type->is_signal) return node;
  try {
    return box_signal(ArrivalStamp(node, internal::observe_now_nanos(core)));
  } catch (...) {  // out of memory: the message goes unstamped (and unmeasured)
    return node;
  }
}
/// The message inside an ArrivalStamp (the wrapper is freed), or `node` itself; any time.
MessageNode* unstamp(MessageNode* node, std::int64_t* arrived = nullptr) noexcept {
  if (!is_signal<ArrivalStamp>(node)) return node;
  auto& stamp = unbox<ArrivalStamp>(node);
  MessageNode* message = std::exchange(stamp.message, nullptr);
  if (arrived) *arrived = stamp.arrived_nanos;
  destroy(node);
  return message;
}
/// The process's message times, made on first use; null when memory ran out (what was
/// to be noted then goes unmeasured).
Process::MessageTimes* message_times(Process* p) noexcept {
  if (!p->times) {
    try {
      p->times = std::make_unique<Process::MessageTimes>();
    } catch (...) {
      return nullptr;
    }
  }
  return p->times.get();
}
/// Notes the arrival of a message just appended to the queue.
void remember_arrival(Process* p, const MessageNode* node, std::int64_t nanos) noexcept {
  try {
    if (Process::MessageTimes* times = message_times(p)) times->arrivals.push_back({node, nanos});
  } catch (...) {  // out of memory: this one goes unmeasured
  }
}
/// Takes the arrival of a message leaving the queue (0 if unknown). A FIFO receive takes
/// the first, a receive from the marker usually the last; otherwise the search costs
/// about what the receive's own scan did.
std::int64_t take_arrival(Process* p, const MessageNode* node) noexcept {
  if (!p->times || p->times->arrivals.empty()) return 0;
  std::deque<Process::Arrival>& a = p->times->arrivals;
  std::int64_t nanos = 0;
  if (a.front().message == node) {
    nanos = a.front().nanos;
    a.pop_front();
  } else if (a.back().message == node) {
    nanos = a.back().nanos;
    a.pop_back();
  } else if (auto it = std::find_if(a.begin(), a.end(), [node](const auto& x) { return x.message == node; });
             it != a.end()) {
    nanos = it->nanos;
    a.erase(it);
  }
  return nanos;
}
/// `node` was just taken by a receive. Its time in the mailbox ends, and
/// the process's handling of it begins (ScopedActors excepted: what a host thread does
/// between receives is not handling).
void note_taken(Process* p, MessageNode* node) noexcept {
  const std::int64_t now = internal::observe_now_nanos(p->core);
  if (const std::int64_t arrived = take_arrival(p, node); arrived != 0) {
    p->core.obs.time_in_mailbox.record(now - arrived);
  }
  if (p->is_host()) return;
  if (Process::MessageTimes* times = message_times(p)) times->handling_since = now;
}
/// The message in hand is handled (the process asks for the next one, or ends).
void end_handling(Process* p) noexcept {
  p->core.obs.handling_time.record(internal::observe_now_nanos(p->core) - p->times->handling_since);
  p->times->handling_since = 0;
}
}  // namespace

void note_local_arrival(Process* p, MessageNode* node) noexcept {
  if (p->core.options.histograms) [[unlikely]]
    remember_arrival(p, node, internal::observe_now_nanos(p->core));
}

void forget_arrival(Process* p, const MessageNode* node) noexcept { take_arrival(p, node); }

void Process::count_turn() noexcept {
  const std::int64_t spent = core.options.budget - budget;  // a turn may overspend its budget
  if (spent > 0) reductions.store(reductions.load(std::memory_order_relaxed) + spent, std::memory_order_relaxed);
}

void drain(Process* p) {
  for (MessageNode* n = p->intake.take_all(); n;) {
    MessageNode* next = n->next;
    std::int64_t arrived = 0;
    if (n->type->is_signal) {
      if (!is_signal<ArrivalStamp>(n)) {
        handle_signal(p, n);
        n = next;
        continue;
      }
      n = unstamp(n, &arrived);  // histograms on: a message with its arrival time
    }
    if (is_abandoned_reply(p, n)) {
      p->count_out();
      p->core.obs.late_replies.fetch_add(1, std::memory_order_relaxed);
      destroy(n);
    } else {
      p->queue.append(n);
      if (arrived != 0) [[unlikely]]
        remember_arrival(p, n, arrived);
    }
    n = next;
  }
  // A long queue marks the process backlogged; a short one counts its backlog memory down.
  if (p->queue.size() > kBacklogHigh || p->backlog_memory.load(std::memory_order_relaxed) != 0) [[unlikely]]
    note_backlog(p);
}

void abandon_reply(Process* p, Ref ref) noexcept {
  // A reply that raced the timeout may already be queued: take it out now. It came after
  // the request, so after the marker `ref` placed, if that is still the marker (it is
  // at the end of a call): a long mailbox is not searched (otherwise from the head).
  drain(p);
  for (MessageNode** slot = p->queue.start_for(ref.raw()); *slot; slot = &(*slot)->next) {
    ++p->scanned;
    if ((*slot)->type == type_of<CallReply>() && unbox<CallReply>(*slot).ref == ref) {
      forget_arrival(p, *slot);
      destroy(p->queue.remove(slot));
      p->count_out();
      p->core.obs.late_replies.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  p->relations().abandoned_replies.insert(ref.raw());
}

void abandon_matching(Process* p, Ref ref, ReplyMatcher matches) noexcept {
  drain(p);  // as abandon_reply: the reply may be queued already (searched from the marker)
  for (MessageNode** slot = p->queue.start_for(ref.raw()); *slot; slot = &(*slot)->next) {
    ++p->scanned;
    if (!is_withdrawn(*slot) && matches(*slot, ref.raw())) {
      forget_arrival(p, *slot);
      destroy(p->queue.remove(slot));
      p->count_out();
      p->core.obs.late_replies.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  p->relations().abandoned_matching.emplace(ref.raw(), matches);
}

void wake(Process* p) noexcept {
  RunState s = p->state.load(std::memory_order_seq_cst);
  if (s != RunState::waiting) return;
  if (!p->state.compare_exchange_strong(s, RunState::runnable, std::memory_order_seq_cst)) return;
  if (p->host) {
    p->host->notify();
  } else {
    p->core.scheduler.schedule(p);
  }
}

namespace {
/// Admits `node` into a bounded mailbox, or refuses it (counted) when the mailbox is full.
/// Signals are always admitted: exits, monitors and timeouts must never be lost.
bool admit(RuntimeCore& core, Process* p, MessageNode* node) noexcept {
  if (p->capacity == 0 || node->type->is_signal) return true;
  if (p->queued.fetch_add(1, std::memory_order_relaxed) < p->capacity) return true;
  p->queued.fetch_sub(1, std::memory_order_relaxed);
  p->dropped.fetch_add(1, std::memory_order_relaxed);
  core.dropped.fetch_add(1, std::memory_order_relaxed);
  destroy(node);
  return false;
}

Delivery push_to(RuntimeCore& core, Process* p, Pid to, MessageNode* node) noexcept {
  if (!admit(core, p, node)) return Delivery::full;
  if (core.options.histograms) [[unlikely]]
    node = stamp_arrival(core, node);
  if (!p->intake.push(node)) {
    p->count_out();
    answer_for_dead(core, to, unstamp(node));
    return Delivery::dead;
  }
  wake(p);
  return Delivery::delivered;
}
}  // namespace

absl::Status send_until(RuntimeCore& core, Pid to, MessageNode* node, absl::Time deadline) noexcept {
  if (!to.is_local()) [[unlikely]]
    return send_acked_blocking(core, to, node, std::max(deadline - core.timers.now(), absl::ZeroDuration()), true);
  absl::Duration pause = absl::Microseconds(20);
  for (;;) {
    ProcessRef p = core.stopping() ? ProcessRef() : core.find(to);
    if (!p) {
      answer_for_dead(core, to, node);
      return absl::NotFoundError(absl::StrCat("no process ", to.to_string()));
    }
    if (p->capacity == 0 || p->queued.fetch_add(1, std::memory_order_relaxed) < p->capacity) {
      if (core.options.histograms) [[unlikely]]
        node = stamp_arrival(core, node);
      if (!p->intake.push(node)) {
        p->count_out();
        answer_for_dead(core, to, unstamp(node));
        return absl::NotFoundError(absl::StrCat("no process ", to.to_string()));
      }
      wake(p.get());
      return absl::OkStatus();
    }
    p->queued.fetch_sub(1, std::memory_order_relaxed);
    p.reset();
    if (core.timers.now() >= deadline) {
      destroy(node);
      return absl::DeadlineExceededError(absl::StrCat("the mailbox of ", to.to_string(), " stayed full"));
    }
    // No notification exists for "room in a mailbox", so a blocked host thread polls,
    // backing off to 1 ms. In a deterministic runtime only running it can make room.
    if (core.options.deterministic) {
      if (!core.scheduler.step() && !core.timers.fire_next(deadline)) core.timers.set_virtual_now(deadline);
    } else {
      absl::SleepFor(pause);
      pause = std::min(pause * 2, absl::Milliseconds(1));
    }
  }
}

namespace {
/// A message or signal for a process on another node: the node's router takes it, or,
/// when this runtime is not a node, it is answered as for an unreachable node.
Delivery deliver_remote(RuntimeCore& core, Pid from, Pid to, MessageNode* node) noexcept {
  if (RemoteRouter* router = core.router.load(std::memory_order_acquire)) return router->route(from, to, node);
  if (is_signal<LinkSignal>(node)) {
    deliver(core, unbox<LinkSignal>(node).from, box_signal(ExitSignal{to, ExitReason::noconnection(), true}), to);
  } else if (is_signal<MonitorSignal>(node)) {
    auto& m = unbox<MonitorSignal>(node);
    deliver(core, m.from, box_signal(DownSignal{m.ref, to, ExitReason::noconnection()}), to);
  } else if (!node->type->is_signal) {
    core.obs.dead_not_a_node.fetch_add(1, std::memory_order_relaxed);
  }
  destroy(node);
  return Delivery::dead;
}
}  // namespace

Delivery deliver(RuntimeCore& core, Pid to, MessageNode* node, Pid from) noexcept {
  if (core.stopping() || to.is_null()) {
    destroy(node);
    return Delivery::dead;
  }
  if (!to.is_local()) return deliver_remote(core, from, to, node);
  ProcessRef p = core.find(to);
  if (!p) {
    answer_for_dead(core, to, node);
    return Delivery::dead;
  }
  return push_to(core, p.get(), to, node);
}

Delivery deliver_from(Process* from, Pid to, MessageNode* node) noexcept {
  RuntimeCore& core = from->core;
  --from->budget;  // a send is a reduction; the process yields at its next receive or tick
  if (core.stopping() || to.is_null()) {
    destroy(node);
    return Delivery::dead;
  }
  if (!to.is_local()) [[unlikely]]
    return deliver_remote(core, from->pid, to, node);
  if (!from->send_cache_holds(to)) {
    ProcessRef found = core.find(to);
    if (!found) {
      answer_for_dead(core, to, node);
      return Delivery::dead;
    }
    from->drop_send_cache();
    from->send_cache = found.release();
  }
  const Delivery d = push_to(core, from->send_cache, to, node);
  if (d == Delivery::dead) {
    from->drop_send_cache();
  } else {
    // Tested here, not in the call: this is every send's path.
    if (from->send_cache->backlogged.load(std::memory_order_relaxed)) [[unlikely]]
      note_send_to(from, from->send_cache);
  }
  return d;
}

void terminate(Process* p, ExitReason reason) noexcept {
  RuntimeCore& core = p->core;
  p->state.store(RunState::exited, std::memory_order_release);
  std::uint64_t unmatched = 0;  // messages no receive took, for the observe counters
  // Signals that arrived but were never taken still deserve an answer.
  for (MessageNode* n = p->intake.close(); n;) {
    MessageNode* next = n->next;
    if (is_signal<LinkSignal>(n)) {
      deliver(core, unbox<LinkSignal>(n).from, box_signal(ExitSignal{p->pid, reason, true}), p->pid);
    } else if (is_signal<MonitorSignal>(n)) {
      auto& m = unbox<MonitorSignal>(n);
      deliver(core, m.from, box_signal(DownSignal{m.ref, p->pid, reason}), p->pid);
    } else if (is_signal<UnlinkSignal>(n)) {
      if (p->has_relations()) p->relations().links.erase(unbox<UnlinkSignal>(n).from);
    } else if (is_signal<DemonitorSignal>(n)) {
      if (p->has_relations()) p->relations().watchers.erase(unbox<DemonitorSignal>(n).ref.raw());
    } else if (is_signal<InfoSignal>(n)) {
      answer_info_gone(core, unbox<InfoSignal>(n), p->pid);
    } else if (!n->type->is_signal || is_signal<ArrivalStamp>(n)) {
      ++unmatched;  // a message (destroying a stamp destroys the message in it)
    }
    destroy(n);
    n = next;
  }
  if (p->waiter && p->waiter->timer != 0) p->core.timers.cancel(p->waiter->timer);  // frees its node now
  p->waiter = nullptr;
  if (p->root) std::exchange(p->root, {}).destroy();
  p->body.reset();
  unmatched += p->queue.size();
  if (unmatched != 0) core.obs.unmatched_at_exit.fetch_add(unmatched, std::memory_order_relaxed);
  if (p->handling()) end_handling(p);
  p->queue.clear();
  if (p->has_relations()) p->relations().queued_downs.clear();  // its nodes are gone
  p->times.reset();
  p->drop_send_cache();
  release_muted(p, false);  // senders waiting for our turn to end run again
  drop_mute_target(p);

  if (p->name_state.exchange(NameState::dead) == NameState::named) core.registry.release(p->pid);
  if (p->has_relations()) {
    Relations& r = p->relations();
    for (Pid linked : r.links) deliver(core, linked, box_signal(ExitSignal{p->pid, reason, true}), p->pid);
    for (auto& [ref, watcher] : r.watchers) {
      deliver(core, watcher, box_signal(DownSignal{Ref::from_raw(ref), p->pid, reason}), p->pid);
    }
    // Tell the processes we watch to forget us, so their watcher sets do not grow.
    for (auto& [ref, target] : r.monitors) {
      deliver(core, target, box_signal(DemonitorSignal{Ref::from_raw(ref)}), p->pid);
    }
  }
  if (reason.is(ExitReason::Kind::error)) {
    core.log(LogLevel::error, "process exit", p->pid, absl::StrCat("process ", p->pid.to_string(), " exited: ", reason.to_string()));
  }
  const RuntimeCore::ProcessKind kind = RuntimeCore::kind_of(*p);
  core.table.remove(p);  // may free p
  core.on_process_ended(kind);
}

namespace {
thread_local Process* tls_running = nullptr;  // see running_process()

/// Whether release_muted has anything to do: every turn's end asks, so the common answer
/// costs two relaxed loads here instead of a call. Relaxed suffices: a sender that lists
/// itself while `backlogged` is false takes the stack itself (backpressure.hpp).
bool has_backpressure(const Process* p) noexcept {
  return p->backlogged.load(std::memory_order_relaxed) || p->muted.load(std::memory_order_relaxed) != nullptr;
}
/// Marks `p` as the running process of this thread for one turn.
struct RunningTurn {
  explicit RunningTurn(Process* p) { tls_running = p; }
  ~RunningTurn() { tls_running = nullptr; }
};
}  // namespace

Process* running_process() noexcept { return tls_running; }

namespace {
// What precedes every Task frame: the process whose memory figure counts it, so the frame
// is taken off that count when it is freed. Its size keeps the frame aligned as operator
// new aligns.
struct alignas(__STDCPP_DEFAULT_NEW_ALIGNMENT__) TaskFrameHeader {
  Process* owner;
};
// Only the thread running the process (or the one destroying its frames when it ends)
// allocates and frees its frames: a plain load and store, as for the other counters.
void add_body_bytes(Process* p, std::size_t delta) noexcept {
  p->body_bytes.store(p->body_bytes.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}
}  // namespace

void* allocate_task_frame(std::size_t bytes) {
  void* block = ::operator new(sizeof(TaskFrameHeader) + bytes);
  auto* header = ::new (block) TaskFrameHeader{tls_running};
  if (header->owner) add_body_bytes(header->owner, sizeof(TaskFrameHeader) + bytes);
  return header + 1;
}

void free_task_frame(void* frame, std::size_t bytes) noexcept {
  TaskFrameHeader* header = static_cast<TaskFrameHeader*>(frame) - 1;
  // A frame is freed in a turn of its process (or as the process ends, in its last turn),
  // so the owner is the running process. One freed elsewhere (a Task moved out of its
  // process, the runtime's shutdown) is not taken off: its owner may be gone, and a
  // process that is not running must not be written to.
  if (header->owner != nullptr && header->owner == tls_running) {
    add_body_bytes(header->owner, 0 - (sizeof(TaskFrameHeader) + bytes));
  }
  ::operator delete(header, sizeof(TaskFrameHeader) + bytes);
}

SliceOutcome run_slice(Process* p) noexcept {
  // A worker that parked this process may still be re-checking its intake: let it finish
  // before the process runs (and may park, end and be freed) here. acquire: its window's
  // reads then come before everything this turn does. Almost never waits.
  while (p->parking.load(std::memory_order_acquire)) [[unlikely]]
    std::this_thread::yield();
  const RunningTurn turn(p);
  p->state.store(RunState::running, std::memory_order_relaxed);
  p->budget = p->core.options.budget;
  p->yield_requested = false;
  if (p->mute_state.load(std::memory_order_relaxed) == MuteState::released) [[unlikely]]
    start_turn(p);
  drain(p);
  if (!p->pending_exit && p->waiter && !receive_try(p, *p->waiter)) {
    // Still nothing for the parked receive (or its turn ended before it scanned).
  } else if (!p->pending_exit) {
    p->resume_point.resume();
    p->count_turn();
    if (p->root.done()) {
      std::exception_ptr e = p->root.promise().exception;
      terminate(p, e ? reason_from(e) : ExitReason::normal());
      return SliceOutcome::ended;
    }
  }
  if (p->pending_exit) {
    terminate(p, std::move(*p->pending_exit));
    return SliceOutcome::ended;
  }
  if (p->yield_requested) {
    if (has_backpressure(p)) [[unlikely]]
      release_muted(p, true);  // the turn ends: senders waiting for it run again
    p->state.store(RunState::runnable, std::memory_order_relaxed);
    return SliceOutcome::yielded;
  }
  if (has_backpressure(p)) [[unlikely]]
    release_muted(p, false);  // parking: no longer backlogged, senders run again
  // Park. A push after our last drain either sees `waiting` and schedules us, or happened
  // before this store, in which case the re-check below sees it (both are seq_cst).
  // Once `waiting` is published, a pusher may make the process runnable and another
  // worker may run it to its end and drop its last reference while this thread still
  // re-checks: `parking` keeps the memory until then (Process::release waits for it;
  // ThreadSanitizer found this window). The flag is set before `waiting` is published,
  // so whoever frees the process after running it sees it.
  p->parking.store(true, std::memory_order_relaxed);
  p->state.store(RunState::waiting, std::memory_order_seq_cst);
  SliceOutcome outcome = SliceOutcome::parked;
  if (!p->intake.empty() || released_while_parking(p)) {
    RunState expected = RunState::waiting;
    if (p->state.compare_exchange_strong(expected, RunState::runnable, std::memory_order_seq_cst)) {
      outcome = SliceOutcome::yielded;
    }
  }
  p->parking.store(false, std::memory_order_release);
  return outcome;
}

bool receive_try(Process* p, ReceiveState& s) noexcept {
  if (p->pending_exit) return false;
  if (!s.started) {
    if (p->handling()) [[unlikely]]
      end_handling(p);  // asking for the next message ends the handling of the last one
    if (p->budget <= 0 && !p->is_host()) {
      p->yield_requested = true;  // the turn is over; scan when we run again
      return false;
    }
    s.started = true;
    // No drain here: the queue holds older messages than the intake, so it is scanned
    // first, and the intake is taken only when the scan reaches the end (below). A process
    // working through a backlog then takes no atomic per receive, while its senders push
    // on the intake's cache line. Signals are still handled at the start of every turn
    // (run_slice drains).
    s.cursor = p->queue.start_for(s.since);
  } else {
    drain(p);
  }
  if (p->pending_exit) return false;
  try {
    for (;;) {
      MessageNode* node = *s.cursor;
      if (node == nullptr) {
        // Scanned to the end: take what arrived meanwhile and go on with it.
        drain(p);
        if (p->pending_exit) return false;
        node = *s.cursor;
        if (node == nullptr) break;
      }
      ++p->scanned;
      if (is_withdrawn(node)) [[unlikely]] {
        free_withdrawn(p, s.cursor);  // a Down demonitor flushed: the slot now holds the next
        continue;
      }
      const int clause = s.match(s.clauses, node);
      if (clause >= 0) {
        s.matched = p->queue.remove(s.cursor);
        note_taken_down(p, s.matched);
        p->count_out();
        p->received.store(p->received.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (p->core.options.histograms) [[unlikely]]
          note_taken(p, s.matched);
        s.clause = clause;
        // The timer may have fired in the same drain that brought this message: a match
        // wins (the message would otherwise be taken out of the queue and never handled).
        s.timed_out = false;
        --p->budget;
        finish_receive(p, s);
        return true;
      }
      s.cursor = &node->next;
    }
  } catch (...) {
    end_with(p, reason_from(std::current_exception()));  // a guard threw
    finish_receive(p, s);
    return false;
  }
  if (s.timed_out || s.timeout <= absl::ZeroDuration()) {
    s.timed_out = true;
    finish_receive(p, s);
    return true;
  }
  if (s.timer == 0 && s.timeout != absl::InfiniteDuration()) {
    s.timer = p->core.timers.reserve_id();
    p->core.timers.arm(s.timer, p->core.timers.now() + s.timeout, p->pid, box_signal(TimeoutSignal{s.timer}));
  }
  return false;
}

void receive_wait(Process* p, ReceiveState& s, std::coroutine_handle<> h) noexcept {
  p->resume_point = h;
  if (!p->pending_exit) p->waiter = &s;
}

bool spend_reduction(Process* p) noexcept {
  // A process that sent to a backlogged one gives way at this tick (backpressure.hpp).
  return (--p->budget > 0 && !p->mute_pending) || p->is_host();
}

void yield(Process* p, std::coroutine_handle<> h) noexcept {
  if (has_mute_target(p)) [[unlikely]] {
    mute(p, h);  // parks until the backlogged receiver's turn ends, or yields
    return;
  }
  p->resume_point = h;
  p->yield_requested = true;
}

}  // namespace snow::detail
