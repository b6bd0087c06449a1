#include "src/runtime/timer_service.hpp"

#include <pthread.h>

#include <vector>

#include "src/runtime/process.hpp"

namespace snow::internal {

TimerService::TimerService(detail::RuntimeCore& core, bool virtual_clock)
    : core_(core), virtual_clock_(virtual_clock) {}

TimerService::~TimerService() { stop(); }

void TimerService::start() {
  if (!virtual_clock_) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "snow-timers");
      run();
    });
  }
}

void TimerService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& [key, entry] : pending_) detail::destroy(entry.node);
  pending_.clear();
  deadline_of_.clear();
}

absl::Time TimerService::now() const {
  if (virtual_clock_) return absl::FromUnixNanos(virtual_now_ns_.load(std::memory_order_relaxed));
  return absl::Now();
}

void TimerService::arm(std::uint64_t id, absl::Time deadline, Pid to, detail::MessageNode* node) {
  std::lock_guard lock(mu_);
  if (stopping_) {
    detail::destroy(node);
    return;
  }
  pending_.emplace(Key{deadline, id}, Entry{to, node});
  deadline_of_.emplace(id, deadline);
  // Wake the thread only if it would sleep past this deadline. Cancelling does not move
  // wake_at_ back: the thread then wakes once for nothing, which is far cheaper than a
  // wake-up per arm when every call arms and cancels a timeout.
  if (deadline < wake_at_) {
    wake_at_ = deadline;
    cv_.notify_one();
  }
}

bool TimerService::cancel(std::uint64_t id) {
  detail::MessageNode* node = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = deadline_of_.find(id);
    if (it == deadline_of_.end()) return false;
    auto entry = pending_.find(Key{it->second, id});
    node = entry->second.node;
    pending_.erase(entry);
    deadline_of_.erase(it);
  }
  detail::destroy(node);
  return true;
}

void TimerService::take_due(absl::Time t, std::vector<Entry>& out) {
  while (!pending_.empty() && pending_.begin()->first.first <= t) {
    auto it = pending_.begin();
    out.push_back(it->second);
    deadline_of_.erase(it->first.second);
    pending_.erase(it);
  }
}

void TimerService::deliver(std::vector<Entry>& due) {
  for (Entry& e : due) detail::deliver(core_, e.to, e.node);
  due.clear();
}

void TimerService::run() {
  std::vector<Entry> due;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        take_due(absl::Now(), due);
        if (!due.empty()) break;
        wake_at_ = pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first.first;
        if (pending_.empty()) {
          cv_.wait(lock);
        } else {
          // wait_for rather than wait_until: absl::Time is on the system clock, and a
          // relative wait on the steady clock does not jump when the wall clock does.
          cv_.wait_for(lock, absl::ToChronoNanoseconds(pending_.begin()->first.first - absl::Now()));
        }
      }
    }
    deliver(due);
  }
}

std::optional<absl::Time> TimerService::next_deadline() const {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return std::nullopt;
  return pending_.begin()->first.first;
}

bool TimerService::fire_next(absl::Time limit) {
  std::vector<Entry> due;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty()) return false;
    const absl::Time t = pending_.begin()->first.first;
    if (t > limit) return false;
    if (t > now()) virtual_now_ns_.store(absl::ToUnixNanos(t), std::memory_order_relaxed);
    take_due(t, due);
  }
  deliver(due);
  return true;
}

void TimerService::set_virtual_now(absl::Time t) {
  virtual_now_ns_.store(absl::ToUnixNanos(t), std::memory_order_relaxed);
}

}  // namespace snow::internal
