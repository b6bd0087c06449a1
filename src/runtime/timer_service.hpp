// src/runtime/timer_service.hpp: the runtime's one timer facility.
//
// Every timer delivers one node (a message for send_after, a TimeoutSignal for a receive
// timeout or sleep) to one Pid at its deadline. Pending timers sit in an ordered map
// keyed by (deadline, id), with an id -> deadline index, so arming and cancelling are
// O(log n) and the earliest timer is the map's first entry.
//
// Real clock: one thread sleeps until the earliest deadline (or until an earlier timer
// is armed), then delivers what is due outside the lock. Virtual clock (deterministic
// runtime): no thread; time moves only through advance_to(), which fires timers in
// deadline order (ties in arming order).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include <condition_variable>
#include <mutex>
#include "absl/time/time.h"
#include "snow/detail/message_node.hpp"
#include "snow/pid.hpp"

namespace snow::detail {
class RuntimeCore;
}

namespace snow::internal {

class TimerService {
 public:
  TimerService(detail::RuntimeCore& core, bool virtual_clock);
  ~TimerService();

  void start();
  /// Stops the thread and frees every pending timer's node.
  void stop();

  absl::Time now() const;
  /// An id for a timer about to be armed (a receive timeout names its timer in its node).
  std::uint64_t reserve_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  /// Arms timer `id`: at `deadline`, `node` is delivered to `to`. Takes the node.
  void arm(std::uint64_t id, absl::Time deadline, Pid to, detail::MessageNode* node);
  /// Disarms `id` and frees its node; false if it already fired or was cancelled.
  bool cancel(std::uint64_t id);

  // -- virtual clock --
  std::optional<absl::Time> next_deadline() const;
  /// Moves the virtual clock to the earliest pending deadline if it is <= limit and fires
  /// every timer due then. False if no timer is due by `limit`.
  bool fire_next(absl::Time limit);
  void set_virtual_now(absl::Time t);

 private:
  struct Entry {
    Pid to;
    detail::MessageNode* node;
  };
  using Key = std::pair<absl::Time, std::uint64_t>;
  void run();
  void deliver(std::vector<Entry>& due);
  /// Removes every entry due at or before `t` into `out`.
  void take_due(absl::Time t, std::vector<Entry>& out);  // needs mu_ held

  detail::RuntimeCore& core_;
  const bool virtual_clock_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::int64_t> virtual_now_ns_{0};  // since the Unix epoch

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, Entry> pending_;  // guarded by mu_
  absl::flat_hash_map<std::uint64_t, absl::Time> deadline_of_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  absl::Time wake_at_ = absl::InfinitePast();  // guarded by mu_; when the thread will next look
  std::thread thread_;
};

}  // namespace snow::internal
