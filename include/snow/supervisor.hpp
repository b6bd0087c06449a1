// snow/supervisor.hpp: supervision trees.
//
// A supervisor is a process that starts children, watches them (it links to each and
// traps exits) and restarts them when they end, according to a spec that is plain data:
//
//     snow::SupervisorSpec spec{
//         .strategy = snow::Strategy::rest_for_one,
//         .max_restarts = 3, .max_seconds = 5,                 // over budget: supervisor exits
//         .children = {{.id = "store", .start = [](snow::Self s) { return s.spawn(store); }},
//                      {.id = "indexer", .start = start_indexer,
//                       .restart = snow::Restart::transient,  // restarted after abnormal exit only
//                       .shutdown = absl::Seconds(2)}}};       // then killed
//     snow::Pid sup = snow::spawn_supervisor(rt, spec);
//
// Semantics (Erlang's):
// - Children start in order and stop in reverse order. A child that fails to start at
//   start-up (its start returns the null Pid or throws) stops the ones already started,
//   and the supervisor fails (start_supervisor returns the error; the process exits).
// - Restart: permanent children are always restarted, transient ones only after an
//   abnormal exit (not normal, not shutdown), temporary ones never (they are forgotten).
// - Strategy: one_for_one restarts the child that ended; one_for_all stops the others
//   and restarts all; rest_for_one stops and restarts the ones after it too;
//   simple_one_for_one has one template child and children added with start_child.
// - Intensity: more than max_restarts restarts within max_seconds and the supervisor
//   stops every child and exits with reason shutdown, so its own supervisor takes over.
//   A child that always crashes is started max_restarts + 1 times. With
//   `exit_rules = ExitRules::snow` (Snow's supervisors) it exits with
//   error("restart limit exceeded") instead, an abnormal reason that takes down the
//   processes linked to it (see exit_rules.hpp).
// - Stopping a child: the supervisor monitors and unlinks it, then brutal_kill sends kill,
//   a timeout sends shutdown and kills it when the timeout passes, infinity waits.
// - A start that fails during a restart is retried through a message to the supervisor
//   itself, so it stays responsive; each try counts towards the intensity.
// - Every restart is logged (runtime log sink, warning) with the child id and reason.
// - The supervisor's parent (the process that spawned it) ending, or sending it an exit
//   signal, stops the children in reverse order and ends the supervisor with that reason.
//   A supervisor started from a host thread (Runtime& or ScopedActor) has no parent: an
//   exit signal from anyone but its parent or a child is ignored (logged at debug, with
//   why). stop_supervisor stops any supervisor, whoever started it.
//
// g++ 12 note: build a spec in a named variable rather than as a braced temporary inside
// a co_await expression; g++ 12 relocates such temporaries bitwise, which corrupts
// std::string members (see docs/DESIGN.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/exit_rules.hpp"
#include "snow/term.hpp"
#include "snow/detail/api_checks.hpp"
#include "snow/detail/call.hpp"
#include "snow/detail/stop_wait.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

enum class Strategy { one_for_one, one_for_all, rest_for_one, simple_one_for_one };
enum class Restart { permanent, transient, temporary };
enum class ChildType { worker, supervisor };

/// How a child is stopped: brutal_kill, a timeout (shutdown, then kill), or infinity.
class Shutdown {
 public:
  Shutdown(absl::Duration timeout) : timeout_(timeout) {}  // NOLINT: `.shutdown = absl::Seconds(2)`
  static Shutdown brutal_kill() { return Shutdown(absl::ZeroDuration()); }
  static Shutdown infinity() { return Shutdown(absl::InfiniteDuration()); }
  bool is_brutal_kill() const { return timeout_ == absl::ZeroDuration(); }
  absl::Duration timeout() const { return timeout_; }

 private:
  absl::Duration timeout_;
};

/// Starts a child from inside the supervisor and returns its Pid (the null Pid, or an
/// exception, means it failed to start). The supervisor links to it. A std::function<Pid(Self)>
/// that explains, at compile time, a start function of another shape.
using StartFn = detail::StartFunction;

struct ChildSpec {
  std::string id;
  StartFn start;
  Restart restart = Restart::permanent;
  Shutdown shutdown = absl::Seconds(5);
  ChildType type = ChildType::worker;
  /// A child on another node ("name@host:port"): the supervisor starts `function` (a
  /// SNOW_SPAWNABLE function) there with `args` (a tuple Term, `snow::to_term(std::tuple{...})`)
  /// instead of calling `start`, links to it and restarts it per the strategy, also after
  /// the node is lost (noconnection). While the node cannot be reached, each retry waits
  /// (100 ms, doubling up to 5 s) and counts towards the restart intensity.
  std::string node;
  std::string function;
  Term args = Term::tuple({});
};

struct SupervisorSpec {
  Strategy strategy = Strategy::one_for_one;
  int max_restarts = 3;
  int max_seconds = 5;
  /// In start order. For simple_one_for_one: exactly one, the template (not started).
  std::vector<ChildSpec> children;
  /// erlang: past the intensity the supervisor exits with shutdown; snow: with
  /// error("restart limit exceeded") (SNOW_LANGUAGE.md §6.13).
  ExitRules exit_rules = ExitRules::erlang;
};

struct ChildInfo {
  std::string id;
  Pid pid;  // null while not running
  ChildType type;
  Restart restart;
};
struct ChildCounts {
  int specs = 0;
  int active = 0;
  int supervisors = 0;
  int workers = 0;
};

namespace detail {

/// A request to a supervisor (the dynamic API); answered with a CallReply.
struct SupervisorRequest {
  enum class Kind { start_child, terminate_child, restart_child, delete_child, which_children, count_children, stop };
  Pid from;
  Ref ref;
  absl::Time deadline;
  Kind kind;
  std::string id;
  ChildSpec spec;
};

/// The supervisor process. `starter` (if set) gets a CallReply with ref `ack` once the
/// children have started (status only).
Proc supervisor_body(Self self, SupervisorSpec spec, Pid parent, Pid starter, Ref ack);
/// Checks a spec before anything starts: InvalidArgument naming the problem.
absl::Status validate(const SupervisorSpec& spec);

template <class Reply, class Caller>
auto supervisor_call(const Caller& caller, Pid sup, SupervisorRequest::Kind kind, std::string id, ChildSpec spec,
                     absl::Duration timeout) {
  SupervisorRequest r{Pid(), Ref(), absl::InfiniteFuture(), kind, std::move(id), std::move(spec)};
  return call<Reply>(caller, sup, std::move(r), timeout);
}

Task<absl::StatusOr<Pid>> await_supervisor_start(Self self, Pid sup, Ref ack, Ref watch);

}  // namespace detail

/// Starts a supervisor without waiting for its children (a failure to start ends it).
/// It has no parent and no link: stop it with stop_supervisor.
Pid spawn_supervisor(Runtime& rt, SupervisorSpec spec);
/// The same from a process, which becomes the supervisor's parent (link it if you want
/// its failure to reach you: a parent supervisor's start function does).
Pid spawn_supervisor(Self self, SupervisorSpec spec);
/// Starts a supervisor whose parent is the calling process, linked to it, and waits
/// until every child has started.
Task<absl::StatusOr<Pid>> start_supervisor(Self self, SupervisorSpec spec);
/// The same from a host thread: the supervisor has no parent and no link (the thread's
/// ScopedActor may end long before it); stop it with stop_supervisor.
absl::StatusOr<Pid> start_supervisor(const ScopedActor& me, SupervisorSpec spec);

/// Stops a supervisor, whoever started it: its children in reverse order (as on
/// shutdown), then itself with reason normal. Returns once it has ended (OK), NotFound if
/// it was gone, DeadlineExceeded if it is still stopping after `timeout` (a child's
/// shutdown timeout counts). `caller` is a Self (co_await the result) or a ScopedActor.
template <class Caller>
auto stop_supervisor(const Caller& caller, Pid sup, absl::Duration timeout = absl::InfiniteDuration()) {
  detail::SupervisorRequest r{Pid(), Ref(), absl::InfiniteFuture(), detail::SupervisorRequest::Kind::stop, "", {}};
  return detail::stop_and_wait(caller, sup, std::move(r), timeout);
}

// -- the dynamic API; `caller` is a Self (co_await the result) or a ScopedActor --

/// Adds and starts a child (AlreadyExists if the id is taken). For simple_one_for_one,
/// only `start` is used (restart, shutdown and type come from the template; the id is
/// generated).
template <class Caller>
auto start_child(const Caller& caller, Pid sup, ChildSpec spec, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<Pid>(caller, sup, detail::SupervisorRequest::Kind::start_child, "", std::move(spec),
                                      timeout);
}
/// Stops a child; its spec stays (restart_child starts it again). NotFound if unknown.
template <class Caller>
auto terminate_child(const Caller& caller, Pid sup, std::string id, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<void>(caller, sup, detail::SupervisorRequest::Kind::terminate_child, std::move(id), {},
                                       timeout);
}
/// Starts a terminated child again (FailedPrecondition if it is running).
template <class Caller>
auto restart_child(const Caller& caller, Pid sup, std::string id, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<Pid>(caller, sup, detail::SupervisorRequest::Kind::restart_child, std::move(id), {},
                                      timeout);
}
/// Forgets a terminated child (FailedPrecondition if it is running).
template <class Caller>
auto delete_child(const Caller& caller, Pid sup, std::string id, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<void>(caller, sup, detail::SupervisorRequest::Kind::delete_child, std::move(id), {},
                                       timeout);
}
template <class Caller>
auto which_children(const Caller& caller, Pid sup, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<std::vector<ChildInfo>>(caller, sup, detail::SupervisorRequest::Kind::which_children,
                                                         "", {}, timeout);
}
template <class Caller>
auto count_children(const Caller& caller, Pid sup, absl::Duration timeout = kDefaultCallTimeout) {
  return detail::supervisor_call<ChildCounts>(caller, sup, detail::SupervisorRequest::Kind::count_children, "", {},
                                              timeout);
}

}  // namespace snow
