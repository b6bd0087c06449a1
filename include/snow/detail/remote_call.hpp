// snow/detail/remote_call.hpp: service calls and casts that cross nodes (the wire side).
//
// A local request (detail::Request) carries a function pointer and a boxed C++ value;
// neither can leave the process. A request for a service on another node travels as a
// RemoteCallRequest instead: the caller's Pid and Ref (a null Pid for a cast), the
// request's wire name (its SNOW_WIRE or SNOW_WIRE_SUM name) and the request as a Term.
// The service dispatches on that name over the requests its state lists in
// `remote_requests` (service.hpp; the server side is detail/remote_serve.hpp), turning it
// into the local Request it stands for, and answers through send_reply (snow/reply.hpp),
// which sends a RemoteCallReply (status code and message, the reply as a Term) to a
// caller on another node: so deferred replies and coroutine handlers work across nodes. The caller's node turns a
// RemoteCallReply into an ordinary CallReply as it delivers it (src/dist/remote_call.cpp),
// so the call's receive, its monitor (Down: NotFound, Aborted, noconnection), its timeout
// and the dropping of late replies are exactly those of a local call (detail/call.hpp).
//
// The protocol fingerprint (docs/WIRE.md §5.1) covers each remote call: the caller and
// the service each register "call <state>(<request>)" with the request's and the reply's
// C++ types, so two nodes that pair one request with different replies refuse the call
// (FailedPrecondition), as they refuse a struct declared differently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/runtime.hpp"
#include "snow/wire.hpp"

namespace snow {

/// The requests a service accepts from other nodes, declared in its state:
///     using remote_requests = snow::RemoteRequests<Get, Put, Add>;
/// Each must be a SNOW_WIRE struct or SNOW_WIRE_SUM type the state handles (call or
/// cast), and each call's reply a wire type (or void); this is checked where the service
/// is spawned.
template <class... Req>
struct RemoteRequests {};

namespace detail {

/// A request on its way to a service on another node.
struct RemoteCallRequest {
  Pid from;                 // null for a cast: what tells a cast from a call
  Ref ref;                  // unused for a cast
  std::string request;      // the request's wire name: what the service dispatches on
  Term body;                // the request
  // Set by detail::call; not sent. A remote service cannot compare a deadline from
  // another node's clock with its own, so it serves every request it takes.
  absl::Time deadline;
};
SNOW_WIRE(RemoteCallRequest, from, ref, request, body)

/// A service's answer to a caller on another node; delivered there as a CallReply.
struct RemoteCallReply {
  Ref ref;
  std::int64_t code = 0;  // absl::StatusCode; 0 (OK): `payload` is the reply
  std::string error;
  Term payload;
};
SNOW_WIRE(RemoteCallReply, ref, code, error, payload)

/// A request type that can cross nodes: it has a wire name to dispatch on.
template <class Req>
concept NamedWireType = DescribedStruct<Req> || DescribedSum<Req>;

/// The fingerprint entry of calls of `Req` on a service of state `Impl`.
template <class Impl, class Req>
const std::string& remote_call_name() {
  static const std::string name = absl::StrCat("call ", demangle(typeid(Impl)), "(", av(Wire<Req>::kName), ")");
  return name;
}
template <class Impl, class Req, class Reply>
bool register_remote_call() {
  register_layout(remote_call_name<Impl, Req>(),
                  absl::StrCat(demangle(typeid(Req)), "->", std::is_void_v<Reply> ? "void" : demangle(typeid(Reply))));
  return true;
}
/// Registered at start-up (a node sends its fingerprint when a connection comes up,
/// before any call): naming this variable in a call or a service instantiates it.
template <class Impl, class Req, class Reply>
inline const bool kRemoteCallRegistered = register_remote_call<Impl, Req, Reply>();

/// The words every non-wire request to another node gets, compile time or run time.
#define SNOW_REMOTE_REQUEST_NOT_WIRE_                                                                   \
  "snow: a request to a service on another node must be a wire type: declare it with "               \
  "SNOW_WIRE(YourRequest, field, ...) (or SNOW_WIRE_SUM), and list it in the service state's "        \
  "`using remote_requests = snow::RemoteRequests<...>;`"

/// Compiled (src/dist/remote_call.cpp): FailedPrecondition if the service's node declares
/// `call_name` differently (protocol fingerprint); OK otherwise, or if not known yet.
absl::Status check_remote_call(Runtime& rt, Pid server, const std::string& call_name);
/// The run-time form of SNOW_REMOTE_REQUEST_NOT_WIRE_, naming the request type.
absl::Status request_not_wire(const std::type_info& request, Pid server);
/// Service::stop of a service on another node: Unimplemented, saying what to do instead.
absl::Status remote_stop_refused(Pid server);

/// The RemoteCallRequest for `req` to `server`, or why it cannot go.
template <class Impl, class Req, class Reply>
absl::StatusOr<RemoteCallRequest> remote_request(Runtime& rt, Pid server, const Req& req, bool is_call) {
  if constexpr (!NamedWireType<Req>) {
    return request_not_wire(typeid(Req), server);
  } else {
    if (is_call) {
      (void)kRemoteCallRegistered<Impl, Req, Reply>;
      SNOW_RETURN_IF_ERROR(check_remote_call(rt, server, remote_call_name<Impl, Req>()));
    }
    return RemoteCallRequest{Pid(), Ref(), std::string(Wire<Req>::kName), to_term(req), absl::InfiniteFuture()};
  }
}

/// A call that fails before anything is sent, as a Task like the call it stands for.
template <class Reply>
Task<CallResult<Reply>> failed_call(absl::Status status) {
  co_return status;
}

/// A call of `req` on `server`, a process on another node; from a process.
template <class Reply, class Impl, class Req>
Task<CallResult<Reply>> remote_call(Self self, Pid server, const Req& req, absl::Duration timeout) {
  absl::StatusOr<RemoteCallRequest> request = remote_request<Impl, Req, Reply>(self.runtime(), server, req, true);
  if (!request.ok()) return failed_call<Reply>(request.status());
  return call<Reply>(self, server, std::move(*request), timeout);
}
/// The same from a host thread, blocking it.
template <class Reply, class Impl, class Req>
CallResult<Reply> remote_call(const ScopedActor& me, Pid server, const Req& req, absl::Duration timeout) {
  absl::StatusOr<RemoteCallRequest> request = remote_request<Impl, Req, Reply>(me.runtime(), server, req, true);
  if (!request.ok()) return request.status();
  return call<Reply>(me, server, std::move(*request), timeout);
}
/// A cast to a process on another node. A request that is not a wire type throws
/// std::invalid_argument (as a send of such a message to another node does).
template <class Impl, class Req>
void remote_cast(Runtime& rt, Pid server, const Req& req) {
  absl::StatusOr<RemoteCallRequest> request = remote_request<Impl, Req, void>(rt, server, req, false);
  if (!request.ok()) throw std::invalid_argument(std::string(request.status().message()));
  rt.send(server, std::move(*request));
}

/// Refuses a request from another node (an unknown request name, a body that does not
/// convert, a call of a cast-only request): counted in NodeStats::refused_service_requests,
/// logged (rate-limited), and a call is answered with `why`, so its caller never hangs.
void refuse_remote_request(Self self, const RemoteCallRequest& request, absl::Status why);

/// The local request a request from another node stands for, or nullopt when the
/// service refused it (refuse_remote_request has answered). The service's receive loop
/// calls it; defined in detail/remote_serve.hpp, which needs service.hpp's definitions.
template <class Impl>
std::optional<Request<Impl>> remote_as_local_request(RemoteCallRequest& request, Self self);

}  // namespace detail
}  // namespace snow
