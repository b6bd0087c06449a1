// snow/lang/otp.hpp: Snow's jobs, services and supervisors on the runtime's templates
// (snow::async/Job, snow::Service, snow::SupervisorSpec).
//
// A Snow service runs the runtime's service loop, which awaits its handlers as coroutines,
// so they may wait. The runtime calls supervisor start functions synchronously, while
// Snow code is a coroutine; those run through Co::run_sync (see co.hpp), and a start
// function that would wait raises a runtime error instead.
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
// A Snow service runs the runtime's service loop (snow/service.hpp), like a C++ one:
// callers use snow::Service<Impl>, requests are served one at a time in arrival order, a
// caller whose deadline has passed is skipped. Its state (ServiceHandlers, below) has one
// call handler and one cast handler, both coroutines the loop awaits, which run the
// generated `serve` (a Snow handler may wait: call another service, receive, sleep). The
// service counts as a live process, blocked except while a handler runs, so an idle
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
// The checks do not depend on the service: compiled once in libsnow_lang (src/lang/otp.cpp),
// handed the generated service's tables.
template <class Impl>
absl::StatusOr<ServiceRequest> service_request_from(const snow::detail::RemoteCallRequest& r) {
  return service_request_from(r, &Impl::handler_arity, &Impl::handler_is_call);
}

/// The generated service state (`struct NAME_service`) derives from this: what the
/// runtime's service loop (snow/service.hpp) calls. Requests from this node arrive as
/// ServiceRequest calls and casts; requests from other nodes are read by `remote_request`
/// (detail/remote_serve.hpp) into the same, so they are served alike, and their replies go
/// back as Terms (send_reply). Not aggregate: `Impl(state)` is the generated constructor.
template <class Impl>
struct ServiceHandlers {
  snow::Task<Value, SmallPool> handle_call(ServiceRequest r, Self self) { return serve_counted(self, std::move(r)); }
  snow::Task<Value, SmallPool> handle_cast(ServiceRequest r, Self self) { return serve_counted(self, std::move(r)); }
  /// Checks a request from another node against the generated handler tables.
  static absl::StatusOr<ServiceRequest> remote_request(const snow::detail::RemoteCallRequest& r) {
    return service_request_from<Impl>(r);
  }
  /// Run by the loop before the first request: from here on the service counts as
  /// blocked (waiting for requests) except while a handler runs.
  absl::Status init(Self) {
    idle_.count();
    return absl::OkStatus();
  }
  /// Set by service_start: the service is live until its frame (and this state in it) goes.
  std::optional<ActorToken> token;

 private:
  // Not blocked while it serves a request: the handler may wait (it is then busy, as a
  // process waiting inside a function is), or receive (counted blocked by that receive).
  struct Busy {
    Busy() { count_wake(); }
    Busy(const Busy&) = delete;
    ~Busy() { count_blocked(1); }
  };
  // The +1 that stands for waiting for requests, taken back when the state goes (a service
  // killed while it waits). A copy starts uncounted: only the state in the frame counts.
  struct Idle {
    bool counted = false;
    Idle() = default;
    Idle(const Idle&) noexcept {}
    Idle& operator=(const Idle&) = delete;
    ~Idle() {
      if (counted) count_blocked(-1);
    }
    void count() {
      counted = true;
      count_blocked(1);
    }
  };
  snow::Task<Value, SmallPool> serve_counted(Self self, ServiceRequest r) {
    Busy busy;
    co_return co_await static_cast<Impl*>(this)->serve(self, std::move(r));
  }
  Idle idle_;
};

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
/// `Name.start(args...)` once init has produced the state: the runtime's service loop, in
/// a process that follows Snow's exit rules and counts as live (see ActorToken).
template <class Impl>
Value service_start(Self self, Value state) {
  Impl impl(std::move(state));
  lifetime.live.fetch_add(1);
  touch();
  impl.token.emplace(nullptr);  // no terminate clause
  return Value::of_pid(self.spawn_with(snow_spawn, &snow::detail::service_body<Impl>, std::move(impl), std::string(),
                                       snow::Pid(), snow::Ref()));
}
/// A call handler's body yields (new_state, reply).
Value take_call_result(Value& state, const Value& result);

// ---- supervisors (snow.md#supervisors) ----

snow::StartFn child_start(Value start);

snow::ChildSpec child(std::string id, Value start, snow::Restart restart, snow::Shutdown shutdown);

/// `spawn(Sup)`: the supervisor's children start in its own process.
Value spawn_supervisor(Self self, snow::SupervisorSpec spec);

}  // namespace snow::lang
