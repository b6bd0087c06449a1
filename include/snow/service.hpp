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
//                                        (may be a coroutine: Task<absl::Status>)
//   handle_call(Req[, snow::Self])        the reply (void: the call returns absl::Status;
//                                        absl::Status / StatusOr<R>: the call's own status)
//   handle_call(Req, ReplyTo<R>[, Self])  a deferred reply: answer through the token, now
//                                        or later, from anywhere (snow/reply.hpp)
//   handle_cast(Req[, snow::Self])
//   handle_info(snow::Message[, Self])    any other message (Exit, Down, timers...); without
//                                        it such messages are dropped
//   terminate(const snow::ExitReason&)    when the service stops or a handler throws
//
// Any handler may be a coroutine returning snow::Task<T> (`Task<int> handle_call(const
// Get&, snow::Self self)`, which may co_await another service's call): the service awaits
// it, and serves nothing else meanwhile: requests are still served one at a time, in
// arrival order. A handler that must not hold the service up while it waits takes a
// ReplyTo instead and hands the work (and the token) to another process.
//
// Calls. A call waits at most its timeout (default 5 s) and returns DeadlineExceeded
// after it; a reply that comes later is dropped, never left in the caller's mailbox. The
// caller monitors the service during the call, so a service that is gone answers
// NotFound and one that dies while serving answers Aborted with its exit reason, at once.
// Every call carries its deadline, and a service skips a request whose caller has
// already given up (its deadline passed while the request was queued): work nobody
// waits for is not done. A handler that throws ends the service (reason error(what()));
// its callers learn that from their monitors. A call from a service to itself deadlocks
// until the timeout. `stop` returns once the service has ended (terminate has run), from a
// process or a host thread alike.
//
// Across nodes. A Service whose Pid is on another node (from global::whereis, a reply, a
// message) is called and cast to as a local one, with the same failures (NotFound,
// Aborted with the exit reason, `noconnection` when the node is lost, DeadlineExceeded);
// snow/call_by_name.hpp calls by local name, by {name, node} and by global name. The
// request must be a SNOW_WIRE struct (or SNOW_WIRE_SUM type) and the reply a wire type,
// and the service must declare which requests it takes from other nodes, since C++
// cannot list a state's overloads:
//
//     struct Kv {
//       using remote_requests = snow::RemoteRequests<Get, Put>;   // checked at spawn
//       ...
//     };
//
// The service dispatches on the request's wire name; a request it does not list, or one
// that does not convert, is answered with an error (Unimplemented, InvalidArgument) and
// counted (NodeStats::refused_service_requests). A non-wire request to another node is
// an InvalidArgument (a cast: std::invalid_argument) saying what to declare; through
// call_by_name.hpp's remote-capable forms it is a compile error. A remote caller's
// deadline is not checked by the service (the two clocks differ). Details:
// detail/remote_call.hpp. A state may instead read every request from another node
// itself, with a static `remote_request` (detail/remote_serve.hpp): Snow's services do,
// since all their requests travel under one name (snow/lang/otp.hpp).
#pragma once

#include <concepts>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/actor.hpp"
#include "snow/detail/api_checks.hpp"
#include "snow/detail/call.hpp"
#include "snow/detail/service_handler.hpp"
#include "snow/detail/stop_wait.hpp"
#include "snow/reply.hpp"
#include "snow/detail/remote_call.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

/// `Impl` handles calls of type `Req` (with or without a Self parameter, or a ReplyTo).
template <class Impl, class Req>
concept CallableWith = detail::PlainCallableWith<Impl, Req> || detail::DefersWith<Impl, Req>;
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

/// What the caller of `Req` receives (checked: see detail/service_handler.hpp).
template <class Impl, class Req>
using call_reply_t = typename CallShape<Impl, Req>::reply;

/// No reply: the caller's monitor tells it when the service has ended (detail/stop_wait.hpp).
template <class Impl>
Message run_stop(Impl&, Request<Impl>&, Self) { return Message::of(StopService{}); }

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
  } else if constexpr (requires { { impl.init(self) } -> std::same_as<Task<absl::Status>>; }) {
    if (started.ok()) started = co_await impl.init(self);
  }
  if (starter) self.send(starter, CallReply{start_ref, Message(), started});
  if (!started.ok()) self.exit(ExitReason::error(std::string(started.message())));
  // No try/catch around the co_await (g++ 12 miscompiles frame destruction there):
  // handler exceptions are caught by guarded(), which runs terminate and rethrows, and a
  // coroutine handler's by settle(). A runner answers its caller itself (send_reply).
  bool stop = false;
  while (!stop) {
    std::optional<Request<Impl>> request;  // alive until its handler is done, coroutine or not
    Message other;
    bool refused = false;  // a request from another node that this service does not take
    co_await self.receive(on<Request<Impl>>([&](Request<Impl> r) { request.emplace(std::move(r)); }),
                          on<RemoteCallRequest>([&](RemoteCallRequest r) {
                            // Served as a local request (deferred replies and coroutine
                            // handlers included); send_reply answers across nodes.
                            request = remote_as_local_request<Impl>(r, self);
                            refused = !request;
                          }),
                          any([&](Message m) { other = std::move(m); }));
    if (refused) continue;
    // A caller whose deadline has passed has stopped waiting: skip its request.
    if (request && request->ref && self.now() > request->deadline) continue;
    Message next = guarded(impl, [&] { return request ? request->run(impl, *request, self) : run_info(impl, other, self); });
    if (AwaitHandler* pending = next.get<AwaitHandler>()) {
      const std::exception_ptr failed = co_await settle(std::move(pending->task));
      if (failed) guarded(impl, [&] { std::rethrow_exception(failed); });
    }
    stop = next.is<StopService>();
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
    if (!pid_.is_local()) return detail::remote_call<detail::call_reply_t<Impl, R>, Impl>(self, pid_, req, timeout);
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
    if (!pid_.is_local()) return detail::remote_call<detail::call_reply_t<Impl, R>, Impl>(me, pid_, req, timeout);
    return detail::call<detail::call_reply_t<Impl, R>>(me, pid_, request<R>(std::forward<Req>(req), &detail::run_call<Impl, R>),
                                                       timeout);
  }

  /// Queues a request and returns at once; never blocks, never fails.
  template <class Req>
    requires CastableWith<Impl, std::remove_cvref_t<Req>>
  void cast(Req&& req) const {
    using R = std::remove_cvref_t<Req>;
    if (!pid_.is_local()) return detail::remote_cast<Impl>(*rt_, pid_, req);
    rt_->send(pid_, request<R>(std::forward<Req>(req), &detail::run_cast<Impl, R>));
  }

  /// Stops the service after the requests queued before this one (terminate runs).
  /// Returns once the service has ended (OK), or NotFound, Aborted(reason) if terminate
  /// threw, DeadlineExceeded. Works from whatever started it (see detail/stop_wait.hpp).
  Task<absl::Status> stop(Self self, absl::Duration timeout = kDefaultCallTimeout) const {
    if (!pid_.is_local()) return detail::failed_call<void>(detail::remote_stop_refused(pid_));
    return detail::stop_and_wait(self, pid_, request<detail::StopService>(detail::StopService{}, &detail::run_stop<Impl>), timeout);
  }
  absl::Status stop(const ScopedActor& me, absl::Duration timeout = kDefaultCallTimeout) const {
    if (!pid_.is_local()) return detail::remote_stop_refused(pid_);
    return detail::stop_and_wait(me, pid_, request<detail::StopService>(detail::StopService{}, &detail::run_stop<Impl>), timeout);
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

#include "snow/detail/remote_serve.hpp"  // needs the definitions above
