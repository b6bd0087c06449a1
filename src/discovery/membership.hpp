// src/discovery/membership.hpp: what one DNS answer asks of the node.
//
// Each poll compares the members DNS lists now with the ones it listed before and with
// what the node is connected to. The rules, one per case:
//   new member, not connected     dial it (by address: its name comes in the handshake)
//   listed, not connected         dial it again (a discovered peer reconnects while listed)
//   listed, connected             nothing
//   listed, a dial to it open     nothing: never two dials to one member at once
//   this node itself              nothing (its own listen address, or the address whose
//                                 handshake said this node's name)
//   gone from DNS                 forgotten by discovery, and nothing else: the connection,
//                                 if any, stays, and only the heartbeat declares the node
//                                 down (DNS dropping a record is no failure of the node)
//   past max_members              counted as ignored, never dialled
// A pure function of its inputs, so the rules are tested without a DNS server.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "src/discovery/dns_answer.hpp"

namespace snow::discovery {

struct MembershipPlan {
  std::vector<DnsMember> dial;   // to dial now
  std::vector<std::string> gone;  // keys listed last time, not now
  absl::flat_hash_set<std::string> listed;  // keys listed now (the next poll's `previous`)
  std::size_t ignored = 0;       // past max_members
};

/// What the node asks of each member it is told of: is it this node, and is it
/// connected or being dialled already.
struct MemberState {
  std::function<bool(const DnsMember&)> is_self;
  std::function<bool(const DnsMember&)> is_connected_or_dialling;
};

MembershipPlan plan_membership(const std::vector<DnsMember>& answer, const absl::flat_hash_set<std::string>& previous,
                               const MemberState& state, std::size_t max_members);

}  // namespace snow::discovery
