// snow/runtime.hpp: the runtime a host application embeds.
//
// A `Runtime` owns the worker threads, the process table, the timers and the local
// registry. Construct it, spawn processes, and talk to them from host threads through a
// `ScopedActor`:
//
//     snow::Runtime rt;                             // one worker per hardware thread
//     snow::Pid echo = rt.spawn(echo_body);
//     snow::ScopedActor me(rt);
//     me.send(echo, Ping{me.pid()});
//     auto reply = me.receive(snow::on<Pong>([](Pong p) { return p.n; }),
//                             snow::after(absl::Seconds(1), [] { return -1; }));
//
// Threads: every public method may be called from any thread. Processes run on the
// workers; a process waiting in receive uses no thread. Scheduling is cooperative: a
// process runs until it waits, yields, or has spent its `budget` of reductions (one per
// message received, one per message sent, one per `co_await self.tick()`), then goes
// behind the others at its next receive or tick, so a busy process cannot starve the rest.
//
// Stopping: `stop()` (or the destructor) stops the workers and the timers, then destroys
// every live process's frame, so destructors in process bodies run. Processes get no
// further messages or signals once stop has begun. ScopedActors must be gone first.
//
// Deterministic mode (`{.deterministic = true}`): no threads at all. The test drives
// the runtime with `step()`, `run_until_idle()` and `advance(d)` on a virtual clock that
// starts at the Unix epoch; the run queue is FIFO, so a test runs the same way every time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/detail/runtime_api.hpp"
#include "snow/log.hpp"
#include "snow/mailbox.hpp"
#include "snow/pid.hpp"
#include "snow/timer.hpp"

namespace snow {

struct RuntimeOptions {
  /// Worker threads; 0 means one per hardware thread. Ignored when deterministic.
  int workers = 0;
  /// One thread (the caller's), manual stepping, virtual clock. For tests.
  bool deterministic = false;
  /// Reductions (messages received or sent, ticks) a process may spend in one turn
  /// before its next receive or tick sends it behind the others.
  int budget = 500;
  /// Where the runtime's log goes (snow/log.hpp); null means stderr_log_sink.
  LogSink log_sink;
  /// Lines below this level are not written. Unset: a sink of yours gets every line, the
  /// default sink warnings and errors. read_environment() sets it from SNOW_LOG_LEVEL.
  std::optional<LogLevel> log_level;
  /// Which life of a node this runtime is, so that Pids from a node's earlier life are
  /// dead to the cluster (other nodes tell lives apart by it; Pids carry its low 8
  /// bits). 0 picks a fresh one (1 in deterministic mode): the wall clock in
  /// milliseconds, so a node restarted in place never gets its previous life's creation
  /// (unless its clock is set back) and creations repeat only after 49 days.
  std::uint32_t creation = 0;
  /// Record the time-in-mailbox and handling-time histograms (snow/observe.hpp). Off by
  /// default: they cost clock reads and a small allocation per message.
  bool histograms = false;
};

/// Counters the runtime keeps about itself.
struct RuntimeStats {
  std::uint64_t spawned = 0;       // processes ever started
  std::uint64_t live = 0;          // processes alive now (ScopedActors included)
  std::uint64_t dead_letters = 0;  // messages sent to processes that had already ended
  std::uint64_t dropped = 0;       // messages refused by full mailboxes (see mailbox.hpp)
};

class Runtime {
 public:
  Runtime();
  explicit Runtime(RuntimeOptions options);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  /// Stops workers and timers and destroys every live process. Idempotent.
  void stop();

  template <class F, class... Args>
  Pid spawn(F&& body, Args&&... args) {
    return detail::spawn(*core_, nullptr, detail::SpawnRelation::none,
                         detail::make_body(std::forward<F>(body), std::forward<Args>(args)...))
        .pid;
  }

  /// spawn with a mailbox capacity (see mailbox.hpp); `options.link` is not allowed here.
  template <class F, class... Args>
  Pid spawn_with(const SpawnOptions& options, F&& body, Args&&... args) {
    SNOW_CHECK(!options.link, "a process spawned from a host thread cannot be linked");
    return detail::spawn(*core_, nullptr, detail::SpawnRelation::none,
                         detail::make_body(std::forward<F>(body), std::forward<Args>(args)...), options)
        .pid;
  }

  /// Sends from outside any process (the message has no sender).
  template <MessageType T>
  void send(Pid to, T&& msg) {
    detail::check_sendable<T>(to);
    detail::send(*core_, to, detail::box(std::forward<T>(msg)));
  }
  template <class Msg, MessageType T>
  void send(TypedPid<Msg> to, T&& msg) {
    static_assert(Accepts<Msg, T>, "snow: this TypedPid<Msg> does not accept that message type");
    send(to.pid(), std::forward<T>(msg));
  }
  template <MessageType T>
  void send(std::string_view name, T&& msg) {
    detail::send_named(*core_, name, detail::box(std::forward<T>(msg)));
  }
  /// Sends to the process registered as `name` on node `node` (see Self::send).
  template <MessageType T>
  void send(std::string_view name, std::string_view node, T&& msg) {
    detail::send_named_remote(*core_, Pid(), name, node, detail::encode_for_send(msg));
  }
  template <MessageType T>
  TimerRef send_after(absl::Duration delay, Pid to, T&& msg) {
    detail::check_sendable<T>(to);
    return TimerRef(detail::send_after(*core_, delay, to, detail::box(std::forward<T>(msg))));
  }
  bool cancel_timer(TimerRef timer);
  /// send that reports a full mailbox (ResourceExhausted) or a dead process (NotFound).
  /// To a Pid on another node it waits (up to 5 s) for that node's answer, with the
  /// results of Self::send_acked. Not in a deterministic runtime (FailedPrecondition).
  template <MessageType T>
  absl::Status try_send(Pid to, T&& msg) {
    detail::check_sendable<T>(to);
    return detail::try_send(*core_, nullptr, to, detail::box(std::forward<T>(msg)));
  }
  /// send that blocks this host thread while the mailbox is full, at most `timeout`
  /// (then DeadlineExceeded; NotFound if the process is gone). Never from a process
  /// (it has Self::send_wait). To a Pid on another node: acknowledged sends, retried
  /// while the far mailbox is full, with the results of Self::send_acked.
  template <MessageType T>
  absl::Status send_wait(Pid to, T&& msg, absl::Duration timeout) {
    detail::check_sendable<T>(to);
    return detail::send_until(*core_, to, detail::box(std::forward<T>(msg)), now() + timeout);
  }

  /// Sends an exit signal from no process (as `exit(pid, reason)` from a process).
  void exit(Pid target, ExitReason reason);

  // -- local registry (see Self::register_name) --
  absl::Status register_name(std::string name, Pid pid);
  /// NotFound if the name is not registered.
  absl::Status unregister_name(std::string_view name);
  std::optional<Pid> whereis(std::string_view name) const;
  /// Every registered name, sorted.
  std::vector<std::string> registered_names() const;

  /// True while `pid` names a live local process.
  bool is_alive(Pid pid) const;
  /// Capacity, queue length (bounded mailboxes) and drops of a live process.
  std::optional<MailboxStats> mailbox_stats(Pid pid) const;
  /// Writes to the runtime's log sink (RuntimeOptions::log_sink), as an event of kind "app".
  void log(LogLevel level, std::string_view text) const;
  /// The same with the kind of event (LogRecord::kind: a short fixed phrase).
  void log(LogLevel level, std::string_view kind, std::string_view text) const;
  RuntimeStats stats() const;
  /// No process running or waiting to run, at this moment (any thread). A moment's
  /// picture that can miss a process in the instant between leaving a run queue and
  /// starting its turn: a host waiting for the runtime to fall quiet samples it more
  /// than once, some time apart (as a Snow program's end does).
  bool idle() const;
  absl::Time now() const;
  int workers() const;

  /// Waits until no processes (other than ScopedActors) are alive, or `timeout` passes
  /// (DeadlineExceeded). In deterministic mode it runs the runtime, advancing the virtual
  /// clock to each timer, instead of waiting.
  absl::Status join(absl::Duration timeout = absl::InfiniteDuration());

  // -- deterministic mode only --
  /// Runs one process for one turn. False if none was runnable.
  bool step();
  /// Runs until no process is runnable (timers are not advanced). Returns the turns run.
  std::size_t run_until_idle();
  /// Moves the virtual clock forward by `d`, firing timers in deadline order and running
  /// the processes they wake after each one.
  void advance(absl::Duration d);
  /// The deadline of the earliest pending timer, if any.
  std::optional<absl::Time> next_timer() const;

  detail::RuntimeCore& core() { return *core_; }

 private:
  std::unique_ptr<detail::RuntimeCore> core_;
};

}  // namespace snow
