// snow/detail/remote_serve.hpp: a service serving requests from other nodes.
//
// Included at the end of service.hpp: it runs the handlers through service.hpp's
// run_call and run_cast, so a request from another node is served exactly as a local
// one. The wire side (RemoteCallRequest, replies, the fingerprint) is remote_call.hpp.
#pragma once

#include <type_traits>

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

/// Serves `request` if it is a `Req`; false if it is another request.
template <class Impl, class Req>
bool serve_remote_as(Impl& impl, RemoteCallRequest& request, Self self) {
  if (request.request != Wire<Req>::kName) return false;
  absl::StatusOr<Req> value = from_term<Req>(request.body);
  if (!value.ok()) {
    refuse_remote_request(self, request, absl::InvalidArgumentError(absl::StrCat(
                                             "request ", av(Wire<Req>::kName), " does not convert: ", value.status().message())));
    return true;
  }
  Message payload = Message::of(std::move(*value));
  if (!request.from) {  // a cast (a null Ref does not stay null on the wire: Refs carry their node)
    if constexpr (CastableWith<Impl, Req>) {
      run_cast<Impl, Req>(impl, payload, self);
    } else {
      refuse_remote_request(self, request, absl::InvalidArgumentError(absl::StrCat(av(Wire<Req>::kName), " is not a cast")));
    }
    return true;
  }
  if constexpr (CallableWith<Impl, Req>) {
    (void)kRemoteCallRegistered<Impl, Req, call_reply_t<Impl, Req>>;
    reply_to_remote_caller(self, request.from, request.ref, run_call<Impl, Req>(impl, payload, self), absl::OkStatus());
  } else {
    refuse_remote_request(self, request,
                          absl::InvalidArgumentError(absl::StrCat(av(Wire<Req>::kName), " is a cast-only request")));
  }
  return true;
}

template <class Impl, class... Req>
bool serve_remote_among(Impl& impl, RemoteCallRequest& request, Self self, RemoteRequests<Req...>*) {
  static_assert((check_remote_request<Impl, Req>() && ...));
  return (serve_remote_as<Impl, Req>(impl, request, self) || ...);
}

template <class Impl>
void serve_remote(Impl& impl, RemoteCallRequest& request, Self self) {
  if constexpr (requires { typename Impl::remote_requests; }) {
    if (serve_remote_among(impl, request, self, static_cast<typename Impl::remote_requests*>(nullptr))) return;
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
}

}  // namespace snow::detail
