// src/transport/transport.cpp: the mark on a connection the peer dropped (transport.hpp).
#include "src/transport/transport.hpp"

#include "absl/strings/cord.h"
#include "src/runtime/strings.hpp"

namespace snow::transport {
namespace {
// An absl::Status payload: the status stays an ordinary Unavailable for whoever prints it,
// and the mark survives copies of the status (the node keeps the first reason it heard).
constexpr absl::string_view kDroppedByPeer = "snow.transport/dropped-by-peer";
}  // namespace

absl::Status dropped_by_peer_error(std::string_view message) {
  absl::Status status = absl::UnavailableError(internal::to_absl(message));
  status.SetPayload(kDroppedByPeer, absl::Cord());
  return status;
}

bool dropped_by_peer(const absl::Status& why) { return why.GetPayload(kDroppedByPeer).has_value(); }

}  // namespace snow::transport
