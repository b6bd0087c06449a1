// snow/call_by_name.hpp: calling a service by name, here or on another node.
//
//     auto a = co_await snow::call_service<Kv>(self, snow::LocalName{"kv"}, Get{"k"});
//     auto b = co_await snow::call_service<Kv>(self, snow::NameOn{"kv", "b@host:9000"}, Get{"k"});
//     auto c = co_await snow::call_service<Kv>(self, snow::GlobalName{"kv"}, Get{"k"});
//     snow::cast_service<Kv>(self, snow::GlobalName{"kv"}, Put{"k", 1});
//
// The name is looked up at each call (Erlang's gen_server:call({global, Name}, Req)), so
// a service restarted under the same name is found again; the call is then the
// Service<Kv> call of service.hpp, with its failures: NotFound (no process has the
// name, or it is gone), Aborted with the exit reason when it dies during the call
// (`noconnection` when its node is lost), DeadlineExceeded after `timeout`, which
// covers the lookup too. {name, node} is looked up on that node (one more round trip,
// through the two nodes' cluster processes; a node that is not connected is
// Aborted(noconnection) at once). A name that may be on another node ({name, node},
// global) takes only wire requests: another request is a compile error saying what to
// declare. The service must list the request in its remote_requests (service.hpp).
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "snow/global.hpp"
#include "snow/service.hpp"

namespace snow {

/// A name in this runtime's local registry.
struct LocalName {
  std::string_view name;
};
/// A name in the local registry of the node `node` ("name@host:port"): Erlang's {Name, Node}.
struct NameOn {
  std::string_view name;
  std::string_view node;
};
/// A global name (snow/global.hpp).
struct GlobalName {
  std::string_view name;
};

namespace detail {

/// Compiled (src/dist/cluster_api.cpp): the Pid registered as `name` on `node`, asked of that
/// node through this node's cluster process. NotFound, Aborted(noconnection),
/// DeadlineExceeded, FailedPrecondition (this runtime is not a node).
Task<absl::StatusOr<Pid>> whereis_on(Self self, std::string_view name, std::string_view node, absl::Duration timeout);
absl::StatusOr<Pid> whereis_on(const ScopedActor& me, std::string_view name, std::string_view node,
                               absl::Duration timeout);

template <class Target>
inline constexpr bool kRemoteCapable = !std::is_same_v<Target, LocalName>;

template <class Target, class Req>
constexpr void require_remote_request() {
  if constexpr (kRemoteCapable<Target>) static_assert(NamedWireType<std::remove_cvref_t<Req>>, SNOW_REMOTE_REQUEST_NOT_WIRE_);
}

inline absl::Status no_name(std::string_view kind, std::string_view name) {
  return absl::NotFoundError(absl::StrCat("no process is registered as the ", av(kind), " ", av(name)));
}
inline absl::StatusOr<Pid> resolve_now(Runtime& rt, LocalName target) {
  if (std::optional<Pid> pid = rt.whereis(target.name)) return *pid;
  return no_name("local name", target.name);
}
inline absl::StatusOr<Pid> resolve_now(Runtime& rt, GlobalName target) {
  if (std::optional<Pid> pid = global::whereis(rt, target.name)) return *pid;
  return no_name("global name", target.name);
}

template <class Impl, class Req>
using named_call_result_t = CallResult<call_reply_t<Impl, std::remove_cvref_t<Req>>>;

template <class Impl, class Req>
Task<named_call_result_t<Impl, Req>> call_on(Self self, NameOn target, Req req, absl::Duration timeout) {
  const absl::Time deadline = self.now() + timeout;
  absl::StatusOr<Pid> pid = co_await whereis_on(self, target.name, target.node, timeout);
  if (!pid.ok()) co_return pid.status();
  co_return co_await Service<Impl>(self.runtime(), *pid).call(self, std::move(req), deadline - self.now());
}

}  // namespace detail

/// Calls the service registered under `target`, from a process.
template <class Impl, class Target, class Req>
  requires CallableWith<Impl, std::remove_cvref_t<Req>>
Task<detail::named_call_result_t<Impl, Req>> call_service(Self self, Target target, Req&& req,
                                                          absl::Duration timeout = kDefaultCallTimeout) {
  detail::require_remote_request<Target, Req>();
  if constexpr (std::is_same_v<Target, NameOn>) {
    return detail::call_on<Impl>(self, target, std::remove_cvref_t<Req>(std::forward<Req>(req)), timeout);
  } else {
    absl::StatusOr<Pid> pid = detail::resolve_now(self.runtime(), target);
    if (!pid.ok()) return detail::failed_call<detail::call_reply_t<Impl, std::remove_cvref_t<Req>>>(pid.status());
    return Service<Impl>(self.runtime(), *pid).call(self, std::forward<Req>(req), timeout);
  }
}
/// The same from a host thread, blocking it.
template <class Impl, class Target, class Req>
  requires CallableWith<Impl, std::remove_cvref_t<Req>>
detail::named_call_result_t<Impl, Req> call_service(const ScopedActor& me, Target target, Req&& req,
                                                    absl::Duration timeout = kDefaultCallTimeout) {
  detail::require_remote_request<Target, Req>();
  absl::StatusOr<Pid> pid = absl::UnknownError("");
  const absl::Time deadline = me.runtime().now() + timeout;
  if constexpr (std::is_same_v<Target, NameOn>) {
    pid = detail::whereis_on(me, target.name, target.node, timeout);
  } else {
    pid = detail::resolve_now(me.runtime(), target);
  }
  if (!pid.ok()) return pid.status();
  return Service<Impl>(me.runtime(), *pid).call(me, std::forward<Req>(req), deadline - me.runtime().now());
}

/// Casts to the service registered under `target`; false (nothing sent) if no process
/// has the name (LocalName, GlobalName). A NameOn cast is resolved on that node, as a
/// send to {name, node} is (a dead letter there if no process has the name).
template <class Impl, class Target, class Req>
  requires CastableWith<Impl, std::remove_cvref_t<Req>>
bool cast_service(Self self, Target target, Req&& req) {
  detail::require_remote_request<Target, Req>();
  if constexpr (std::is_same_v<Target, NameOn>) {
    using R = std::remove_cvref_t<Req>;
    absl::StatusOr<detail::RemoteCallRequest> request =
        detail::remote_request<Impl, R, void>(self.runtime(), Pid(), req, false);
    if (!request.ok()) return false;
    self.send(target.name, target.node, std::move(*request));  // resolved there; a dead letter if none
    return true;
  } else {
    absl::StatusOr<Pid> pid = detail::resolve_now(self.runtime(), target);
    if (!pid.ok()) return false;
    if (pid->is_local()) {
      Service<Impl>(self.runtime(), *pid).cast(std::forward<Req>(req));
      return true;
    }
    // From this process (not Service::cast's Runtime::send): to another node, a cast then
    // keeps its order with this process's other messages and calls to the service.
    absl::StatusOr<detail::RemoteCallRequest> request =
        detail::remote_request<Impl, std::remove_cvref_t<Req>, void>(self.runtime(), *pid, req, false);
    if (!request.ok()) return false;
    self.send(*pid, std::move(*request));
    return true;
  }
}

}  // namespace snow
