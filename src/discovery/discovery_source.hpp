// src/discovery/discovery_source.hpp: what a node looks up in DNS to find its peers.
//
// The text forms are NodeOptions::discovery.source's and SNOW_DISCOVERY's:
//
//     a:NAME:PORT   every A and AAAA address of NAME is a node listening on PORT
//                   (a Kubernetes headless Service lists one address per ready pod)
//     srv:NAME      each SRV record of NAME is a node at its target and port
//                   (_snow._tcp.snow.prod.svc.cluster.local, a systemd fleet's zone)
//
// NAME is a DNS name: letters, digits, '-', '_' and '.', labels of 1 to 63 characters,
// at most 253 in all (a final '.' is allowed). Anything else is refused with a message
// that says what is wrong, before anything is looked up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace snow::discovery {

struct DiscoverySource {
  enum class Kind { a, srv };
  Kind kind = Kind::a;
  std::string name;        // the DNS name to look up
  std::uint16_t port = 0;  // kind a: the port every address listens on; srv: 0 (each record has its own)
  /// The text form, as parsed ("a:snow.prod:4370", "srv:_snow._tcp.prod").
  std::string text() const;
};

/// Parses "a:NAME:PORT" or "srv:NAME"; InvalidArgument saying why otherwise.
absl::StatusOr<DiscoverySource> parse_discovery_source(std::string_view text);

/// True when `name` is a DNS name as described above.
bool is_dns_name(std::string_view name);

}  // namespace snow::discovery
