// snow/service.hpp: services, Erlang's gen_server.
//
// A service is a process that owns a state and serves requests one at a time, in arrival
// order. The state is a plain C++ object; its overloads are the protocol:
//
//     struct Counter {
//       std::int64_t value = 0;
//       std::int64_t handle_call(const Get&) { return value; }   // call: the caller gets this
//       void handle_cast(const Add& a) { value += a.n; }         // cast: no reply
//     };
//     snow::Service<Counter> c = snow::spawn_service(rt, Counter{.value = 10});
//     c.cast(Add{5});
//     absl::StatusOr<std::int64_t> v = co_await c.call(self, Get{});       // from a process
//     absl::StatusOr<std::int64_t> w = c.call(host_actor, Get{});          // from a host thread
//
// Optional members, used when present:
//   absl::Status init(snow::Self)         runs in the service before the first request; an
//                                        error ends the service and fails start_service
//   handle_call(Req[, snow::Self])        the reply (void: the call returns absl::Status)
//   handle_cast(Req[, snow::Self])
//   handle_info(snow::Message[, Self])    any other message (Exit, Down, timers...); without
//                                        it such messages are dropped
//   terminate(const snow::ExitReason&)    when the service stops or a handler throws
//
// Calls. A call waits at most its timeout (default 5 s) and returns DeadlineExceeded
// after it; a reply that comes later is dropped, never left in the caller's mailbox. The
// caller monitors the service during the call, so a service that is gone answers
// NotFound and one that dies while serving answers Aborted with its exit reason, at once.
// Every call carries its deadline, and a service skips a request whose caller has
// already given up (its deadline passed while the request was queued): work nobody
// waits for is not done. A handler that throws ends the service (reason error(what()));
// its callers learn that from their monitors. A call from a service to itself deadlocks
// until the timeout.
#pragma once

#include <concepts>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/actor.hpp"
#include "snow/detail/api_checks.hpp"
#include "snow/detail/call.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

/// `Impl` handles calls of type `Req` (with or without a Self parameter).
template <class Impl, class Req>
concept CallableWith = requires(Impl& impl, Req req, Self self) { impl.handle_call(std::move(req)); } ||
                       requires(Impl& impl, Req req, Self self) { impl.handle_call(std::move(req), self); };
/// `Impl` handles casts of type `Req`.
template <class Impl, class Req>
concept CastableWith = requires(Impl& impl, Req req, Self self) { impl.handle_cast(std::move(req)); } ||
                       requires(Impl& impl, Req req, Self self) { impl.handle_cast(std::move(req), self); };

// Options are plain views and flags on purpose: g++ 12 relocates a braced temporary
// that lives across a co_await (`co_await start_service(self, S{}, {.name = "x"})`)
// bitwise, which breaks a std::string member's small-buffer pointer. A string_view to a
// literal survives that; the name is copied before the service starts.
struct ServiceOptions {
  /// Register the service under this local name (empty: none).
  std::string_view name;
  /// Link the service to the process starting it (only from a process).
  bool link = false;
};

namespace detail {

template <class Impl, class Req>
decltype(auto) invoke_call(Impl& impl, Req&& req, Self self) {
  if constexpr (requires { impl.handle_call(std::move(req), self); }) {
    return impl.handle_call(std::move(req), self);
  } else {
    return impl.handle_call(std::move(req));
  }
}
template <class Impl, class Req>
using call_reply_t = std::remove_cvref_t<decltype(invoke_call(std::declval<Impl&>(), std::declval<Req>(),
                                                              std::declval<Self>()))>;

template <class Impl, class Req>
Message run_call(Impl& impl, Message& payload, Self self) {
  Req& req = *payload.get<Req>();
  if constexpr (std::is_void_v<call_reply_t<Impl, Req>>) {
    invoke_call(impl, std::move(req), self);
    return Message();
  } else {
    return Message::of(invoke_call(impl, std::move(req), self));
  }
}

template <class Impl, class Req>
Message run_cast(Impl& impl, Message& payload, Self self) {
  Req& req = *payload.get<Req>();
  if constexpr (requires { impl.handle_cast(std::move(req), self); }) {
    impl.handle_cast(std::move(req), self);
  } else {
    impl.handle_cast(std::move(req));
  }
  return Message();
}

struct StopService {};
template <class Impl>
Message run_stop(Impl&, Message&, Self) { return Message::of(StopService{}); }

template <class Impl>
void call_terminate(Impl& impl, const ExitReason& reason) {
  if constexpr (requires { impl.terminate(reason); }) impl.terminate(reason);
}

/// Runs a handler; if it throws, the state's terminate runs before the exception ends
/// the service.
template <class Impl, class F>
decltype(auto) guarded(Impl& impl, F&& handler) {
  try {
    return handler();
  } catch (const ProcessExit& e) {
    call_terminate(impl, e.reason);
    throw;
  } catch (const std::exception& e) {
    call_terminate(impl, ExitReason::error(e.what()));
    throw;
  }
}

template <class Impl>
Proc service_body(Self self, Impl impl, std::string name, Pid starter, Ref start_ref) {
  absl::Status started = absl::OkStatus();
  if (!name.empty()) started = self.register_name(std::move(name));
  if constexpr (requires { { impl.init(self) } -> std::convertible_to<absl::Status>; }) {
    if (started.ok()) started = impl.init(self);
  }
  if (starter) self.send(starter, CallReply{start_ref, Message(), started});
  if (!started.ok()) self.exit(ExitReason::error(std::string(started.message())));
  // No try/catch around the co_await (g++ 12 miscompiles frame destruction there):
  // handler exceptions are caught by guarded(), which runs terminate and rethrows.
  bool stop = false;
  while (!stop) {
    co_await self.receive(
        on<Request<Impl>>([&](Request<Impl> r) {
          // A caller whose deadline has passed has stopped waiting: skip its request.
          if (r.ref && self.now() > r.deadline) return;
          Message reply = guarded(impl, [&] { return r.run(impl, r.payload, self); });
          if (reply.is<StopService>()) {
            stop = true;
            reply = Message();
          }
          if (r.ref) self.send(r.from, CallReply{r.ref, std::move(reply), absl::OkStatus()});
        }),
        any([&](Message m) {
          guarded(impl, [&] {
            if constexpr (requires { impl.handle_info(std::move(m), self); }) {
              impl.handle_info(std::move(m), self);
            } else if constexpr (requires { impl.handle_info(std::move(m)); }) {
              impl.handle_info(std::move(m));
            }
          });
        }));
  }
  call_terminate(impl, ExitReason::normal());
}

}  // namespace detail

/// A handle on a running service: its Pid, typed by its state so requests are checked
/// at compile time. Copyable; valid as long as its Runtime.
template <class Impl>
class Service {
 public:
  Service() = default;
  Service(Runtime& rt, Pid pid) : rt_(&rt), pid_(pid) {}

  Pid pid() const { return pid_; }
  explicit operator bool() const { return static_cast<bool>(pid_); }

  /// Calls from a process: `auto r = co_await svc.call(self, Req{...});`
  template <class Req, class = typename detail::CallRequestCheck<Impl, std::remove_cvref_t<Req>, CallableWith<Impl, std::remove_cvref_t<Req>>,
                                                                  CastableWith<Impl, std::remove_cvref_t<Req>>>::type>
    requires CallableWith<Impl, std::remove_cvref_t<Req>>
  Task<detail::CallResult<detail::call_reply_t<Impl, std::remove_cvref_t<Req>>>> call(
      Self self, Req&& req, absl::Duration timeout = kDefaultCallTimeout) const {
    using R = std::remove_cvref_t<Req>;
    return detail::call<detail::call_reply_t<Impl, R>>(self, pid_, request<R>(std::forward<Req>(req), &detail::run_call<Impl, R>),
                                                       timeout);
  }
  /// Calls from a host thread, blocking it.
  template <class Req, class = typename detail::CallRequestCheck<Impl, std::remove_cvref_t<Req>, CallableWith<Impl, std::remove_cvref_t<Req>>,
                                                                  CastableWith<Impl, std::remove_cvref_t<Req>>>::type>
    requires CallableWith<Impl, std::remove_cvref_t<Req>>
  detail::CallResult<detail::call_reply_t<Impl, std::remove_cvref_t<Req>>> call(
      const ScopedActor& me, Req&& req, absl::Duration timeout = kDefaultCallTimeout) const {
    using R = std::remove_cvref_t<Req>;
    return detail::call<detail::call_reply_t<Impl, R>>(me, pid_, request<R>(std::forward<Req>(req), &detail::run_call<Impl, R>),
                                                       timeout);
  }

  /// Queues a request and returns at once; never blocks, never fails.
  template <class Req>
    requires CastableWith<Impl, std::remove_cvref_t<Req>>
  void cast(Req&& req) const {
    using R = std::remove_cvref_t<Req>;
    rt_->send(pid_, request<R>(std::forward<Req>(req), &detail::run_cast<Impl, R>));
  }

  /// Stops the service after the requests queued before this one (terminate runs).
  Task<absl::Status> stop(Self self, absl::Duration timeout = kDefaultCallTimeout) const {
    return detail::call<void>(self, pid_, request<detail::StopService>(detail::StopService{}, &detail::run_stop<Impl>), timeout);
  }
  absl::Status stop(const ScopedActor& me, absl::Duration timeout = kDefaultCallTimeout) const {
    return detail::call<void>(me, pid_, request<detail::StopService>(detail::StopService{}, &detail::run_stop<Impl>), timeout);
  }

 private:
  template <class R, class Req>
  static detail::Request<Impl> request(Req&& req, typename detail::Request<Impl>::Runner run) {
    return detail::Request<Impl>{Pid(), Ref(), absl::InfiniteFuture(), Message::of(R(std::forward<Req>(req))), run};
  }
  Runtime* rt_ = nullptr;
  Pid pid_;
};

/// Starts a service without waiting for its init; a failing init ends the process.
template <class Impl>
Service<Impl> spawn_service(Runtime& rt, Impl impl, ServiceOptions options = {}) {
  SNOW_CHECK(!options.link, "a service spawned from a host thread cannot be linked");
  return Service<Impl>(rt, rt.spawn(&detail::service_body<Impl>, std::move(impl), std::string(options.name), Pid(), Ref()));
}
template <class Impl>
Service<Impl> spawn_service(Self self, Impl impl, ServiceOptions options = {}) {
  auto body = &detail::service_body<Impl>;
  const Pid pid = options.link ? self.spawn_link(body, std::move(impl), std::string(options.name), Pid(), Ref())
                       : self.spawn(body, std::move(impl), std::string(options.name), Pid(), Ref());
  return Service<Impl>(self.runtime(), pid);
}

namespace detail {
template <class Impl>
Task<absl::StatusOr<Service<Impl>>> await_service_start(Self self, Pid pid, Ref ack, Ref watch) {
  absl::Status status = co_await await_started(self, pid, ack, watch);
  if (!status.ok()) co_return status;
  co_return Service<Impl>(self.runtime(), pid);
}
}  // namespace detail

/// Starts a service and waits until its init has run: the error of a failing init (or a
/// taken name, or a crash in init) comes back here.
template <class Impl>
Task<absl::StatusOr<Service<Impl>>> start_service(Self self, Impl impl, ServiceOptions options = {}) {
  const Ref ack = self.make_ref();
  auto body = &detail::service_body<Impl>;
  const Pid pid = options.link ? self.spawn_link(body, std::move(impl), std::string(options.name), self.pid(), ack)
                               : self.spawn(body, std::move(impl), std::string(options.name), self.pid(), ack);
  const Ref watch = self.monitor(pid);  // a crash before the ack must not leave us waiting
  return detail::await_service_start<Impl>(self, pid, ack, watch);
}
template <class Impl>
absl::StatusOr<Service<Impl>> start_service(const ScopedActor& me, Impl impl, ServiceOptions options = {}) {
  SNOW_CHECK(!options.link, "a service started from a host thread cannot be linked");
  const Ref ack = me.make_ref();
  const Pid pid = me.runtime().spawn(&detail::service_body<Impl>, std::move(impl), std::string(options.name), me.pid(), ack);
  absl::Status status = detail::await_started(me, pid, ack, me.monitor(pid));
  if (!status.ok()) return status;
  return Service<Impl>(me.runtime(), pid);
}

}  // namespace snow
