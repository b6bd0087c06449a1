// snow/timer.hpp: timers.
//
// `send_after(delay, pid, msg)` delivers `msg` to `pid` after `delay`, unless cancelled
// first. Timers, receive timeouts and sleep all live on one timer facility owned by the
// runtime (an ordered map keyed by deadline: arming and cancelling are O(log n)). In a
// deterministic runtime the clock is virtual and moves only when the test advances it.
#pragma once

#include <cstdint>

namespace snow {

/// Names one pending timer, for cancel_timer.
class TimerRef {
 public:
  constexpr TimerRef() = default;
  constexpr explicit TimerRef(std::uint64_t id) : id_(id) {}
  constexpr std::uint64_t id() const { return id_; }
  constexpr explicit operator bool() const { return id_ != 0; }
  friend constexpr bool operator==(TimerRef, TimerRef) = default;

 private:
  std::uint64_t id_ = 0;
};

}  // namespace snow
