// src/dist/node_address.hpp: node names, "name@host:port".
//
// A node's name is its address: the host and port other nodes connect to. The name part
// is letters, digits, '_', '-' and '.'; the host an IPv4 address, a bracket-free IPv6
// address is not accepted (use a host name), or a host name of the same characters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace snow::dist {

struct NodeAddress {
  std::string name;  // before '@'
  std::string host;
  std::uint16_t port = 0;
  /// "name@host:port", the canonical form every node uses for this node.
  std::string full() const;
};

/// Parses "name@host" or "name@host:port" (`default_port` when none is given).
absl::StatusOr<NodeAddress> parse_node_address(std::string_view text, std::uint16_t default_port);

}  // namespace snow::dist
