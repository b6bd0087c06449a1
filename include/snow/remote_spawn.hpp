// snow/remote_spawn.hpp: starting processes on other nodes, by function name.
//
//     snow::Proc adder(snow::Self self, std::int64_t base) { ... }
//     SNOW_SPAWNABLE(adder);                         // at namespace scope, once
//
//     absl::StatusOr<snow::Pid> pid =
//         co_await snow::spawn_on(self, "beta@10.0.0.2:9000", "adder", std::int64_t{40});
//
// A node can start only functions registered with SNOW_SPAWNABLE (or
// `register_spawnable`), with wire-typed arguments; snowc registers every actor. The
// arguments travel as a tuple and are converted to the function's parameter types on the
// remote node. Errors come back to the caller: Unavailable (the node is not connected, or
// was lost while the request was in flight), NotFound (no function of that name there),
// InvalidArgument (the arguments do not fit, with the path that failed),
// DeadlineExceeded (no answer in time). A process started for a caller that has given up
// or died is killed, so nothing runs for nobody.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "snow/receive.hpp"
#include "snow/term.hpp"
#include "snow/wire.hpp"

namespace snow {

/// Starts a process from a tuple Term of arguments, as a child of the node's cluster
/// process; an error if the arguments do not convert.
using SpawnableFn = std::function<absl::StatusOr<Pid>(const Self& parent, const Term& args)>;

namespace detail {
/// Spawnable functions appear in the fingerprint as "spawn NAME".
inline constexpr std::string_view kSpawnLayoutPrefix = "spawn ";
bool register_spawnable_fn(std::string name, SpawnableFn fn);
const SpawnableFn* find_spawnable(std::string_view name);

/// What the remote node answers (a wire type; see src/dist/cluster.cpp).
struct SpawnReply {
  Ref ref;
  Pid pid;
  std::string error;  // empty on success
  std::int64_t code = 0;  // absl::StatusCode when error is set
};
SNOW_WIRE(SpawnReply, ref, pid, error, code)

}  // namespace detail

/// Registers `fn` (`Proc fn(Self, Args...)`, every Arg a wire type) under `name`.
template <class... Args>
bool register_spawnable(std::string name, Proc (*fn)(Self, Args...)) {
  (detail::require_wire<std::decay_t<Args>>(), ...);
  std::string layout = name + "(";
  ((layout += detail::demangle(typeid(std::decay_t<Args>)) + ","), ...);
  detail::register_layout(std::string(detail::kSpawnLayoutPrefix) + name, layout + ")");
  return detail::register_spawnable_fn(std::move(name), [fn](const Self& parent, const Term& args) -> absl::StatusOr<Pid> {
    absl::StatusOr<std::tuple<std::decay_t<Args>...>> converted = from_term<std::tuple<std::decay_t<Args>...>>(args);
    if (!converted.ok()) return converted.status();
    return std::apply([&](auto&&... a) { return parent.spawn(fn, std::move(a)...); }, std::move(*converted));
  });
}

/// Registers a function under its own name, once, at namespace scope.
#define SNOW_SPAWNABLE(fn) \
  [[maybe_unused]] static const bool snow_spawnable_registered_##fn = ::snow::register_spawnable(#fn, &fn)

namespace detail {
/// The out-of-line coroutine behind spawn_on (src/dist/cluster_api.cpp).
Task<absl::StatusOr<Pid>> spawn_on_term(Self self, std::string_view node, std::string_view name, Term args,
                                        absl::Duration timeout, bool link);
}  // namespace detail

/// How long spawn_on waits for the remote node's answer.
inline constexpr absl::Duration kRemoteSpawnTimeout = absl::Seconds(5);

/// Starts `name(args...)` on `node` ("name@host:port"): `co_await` it for the new Pid or
/// the error. `node` and `name` must stay alive until the co_await completes.
template <class... Args>
Task<absl::StatusOr<Pid>> spawn_on(Self self, std::string_view node, std::string_view name, Args... args) {
  (detail::require_wire<Args>(), ...);
  return detail::spawn_on_term(self, node, name, to_term(std::tuple<Args...>(std::move(args)...)),
                               kRemoteSpawnTimeout, false);
}

/// spawn_on, then a link between the caller and the new process. (A process that ends
/// before the link is made gives the caller an exit with reason noproc, not its own.)
template <class... Args>
Task<absl::StatusOr<Pid>> spawn_link_on(Self self, std::string_view node, std::string_view name, Args... args) {
  (detail::require_wire<Args>(), ...);
  return detail::spawn_on_term(self, node, name, to_term(std::tuple<Args...>(std::move(args)...)),
                               kRemoteSpawnTimeout, true);
}

}  // namespace snow
