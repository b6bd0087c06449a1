// src/observe/process_info.cpp: process_info (asking a process) and processes() (reading
// what every process publishes). See src/observe/process_info.hpp for the protocol.
#include "src/observe/process_info.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/observe.hpp"
#include "snow/scoped_actor.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow {

std::string_view to_string(ProcessStatus status) {
  switch (status) {
    case ProcessStatus::waiting: return "waiting";
    case ProcessStatus::runnable: return "runnable";
    case ProcessStatus::running: return "running";
  }
  return "?";
}

namespace detail {

ProcessStatus status_of(RunState state) noexcept {
  switch (state) {
    case RunState::waiting: return ProcessStatus::waiting;
    case RunState::running: return ProcessStatus::running;
    case RunState::runnable:
    case RunState::exited: break;
  }
  return ProcessStatus::runnable;
}

void for_each_process(RuntimeCore& core, const std::function<void(Process&)>& fn) {
  for (ProcessRef& p : core.table.snapshot()) {
    if (p->state.load(std::memory_order_acquire) == RunState::exited) continue;  // ending now
    fn(*p.get());
  }
}

namespace {

/// The fields any thread may read. `capacity`, `host` and `system` are set before the
/// process enters the table, whose lock publishes them to whoever finds it there.
void fill_summary(const Process& p, ProcessSummary& out) {
  out.pid = p.pid;
  out.status = status_of(p.state.load(std::memory_order_relaxed));
  out.scoped_actor = p.is_host();
  out.system = p.system;
  out.mailbox_length = p.queue.size();
  out.mailbox_capacity = p.capacity;
  out.dropped = p.dropped.load(std::memory_order_relaxed);
  out.reductions = p.reductions.load(std::memory_order_relaxed);
  out.messages_received = p.received.load(std::memory_order_relaxed);
  out.memory_bytes = sizeof(Process) + (p.is_host() ? sizeof(HostWaiter) : 0) +
                     p.body_bytes.load(std::memory_order_relaxed) + p.queue.bytes();
}

/// Everything about `p`, read on its own thread.
ProcessInfo describe(Process* p) {
  ProcessInfo info;
  fill_summary(*p, info);
  if (p->name_state.load(std::memory_order_acquire) == NameState::named) info.name = p->core.registry.name_of(p->pid);
  // Answering is something the process does between receives, unless it is parked in one.
  info.status = p->waiter != nullptr ? ProcessStatus::waiting : ProcessStatus::running;
  if (!p->is_host()) {
    // The turn in progress counts too (published reductions lag by at most one turn).
    const std::int64_t spent = p->core.options.budget - p->budget;
    if (spent > 0) info.reductions += static_cast<std::uint64_t>(spent);
  }
  info.traps_exits = p->trap_exit;
  if (p->has_relations()) {
    Relations& r = p->relations();
    info.links.assign(r.links.begin(), r.links.end());
    for (const auto& [ref, target] : r.monitors) info.monitors.push_back(target);
    for (const auto& [ref, watcher] : r.watchers) info.monitored_by.push_back(watcher);
  }
  return info;
}

absl::Status no_process(Pid pid) { return absl::NotFoundError(absl::StrCat("no process ", pid.to_string())); }

/// What can be answered without asking the process; nullopt when it must be asked.
/// `asker` is the asking process (or ScopedActor), which describes itself directly.
std::optional<absl::StatusOr<ProcessInfo>> answer_without_asking(RuntimeCore& core, Process* asker, Pid pid) {
  if (pid.is_null()) return absl::StatusOr<ProcessInfo>(no_process(pid));
  if (!pid.is_local()) {
    return absl::StatusOr<ProcessInfo>(absl::InvalidArgumentError(
        absl::StrCat("process_info: ", pid.to_string(), " is on another node (ask there)")));
  }
  if (core.stopping()) {
    return absl::StatusOr<ProcessInfo>(absl::FailedPreconditionError("process_info: the runtime is stopping"));
  }
  if (asker != nullptr && pid == asker->pid) {
    drain(asker);  // the mailbox length counts what has arrived until now
    return absl::StatusOr<ProcessInfo>(describe(asker));
  }
  if (!core.find(pid)) return absl::StatusOr<ProcessInfo>(no_process(pid));
  return std::nullopt;
}

absl::StatusOr<ProcessInfo> unpack(CallReply& reply) {
  if (!reply.status.ok()) return reply.status;
  if (ProcessInfo* info = reply.payload.get<ProcessInfo>()) return std::move(*info);
  return absl::InternalError(absl::StrCat("process_info: a reply of type ", reply.payload.type_name()));
}

/// The clauses that wait for the answer tagged `ref`.
auto answer_clauses(Pid pid, Ref ref, absl::Duration timeout, std::optional<absl::StatusOr<ProcessInfo>>& out) {
  return std::make_tuple(
      on<CallReply>(has_ref(&CallReply::ref, ref), [&out](CallReply r) { out.emplace(unpack(r)); }),
      after(timeout, [&out, pid, timeout] {
        out.emplace(absl::DeadlineExceededError(absl::StrCat(pid.to_string(), " did not answer process_info within ",
                                                             absl::FormatDuration(timeout))));
      }));
}

/// Sends an answer. An asker that gave up and has ended (a host thread's temporary
/// ScopedActor, say) gets nothing: asking must not show up in the dead letters it reports.
void answer(RuntimeCore& core, Pid asker, CallReply reply, Pid from) {
  if (!core.find(asker)) return;
  deliver(core, asker, box(std::move(reply)), from);
}

}  // namespace

void answer_info(Process* p, const InfoSignal& request) noexcept {
  try {
    answer(p->core, request.reply_to, CallReply{request.ref, Message::of(describe(p)), absl::OkStatus()}, p->pid);
  } catch (...) {
    // Out of memory while describing: no answer, and the asker's timeout tells it.
  }
}

void answer_info_gone(RuntimeCore& core, const InfoSignal& request, Pid target) noexcept {
  try {
    answer(core, request.reply_to, CallReply{request.ref, Message(), no_process(target)}, target);
  } catch (...) {
  }
}

}  // namespace detail

std::vector<ProcessSummary> processes(Runtime& rt) {
  detail::RuntimeCore& core = rt.core();
  absl::flat_hash_map<Pid, std::string> names;
  for (auto& [pid, name] : core.registry.entries()) names.emplace(pid, std::move(name));
  std::vector<ProcessSummary> out;
  detail::for_each_process(core, [&](detail::Process& p) {
    ProcessSummary& row = out.emplace_back();
    detail::fill_summary(p, row);
    if (auto it = names.find(p.pid); it != names.end()) row.name = it->second;
  });
  std::sort(out.begin(), out.end(), [](const ProcessSummary& a, const ProcessSummary& b) { return a.pid < b.pid; });
  return out;
}

absl::StatusOr<ProcessInfo> process_info(const ScopedActor& me, Pid pid, absl::Duration timeout) {
  detail::RuntimeCore& core = me.runtime().core();
  if (auto answer = detail::answer_without_asking(core, me.process(), pid)) return *std::move(answer);
  const Ref ref = me.make_ref();  // also the marker: the wait skips everything older
  detail::deliver(core, pid, detail::box_signal(detail::InfoSignal{me.pid(), ref}), me.pid());
  std::optional<absl::StatusOr<ProcessInfo>> out;
  std::apply([&](auto&&... c) { me.receive_since(ref, std::move(c)...); },
             detail::answer_clauses(pid, ref, timeout, out));
  if (absl::IsDeadlineExceeded(out->status())) detail::abandon_reply(me.process(), ref);
  return *std::move(out);
}

absl::StatusOr<ProcessInfo> process_info(Runtime& rt, Pid pid, absl::Duration timeout) {
  if (auto answer = detail::answer_without_asking(rt.core(), nullptr, pid)) return *std::move(answer);
  ScopedActor me(rt);
  return process_info(me, pid, timeout);
}

Task<absl::StatusOr<ProcessInfo>> process_info(Self self, Pid pid, absl::Duration timeout) {
  detail::RuntimeCore& core = self.runtime().core();
  if (auto answer = detail::answer_without_asking(core, self.process(), pid)) co_return *std::move(answer);
  const Ref ref = self.make_ref();
  detail::deliver(core, pid, detail::box_signal(detail::InfoSignal{self.pid(), ref}), self.pid());
  std::optional<absl::StatusOr<ProcessInfo>> out;
  co_await std::apply([&](auto&&... c) { return self.receive(std::move(c)...); },
                      detail::answer_clauses(pid, ref, timeout, out))
      .since(ref);
  if (absl::IsDeadlineExceeded(out->status())) detail::abandon_reply(self.process(), ref);
  co_return *std::move(out);
}

}  // namespace snow
