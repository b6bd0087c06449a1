// snow/job.hpp: jobs, async/await.
//
// A job is a short-lived process that computes one value:
//
//     snow::Job<int> j = snow::async(self, [] { return expensive(); });
//     absl::StatusOr<int> v = co_await j.await(self, absl::Seconds(1));
//
// The function runs in a new process: `fn()` returning a value, or `fn(snow::Self)`
// returning `snow::Task<T>` when it needs to receive or call. `await` returns the value,
// or an error: Aborted (with the exit reason) if the job crashed, DeadlineExceeded if it
// did not finish in time (the job keeps running and its late result is dropped, never
// left in the mailbox). A crashing job never takes the awaiting process down: the job is
// monitored, not linked, unless it was started with async_link. Await each job once.
#pragma once

#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

namespace detail {

template <class F>
struct job_traits {
  static constexpr bool takes_self = std::is_invocable_v<F&, Self>;
  using raw = std::conditional_t<takes_self, std::invoke_result<F&, Self>, std::invoke_result<F&>>;
};
template <class F>
using job_value_t = typename task_value<typename job_traits<F>::raw::type>::type;

template <class F>
Proc job_body(Self self, F fn, Pid awaiter, Ref reply) {
  using T = job_value_t<F>;
  using Raw = typename job_traits<F>::raw::type;
  Message value;
  if constexpr (job_traits<F>::takes_self && !std::is_same_v<Raw, T>) {  // a Task
    if constexpr (std::is_void_v<T>) {
      co_await fn(self);
    } else {
      value = Message::of(co_await fn(self));
    }
  } else if constexpr (std::is_void_v<T>) {
    if constexpr (job_traits<F>::takes_self) fn(self); else fn();
  } else {
    if constexpr (job_traits<F>::takes_self) value = Message::of(fn(self)); else value = Message::of(fn());
  }
  self.send(awaiter, CallReply{reply, std::move(value), absl::OkStatus()});
}

template <class T>
auto job_clauses(Pid job, Ref reply, Ref watch, absl::Duration timeout, std::optional<CallResult<T>>& out) {
  return std::make_tuple(
      on<CallReply>([reply](const CallReply& r) { return r.ref == reply; },
                    [&out](CallReply r) { out.emplace(unpack_reply<T>(r)); }),
      on<Down>([watch](const Down& d) { return d.ref == watch; },
               [&out, job](Down d) {
                 out.emplace(absl::AbortedError(absl::StrCat("job ", job.to_string(), " exited: ", d.reason.to_string())));
               }),
      after(timeout, [&out, job, timeout] {
        out.emplace(absl::DeadlineExceededError(
            absl::StrCat("job ", job.to_string(), " did not finish within ", absl::FormatDuration(timeout))));
      }));
}

}  // namespace detail

template <class T>
class Job {
 public:
  Job() = default;
  Job(Pid pid, Ref reply, Ref watch) : pid_(pid), reply_(reply), watch_(watch) {}
  Pid pid() const { return pid_; }

  /// Waits for the result from a process.
  Task<detail::CallResult<T>> await(Self self, absl::Duration timeout = absl::InfiniteDuration()) const {
    std::optional<detail::CallResult<T>> out;
    co_await std::apply([&](auto&&... c) { return self.receive(std::move(c)...); },
                        detail::job_clauses<T>(pid_, reply_, watch_, timeout, out))
        .from_marker_unchecked(reply_);  // watch_ was made after reply_, by async below
    finish(self.process(), out);
    self.demonitor(watch_);
    co_return std::move(*out);
  }
  /// Waits for the result from a host thread.
  detail::CallResult<T> await(const ScopedActor& me, absl::Duration timeout = absl::InfiniteDuration()) const {
    std::optional<detail::CallResult<T>> out;
    std::apply([&](auto&&... c) { me.receive_since(reply_, std::move(c)...); },
               detail::job_clauses<T>(pid_, reply_, watch_, timeout, out));
    finish(me.process(), out);
    me.demonitor(watch_);
    return std::move(*out);
  }

 private:
  void finish(detail::Process* p, const std::optional<detail::CallResult<T>>& out) const {
    if (absl::IsDeadlineExceeded(detail::status_of(*out))) detail::abandon_reply(p, reply_);
  }
  Pid pid_;
  Ref reply_;
  Ref watch_;
};

/// Runs `fn` in a new, monitored process.
template <class F>
Job<detail::job_value_t<std::decay_t<F>>> async(Self self, F&& fn) {
  const Ref reply = self.make_ref();  // marks the mailbox: await scans only what follows
  const SpawnedMonitor s = self.spawn_monitor(&detail::job_body<std::decay_t<F>>, std::forward<F>(fn), self.pid(), reply);
  return {s.pid, reply, s.ref};
}
/// Runs `fn` in a new process that is also linked: its crash ends the caller too
/// (unless the caller traps exits).
template <class F>
Job<detail::job_value_t<std::decay_t<F>>> async_link(Self self, F&& fn) {
  Job<detail::job_value_t<std::decay_t<F>>> job = async(self, std::forward<F>(fn));
  self.link(job.pid());
  return job;
}
/// Runs `fn` in a new process, awaited from a host thread.
template <class F>
Job<detail::job_value_t<std::decay_t<F>>> async(const ScopedActor& me, F&& fn) {
  const Ref reply = me.make_ref();
  const Pid pid = me.runtime().spawn(&detail::job_body<std::decay_t<F>>, std::forward<F>(fn), me.pid(), reply);
  const Ref watch = me.monitor(pid);  // a job already gone answers noproc after its result
  return {pid, reply, watch};
}

}  // namespace snow
