// snow/global.hpp: names that every node of a cluster sees.
//
//     snow::global::register_name(rt, "db", pid);       // an error if taken anywhere known
//     std::optional<snow::Pid> db = snow::global::whereis(rt, "db");
//     snow::global::send(self, "db", Query{...});
//
// A registration is visible at once on its own node and, within one message hop, on
// every connected node; nodes that connect later receive it when they connect. A name
// goes when its process ends, when it is unregistered, or when its node is lost.
// There is no cluster-wide lock: whereis reads this node's copy and never waits, and a
// partition never makes register or whereis hang. If two nodes register one name before
// hearing of each other (a race with the first registration's propagation, or both sides
// of a partition), every node settles on the same owner: the earlier registration keeps
// it (stamped by a hybrid logical clock; the node name that sorts first breaks an exact
// tie), and the loser's process is sent `GlobalNameLost{name, winner}` (it is no longer
// registered; it is not killed). A node can claim names only for its own processes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "snow/actor.hpp"
#include "snow/pid.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

/// Sent to a process whose global name went to another process when two registrations
/// of it met (an earlier one it had not heard of, or after a partition healed).
struct GlobalNameLost {
  std::string name;
  Pid winner;
};

namespace global {

/// Registers `pid` (a process of this node) as `name` across the cluster. Errors:
/// AlreadyExists (the name is taken on a node this node knows), InvalidArgument (empty
/// name or a remote Pid), FailedPrecondition (`rt` is not a node).
absl::Status register_name(Runtime& rt, std::string_view name, Pid pid);
/// Removes `name` across the cluster, whichever node owns it (as Erlang's global does):
/// here at once, elsewhere one message hop later. NotFound if this node knows no such
/// name. The owning process is not told.
absl::Status unregister_name(Runtime& rt, std::string_view name);
std::optional<Pid> whereis(Runtime& rt, std::string_view name);
/// Every global name this node knows, sorted.
std::vector<std::string> registered_names(Runtime& rt);

/// Sends to the process registered as `name`; false (and nothing sent) if there is none.
template <MessageType T>
bool send(const Self& self, std::string_view name, T&& msg) {
  const std::optional<Pid> to = whereis(self.runtime(), name);
  if (!to) return false;
  self.send(*to, std::forward<T>(msg));
  return true;
}
/// The same from a host thread.
template <MessageType T>
bool send(const ScopedActor& me, std::string_view name, T&& msg) {
  const std::optional<Pid> to = whereis(me.runtime(), name);
  if (!to) return false;
  me.send(*to, std::forward<T>(msg));
  return true;
}

}  // namespace global
}  // namespace snow
