// snow/group.hpp: process groups across a cluster (Erlang's pg).
//
//     snow::group::join(rt, "workers", self.pid());
//     snow::group::broadcast(self, "workers", Job{...});   // every member, every node
//
// A group is a name and a set of processes on any nodes. Membership is kept like global
// names (snow/global.hpp): visible at once on the member's node and one hop later on the
// others, sent to nodes when they connect, dropped when the process ends or its node is
// lost. Reads never wait.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "snow/actor.hpp"
#include "snow/pid.hpp"
#include "snow/runtime.hpp"

namespace snow::group {

/// Adds `pid` (a process of this node) to `group`; joining twice is one membership.
/// Errors: InvalidArgument (empty group or a remote Pid), FailedPrecondition (not a node).
absl::Status join(Runtime& rt, std::string_view group, Pid pid);
/// NotFound if `pid` is not a member.
absl::Status leave(Runtime& rt, std::string_view group, Pid pid);
/// Members on every node this node knows, sorted.
std::vector<Pid> members(Runtime& rt, std::string_view group);
/// Members on this node only.
std::vector<Pid> local_members(Runtime& rt, std::string_view group);
/// Every group with at least one member, sorted.
std::vector<std::string> groups(Runtime& rt);

/// Sends `msg` to every member (a copy each); returns how many.
template <MessageType T>
std::size_t broadcast(const Self& self, std::string_view group, const T& msg) {
  const std::vector<Pid> to = members(self.runtime(), group);
  for (Pid pid : to) self.send(pid, T(msg));
  return to.size();
}

}  // namespace snow::group
