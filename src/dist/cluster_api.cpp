// src/dist/cluster_api.cpp: the public face of the cluster services — global names
// (snow/global.hpp), process groups (snow/group.hpp), remote spawn and name lookups on
// other nodes — on the caller's thread.
//
// Separate from the cluster process (src/dist/cluster.cpp) because these run on any
// thread, reading and changing ClusterState under its mutex and telling the cluster
// process, which alone talks to other nodes (src/dist/cluster_requests.hpp lists what
// they tell it).
#include "src/dist/cluster.hpp"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "snow/actor.hpp"
#include "snow/call_by_name.hpp"
#include "snow/detail/call.hpp"
#include "snow/exit_reason.hpp"
#include "snow/global.hpp"
#include "snow/group.hpp"
#include "snow/log.hpp"
#include "snow/mailbox.hpp"
#include "snow/message.hpp"
#include "snow/monitor.hpp"
#include "snow/node.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "snow/receive.hpp"
#include "snow/remote_spawn.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/term.hpp"
#include "snow/wire.hpp"
#include "src/dist/claim_clock.hpp"
#include "src/dist/cluster_requests.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/remote_call.hpp"
#include "src/dist/start_node.hpp"
#include "src/runtime/log_limiter.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow::detail {
namespace {

/// The cluster state of `rt`'s node, or FailedPrecondition.
absl::StatusOr<ClusterState*> state_of(Runtime& rt) {
  NodeCore* node = node_of(rt);
  if (node == nullptr || node->cluster == nullptr) {
    return absl::FailedPreconditionError("this runtime is not a node (Node::start)");
  }
  return node->cluster.get();
}

}  // namespace

Task<absl::StatusOr<Pid>> spawn_on_term(Self self, std::string_view node_view, std::string_view name_view, Term args,
                                        absl::Duration timeout, bool link) {
  const std::string node(node_view);
  const std::string name(name_view);
  absl::StatusOr<Node> local = Node::of(self.runtime());
  if (!local.ok()) co_return local.status();
  const std::vector<std::string> peers = local->list();
  if (std::find(peers.begin(), peers.end(), node) == peers.end()) {
    co_return absl::UnavailableError(absl::StrCat("cannot spawn ", name, " on ", node, ": not connected"));
  }
  if (NodeCore* core = node_of(self.runtime());
      core->mismatched(node, std::string(kSpawnLayoutPrefix) + name)) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "cannot spawn ", name, " on ", node, ": its parameters are declared differently there (protocol fingerprint)"));
  }
  const Ref ref = self.make_ref();  // marks the mailbox: the answer is looked for from here
  // The node's cluster process sends the request and answers exactly once (the node's
  // answer, or the node lost, or the timeout): no late answer is ever left here.
  self.send(node_of(self.runtime())->cluster->process,
            LocalSpawn{self.pid(), ref, node, name, std::move(args), timeout});
  absl::StatusOr<Pid> result = absl::DeadlineExceededError(
      absl::StrCat("no answer from ", node, " to spawn ", name, " within ", absl::FormatDuration(timeout)));
  co_await self
      .receive(on<SpawnReply>(has_ref(&SpawnReply::ref, ref),
                              [&](SpawnReply r) {
                                if (r.error.empty()) {
                                  result = r.pid;
                                } else if (r.code == static_cast<std::int64_t>(absl::StatusCode::kDeadlineExceeded)) {
                                  return;  // keeps the message above, which names the node
                                } else {
                                  result = absl::Status(static_cast<absl::StatusCode>(r.code), r.error);
                                }
                              }),
               // Only if the cluster process is gone (the node stopping): it always answers.
               after(timeout + absl::Seconds(1), [] {}))
      .since(ref);
  if (result.ok() && link) self.link(*result);
  co_return result;
}

Task<absl::StatusOr<Pid>> whereis_on(Self self, std::string_view name, std::string_view node, absl::Duration timeout) {
  // Copied before the first suspension: the views are the caller's.
  LookupOnNode lookup{Pid(), Ref(), absl::InfiniteFuture(), std::string(node), std::string(name)};
  absl::StatusOr<ClusterState*> state = state_of(self.runtime());
  if (!state.ok()) co_return state.status();
  co_return co_await call<Pid>(self, (*state)->process, std::move(lookup), timeout);
}

absl::StatusOr<Pid> whereis_on(const ScopedActor& me, std::string_view name, std::string_view node,
                               absl::Duration timeout) {
  absl::StatusOr<ClusterState*> state = state_of(me.runtime());
  if (!state.ok()) return state.status();
  return call<Pid>(me, (*state)->process, LookupOnNode{Pid(), Ref(), absl::InfiniteFuture(), std::string(node), std::string(name)},
                   timeout);
}

}  // namespace snow::detail

// -- the public API --
namespace snow {

namespace global {

absl::Status register_name(Runtime& rt, std::string_view name, Pid pid) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return state.status();
  if (name.empty()) return absl::InvalidArgumentError("a global name cannot be empty");
  if (!pid.is_local() || pid.is_null()) {
    return absl::InvalidArgumentError("only a process of this node can be registered here");
  }
  if (!rt.is_alive(pid)) return absl::InvalidArgumentError(absl::StrCat("no process ", pid.to_string()));
  std::int64_t claimed = 0;
  {
    std::lock_guard lock((*state)->mu);
    auto [it, fresh] = (*state)->names.try_emplace(std::string(name), detail::ClusterState::GlobalEntry{pid, ""});
    // A local owner that has ended but whose Down the cluster process has not handled yet
    // no longer holds the name: a supervisor's restarted child must be able to take it
    // back at once. (Its Down then finds nothing to remove; peers replace the entry
    // because the newer Pid of the same node wins a merge.)
    if (!fresh && it->second.pid.is_local() && !rt.is_alive(it->second.pid)) {
      it->second.pid = pid;
      fresh = true;
    }
    if (!fresh) {
      return absl::AlreadyExistsError(absl::StrCat("the global name \"", internal::to_absl(name), "\" is taken by ", it->second.pid.to_string(),
                                                   " on ", it->second.owner.empty() ? "this node" : it->second.owner));
    }
    it->second.owner = detail::node_of(rt)->name();
    claimed = detail::next_claim_stamp((*state)->clock, rt.core().timers.now());
    it->second.claimed = claimed;
  }
  rt.send((*state)->process, detail::LocalRegistered{std::string(name), pid, claimed});
  return absl::OkStatus();
}

absl::Status unregister_name(Runtime& rt, std::string_view name) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return state.status();
  Pid pid;
  {
    std::lock_guard lock((*state)->mu);
    auto it = (*state)->names.find(std::string(name));
    if (it == (*state)->names.end()) {
      return absl::NotFoundError(absl::StrCat("no global name \"", internal::to_absl(name), "\" is registered"));
    }
    pid = it->second.pid;
    (*state)->names.erase(it);
  }
  rt.send((*state)->process, detail::LocalUnregistered{std::string(name), pid});
  return absl::OkStatus();
}

std::optional<Pid> whereis(Runtime& rt, std::string_view name) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return std::nullopt;
  std::lock_guard lock((*state)->mu);
  auto it = (*state)->names.find(std::string(name));
  if (it == (*state)->names.end()) return std::nullopt;
  return it->second.pid;
}

std::vector<std::string> registered_names(Runtime& rt) {
  std::vector<std::string> out;
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return out;
  std::lock_guard lock((*state)->mu);
  for (auto& [name, e] : (*state)->names) out.push_back(name);
  return out;
}

}  // namespace global

namespace group {

absl::Status join(Runtime& rt, std::string_view group, Pid pid) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return state.status();
  if (group.empty()) return absl::InvalidArgumentError("a group name cannot be empty");
  if (!pid.is_local() || pid.is_null()) return absl::InvalidArgumentError("only a process of this node can join here");
  if (!rt.is_alive(pid)) return absl::InvalidArgumentError(absl::StrCat("no process ", pid.to_string()));
  {
    std::lock_guard lock((*state)->mu);
    if (!(*state)->groups[std::string(group)].insert(pid).second) return absl::OkStatus();
  }
  rt.send((*state)->process, detail::LocalJoined{std::string(group), pid});
  return absl::OkStatus();
}

absl::Status leave(Runtime& rt, std::string_view group, Pid pid) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return state.status();
  {
    std::lock_guard lock((*state)->mu);
    auto it = (*state)->groups.find(std::string(group));
    if (it == (*state)->groups.end() || !pid.is_local() || it->second.erase(pid) == 0) {
      return absl::NotFoundError(absl::StrCat(pid.to_string(), " is not a member of \"", internal::to_absl(group), "\""));
    }
    if (it->second.empty()) (*state)->groups.erase(it);
  }
  rt.send((*state)->process, detail::LocalLeft{std::string(group), pid});
  return absl::OkStatus();
}

std::vector<Pid> members(Runtime& rt, std::string_view group) {
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return {};
  std::lock_guard lock((*state)->mu);
  auto it = (*state)->groups.find(std::string(group));
  if (it == (*state)->groups.end()) return {};
  return std::vector<Pid>(it->second.begin(), it->second.end());
}

std::vector<Pid> local_members(Runtime& rt, std::string_view group) {
  std::vector<Pid> all = members(rt, group);
  std::erase_if(all, [](Pid p) { return !p.is_local(); });
  return all;
}

std::vector<std::string> groups(Runtime& rt) {
  std::vector<std::string> out;
  absl::StatusOr<detail::ClusterState*> state = detail::state_of(rt);
  if (!state.ok()) return out;
  std::lock_guard lock((*state)->mu);
  for (auto& [g, pids] : (*state)->groups) out.push_back(g);
  return out;
}

}  // namespace group
}  // namespace snow
