// src/runtime/self.cpp: what a process does through its Self to itself and to others
// (links, monitors, exit signals, refs, its registered name). Apart from process.cpp,
// which is the process's own machinery (signals, receive, its run loop and its end):
// these are the calls a body makes, each a signal sent or a table changed.
#include <optional>
#include <string>
#include <string_view>

#include "snow/actor.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/queued_downs.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow {

using detail::box_signal;

bool Self::cancel_timer(TimerRef timer) const { return process_->core.timers.cancel(timer.id()); }

void Self::link(Pid other) const {
  if (other == process_->pid || other.is_null()) return;
  if (!process_->relations().links.insert(other).second) return;
  detail::deliver_from(process_, other, box_signal(detail::LinkSignal{process_->pid}));
}

void Self::unlink(Pid other) const {
  if (!process_->has_relations() || process_->relations().links.erase(other) == 0) return;
  detail::deliver_from(process_, other, box_signal(detail::UnlinkSignal{process_->pid}));
}

Ref Self::monitor(Pid target) const {
  const Ref ref = make_ref();
  process_->relations().monitors.emplace(ref.raw(), target);
  detail::deliver_from(process_, target, box_signal(detail::MonitorSignal{process_->pid, ref}));
  return ref;
}

void Self::demonitor(Ref ref) const {
  if (!process_->has_relations()) return;
  auto& monitors = process_->relations().monitors;
  if (auto it = monitors.find(ref.raw()); it != monitors.end()) {
    const Pid target = it->second;
    monitors.erase(it);
    detail::deliver_from(process_, target, box_signal(detail::DemonitorSignal{ref}));
    // Still active, so its Down is not queued: one still in the intake or yet to come
    // is dropped by drain() because the monitor is gone.
    return;
  }
  // Fired: its Down may be queued (the monitor was erased when it was drained). It is
  // withdrawn, found through the index of queued Downs without a search
  // (src/runtime/queued_downs.hpp): after demonitor returns, no Down for `ref` is seen.
  detail::withdraw_queued_down(process_, ref);
}

void Self::trap_exits(bool on) const { process_->trap_exit = on; }
bool Self::traps_exits() const { return process_->trap_exit; }

void Self::exit(ExitReason reason) const { throw ProcessExit{std::move(reason)}; }

void Self::exit(Pid target, ExitReason reason) const {
  detail::deliver_from(process_, target, box_signal(detail::ExitSignal{process_->pid, std::move(reason), false}));
}

Ref Self::make_ref() const {
  const Ref ref = process_->core.make_ref();
  detail::drain(process_);  // the marker goes after everything that arrived before now
  process_->queue.place_marker(ref.raw());
  return ref;
}

absl::Status Self::register_name(std::string name) const {
  return process_->core.registry.register_name(std::move(name), process_, process_->pid);
}

std::optional<Pid> Self::whereis(std::string_view name) const { return process_->core.registry.whereis(name); }

}  // namespace snow
