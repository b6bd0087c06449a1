// src/discovery/discovery_state.hpp: what a node's DNS discovery remembers between polls.
//
// Owned by the node (src/dist/node_discovery.cpp) and used on its network thread only.
// Everything here is bounded by the members one answer may list (max_members): entries
// are made for listed members only and forgotten when DNS stops listing them.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "src/discovery/discovery_source.hpp"
#include "src/discovery/dns_lookup.hpp"

namespace snow::discovery {

struct DiscoveryState {
  DiscoverySource source;
  LookupWorker worker;
  absl::Time next_poll = absl::InfinitePast();
  std::minstd_rand jitter;  // spreads the polls of a cluster's nodes (seeded per node)
  absl::flat_hash_set<std::string> listed;  // member keys ("host:port") of the last answer
  // The node name each listed member's handshake gave. Before the proof it is the peer's
  // claim, and discovery uses it only to skip a dial: to a node connected already, or to
  // this node itself. A false claim can thus only stop this node dialling the claimant,
  // which it could as well achieve by not answering.
  absl::flat_hash_map<std::string, std::string> learned;
  // Names disconnect() was asked to drop: not dialled again until connect() names them.
  absl::flat_hash_set<std::string> disconnected;
  std::size_t last_listed = 0;  // for the log line when the membership changes
};

}  // namespace snow::discovery
