// src/dist/start_node.hpp: making a runtime a node over any Transport.
//
// Node::start uses the TCP + TLS transport; tests start nodes over the simulated network
// (src/transport/sim_transport.hpp) through this.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "snow/node.hpp"
#include "src/transport/transport.hpp"

namespace snow::detail {

class NodeCore;

absl::StatusOr<NodeCore*> start_node(Runtime& rt, std::string_view name, NodeOptions options,
                                     std::unique_ptr<transport::Transport> transport);
/// The node `rt` is, or null.
NodeCore* node_of(Runtime& rt);

}  // namespace snow::detail
