// snow/lang/otp.hpp: Snow's jobs, services and supervisors on the runtime's templates
// (snow::async/Job, snow::Service, snow::SupervisorSpec).
//
// Service handlers run as coroutines in a Snow service process (below), so they may wait.
// The runtime calls supervisor start functions synchronously, while Snow code is a
// coroutine; those run through Co::run_sync (see co.hpp), and a start function that
// would wait raises a runtime error instead.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/job.hpp"
#include "snow/reply.hpp"
#include "snow/service.hpp"
#include "snow/supervisor.hpp"
#include "snow/lang/process.hpp"
#include "snow/lang/value.hpp"
#include "snow/lang/value_wire.hpp"

namespace snow::lang {

// ---- jobs (snow.md#jobs) ----

Value job_async(Self self, Value f);

Value job_result(const absl::StatusOr<Value>& r);

Co<Value> job_await(Self self, Value job, absl::Duration timeout);
Co<Value> Job_await(Self self, Value job);
Co<Value> Job_await_timeout(Self self, Value job, Value ms);
Value Job_async(Self self, const Value& f);
Co<Value> Job_map(Self self, Value xs, Value f);

// ---- services (snow.md#services) ----
//
// A Snow service is not served by the runtime's service loop (snow/service.hpp): a Snow
// handler is a Snow coroutine (Co<Value>, not snow::Task) and may wait (call another
// service, receive, sleep). service_process serves the runtime's request/reply
// protocol instead, so callers use snow::Service<Impl> as for any service. The service
// counts as a live process that is blocked while it waits for requests, so an idle
// service never keeps a program from ending, and a handler that waits is seen as busy.

/// A request to a Snow service: which handler (in declaration order), with what arguments.
struct ServiceRequest {
  int handler;
  Args args;
};

// A request from another node cannot carry a ServiceRequest (its Values are this
// process's objects): it travels as the runtime's RemoteCallRequest (snow/detail/
// remote_call.hpp) named kServiceRequestName, whose body is the Term tuple
// (handler number, [arguments...]), and the reply comes back as a Term (snow.md#services).

/// The request name of every call or cast to a Snow service on another node.
inline constexpr std::string_view kServiceRequestName = "snow.service";

/// The RemoteCallRequest standing for `Name.handler(pid, args...)`. An argument that
/// cannot cross nodes (a function, a Job) is a runtime error in the caller.
snow::detail::RemoteCallRequest remote_service_request(int handler, const Args& args);

/// The ServiceRequest a request from another node stands for, or why the service refuses
/// it. Everything here comes from the network: the handler number is checked against the
/// service's handlers and the argument count against that handler's arity (the generated
/// `handler_arity`, -1 for no such handler) before `serve` indexes the arguments, and a
/// call must name a call handler (a cast, a cast handler), as the local form guarantees
/// at compile time. Linear in the size of the body.
absl::StatusOr<ServiceRequest> service_request_from(const snow::detail::RemoteCallRequest& r, int (*handler_arity)(int),
                                                    bool (*handler_is_call)(int));
// The checks do not depend on the service: compiled once in libsnow (src/lang/otp.cpp),
// handed the generated service's tables.
template <class Impl>
absl::StatusOr<ServiceRequest> service_request_from(const snow::detail::RemoteCallRequest& r) {
  return service_request_from(r, &Impl::handler_arity, &Impl::handler_is_call);
}

/// The generated service state (`struct NAME_service`) derives from this. snow::Service
/// types calls by `handle_call`'s result and casts by `handle_cast`; requests are served
/// through `serve` (a coroutine) by service_process, and would be through these only by
/// the runtime's own loop, where waiting is an error.
template <class Impl>
struct ServiceHandlers {
  Value handle_call(ServiceRequest r, Self self) { return static_cast<Impl*>(this)->serve(self, std::move(r)).run_sync(); }
  void handle_cast(ServiceRequest r, Self self) { static_cast<Impl*>(this)->serve(self, std::move(r)).run_sync(); }
};

/// The process of a Snow service: one request at a time, in arrival order (snow.md#services).
/// `token` counts it as live for as long as its frame exists (see ActorToken).
template <class Impl>
snow::Proc service_process(Self self, [[maybe_unused]] ActorToken token, Impl impl) {
  using Request = snow::detail::Request<Impl>;
  using RemoteRequest = snow::detail::RemoteCallRequest;
  for (;;) {
    std::optional<Request> request;
    std::optional<RemoteRequest> remote;
    co_await receive(self, true, snow::on<Request>([&](Request r) { request = std::move(r); }),
                     snow::on<RemoteRequest>([&](RemoteRequest r) { remote = std::move(r); }),
                     snow::any([](snow::Message) {}));  // anything else has no handler: dropped
    if (remote) {
      // From another node: refused (an error reply, a counter) unless well formed; the
      // reply goes back as a Term (send_reply). No deadline: the caller's clock is
      // another node's, and its own timeout still holds.
      absl::StatusOr<ServiceRequest> req = service_request_from<Impl>(*remote);
      if (!req.ok()) {
        snow::detail::refuse_remote_request(self, *remote, req.status());
        continue;
      }
      Value reply = co_await impl.serve(self, std::move(*req));
      if (remote->from) {
        snow::detail::send_reply(self.runtime(), remote->from, remote->ref, snow::Message::of(std::move(reply)),
                                 absl::OkStatus());
      }
      continue;
    }
    if (!request) continue;
    // A caller whose deadline has passed has stopped waiting: skip its request.
    if (request->ref && self.now() > request->deadline) continue;
    ServiceRequest* req = request->payload.template get<ServiceRequest>();
    if (req == nullptr) continue;  // only Snow requests reach a Snow service
    Value reply = co_await impl.serve(self, std::move(*req));
    if (request->ref) {
      self.send(request->from, snow::detail::CallReply{request->ref, snow::Message::of(std::move(reply)), absl::OkStatus()});
    }
  }
}

/// `Name.handler(pid, args...)` for a call handler.
template <class Impl, int Handler>
Co<Value> service_call(Self self, Value pid, Args args) {
  check_may_wait("a service call");
  const snow::Pid server = pid.as_pid();
  absl::StatusOr<Value> r;
  if (!server.is_local()) {
    // The same call (monitor, reply, Down) with a request that can cross nodes.
    auto pending = snow::detail::call<Value>(self, server, remote_service_request(Handler, args), absl::InfiniteDuration());
    r = co_await pending;
  } else {
    snow::Service<Impl> svc(self.runtime(), server);
    // Named, not a braced temporary inside co_await: g++ 12 relocates those bitwise.
    ServiceRequest request{Handler, std::move(args)};
    auto pending = svc.call(self, std::move(request), absl::InfiniteDuration());
    r = co_await pending;
  }
  if (!r.ok()) fail("service call failed: " + std::string(r.status().message()));
  co_return *r;
}
/// `Name.handler(pid, args...)` for a cast handler.
template <class Impl, int Handler>
Value service_cast(Self self, const Value& pid, Args args) {
  touch();
  const snow::Pid server = pid.as_pid();
  if (!server.is_local()) {
    self.send(server, remote_service_request(Handler, args));
    return unit();
  }
  snow::Service<Impl>(self.runtime(), server).cast(ServiceRequest{Handler, std::move(args)});
  return unit();
}
/// `Name.start(args...)` once init has produced the state.
template <class Impl>
Value service_start(Self self, Value state) {
  return spawn(self, &service_process<Impl>, nullptr, Impl(std::move(state)));
}
/// A call handler's body yields (new_state, reply).
Value take_call_result(Value& state, const Value& result);

// ---- supervisors (snow.md#supervisors) ----

snow::StartFn child_start(Value start);

snow::ChildSpec child(std::string id, Value start, snow::Restart restart, snow::Shutdown shutdown);

/// `spawn(Sup)`: the supervisor's children start in its own process.
Value spawn_supervisor(Self self, snow::SupervisorSpec spec);

}  // namespace snow::lang
