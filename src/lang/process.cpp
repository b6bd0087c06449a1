// src/lang/process.cpp: Snow's concurrency constructs (include/snow/lang/process.hpp):
// sends that leave the local fast path, exit reasons and notifications as Values, links,
// monitors, the registry, timers, calls of function values. The per-message fast paths
// (send to a local pid, the activity counters, receive) stay inline in the header.
// Compiled once into libsnow_lang instead of into every generated program.
#include "snow/lang/process.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "snow/lang/value_wire.hpp"

namespace snow::lang {

ActorToken::~ActorToken() {
  if (!armed_) return;
  if (terminate_ && !lifetime.stopping.load()) {
    try {
      terminate_(Self(process_));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "snow: terminate clause failed: %s\n", e.what());
    }
  }
  touch();
  lifetime.live.fetch_sub(1);
}

ThreadActivity* Activity::add() {
  std::lock_guard lock(mu_);
  if (slots_ == nullptr) slots_ = new std::vector<ThreadActivity*>;
  slots_->push_back(new ThreadActivity);  // never freed: one per thread that ever ran Snow code
  return slots_->back();
}

void send_elsewhere(Self self, const Value& to, Value msg) {
  if (to.kind() == Kind::Tuple) {
    named_remote_send(self, to, std::move(msg));
    return;
  }
  const snow::Pid pid = to.as_pid();
  if (!pid) return;
  if (pid.is_local()) {
    self.send(pid, std::move(msg));
  } else {
    // Converted here, not by the runtime on its way out, so that a value that cannot
    // cross (a closure) is a runtime error in the sender (snow.md#remote-send) rather than a logged drop.
    self.send(pid, to_term(msg));
  }
}

Value reason_value(const ExitReason& r) {
  using K = ExitReason::Kind;
  switch (r.kind()) {
    case K::normal: return Value::variant(exit_reason_type, 0);
    case K::shutdown: return Value::variant(exit_reason_type, 1);
    case K::kill:
    case K::killed: return Value::variant(exit_reason_type, 2);
    case K::noproc: return Value::variant(exit_reason_type, 3);
    case K::noconnection: return Value::variant(exit_reason_type, 4);
    case K::error: return Value::variant(exit_reason_type, 5, {S(r.text())});
    case K::linked: return Value::variant(exit_reason_type, 7, {Value::of_pid(r.partner()), reason_value(*r.partner_reason())});
    case K::user:
      if (const Value* v = r.user_value<Value>()) return *v;
      if (const Term* t = r.user_value<Term>()) {  // a Snow reason that came from another node
        if (auto v = from_term(*t); v.ok()) return *v;
      }
      if (const std::string* s = r.user_value<std::string>()) return Value::variant(exit_reason_type, 6, {S(*s)});
      return Value::variant(exit_reason_type, 6, {S(r.to_string())});
  }
  return Value::variant(exit_reason_type, 0);
}

ExitReason to_reason(const Value& v) {
  if (!(v.kind() == Kind::Variant && v.type_info() == exit_reason_type)) fail("type mismatch: expected ExitReason");
  switch (v.tag()) {
    case 0: return ExitReason::normal();
    case 1: return ExitReason::shutdown();
    case 2: return ExitReason::kill();
    case 3: return ExitReason::noproc();
    case 4: return ExitReason::noconnection();
    case 5: return ExitReason::error(field(v, 0).as_str());
    case 6: return ExitReason::user(v);
    default: return ExitReason::linked(field(v, 0).as_pid(), to_reason(field(v, 1)));
  }
}

Value exit_value(const snow::Exit& e) {
  return Value::variant(notification_type, 0, {Value::of_pid(e.from), reason_value(e.reason)});
}

Value down_value(const snow::Down& d) {
  return Value::variant(notification_type, 1,
                        {I(static_cast<std::int64_t>(d.ref.raw())), Value::of_pid(d.pid), reason_value(d.reason)});
}

Value take_down(const snow::Down& d) {
  std::lock_guard lock(monitors.mu);
  monitors.active.erase(d.ref.raw());
  return down_value(d);
}

Value link(Self self, const Value& pid) {
  self.link(pid.as_pid());
  return unit();
}

Value unlink(Self self, const Value& pid) {
  self.unlink(pid.as_pid());
  return unit();
}

Value monitor(Self self, const Value& pid) {
  const snow::Ref r = self.monitor(pid.as_pid());
  std::lock_guard lock(monitors.mu);
  monitors.active.insert(r.raw());
  return I(static_cast<std::int64_t>(r.raw()));
}

Value demonitor(Self self, const Value& ref) {
  const auto raw = static_cast<std::uint64_t>(ref.as_int());
  bool was_active;
  {
    std::lock_guard lock(monitors.mu);
    was_active = monitors.active.erase(raw) == 1;
  }
  if (was_active) self.demonitor(snow::Ref::from_raw(raw));
  return I(was_active ? 0 : 1);
}

Value trap_exit(Self self) {
  self.trap_exits(true);
  return unit();
}

Value exit(Self self, const Value& pid, const Value& reason) {
  self.exit(pid.as_pid(), to_reason(reason));
  return unit();
}

Value register_name(Self self, const Value& name, const Value& pid) {
  if (name.as_str().empty()) return I(1);
  return I(self.runtime().register_name(name.as_str(), pid.as_pid()).ok() ? 0 : 1);
}

Value whereis(Self self, const Value& name) {
  auto p = self.runtime().whereis(name.as_str());
  return Value::of_pid(p ? *p : snow::Pid());
}

Value unregister_name(Self self, const Value& name) {
  return I(self.runtime().unregister_name(name.as_str()).ok() ? 0 : 1);
}

absl::Duration millis(const Value& ms) {
  const std::int64_t n = ms.as_int();
  return n <= 0 ? absl::ZeroDuration() : absl::Milliseconds(n);
}

Co<Value> sleep(Self self, Value ms) {
  check_may_wait("Timer.sleep");
  if (ms.as_int() > 0) co_await self.sleep(absl::Milliseconds(ms.as_int()));
  co_return unit();
}

Value send_after(Self self, const Value& pid, const Value& ms, Value msg) {
  const std::int64_t due = absl::ToUnixMillis(absl::Now()) + std::max<std::int64_t>(ms.as_int(), 0);
  std::int64_t cur = lifetime.timers_until_ms.load();
  while (cur < due && !lifetime.timers_until_ms.compare_exchange_weak(cur, due)) {
  }
  self.send_after(millis(ms), pid.as_pid(), std::move(msg));
  return unit();
}

Co<Value> call(Self self, Value f, Args args) {
  if (f.kind() != Kind::Fun) fail(std::string("calling something that is not a function: ") + kind_name(f.kind()));
  const auto& fn = f.as<FunObj>();
  if (fn.arity >= 0 && static_cast<std::size_t>(fn.arity) != args.size()) {
    fail("wrong number of arguments to " + fn.name + ": expected " + std::to_string(fn.arity) + ", found " +
         std::to_string(args.size()));
  }
  co_await tick(self);  // a function value may be a closure calling itself through its argument
  co_return co_await fn.fn(self, f, std::move(args));
}

Value fun(std::string name, int arity, FunObj::Fn fn) {
  return Value::of_obj(Kind::Fun, std::make_unique<FunObj>(std::move(name), arity, std::move(fn)));
}
}  // namespace snow::lang
