// snow/lang/process.hpp: Snow's concurrency constructs on top of the snow runtime
// (snow.md#concurrency): spawn, send, receive, links, monitors, trapping, timers, the local registry,
// exit reasons as Snow values, and the bookkeeping for program lifetime (snow.md#main-and-program-lifetime).
//
// Program lifetime. A Snow program ends when every actor is blocked for ever in a
// receive without `after`. The runtime has no such notion (Runtime::join waits for every
// process to end, and services never end), so the processes snowc generates keep count:
// `live` processes (counted at spawn, uncounted when their frame goes), how many of them
// are `blocked` in an after-less receive, and an `epoch` that moves whenever a process
// wakes from a wait, is spawned or ends. The host thread declares the program finished
// when live == blocked, no Timer.send_after is pending, no process is running or queued
// to run (Runtime::idle: an ending process is uncounted before its links hear of it,
// src/lang/program.cpp), and the epoch stands still over a few samples. A send needs no
// mark of its own: a receiver that is running is not counted blocked, so the program is
// not quiescent, and one that is blocked moves the epoch when the message wakes it (a
// message its receive does not take wakes no one, and changes nothing the program could
// do).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/exit_reason.hpp"
#include "snow/exit_rules.hpp"
#include "snow/link.hpp"
#include "snow/mailbox.hpp"
#include "snow/monitor.hpp"
#include "snow/receive.hpp"
#include "snow/runtime.hpp"
#include "snow/lang/ops.hpp"
#include "snow/lang/value.hpp"

namespace snow::lang {

// ---- lifetime bookkeeping ----

struct Lifetime {
  std::atomic<std::int64_t> live{0};
  std::atomic<std::int64_t> timers_until_ms{0};  // last pending send_after deadline
  std::atomic<bool> stopping{false};             // the program is ending: skip terminate clauses
};
inline Lifetime lifetime;

/// `blocked` and `epoch` change at every wait and wake, so each thread keeps its own
/// (on a cache line of its own) and the host sums them. One shared pair of atomics,
/// written by every worker at every message, cost pingpong a third of its time in cache
/// line transfers. Only the owning thread writes a slot (a plain load and store, no
/// locked instruction); a process that blocks on one thread and wakes on another leaves
/// +1 in one slot and -1 in the other, which sum to 0.
///
/// Both live in one word, the epoch in the high 32 bits and `blocked` in the low 32, so
/// that a wake (blocked - 1, epoch + 1) is a single add. Words are summed modulo 2^64: a
/// slot's negative `blocked` borrows from its epoch half, and the sum of all slots is still
/// epoch * 2^32 + blocked, with the total `blocked` small (Activity::sample).
struct alignas(64) ThreadActivity {
  std::atomic<std::uint64_t> word{0};
};
inline constexpr std::uint64_t kEpochUnit = std::uint64_t{1} << 32;

/// What the host reads of the activity counters, summed over threads.
struct ActivitySample {
  std::int64_t blocked;  // processes blocked in an after-less receive (or idle services)
  std::uint32_t epoch;   // only compared for equality, over a few milliseconds
  static ActivitySample of_sum(std::uint64_t sum) {
    const auto blocked = static_cast<std::int32_t>(static_cast<std::uint32_t>(sum));
    const std::uint64_t epoch_part = sum - static_cast<std::uint64_t>(static_cast<std::int64_t>(blocked));
    return {blocked, static_cast<std::uint32_t>(epoch_part >> 32)};
  }
};

class Activity {
 public:
  ThreadActivity& mine() {
    thread_local ThreadActivity* slot = nullptr;  // constant-initialised: no guard on the fast path
    if (slot == nullptr) [[unlikely]]
      slot = add();
    return *slot;
  }
  ActivitySample sample() const {
    std::uint64_t sum = 0;
    for_each([&](const ThreadActivity& t) { sum += t.word.load(std::memory_order_relaxed); });
    return ActivitySample::of_sum(sum);
  }

 private:
  // Out of line: inlined, this once-per-thread path made touch() and count_blocked()
  // calls that save six registers, on every send and receive.
  // Compiled in libsnow_lang (src/lang/process.cpp).
  [[gnu::noinline]] ThreadActivity* add();
  template <class F>
  void for_each(F f) const {
    std::lock_guard lock(mu_);
    if (slots_ == nullptr) return;
    for (const ThreadActivity* t : *slots_) f(*t);
  }
  mutable std::mutex mu_;
  // Made by the first add() and never freed, like the slots in it: a thread may still
  // hold its slot when static objects are destroyed, and a vector destroyed then would
  // leave the slots unreachable (LeakSanitizer reports them). A pointer keeps `activity`
  // constant-initialised.
  std::vector<ThreadActivity*>* slots_ = nullptr;
};
inline Activity activity;

[[gnu::always_inline]] inline void add_own(std::uint64_t delta) {  // single writer: no locked instruction
  std::atomic<std::uint64_t>& word = activity.mine().word;
  word.store(word.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}
/// Moves the epoch: something happened that the host must not mistake for quiescence.
[[gnu::always_inline]] inline void touch() { add_own(kEpochUnit); }
[[gnu::always_inline]] inline void count_blocked(std::int64_t delta) { add_own(static_cast<std::uint64_t>(delta)); }
/// A blocked process wakes: blocked - 1 and epoch + 1, in one add.
[[gnu::always_inline]] inline void count_wake() { add_own(kEpochUnit - 1); }

/// Lives in every generated process frame: uncounts the process when the frame goes.
struct LiveGuard {
  LiveGuard() = default;
  LiveGuard(const LiveGuard&) = delete;
  ~LiveGuard() {
    touch();
    lifetime.live.fetch_sub(1);
  }
};

/// The first parameter of every generated actor: counts the process as live from the
/// moment it is spawned, and runs the actor's `terminate do ... end` clause exactly once
/// when the process ends, however it ends. It is a parameter, not a local, because a
/// process can be killed (through a link) before its body ever ran: its frame is then
/// destroyed with only the parameters in it. The runtime destroys the frame before it
/// notifies links and monitors, which is the order snow.md#actors asks for. When the program itself
/// is ending (quiescence), terminate clauses do not run (snow.md#main-and-program-lifetime).
class ActorToken {
 public:
  using Terminate = void (*)(Self);
  explicit ActorToken(Terminate terminate) : terminate_(terminate) {}
  // Copying transfers the token (the source is disarmed), like a move: the runtime's
  // spawn checks that a body is callable with lvalue arguments, although it moves them.
  ActorToken(const ActorToken& o) noexcept
      : armed_(std::exchange(o.armed_, false)), terminate_(o.terminate_), process_(o.process_) {}
  ActorToken& operator=(const ActorToken&) = delete;
  ~ActorToken();  // src/lang/process.cpp
  /// The body's first statement: the Self its terminate clause will use.
  void attach(Self self) { process_ = self.process(); }

 private:
  mutable bool armed_ = true;
  Terminate terminate_;
  detail::Process* process_ = nullptr;
};

// ---- spawn, send ----

/// Every Snow process follows Snow's exit rules (snow/exit_rules.hpp): normal and
/// shutdown do not travel over links, and a process taken down by a link ends with
/// Linked(partner, partner's reason) (snow.md#exit-reasons, snow.md#links).
inline constexpr SpawnOptions snow_spawn{.exit_rules = ExitRules::snow};

/// `spawn(actor, args...)`: `terminate` is the actor's terminate clause (or null).
template <class F, class... A>
Value spawn(Self self, F body, ActorToken::Terminate terminate, A... args) {
  lifetime.live.fetch_add(1);
  touch();
  return Value::of_pid(self.spawn_with(snow_spawn, body, ActorToken(terminate), std::move(args)...));
}
template <class F, class... A>
Value spawn_link(Self self, F body, ActorToken::Terminate terminate, A... args) {
  lifetime.live.fetch_add(1);
  touch();
  SpawnOptions linked = snow_spawn;
  linked.link = true;
  return Value::of_pid(self.spawn_with(linked, body, ActorToken(terminate), std::move(args)...));
}

Value named_remote_send(Self self, const Value& target, Value msg);  // dist.hpp

/// `send` to anything but a local Pid: a (name, node) tuple, a remote Pid, a raw id, a Job.
void send_elsewhere(Self self, const Value& to, Value msg);

/// `send(target, msg)`: a pid, a raw id, a job, or a (name, node) tuple (snow.md#decisions item 6).
inline void send(Self self, const Value& to, Value msg) {
  if (to.kind() == Kind::Pid) {
    const snow::Pid pid = snow::Pid::from_raw(to.raw_bits());
    if (pid && pid.is_local()) {
      self.send(pid, std::move(msg));  // shared, closures included: nothing is copied
      return;
    }
  }
  send_elsewhere(self, to, std::move(msg));
}

// ---- exit reasons and notifications as Snow values (snow.md#exit-reasons, snow.md#system-notifications) ----

Value reason_value(const ExitReason& r);

ExitReason to_reason(const Value& v);

/// The built-in notification patterns Exit, Down, NodeUp, NodeDown (snow.md#decisions item 4).
inline const TypeInfo* const notification_type =
    make_sum("Notification", {"Exit", "Down", "NodeUp", "NodeDown"}, {2, 3, 1, 1}, true);

struct MonitorBook {
  std::mutex mu;
  std::unordered_set<std::uint64_t> active;
};
inline MonitorBook monitors;

Value exit_value(const snow::Exit& e);
Value down_value(const snow::Down& d);
/// A Down taken by a receive: its monitor is no longer active (for demonitor's result).
Value take_down(const snow::Down& d);

// ---- links, monitors, trapping, registry (snow.md#links, snow.md#the-process-module) ----

Value link(Self self, const Value& pid);
Value unlink(Self self, const Value& pid);
Value monitor(Self self, const Value& pid);
Value demonitor(Self self, const Value& ref);
Value trap_exit(Self self);
Value exit(Self self, const Value& pid, const Value& reason);
Value register_name(Self self, const Value& name, const Value& pid);
Value whereis(Self self, const Value& name);
Value unregister_name(Self self, const Value& name);
inline Value self_pid(Self self) { return Value::of_pid(self.pid()); }

// ---- waiting ----

/// Wraps a receive so that an after-less one counts as blocked while it waits.
template <class Inner>
struct Tracked {
  Inner inner;
  bool blocking;
  bool counted = false;
  // Built in place from `make()` (the runtime's receive awaiter): moving that awaiter,
  // twice per receive, showed in the ring benchmark's profile.
  template <class Make>
  Tracked(Make make, bool b) : inner(make()), blocking(b) {}
  Tracked(Tracked&& o) noexcept : inner(std::move(o.inner)), blocking(o.blocking) {}
  // A process killed while it waits (a link, a supervisor) never resumes: its frame,
  // and this awaiter in it, is destroyed instead.
  ~Tracked() {
    if (counted) count_blocked(-1);
  }
  bool await_ready() { return inner.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) {
    if (blocking) {
      counted = true;
      count_blocked(1);
    }
    inner.await_suspend(h);
  }
  // A receive that waited blocked wakes: one add. One that took a message at once, or
  // has an `after` (never counted blocked), changes neither count: the process was
  // running and still is, which no count of the host's could mistake for quiescence.
  auto await_resume() {
    if (counted) {
      counted = false;
      count_wake();
    }
    return inner.await_resume();
  }
};

/// The arms of a receive that take Values, as one clause of the runtime's receive: `arms`
/// gives the number of the first of them whose pattern (and guard) accepts a message, or
/// -1. A message is one C++ type, so only these arms can take a Value and the other
/// clauses (Exit, Down, ...) keep their order among themselves. The clause moves the
/// message it takes into `*out`, a fresh (unit) Value, and yields the arm's number; a
/// message from another node (its encoding, or a Term: snow/receive.hpp) is converted
/// once, for all the arms.
template <class Arms>
struct ValueArms {
  ValueArms(Arms a, Value* o) : arms(std::move(a)), out(o) {}
  // Moved into the receive's awaiter just after it is made: `arm` is not copied (it is
  // -1 until matching), as OnClause leaves out its `converted` (snow/receive.hpp says why).
  ValueArms(ValueArms&& other) noexcept(std::is_nothrow_move_constructible_v<Arms>)
      : arms(std::move(other.arms)), out(other.out) {}
  Arms arms;
  Value* out;
  mutable int arm = -1;
  bool matches(snow::detail::MessageNode* node) const {
    if (node->type == snow::detail::type_of<Value>()) [[likely]] {
      arm = arms(snow::detail::unbox<Value>(node));
      return arm >= 0;
    }
    return matches_other(node);
  }
  // Everything but a local Value, out of line: inlined, its temporaries gave the matcher
  // (run for every message a receive looks at) a stack frame and saved registers.
  [[gnu::noinline]] bool matches_other(snow::detail::MessageNode* node) const {
    if (snow::detail::is_encoded(node)) return matches_remote(snow::detail::decode_encoded<Value>(node));
    if (node->type == snow::detail::type_of<Term>()) return matches_term(snow::detail::unbox<Term>(node));
    return false;
  }
  [[gnu::noinline]] bool matches_term(const Term& term) const {
    absl::StatusOr<Value> v = snow::lang::from_term(term);
    return v.ok() && matches_remote(std::optional<Value>(std::move(*v)));
  }
  [[gnu::noinline]] bool matches_remote(std::optional<Value>&& v) const {
    if (!v) return false;
    arm = arms(*v);
    if (arm < 0) return false;
    *out = std::move(*v);  // matching stops here: this is the message the receive takes
    return true;
  }
  std::uint64_t ref_bound() const noexcept { return 0; }
  int handle(snow::detail::MessageNode* node) {
    if (node->type == snow::detail::type_of<Value>()) [[likely]] {
      // Constructed over the unit Value (which owns nothing): no release, no self-check.
      std::construct_at(out, std::move(snow::detail::unbox<Value>(node)));
      snow::detail::destroy_boxed<Value>(node);
    } else {
      snow::detail::destroy(node);  // from another node, converted into *out by matches_remote
    }
    return arm;
  }
};
template <class Arms>
ValueArms<Arms> value_arms(Value& out, Arms arms) {
  return ValueArms<Arms>(std::move(arms), &out);
}

/// `receive do ... end`: `blocking` is false when it has an `after` clause.
template <class... C>
auto receive(Self self, bool blocking, C&&... clauses) {
  check_may_wait("receive");
  using A = decltype(self.receive(std::forward<C>(clauses)...));
  return Tracked<A>([&] { return self.receive(std::forward<C>(clauses)...); }, blocking);
}

absl::Duration millis(const Value& ms);

Co<Value> sleep(Self self, Value ms);

Value send_after(Self self, const Value& pid, const Value& ms, Value msg);

/// A preemption point: every loop iteration, self tail call, call of a coroutine function
/// and call of a function value spends one reduction (issue 19 item 11: a recursion
/// without messages kept its worker for seconds). Never suspends where waiting is not
/// possible, and there it does not touch the process either: a Display implementation
/// may run with no process (`Self(nullptr)`, Map.get's error message).
struct MaybeTick {
  Self self;
  snow::detail::TickAwaiter tick;
  bool await_ready() { return in_sync_context() || tick.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) { tick.await_suspend(h); }
  void await_resume() {}
};
inline MaybeTick tick(Self self) { return MaybeTick{self, self.tick()}; }

// ---- calling function values ----

Co<Value> call(Self self, Value f, Args args);

/// Builds an argument vector (a function, not a braced list: g++ 12 miscompiles braced
/// initializer lists inside co_await expressions).
template <class... A>
Args args(A&&... a) {
  Args v;
  v.reserve(sizeof...(A));
  (v.push_back(std::forward<A>(a)), ...);
  return v;
}

Value fun(std::string name, int arity, FunObj::Fn fn);

}  // namespace snow::lang
