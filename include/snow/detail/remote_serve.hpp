// snow/detail/remote_serve.hpp: a service serving requests from other nodes.
//
// Included at the end of service.hpp: a request from another node becomes the local
// Request it stands for (run_call or run_cast of its type), which the service's loop
// serves exactly as a local one: deferred replies and coroutine handlers included, and
// send_reply (snow/reply.hpp) carries the answer back across nodes. The wire side (RemoteCallRequest, replies, the fingerprint) is remote_call.hpp.
#pragma once

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "snow/detail/remote_call.hpp"

namespace snow::detail {

/// The compile-time checks of a state's `remote_requests`, one request at a time.
template <class Impl, class Req>
constexpr bool check_remote_request() {
  static_assert(NamedWireType<Req>,
                "snow: every type in remote_requests must be a struct declared with SNOW_WIRE(Type, field, ...) "
                "or a sum type declared with SNOW_WIRE_SUM: its wire name is what the service dispatches on");
  static_assert(CallableWith<Impl, Req> || CastableWith<Impl, Req>,
                "snow: a type in remote_requests has no handle_call or handle_cast in the service state");
  if constexpr (CallableWith<Impl, Req>) {
    using Reply = call_reply_t<Impl, Req>;
    static_assert(std::is_void_v<Reply> || is_wire<Reply>,
                  "snow: the reply of a request in remote_requests must be a wire type (declare it with "
                  "SNOW_WIRE) or void");
  }
  return true;
}

/// If `request` names `Req`: sets `out` to the local request it stands for (or refuses
/// it: a body that does not convert, a call of a cast-only request) and returns true.
template <class Impl, class Req>
bool remote_as(RemoteCallRequest& request, Self self, std::optional<Request<Impl>>& out) {
  if (request.request != Wire<Req>::kName) return false;
  absl::StatusOr<Req> value = from_term<Req>(request.body);
  if (!value.ok()) {
    refuse_remote_request(self, request, absl::InvalidArgumentError(absl::StrCat(
                                             "request ", av(Wire<Req>::kName), " does not convert: ", value.status().message())));
    return true;
  }
  if (!request.from) {  // a cast (a null Ref does not stay null on the wire: Refs carry their node)
    if constexpr (CastableWith<Impl, Req>) {
      out.emplace(Request<Impl>{Pid(), Ref(), absl::InfiniteFuture(), Message::of(std::move(*value)), &run_cast<Impl, Req>});
    } else {
      refuse_remote_request(self, request, absl::InvalidArgumentError(absl::StrCat(av(Wire<Req>::kName), " is not a cast")));
    }
    return true;
  }
  if constexpr (CallableWith<Impl, Req>) {
    (void)kRemoteCallRegistered<Impl, Req, call_reply_t<Impl, Req>>;
    // No deadline: the caller's clock is another node's (its own timeout still holds).
    out.emplace(Request<Impl>{request.from, request.ref, absl::InfiniteFuture(), Message::of(std::move(*value)),
                              &run_call<Impl, Req>});
  } else {
    refuse_remote_request(self, request,
                          absl::InvalidArgumentError(absl::StrCat(av(Wire<Req>::kName), " is a cast-only request")));
  }
  return true;
}

template <class Impl, class... Req>
bool remote_as_among(RemoteCallRequest& request, Self self, std::optional<Request<Impl>>& out, RemoteRequests<Req...>*) {
  static_assert((check_remote_request<Impl, Req>() && ...));
  return (remote_as<Impl, Req>(request, self, out) || ...);
}

/// A state that reads requests from other nodes itself, instead of listing wire types in
/// `remote_requests`, has
///     static absl::StatusOr<Req> remote_request(const RemoteCallRequest&);
/// for the one request type Req it takes both ways: the request from another node becomes
/// a local call (run_call) or cast (run_cast) of that Req, or the error is the refusal.
/// Snow's services (snow/lang/otp.hpp) do that: all their requests travel under one name,
/// "snow.service", and are checked against the generated service's handlers.
template <class Impl>
concept ReadsRemoteRequests = requires(const RemoteCallRequest& r) {
  { Impl::remote_request(r).ok() } -> std::convertible_to<bool>;
};

template <class Impl>
std::optional<Request<Impl>> remote_as_own_request(RemoteCallRequest& request, Self self) {
  using Req = typename decltype(Impl::remote_request(request))::value_type;
  std::optional<Request<Impl>> out;
  absl::StatusOr<Req> value = Impl::remote_request(std::as_const(request));
  if (!value.ok()) {
    refuse_remote_request(self, request, value.status());
  } else if (!request.from) {  // a cast
    if constexpr (CastableWith<Impl, Req>) {
      out.emplace(Request<Impl>{Pid(), Ref(), absl::InfiniteFuture(), Message::of(std::move(*value)), &run_cast<Impl, Req>});
    } else {
      refuse_remote_request(self, request, absl::InvalidArgumentError("this service takes no casts"));
    }
  } else {
    if constexpr (CallableWith<Impl, Req>) {
      // No deadline: the caller's clock is another node's (its own timeout still holds).
      out.emplace(Request<Impl>{request.from, request.ref, absl::InfiniteFuture(), Message::of(std::move(*value)),
                                &run_call<Impl, Req>});
    } else {
      refuse_remote_request(self, request, absl::InvalidArgumentError("this service takes no calls"));
    }
  }
  return out;
}

template <class Impl>
std::optional<Request<Impl>> remote_as_local_request(RemoteCallRequest& request, Self self) {
  if constexpr (ReadsRemoteRequests<Impl>) {
    return remote_as_own_request<Impl>(request, self);
  } else {
    std::optional<Request<Impl>> out;
    if constexpr (requires { typename Impl::remote_requests; }) {
      if (remote_as_among(request, self, out, static_cast<typename Impl::remote_requests*>(nullptr))) return out;
      refuse_remote_request(self, request,
                            absl::UnimplementedError(absl::StrCat("service ", demangle(typeid(Impl)),
                                                                  " does not accept this request from other nodes "
                                                                  "(it is not in its remote_requests)")));
    } else {
      refuse_remote_request(self, request,
                            absl::UnimplementedError(absl::StrCat("service ", demangle(typeid(Impl)),
                                                                  " accepts no requests from other nodes (its state "
                                                                  "declares no remote_requests)")));
    }
    return out;
  }
}

}  // namespace snow::detail
