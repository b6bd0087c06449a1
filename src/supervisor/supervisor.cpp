// src/supervisor/supervisor.cpp: the supervisor process (see include/snow/supervisor.hpp).
#include "snow/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "snow/remote_spawn.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow {
namespace detail {

namespace {

constexpr absl::Duration kFirstRemoteRetry = absl::Milliseconds(100);

struct Child {
  ChildSpec spec;
  Pid pid;
  absl::Duration backoff = kFirstRemoteRetry;  // before the next retry of a remote start
  std::uint64_t restarts = 0;      // for observers (snow::supervisors)
  std::string last_exit_reason;    // likewise
};

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::one_for_one: return "one_for_one";
    case Strategy::one_for_all: return "one_for_all";
    case Strategy::rest_for_one: return "rest_for_one";
    case Strategy::simple_one_for_one: return "simple_one_for_one";
  }
  return "?";
}

std::string_view restart_name(Restart r) {
  switch (r) {
    case Restart::permanent: return "permanent";
    case Restart::transient: return "transient";
    case Restart::temporary: return "temporary";
  }
  return "?";
}

/// Sent by the supervisor to itself to retry a start that failed during a restart.
struct RetryRestart {
  std::string id;
};

bool should_restart(Restart restart, const ExitReason& reason) {
  switch (restart) {
    case Restart::permanent: return true;
    case Restart::transient: return !reason.is_normal() && !reason.is(ExitReason::Kind::shutdown);
    case Restart::temporary: return false;
  }
  return false;
}

class Supervisor {
 public:
  Supervisor(Self self, SupervisorSpec spec, Pid parent) : self_(self), spec_(std::move(spec)), parent_(parent) {
    if (spec_.strategy == Strategy::simple_one_for_one) {
      template_ = std::move(spec_.children.front());
    } else {
      for (ChildSpec& c : spec_.children) children_.push_back({std::move(c), Pid()});
    }
    spec_.children.clear();
  }
  // Killed or ended, the supervisor's frame is destroyed: it leaves the observers' board.
  ~Supervisor() { self_.runtime().core().obs.supervisors.remove(self_.pid()); }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Copies this supervisor's state where observers read it (supervisor_board.hpp).
  void publish() {
    SupervisorSummary s;
    s.pid = self_.pid();
    s.parent = parent_;
    s.strategy = std::string(strategy_name(spec_.strategy));
    s.restarts = restarts_total_;
    s.children.reserve(children_.size());
    for (const Child& c : children_) {
      s.children.push_back({c.spec.id, c.pid, c.spec.type == ChildType::supervisor,
                            std::string(restart_name(c.spec.restart)), c.restarts, c.last_exit_reason});
    }
    self_.runtime().core().obs.supervisors.publish(std::move(s));
  }

  /// Starts every child in order; on a failure stops the started ones in reverse.
  Task<absl::Status> start_all() {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      absl::Status s = co_await start(children_[i]);
      if (!s.ok()) {
        co_await stop_range(0, i);
        co_return s;
      }
    }
    co_return absl::OkStatus();
  }

  /// Runs until the supervisor must end; returns the reason it ends with.
  Task<ExitReason> serve() {
    for (;;) {
      std::optional<Exit> exit;
      std::optional<SupervisorRequest> request;
      std::optional<RetryRestart> retry;
      co_await self_.receive(on<Exit>([&](Exit e) { exit = std::move(e); }),
                             on<SupervisorRequest>([&](SupervisorRequest r) { request = std::move(r); }),
                             on<RetryRestart>([&](RetryRestart r) { retry = std::move(r); }),
                             any([](Message) {}));  // a supervisor takes no other messages
      if (exit) {
        if (exit->from == parent_ && parent_) {
          co_await stop_range(0, children_.size());
          co_return exit->reason;
        }
        if (std::optional<ExitReason> end = co_await child_exited(*exit)) co_return *end;
      } else if (request && request->kind == SupervisorRequest::Kind::stop) {
        // No reply: the caller's monitor sees us end (snow/detail/stop_wait.hpp).
        co_await stop_range(0, children_.size());
        co_return ExitReason::normal();
      } else if (request) {
        co_await answer(*request);
      } else if (retry) {
        if (Child* c = find(retry->id); c && !c->pid) {
          if (std::optional<ExitReason> end = co_await restart(*c)) co_return *end;
        }
      }
      // Observers see the change (a stray message, ignored, changes nothing).
      if (exit || request || retry) publish();
    }
  }

  Task<> stop_all() { co_await stop_range(0, children_.size()); }

 private:
  Child* find(std::string_view id) {
    for (Child& c : children_) {
      if (c.spec.id == id) return &c;
    }
    return nullptr;
  }
  std::size_t index_of(const Child& c) const { return static_cast<std::size_t>(&c - children_.data()); }

  Task<absl::Status> start(Child& c) {
    Pid pid;
    if (!c.spec.node.empty()) {
      // A child on another node: started there by name (snow/remote_spawn.hpp). While
      // the node cannot be reached this fails (Unavailable, DeadlineExceeded) and the
      // restart logic retries with backoff.
      absl::StatusOr<Pid> remote =
          co_await spawn_on_term(self_, c.spec.node, c.spec.function, c.spec.args, kRemoteSpawnTimeout, false);
      if (!remote.ok()) {
        co_return absl::Status(remote.status().code(), absl::StrCat("child '", c.spec.id, "' failed to start on ",
                                                                    c.spec.node, ": ", remote.status().message()));
      }
      pid = *remote;
      c.backoff = kFirstRemoteRetry;
    } else {
      try {
        pid = c.spec.start ? c.spec.start(self_) : Pid();
      } catch (const std::exception& e) {
        co_return absl::InternalError(absl::StrCat("child '", c.spec.id, "' failed to start: ", e.what()));
      }
    }
    if (!pid) co_return absl::InternalError(absl::StrCat("child '", c.spec.id, "' failed to start"));
    self_.link(pid);  // a child that died already gives us Exit(noproc): a crash like any other
    c.pid = pid;
    co_return absl::OkStatus();
  }

  /// Stops one child: monitor, unlink, then kill or shutdown-and-wait.
  Task<> stop(Child& c) {
    if (!c.pid) co_return;
    const Pid pid = std::exchange(c.pid, Pid());
    const Ref watch = self_.monitor(pid);
    self_.unlink(pid);
    const Shutdown how = c.spec.shutdown;
    self_.exit(pid, how.is_brutal_kill() ? ExitReason::kill() : ExitReason::shutdown());
    const auto is_down = has_ref(&Down::ref, watch);
    if (how.is_brutal_kill() || how.timeout() == absl::InfiniteDuration()) {
      co_await self_.receive(on<Down>(is_down, [] {})).since(watch);
    } else {
      const bool ended = co_await self_.receive(on<Down>(is_down, [] { return true; }),
                                                after(how.timeout(), [] { return false; }))
                             .since(watch);
      if (!ended) {
        self_.exit(pid, ExitReason::kill());
        co_await self_.receive(on<Down>(is_down, [] {})).since(watch);
      }
    }
  }

  /// Stops children [first, last) in reverse order.
  Task<> stop_range(std::size_t first, std::size_t last) {
    for (std::size_t i = last; i > first; --i) co_await stop(children_[i - 1]);
  }

  /// True when one more restart would exceed the intensity (and then records nothing).
  bool over_intensity() {
    const absl::Time now = self_.now();
    while (!restarts_.empty() && now - restarts_.front() >= absl::Seconds(spec_.max_seconds)) restarts_.pop_front();
    if (static_cast<int>(restarts_.size()) >= spec_.max_restarts) return true;
    restarts_.push_back(now);
    return false;
  }

  /// A child ended. Returns the supervisor's own exit reason if it must end.
  Task<std::optional<ExitReason>> child_exited(const Exit& e) {
    auto it = std::find_if(children_.begin(), children_.end(), [&](const Child& c) { return c.pid == e.from; });
    if (it == children_.end()) {  // not (or no longer) ours
      self_.runtime().log(
          LogLevel::debug,
          absl::StrCat("supervisor ", self_.pid().to_string(), " ignores exit(", e.reason.to_string(), ") from ",
                       e.from.to_string(), ": not a child, nor its parent",
                       parent_ ? absl::StrCat(" (", parent_.to_string(), ")")
                               : std::string(" (it has none: started from a host thread; use stop_supervisor)")));
      co_return std::nullopt;
    }
    Child& c = *it;
    c.pid = Pid();
    c.last_exit_reason = e.reason.to_string();
    if (!should_restart(c.spec.restart, e.reason)) {
      if (c.spec.restart == Restart::temporary || spec_.strategy == Strategy::simple_one_for_one) {
        children_.erase(it);
      }
      co_return std::nullopt;
    }
    log(LogLevel::warning, absl::StrCat("supervisor ", self_.pid().to_string(), ": child '", c.spec.id,
                                        "' exited with ", e.reason.to_string(), "; restarting"));
    co_return co_await restart(c);
  }

  /// Restarts per the strategy after `c` ended (c.pid is null).
  Task<std::optional<ExitReason>> restart(Child& c) {
    if (over_intensity()) {
      log(LogLevel::error, absl::StrCat("supervisor ", self_.pid().to_string(), ": more than ", spec_.max_restarts,
                                        " restarts in ", spec_.max_seconds, " s; shutting down"));
      co_await stop_range(0, children_.size());
      // Erlang's supervisor leaves with shutdown, which its own supervisor does not
      // restart when it is transient; Snow's fails, so that a link or monitor sees it.
      if (spec_.exit_rules == ExitRules::snow) co_return ExitReason::error("restart limit exceeded");
      co_return ExitReason::shutdown();
    }
    ++restarts_total_;
    const std::size_t at = index_of(c);
    std::size_t first = at, last = at + 1;  // the range to (re)start
    switch (spec_.strategy) {
      case Strategy::one_for_one:
      case Strategy::simple_one_for_one:
        break;
      case Strategy::one_for_all:
        first = 0;
        last = children_.size();
        co_await stop_range(0, children_.size());
        break;
      case Strategy::rest_for_one:
        last = children_.size();
        co_await stop_range(at + 1, children_.size());
        break;
    }
    for (std::size_t i = first; i < last; ++i) {
      if (children_[i].pid) continue;
      absl::Status s = co_await start(children_[i]);
      if (s.ok()) ++children_[i].restarts;
      if (!s.ok()) {
        // A local start that failed is retried at once; a child on another node waits a
        // little (doubling, up to 5 s), so an unreachable node does not use up the
        // restart intensity in microseconds. Each retry counts towards the intensity.
        Child& failed = children_[i];
        const absl::Duration wait = failed.spec.node.empty() ? absl::ZeroDuration() : failed.backoff;
        if (!failed.spec.node.empty()) failed.backoff = std::min(failed.backoff * 2, absl::Seconds(5));
        log(LogLevel::warning, absl::StrCat("supervisor ", self_.pid().to_string(), ": ", s.message(),
                                            "; retrying in ", absl::FormatDuration(wait)));
        if (wait == absl::ZeroDuration()) {
          self_.send(self_.pid(), RetryRestart{failed.spec.id});
        } else {
          self_.send_after(wait, self_.pid(), RetryRestart{failed.spec.id});
        }
      }
    }
    co_return std::nullopt;
  }

  Task<> answer(SupervisorRequest& r) {
    using Kind = SupervisorRequest::Kind;
    CallReply reply{r.ref, Message(), absl::OkStatus()};
    Child* c = r.kind == Kind::start_child ? nullptr : find(r.id);
    const bool needs_child = r.kind == Kind::terminate_child || r.kind == Kind::restart_child || r.kind == Kind::delete_child;
    if (needs_child && !c) {
      reply.status = absl::NotFoundError(absl::StrCat("no child '", r.id, "'"));
    } else {
      switch (r.kind) {
        case Kind::start_child: {
          ChildSpec spec = std::move(r.spec);
          if (spec_.strategy == Strategy::simple_one_for_one) {
            StartFn start = std::move(spec.start);
            spec = template_;
            spec.start = std::move(start);
            spec.id = absl::StrCat(template_.id, "#", ++dynamic_count_);
          }
          if (find(spec.id)) {
            reply.status = absl::AlreadyExistsError(absl::StrCat("child '", spec.id, "' already exists"));
            break;
          }
          children_.push_back({std::move(spec), Pid()});
          reply.status = co_await start(children_.back());
          if (reply.status.ok()) {
            reply.payload = Message::of(children_.back().pid);
          } else {
            children_.pop_back();
          }
          break;
        }
        case Kind::terminate_child:
          co_await stop(*c);
          if (spec_.strategy == Strategy::simple_one_for_one || c->spec.restart == Restart::temporary) {
            children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index_of(*c)));
          }
          break;
        case Kind::restart_child:
          if (c->pid) {
            reply.status = absl::FailedPreconditionError(absl::StrCat("child '", r.id, "' is running"));
          } else if ((reply.status = co_await start(*c)).ok()) {
            reply.payload = Message::of(c->pid);
          }
          break;
        case Kind::delete_child:
          if (c->pid) {
            reply.status = absl::FailedPreconditionError(absl::StrCat("child '", r.id, "' is running"));
          } else {
            children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index_of(*c)));
          }
          break;
        case Kind::which_children: {
          std::vector<ChildInfo> out;
          for (const Child& ch : children_) out.push_back({ch.spec.id, ch.pid, ch.spec.type, ch.spec.restart});
          reply.payload = Message::of(std::move(out));
          break;
        }
        case Kind::count_children: {
          ChildCounts n;
          for (const Child& ch : children_) {
            ++n.specs;
            n.active += ch.pid ? 1 : 0;
            (ch.spec.type == ChildType::supervisor ? n.supervisors : n.workers) += 1;
          }
          reply.payload = Message::of(n);
          break;
        }
        case Kind::stop: break;  // serve() stops, and sends no reply
      }
    }
    self_.send(r.from, std::move(reply));
  }

  /// A line of kind "supervisor" about this supervisor's process.
  void log(LogLevel level, std::string_view text) { self_.runtime().core().log(level, "supervisor", self_.pid(), text); }

  Self self_;
  SupervisorSpec spec_;
  Pid parent_;
  ChildSpec template_;  // simple_one_for_one
  std::vector<Child> children_;
  std::deque<absl::Time> restarts_;
  std::uint64_t restarts_total_ = 0;
  int dynamic_count_ = 0;
};

}  // namespace

absl::Status validate(const SupervisorSpec& spec) {
  if (spec.max_restarts < 0) return absl::InvalidArgumentError("max_restarts must be >= 0");
  if (spec.max_seconds <= 0) return absl::InvalidArgumentError("max_seconds must be > 0");
  if (spec.strategy == Strategy::simple_one_for_one && spec.children.size() != 1) {
    return absl::InvalidArgumentError("a simple_one_for_one supervisor has exactly one child spec: the template");
  }
  for (std::size_t i = 0; i < spec.children.size(); ++i) {
    const ChildSpec& c = spec.children[i];
    if (c.id.empty()) return absl::InvalidArgumentError(absl::StrCat("child ", i, " has no id"));
    if (c.node.empty() && !c.start) {
      return absl::InvalidArgumentError(absl::StrCat("child '", c.id, "' has no start function"));
    }
    if (!c.node.empty() && c.function.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("child '", c.id, "' on ", c.node, " names no function to spawn"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.children[j].id == c.id) return absl::InvalidArgumentError(absl::StrCat("duplicate child id '", c.id, "'"));
    }
  }
  return absl::OkStatus();
}

Proc supervisor_body(Self self, SupervisorSpec spec, Pid parent, Pid starter, Ref ack) {
  self.trap_exits(true);
  if (absl::Status valid = validate(spec); !valid.ok()) {
    if (starter) self.send(starter, CallReply{ack, Message(), valid});
    self.exit(ExitReason::error(std::string(valid.message())));
  }
  Supervisor sup(self, std::move(spec), parent);
  absl::Status started = co_await sup.start_all();
  if (started.ok()) sup.publish();
  if (starter) self.send(starter, CallReply{ack, Message(), started});
  if (!started.ok()) self.exit(ExitReason::error(std::string(started.message())));
  const ExitReason end = co_await sup.serve();
  self.exit(end);
}

Task<absl::StatusOr<Pid>> await_supervisor_start(Self self, Pid sup, Ref ack, Ref watch) {
  absl::Status status = co_await await_started(self, sup, ack, watch);
  if (!status.ok()) co_return status;
  co_return sup;
}

}  // namespace detail

Pid spawn_supervisor(Runtime& rt, SupervisorSpec spec) {
  return rt.spawn(&detail::supervisor_body, std::move(spec), Pid(), Pid(), Ref());
}

Pid spawn_supervisor(Self self, SupervisorSpec spec) {
  return self.spawn(&detail::supervisor_body, std::move(spec), self.pid(), Pid(), Ref());
}

Task<absl::StatusOr<Pid>> start_supervisor(Self self, SupervisorSpec spec) {
  const Ref ack = self.make_ref();
  const Pid sup = self.spawn_link(&detail::supervisor_body, std::move(spec), self.pid(), self.pid(), ack);
  const Ref watch = self.monitor(sup);
  return detail::await_supervisor_start(self, sup, ack, watch);
}

absl::StatusOr<Pid> start_supervisor(const ScopedActor& me, SupervisorSpec spec) {
  const Ref ack = me.make_ref();
  const Pid sup = me.runtime().spawn(&detail::supervisor_body, std::move(spec), Pid(), me.pid(), ack);
  absl::Status status = detail::await_started(me, sup, ack, me.monitor(sup));
  if (!status.ok()) return status;
  return sup;
}

}  // namespace snow
