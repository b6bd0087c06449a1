// src/lang/otp.cpp: Snow's jobs, services and supervisors (include/snow/lang/otp.hpp):
// the parts that do not depend on a service's generated type. Compiled once into libsnow_lang
// instead of into every generated program; the service templates stay in the header.
#include "snow/lang/otp.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace snow::lang {

Value job_async(Self self, Value f) {
  lifetime.live.fetch_add(1);  // a running job keeps the program alive
  touch();
  snow::Job<Value> job = snow::async(self, [f](Self s) -> snow::Task<Value> {
    LiveGuard live;
    co_return co_await call(s, f, Args());
  });
  return Value::of_obj(Kind::Job, std::make_unique<JobObj>(std::move(job)));
}

Value job_result(const absl::StatusOr<Value>& r) {
  if (r.ok()) return Ok(*r);
  if (absl::IsDeadlineExceeded(r.status())) return Err(S("timeout"));
  return Err(S(std::string(r.status().message())));
}

Co<Value> job_await(Self self, Value job, absl::Duration timeout) {
  check_may_wait("Job.await");
  job.expect(Kind::Job);
  absl::StatusOr<Value> r = co_await job.as<JobObj>().job.await(self, timeout);
  co_return job_result(r);
}

Co<Value> Job_await(Self self, Value job) { co_return co_await job_await(self, job, absl::InfiniteDuration()); }

Co<Value> Job_await_timeout(Self self, Value job, Value ms) {
  co_return co_await job_await(self, job, absl::Milliseconds(std::max<std::int64_t>(ms.as_int(), 0)));
}

Value Job_async(Self self, const Value& f) { return job_async(self, f); }

Co<Value> Job_map(Self self, Value xs, Value f) {
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

snow::detail::RemoteCallRequest remote_service_request(int handler, const Args& args) {
  std::vector<Term> terms;
  terms.reserve(args.size());
  for (const Value& a : args) terms.push_back(to_term(a));
  return snow::detail::RemoteCallRequest{snow::Pid(), snow::Ref(), std::string(kServiceRequestName),
                                         Term::tuple({Term(static_cast<std::int64_t>(handler)), Term::list(std::move(terms))}),
                                         absl::InfiniteFuture()};
}

Value take_call_result(Value& state, const Value& result) {
  if (!is_tuple(result, 2)) fail("type mismatch: a call handler must return a (new_state, reply) tuple");
  state = field(result, 0);
  return field(result, 1);
}

snow::StartFn child_start(Value start) {
  return [start](Self self) -> snow::Pid {
    Value started = start.kind() == Kind::Fun ? call(self, start, Args()).run_sync() : start;
    return started.as_pid();
  };
}

snow::ChildSpec child(std::string id, Value start, snow::Restart restart, snow::Shutdown shutdown) {
  snow::ChildSpec c;
  c.id = std::move(id);
  c.start = child_start(std::move(start));
  c.restart = restart;
  c.shutdown = shutdown;
  return c;
}

Value spawn_supervisor(Self self, snow::SupervisorSpec spec) {
  touch();
  spec.exit_rules = ExitRules::snow;  // past its intensity it fails (snow.md#supervisors)
  return Value::of_pid(snow::spawn_supervisor(self, std::move(spec)));
}

absl::StatusOr<ServiceRequest> service_request_from(const snow::detail::RemoteCallRequest& r, int (*handler_arity)(int),
                                                    bool (*handler_is_call)(int)) {
  if (r.request != kServiceRequestName) {
    return absl::UnimplementedError("a Snow service accepts only \"snow.service\" requests from other nodes, not \"" +
                                    r.request.substr(0, 64) + "\"");
  }
  const Term& body = r.body;
  if (!body.is_tuple() || body.size() != 2 || !body.elements()[0].is_int() || !body.elements()[1].is_list()) {
    return absl::InvalidArgumentError("a service request's body is the tuple (handler number, [arguments])");
  }
  const std::int64_t handler = body.elements()[0].as_int();
  const int arity = handler < 0 || handler > 1 << 20 ? -1 : handler_arity(static_cast<int>(handler));
  if (arity < 0) return absl::InvalidArgumentError("this service has no handler " + std::to_string(handler));
  const Term& terms = body.elements()[1];
  if (terms.size() != static_cast<std::size_t>(arity)) {
    return absl::InvalidArgumentError("handler " + std::to_string(handler) + " takes " + std::to_string(arity) +
                                      " arguments, the request has " + std::to_string(terms.size()));
  }
  const bool is_call = static_cast<bool>(r.from);
  if (is_call != handler_is_call(static_cast<int>(handler))) {
    return absl::InvalidArgumentError("handler " + std::to_string(handler) + (is_call ? " is a cast, not a call" : " is a call, not a cast"));
  }
  ServiceRequest out{static_cast<int>(handler), Args()};
  out.args.reserve(terms.size());
  for (const Term& t : terms.elements()) {
    absl::StatusOr<Value> v = from_term(t);
    if (!v.ok()) return absl::InvalidArgumentError("an argument does not convert: " + std::string(v.status().message()));
    out.args.push_back(std::move(*v));
  }
  return out;
}

}  // namespace snow::lang
