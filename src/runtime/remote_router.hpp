// src/runtime/remote_router.hpp: the seam between the local runtime and distribution.
//
// The runtime knows nothing about nodes: a message or signal for a Pid whose node index
// is not 0 goes to the RemoteRouter the node installed (src/dist/), or is answered as
// undeliverable when the runtime is not a node. Keeping the seam this narrow keeps the
// local send path free of distribution code: one branch on the Pid's node field.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "snow/detail/message_node.hpp"
#include "snow/pid.hpp"

namespace snow::detail {

enum class Delivery { delivered, dead, full };

class RemoteRouter {
 public:
  virtual ~RemoteRouter() = default;
  /// Takes `node` (a message or a runtime signal) from `from` (null: no process) to the
  /// process `to` on another node. Consumes `node`. Any thread; never blocks.
  virtual Delivery route(Pid from, Pid to, MessageNode* node) noexcept = 0;
  /// route() for try_send: OK once the message is on its way; a message the node refuses
  /// to send (over the peer's limits, a type declared differently there) comes back as
  /// that error, where route() would log it and count a dead letter.
  virtual absl::Status try_route(Pid from, Pid to, MessageNode* node) noexcept = 0;
  /// Sends an already encoded (STF) message to the process registered as `name` on
  /// `node_name`. Any thread; never blocks.
  virtual Delivery route_named(Pid from, std::string_view name, std::string_view node_name,
                               std::string encoded) noexcept = 0;
  /// Closes every connection and stops the I/O thread; later routes are dropped. Called
  /// first when the runtime stops, so no network thread touches processes being freed.
  virtual void stop() noexcept = 0;
};

}  // namespace snow::detail
