// snow/actor.hpp: `Self`, a process's handle on itself.
//
// Every process body receives a `Self` as its first parameter. It is a small value (one
// pointer) and is valid only inside its own process: pass Pids, not Selfs, to others.
// Everything a process does to the world goes through it:
//
//     snow::Proc worker(snow::Self self, snow::Pid parent) {
//       self.send(parent, Ready{self.pid()});             // never blocks, never fails
//       const snow::Pid child = self.spawn_link(helper);   // failures propagate both ways
//       const snow::Ref watch = self.monitor(child);       // exactly one Down, ever
//       co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { ... }));
//     }
//
// Sending to a dead or unknown process is not an error (the message is dropped and
// counted as a dead letter), as in Erlang: use a monitor to learn that a process ended.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/detail/runtime_api.hpp"
#include "snow/exit_reason.hpp"
#include "snow/link.hpp"
#include "snow/mailbox.hpp"
#include "snow/monitor.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "snow/receive.hpp"
#include "snow/timer.hpp"

namespace snow {

/// A message is any movable value that is not a reference or pointer-to-function.
template <class T>
concept MessageType = std::movable<std::remove_cvref_t<T>> && !std::is_function_v<std::remove_cvref_t<T>>;

namespace detail {

template <class F, class... Args>
struct BodyOf final : Body {
  BodyOf(F f, Args... args) : fn(std::move(f)), args(std::move(args)...) {}
  Proc start(Self self) override;
  std::size_t footprint() const noexcept override { return sizeof(BodyOf); }
  F fn;
  std::tuple<Args...> args;
};

template <class F, class... Args>
std::unique_ptr<Body> make_body(F&& f, Args&&... args) {
  static_assert(std::is_invocable_r_v<Proc, std::decay_t<F>&, Self, std::decay_t<Args>&...>,
                "a process body is callable as body(snow::Self, args...) and returns snow::Proc");
  return std::make_unique<BodyOf<std::decay_t<F>, std::decay_t<Args>...>>(std::forward<F>(f),
                                                                          std::forward<Args>(args)...);
}

}  // namespace detail

/// The result of spawn_monitor: the new process and the monitor watching it.
struct SpawnedMonitor {
  Pid pid;
  Ref ref;
};

class Self {
 public:
  explicit Self(detail::Process* process) : process_(process) {}

  Pid pid() const { return detail::pid_of(process_); }
  Runtime& runtime() const { return detail::runtime_of(detail::core_of(process_)); }
  /// The runtime's clock (virtual in a deterministic runtime).
  absl::Time now() const { return detail::now(detail::core_of(process_)); }

  // -- sending --
  template <MessageType T>
  void send(Pid to, T&& msg) const {
    detail::check_sendable<T>(to);
    detail::send_from(process_, to, detail::box(std::forward<T>(msg)));
  }
  /// Sends to a typed Pid. An exact match for TypedPid, so a message the Pid does not
  /// accept stops here, with this message, instead of converting the Pid to an untyped one.
  template <class Msg, MessageType T>
  void send(TypedPid<Msg> to, T&& msg) const {
    static_assert(Accepts<Msg, T>, "snow: this TypedPid<Msg> does not accept that message type");
    send(to.pid(), std::forward<T>(msg));
  }
  /// send that reports a full mailbox (ResourceExhausted) or a dead process (NotFound).
  /// For a Pid on another node it cannot wait for that node's answer (a process must not
  /// block its worker): it says OK once the message is queued; use send_acked.
  template <MessageType T>
  absl::Status try_send(Pid to, T&& msg) const {
    detail::check_sendable<T>(to);
    return detail::try_send(detail::core_of(process_), process_, to, detail::box(std::forward<T>(msg)));
  }
  /// try_send that, for a Pid on another node, waits (as in a receive) for that node's
  /// answer: OK once the message is in the mailbox there; ResourceExhausted (the mailbox
  /// is full, its capacity named), NotFound (no such process), InvalidArgument (over the
  /// receiver's DecodeLimits, the limit named), Unavailable (not connected, or the
  /// connection was lost before the answer), DeadlineExceeded (no answer in `timeout`).
  /// For a local Pid, try_send. `co_await self.send_acked(pid, msg)`.
  template <MessageType T>
  Task<absl::Status> send_acked(Pid to, T&& msg, absl::Duration timeout = detail::kDefaultAckTimeout) const {
    detail::check_sendable<T>(to);
    return detail::send_acked(*this, to, detail::box(std::forward<T>(msg)), timeout, false);
  }
  /// send_acked that waits for room in a full mailbox, local or remote, retrying with a
  /// growing pause (1 to 50 ms) until `timeout`: then DeadlineExceeded.
  template <MessageType T>
  Task<absl::Status> send_wait(Pid to, T&& msg, absl::Duration timeout) const {
    detail::check_sendable<T>(to);
    return detail::send_acked(*this, to, detail::box(std::forward<T>(msg)), timeout, true);
  }
  /// Sends to the process registered under `name`; a dead letter if there is none.
  template <MessageType T>
  void send(std::string_view name, T&& msg) const {
    detail::send_named(detail::core_of(process_), name, detail::box(std::forward<T>(msg)));
  }
  /// Sends to the process registered as `name` on the node `node` ("name@host:port"),
  /// Erlang's `{name, node} ! msg`. The message must be a wire type. A dead letter if the
  /// node is not connected or has no such name.
  template <MessageType T>
  void send(std::string_view name, std::string_view node, T&& msg) const {
    detail::send_named_remote(detail::core_of(process_), detail::pid_of(process_), name, node,
                              detail::encode_for_send(msg));
  }
  /// Delivers `msg` to `to` after `delay`, unless cancel_timer is called first.
  template <MessageType T>
  TimerRef send_after(absl::Duration delay, Pid to, T&& msg) const {
    detail::check_sendable<T>(to);
    return TimerRef(detail::send_after(detail::core_of(process_), delay, to, detail::box(std::forward<T>(msg))));
  }
  /// True if the timer was pending (its message will not be sent).
  bool cancel_timer(TimerRef timer) const;

  // -- spawning: `body(Self, args...)` returns snow::Proc; args are moved into the process --
  template <class F, class... Args>
  Pid spawn(F&& body, Args&&... args) const {
    return spawn_as(detail::SpawnRelation::none, std::forward<F>(body), std::forward<Args>(args)...).pid;
  }
  /// spawn with options: a mailbox capacity (see mailbox.hpp), a link.
  template <class F, class... Args>
  Pid spawn_with(const SpawnOptions& options, F&& body, Args&&... args) const {
    return detail::spawn(detail::core_of(process_), process_,
                         options.link ? detail::SpawnRelation::link : detail::SpawnRelation::none,
                         detail::make_body(std::forward<F>(body), std::forward<Args>(args)...), options)
        .pid;
  }
  /// Spawns and links in one step: the child cannot end before the link exists.
  template <class F, class... Args>
  Pid spawn_link(F&& body, Args&&... args) const {
    return spawn_as(detail::SpawnRelation::link, std::forward<F>(body), std::forward<Args>(args)...).pid;
  }
  /// Spawns and monitors in one step.
  template <class F, class... Args>
  SpawnedMonitor spawn_monitor(F&& body, Args&&... args) const {
    auto s = spawn_as(detail::SpawnRelation::monitor, std::forward<F>(body), std::forward<Args>(args)...);
    return {s.pid, s.monitor};
  }

  // -- links, monitors, exits --
  void link(Pid other) const;
  void unlink(Pid other) const;
  [[nodiscard]] Ref monitor(Pid target) const;
  void demonitor(Ref ref) const;
  /// When on, exit signals (except kill) arrive as `Exit` messages instead of ending us.
  void trap_exits(bool on) const;
  bool traps_exits() const;
  /// Ends this process with `reason`: unwinds the body (destructors run), then exits.
  [[noreturn]] void exit(ExitReason reason) const;
  /// Sends an exit signal to `target`, as if a linked process had ended with `reason`;
  /// `ExitReason::kill()` ends even a trapping target (its reason becomes killed).
  void exit(Pid target, ExitReason reason) const;

  /// A fresh Ref. It also marks the mailbox, so a receive whose every clause tests this
  /// ref with snow::has_ref skips every message that arrived before this call.
  [[nodiscard]] Ref make_ref() const;

  // -- receiving and waiting --
  template <class... C>
  auto receive(C&&... clauses) const {
    return detail::ReceiveAwaiter<std::remove_cvref_t<C>...>(process_, std::forward<C>(clauses)...);
  }
  /// Waits for `d` without taking any message.
  [[nodiscard("co_await the sleep: `co_await self.sleep(d)` (without co_await it does not wait)")]]
  auto sleep(absl::Duration d) const {
    return receive(after(d, [] {}));
  }
  /// Lets every other runnable process run before continuing.
  detail::YieldAwaiter yield() const { return {process_}; }
  /// A preemption point for long loops that neither receive nor wait: counts one
  /// reduction and yields only once the turn's budget is spent, so it costs almost
  /// nothing. `for (...) { self.send(to, x); co_await self.tick(); }`
  detail::TickAwaiter tick() const { return {process_}; }

  // -- local registry --
  /// Registers this process under `name`: AlreadyExists if the name is taken or this
  /// process already has a name. The name is released when the process ends.
  absl::Status register_name(std::string name) const;
  std::optional<Pid> whereis(std::string_view name) const;

  detail::Process* process() const { return process_; }

 private:
  template <class F, class... Args>
  detail::Spawned spawn_as(detail::SpawnRelation relation, F&& body, Args&&... args) const {
    return detail::spawn(detail::core_of(process_), process_, relation,
                         detail::make_body(std::forward<F>(body), std::forward<Args>(args)...));
  }
  detail::Process* process_;
};

template <class F, class... Args>
Proc detail::BodyOf<F, Args...>::start(Self self) {
  return std::apply([&](Args&... a) -> Proc { return std::invoke(fn, self, std::move(a)...); }, args);
}

}  // namespace snow
