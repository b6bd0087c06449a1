// src/lang/otp.cpp: Snow's jobs, services and supervisors (include/snow/lang/otp.hpp):
// the parts that do not depend on a service's generated type. Compiled once into libsnow
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
}  // namespace snow::lang
