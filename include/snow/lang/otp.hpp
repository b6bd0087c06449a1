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
#include "snow/service.hpp"
#include "snow/supervisor.hpp"
#include "snow/lang/process.hpp"
#include "snow/lang/value.hpp"

namespace snow::lang {

// ---- jobs (snow.md#jobs) ----

inline Value job_async(Self self, Value f) {
  lifetime.live.fetch_add(1);  // a running job keeps the program alive
  touch();
  snow::Job<Value> job = snow::async(self, [f](Self s) -> snow::Task<Value> {
    LiveGuard live;
    co_return co_await call(s, f, Args());
  });
  return Value::of_obj(Kind::Job, std::make_unique<JobObj>(std::move(job)));
}

inline Value job_result(const absl::StatusOr<Value>& r) {
  if (r.ok()) return Ok(*r);
  if (absl::IsDeadlineExceeded(r.status())) return Err(S("timeout"));
  return Err(S(std::string(r.status().message())));
}

inline Co<Value> job_await(Self self, Value job, absl::Duration timeout) {
  check_may_wait("Job.await");
  job.expect(Kind::Job);
  absl::StatusOr<Value> r = co_await job.as<JobObj>().job.await(self, timeout);
  co_return job_result(r);
}
inline Co<Value> Job_await(Self self, Value job) { co_return co_await job_await(self, job, absl::InfiniteDuration()); }
inline Co<Value> Job_await_timeout(Self self, Value job, Value ms) {
  co_return co_await job_await(self, job, absl::Milliseconds(std::max<std::int64_t>(ms.as_int(), 0)));
}
inline Value Job_async(Self self, const Value& f) { return job_async(self, f); }
inline Co<Value> Job_map(Self self, Value xs, Value f) {
  std::vector<Value> jobs;
  for (const Value& x : list_items(xs)) {
    jobs.push_back(job_async(self, fun("job", 0, [f, x](Self s, Value, Args) -> Co<Value> {
      co_return co_await call(s, f, args(x));
    })));
  }
  std::vector<Value> out;
  for (const Value& j : jobs) out.push_back(co_await Job_await(self, j));
  co_return list(std::move(out));
}

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
  for (;;) {
    std::optional<Request> request;
    co_await receive(self, true, snow::on<Request>([&](Request r) { request = std::move(r); }),
                     snow::any([](snow::Message) {}));  // anything else has no handler: dropped
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
  snow::Service<Impl> svc(self.runtime(), pid.as_pid());
  // Named, not a braced temporary inside co_await: g++ 12 relocates those bitwise.
  ServiceRequest request{Handler, std::move(args)};
  auto pending = svc.call(self, std::move(request), absl::InfiniteDuration());
  absl::StatusOr<Value> r = co_await pending;
  if (!r.ok()) fail("service call failed: " + std::string(r.status().message()));
  co_return *r;
}
/// `Name.handler(pid, args...)` for a cast handler.
template <class Impl, int Handler>
Value service_cast(Self self, const Value& pid, Args args) {
  touch();
  snow::Service<Impl>(self.runtime(), pid.as_pid()).cast(ServiceRequest{Handler, std::move(args)});
  return unit();
}
/// `Name.start(args...)` once init has produced the state.
template <class Impl>
Value service_start(Self self, Value state) {
  return spawn(self, &service_process<Impl>, nullptr, Impl(std::move(state)));
}
/// A call handler's body yields (new_state, reply).
inline Value take_call_result(Value& state, const Value& result) {
  if (!is_tuple(result, 2)) fail("type mismatch: a call handler must return a (new_state, reply) tuple");
  state = field(result, 0);
  return field(result, 1);
}

// ---- supervisors (snow.md#supervisors) ----

inline snow::StartFn child_start(Value start) {
  return [start](Self self) -> snow::Pid {
    Value started = start.kind() == Kind::Fun ? call(self, start, Args()).run_sync() : start;
    return started.as_pid();
  };
}

inline snow::ChildSpec child(std::string id, Value start, snow::Restart restart, snow::Shutdown shutdown) {
  snow::ChildSpec c;
  c.id = std::move(id);
  c.start = child_start(std::move(start));
  c.restart = restart;
  c.shutdown = shutdown;
  return c;
}

/// `spawn(Sup)`: the supervisor's children start in its own process.
inline Value spawn_supervisor(Self self, snow::SupervisorSpec spec) {
  touch();
  spec.exit_rules = ExitRules::snow;  // past its intensity it fails (snow.md#supervisors)
  return Value::of_pid(snow::spawn_supervisor(self, std::move(spec)));
}

}  // namespace snow::lang
