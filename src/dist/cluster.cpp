// src/dist/cluster.cpp: global names, process groups and remote spawn.
//
// The cluster process: what it tells the other nodes' cluster processes and how it
// applies what they tell it (the public API that feeds it is src/dist/cluster_api.cpp).
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

// -- what cluster processes tell each other (wire types) --
//
// Each arrives wrapped in a FromPeer naming the node that sent it; a message speaks only
// for processes of that node (a claim's owner is its sender, never a field).
struct GlobalAdd {
  std::string name;
  Pid pid;
  std::int64_t claimed = 0;  // the claim clock's stamp (claim_clock.hpp)
};
SNOW_WIRE(GlobalAdd, name, pid, claimed)
struct GlobalRemove {
  std::string name;
  Pid pid;
};
SNOW_WIRE(GlobalRemove, name, pid)
struct GlobalSync {
  std::vector<GlobalAdd> entries;  // the sender's own registrations
};
SNOW_WIRE(GlobalSync, entries)
struct GroupJoin {
  std::string group;
  Pid pid;
};
SNOW_WIRE(GroupJoin, group, pid)
struct GroupLeave {
  std::string group;
  Pid pid;
};
SNOW_WIRE(GroupLeave, group, pid)
struct GroupSync {
  std::vector<GroupJoin> members;  // the sender's own members
};
SNOW_WIRE(GroupSync, members)
struct SpawnRequest {
  Pid from;
  Ref ref;
  std::string function;
  Term args;
};
SNOW_WIRE(SpawnRequest, from, ref, function, args)
/// Which process is registered as `name` on the receiving node? (snow/call_by_name.hpp's
/// {name, node}). The answer goes to the asking node's cluster process.
struct NameLookup {
  Ref ref;
  std::string name;
};
SNOW_WIRE(NameLookup, ref, name)
struct NameLookupReply {
  Ref ref;
  Pid pid;  // null: no such name
};
SNOW_WIRE(NameLookupReply, ref, pid)


/// The rule every node applies when two registrations of one name meet: the earlier
/// claim keeps the name (a late registration by a node that had not heard yet loses), the
/// node whose name sorts first only breaks an exact tie; on one node, the later life (a
/// restarted process takes its name back before its predecessor's Down is handled).
bool wins(const ClusterState::GlobalEntry& a, const ClusterState::GlobalEntry& b) {
  if (a.owner == b.owner) {
    return std::make_pair(a.pid.creation(), a.pid.serial()) > std::make_pair(b.pid.creation(), b.pid.serial());
  }
  if (a.claimed != b.claimed) return a.claimed < b.claimed;
  return a.owner < b.owner;
}

/// Longest piece of a peer's message quoted in a log line.
constexpr std::size_t kMaxQuotedBytes = 200;

/// Calls `fn` with `m` converted to T; false (and no call) if `m` is not a T.
template <class T, class Fn>
bool take(const Term& m, Fn&& fn) {
  absl::StatusOr<T> value = from_term<T>(m);
  if (!value.ok()) return false;
  fn(std::move(*value));
  return true;
}

class ClusterProcess {
 public:
  ClusterProcess(Self self, ClusterState& state, NodeCore& node)
      : self_(self),
        state_(state),
        node_(node),
        log_([&node](LogLevel level, std::string_view text) { node.log(level, text); }) {}

  Task<> run() {
    node_.monitor_node(self_.pid(), "", true);
    for (;;) {
      co_await self_.receive(
          on<NodeUp>([&](NodeUp u) { sync_to(u.node); }),
          on<NodeDown>([&](NodeDown d) {
            forget_node(d.node);
            fail_spawns_on(d.node);
            fail_lookups_on(d.node);
          }),
          on<Down>([&](Down d) {
            forget_spawns_of(d.ref);
            forget_process(d.pid);
          }),
          on<LocalRegistered>([&](LocalRegistered r) {
            watch(r.pid);
            broadcast(GlobalAdd{r.name, r.pid, r.claimed});
          }),
          on<LocalUnregistered>([&](LocalUnregistered r) { broadcast(GlobalRemove{r.name, r.pid}); }),
          on<LocalJoined>([&](LocalJoined j) {
            watch(j.pid);
            broadcast(GroupJoin{j.group, j.pid});
          }),
          on<LocalLeft>([&](LocalLeft l) { broadcast(GroupLeave{l.group, l.pid}); }),
          on<FromPeer>([&](FromPeer m) { from_peer(m.node, m.message); }),
          on<LocalSpawn>([&](LocalSpawn s) { spawn(std::move(s)); }),
          on<LookupOnNode>([&](LookupOnNode l) { look_up(std::move(l)); }),
          on<SpawnTimedOut>([&](SpawnTimedOut t) {
            answer_spawn(SpawnReply{t.ref, Pid(), "no answer in time",
                                    static_cast<std::int64_t>(absl::StatusCode::kDeadlineExceeded)});
          }),
          any([&](Message m) { unexpected("a local process", m.to_string()); }));
    }
  }

 private:
  /// A message from node `peer`'s cluster process. Each is taken only when every process
  /// it speaks for (a name's owner, a member, a spawn's requester or result) lives on
  /// `peer`: a peer holding the cookie may speak for its own processes, not for others'.
  void from_peer(std::uint16_t peer, const Term& m) {
    const std::string sender = node_.node_name_at(peer);
    auto on_sender = [peer](Pid pid) { return !pid.is_null() && pid.node() == peer; };
    auto claim = [&](const GlobalAdd& a) {
      if (!on_sender(a.pid)) return refuse(sender, "a claim of the global name", a.name, a.pid);
      merge(a.name, ClusterState::GlobalEntry{a.pid, sender, a.claimed});
    };
    auto join = [&](const GroupJoin& j) {
      if (!on_sender(j.pid)) return refuse(sender, "a join of the group", j.group, j.pid);
      std::lock_guard lock(state_.mu);
      state_.groups[j.group].insert(j.pid);
    };
    const bool known =
        take<GlobalAdd>(m, claim) ||
        take<GlobalSync>(m, [&](const GlobalSync& s) { std::for_each(s.entries.begin(), s.entries.end(), claim); }) ||
        take<GlobalRemove>(m, [&](const GlobalRemove& r) { unregistered(r); }) ||
        take<GroupJoin>(m, join) ||
        take<GroupSync>(m, [&](const GroupSync& s) { std::for_each(s.members.begin(), s.members.end(), join); }) ||
        take<GroupLeave>(m, [&](const GroupLeave& l) {
          if (!on_sender(l.pid)) return refuse(sender, "a leave of the group", l.group, l.pid);
          remove_member(l.group, l.pid);
        }) ||
        take<SpawnRequest>(m, [&](const SpawnRequest& r) {
          if (!on_sender(r.from)) return refuse(sender, "a spawn request of", r.function, r.from);
          spawn_for(r);
        }) ||
        take<SpawnReply>(m, [&](SpawnReply r) {
          // Only the node asked may answer, and only with a process of its own: a reply
          // for nobody has its process killed, which must never be another node's (or ours).
          auto it = pending_.find(r.ref.raw());
          if ((!r.pid.is_null() && !on_sender(r.pid)) || (it != pending_.end() && it->second.node != sender)) {
            return refuse(sender, "a spawn reply for", r.ref.to_string(), r.pid);
          }
          answer_spawn(std::move(r));
        }) ||
        take<NameLookup>(m, [&](const NameLookup& l) {
          const std::optional<Pid> pid = self_.runtime().whereis(l.name);
          self_.send(kClusterProcessName, sender, NameLookupReply{l.ref, pid.value_or(Pid())});
        }) ||
        take<NameLookupReply>(m, [&](const NameLookupReply& r) {
          auto it = lookups_.find(r.ref.raw());
          if ((!r.pid.is_null() && !on_sender(r.pid)) || (it != lookups_.end() && it->second.node != sender)) {
            return refuse(sender, "a name lookup reply for", r.ref.to_string(), r.pid);
          }
          if (it == lookups_.end()) return;  // the caller's deadline passed: it gave up
          const PendingLookup lookup = std::move(it->second);
          lookups_.erase(it);
          if (r.pid.is_null()) {
            return answer_lookup(lookup, r.ref, absl::NotFoundError(absl::StrCat(
                                                    "no process is registered as ", lookup.name, " on ", lookup.node)));
          }
          answer_lookup(lookup, r.ref, r.pid);
        });
    if (!known) unexpected(sender, m.to_string());
  }

  /// Another node unregistered `r.name` (any node may unregister any name).
  void unregistered(const GlobalRemove& r) {
    bool removed = false;
    {
      std::lock_guard lock(state_.mu);
      if (auto it = state_.names.find(r.name); it != state_.names.end() && it->second.pid == r.pid) {
        state_.names.erase(it);
        removed = true;
      }
    }
    // One of our names. The owner's word is final: say it again to everyone, after
    // anything we sent before (a sync in flight could otherwise bring the name back to a
    // node that already removed it).
    if (removed && r.pid.is_local()) broadcast(r);
  }

  /// A peer spoke for a process that is not its own: refused, counted, logged (quoting
  /// only escaped, bounded pieces of what it sent; rate-limited, as a peer decides how often).
  void refuse(const std::string& sender, std::string_view what, std::string_view subject, Pid pid) {
    state_.refused.fetch_add(1, std::memory_order_relaxed);
    write_log("cluster process: refused", absl::StrCat("cluster process: refused ", av(what), " \"",
                                                       internal::printable(subject, kMaxQuotedBytes), "\" for ",
                                                       pid.to_string(), " from ", sender,
                                                       ": not a process of that node"));
  }

  void unexpected(std::string_view from, std::string_view text) {
    write_log("cluster process: unexpected message",
              absl::StrCat("cluster process: unexpected message from ", av(from), ": ",
                           internal::printable(text, kMaxQuotedBytes)));
  }

  void write_log(std::string_view kind, std::string_view text) {
    const absl::Time now = self_.runtime().core().timers.now();
    log_.tick(now);
    log_.write(kind, LogLevel::warning, text, now);
  }

  template <class T>
  void broadcast(const T& msg) {
    for (const std::string& peer : node_.connected()) self_.send(kClusterProcessName, peer, msg);
  }

  void watch(Pid pid) {
    if (watched_.insert(pid).second) (void)self_.monitor(pid);
  }

  /// A node came up: it gets this node's own registrations and members.
  void sync_to(const std::string& peer) {
    GlobalSync names;
    GroupSync groups;
    {
      std::lock_guard lock(state_.mu);
      for (auto& [name, e] : state_.names) {
        if (e.pid.is_local()) names.entries.push_back(GlobalAdd{name, e.pid, e.claimed});
      }
      for (auto& [group, pids] : state_.groups) {
        for (Pid p : pids) {
          if (p.is_local()) groups.members.push_back(GroupJoin{group, p});
        }
      }
    }
    self_.send(kClusterProcessName, peer, names);
    self_.send(kClusterProcessName, peer, groups);
  }

  void merge(const std::string& name, const ClusterState::GlobalEntry& incoming) {
    Pid loser;
    {
      std::lock_guard lock(state_.mu);
      observe_claim_stamp(state_.clock, incoming.claimed, self_.runtime().core().timers.now());
      auto [it, fresh] = state_.names.try_emplace(name, incoming);
      if (fresh || it->second.pid == incoming.pid) return;
      if (!wins(incoming, it->second)) return;  // the sender's node resolves it the same way
      loser = it->second.pid;
      it->second = incoming;
    }
    // Only the loser's own node tells it, so it hears exactly once.
    if (loser.is_local()) self_.send(loser, GlobalNameLost{name, incoming.pid});
  }

  void forget_process(Pid pid) {
    watched_.erase(pid);
    std::vector<std::string> names, groups;
    {
      std::lock_guard lock(state_.mu);
      for (auto it = state_.names.begin(); it != state_.names.end();) {
        if (it->second.pid == pid) {
          names.push_back(it->first);
          it = state_.names.erase(it);
        } else {
          ++it;
        }
      }
      for (auto it = state_.groups.begin(); it != state_.groups.end();) {
        if (it->second.erase(pid) == 1) groups.push_back(it->first);
        it = it->second.empty() ? state_.groups.erase(it) : std::next(it);
      }
    }
    for (const std::string& n : names) broadcast(GlobalRemove{n, pid});
    for (const std::string& g : groups) broadcast(GroupLeave{g, pid});
  }

  void forget_node(const std::string& node) {
    std::lock_guard lock(state_.mu);
    for (auto it = state_.names.begin(); it != state_.names.end();) {
      it = it->second.owner == node ? state_.names.erase(it) : std::next(it);
    }
    // Members of any life of the node, by name: by the time this runs the node may be
    // back with a new life (another index), and an entry of an old life may have been
    // reused (node_of says "" for its Pids, which go too).
    auto gone = [&](Pid m) {
      if (m.is_local()) return false;
      const std::string on = node_.node_of(m);
      return on.empty() || on == node;
    };
    for (auto it = state_.groups.begin(); it != state_.groups.end();) {
      for (auto m = it->second.begin(); m != it->second.end();) {
        m = gone(*m) ? it->second.erase(m) : std::next(m);
      }
      it = it->second.empty() ? state_.groups.erase(it) : std::next(it);
    }
  }

  void remove_member(const std::string& group, Pid pid) {
    std::lock_guard lock(state_.mu);
    auto it = state_.groups.find(group);
    if (it == state_.groups.end()) return;
    it->second.erase(pid);
    if (it->second.empty()) state_.groups.erase(it);
  }

  void spawn_for(const SpawnRequest& r) {
    SpawnReply reply{r.ref, Pid(), "", 0};
    absl::StatusOr<Pid> pid = absl::NotFoundError(
        absl::StrCat("no function \"", r.function, "\" is registered for remote spawn on ", node_.name()));
    if (const SpawnableFn* fn = find_spawnable(r.function)) pid = (*fn)(self_, r.args);
    if (pid.ok()) {
      reply.pid = *pid;
    } else {
      reply.error = std::string(pid.status().message());
      reply.code = static_cast<std::int64_t>(pid.status().code());
    }
    self_.send(r.from, reply);
  }

  // -- remote spawn, the caller's side --
  //
  // The cluster process stands between a caller and the remote node so that the caller
  // gets exactly one answer, and no process is left running for nobody: the answer from
  // the node, Unavailable when the node is lost first, or DeadlineExceeded when the
  // timeout passes first. An answer that comes for nobody (the caller gave up or died)
  // means a process nobody knows: it is killed.
  struct PendingSpawn {
    Pid caller;
    std::string node;
    Ref watch;  // monitors the caller
  };

  void spawn(LocalSpawn s) {
    const std::vector<std::string> peers = node_.connected();
    if (std::find(peers.begin(), peers.end(), s.node) == peers.end()) {  // lost since the caller looked
      self_.send(s.caller,
                 SpawnReply{s.ref, Pid(), absl::StrCat("cannot spawn ", s.function, " on ", s.node, ": not connected"),
                            static_cast<std::int64_t>(absl::StatusCode::kUnavailable)});
      return;
    }
    const Ref watch = self_.monitor(s.caller);
    pending_.emplace(s.ref.raw(), PendingSpawn{s.caller, s.node, watch});
    self_.send_after(s.timeout, self_.pid(), SpawnTimedOut{s.ref});
    self_.send(kClusterProcessName, s.node, SpawnRequest{self_.pid(), s.ref, std::move(s.function), std::move(s.args)});
  }

  void answer_spawn(SpawnReply r) {
    auto it = pending_.find(r.ref.raw());
    if (it == pending_.end()) {
      if (!r.pid.is_null()) self_.exit(r.pid, ExitReason::kill());  // spawned for nobody
      return;
    }
    const Pid caller = it->second.caller;
    self_.demonitor(it->second.watch);
    pending_.erase(it);
    self_.send(caller, std::move(r));
  }

  void fail_spawns_on(const std::string& node) {
    std::vector<Ref> lost;
    for (auto& [ref, p] : pending_) {
      if (p.node == node) lost.push_back(Ref::from_raw(ref));
    }
    for (Ref ref : lost) {
      answer_spawn(SpawnReply{ref, Pid(), absl::StrCat("lost the connection to ", node),
                              static_cast<std::int64_t>(absl::StatusCode::kUnavailable)});
    }
  }

  void forget_spawns_of(Ref watch) {
    absl::erase_if(pending_, [&](const auto& entry) { return entry.second.watch == watch; });
  }

  // -- name lookups on other nodes (LookupOnNode). A lookup waits for the node's answer
  // or its loss; one whose caller's deadline has passed is forgotten at the next lookup,
  // so a node that never answers costs at most the lookups of one timeout.
  struct PendingLookup {
    Pid caller;
    std::string node;
    std::string name;
    absl::Time deadline;
  };

  void look_up(LookupOnNode l) {
    const absl::Time now = self_.now();
    absl::erase_if(lookups_, [&](const auto& entry) { return entry.second.deadline < now; });
    PendingLookup lookup{l.from, std::move(l.node), std::move(l.name), l.deadline};
    if (lookup.node == node_.name()) {
      const std::optional<Pid> pid = self_.runtime().whereis(lookup.name);
      if (!pid) return answer_lookup(lookup, l.ref, absl::NotFoundError(absl::StrCat("no process is registered as ", lookup.name)));
      return answer_lookup(lookup, l.ref, *pid);
    }
    const std::vector<std::string> peers = node_.connected();
    if (std::find(peers.begin(), peers.end(), lookup.node) == peers.end()) {
      return answer_lookup(lookup, l.ref, absl::AbortedError(absl::StrCat("node ", lookup.node, ": noconnection")));
    }
    self_.send(kClusterProcessName, lookup.node, NameLookup{l.ref, lookup.name});
    lookups_.emplace(l.ref.raw(), std::move(lookup));
  }

  void answer_lookup(const PendingLookup& lookup, Ref ref, absl::StatusOr<Pid> answer) {
    if (answer.ok()) {
      self_.send(lookup.caller, CallReply{ref, Message::of(*answer), absl::OkStatus()});
    } else {
      self_.send(lookup.caller, CallReply{ref, Message(), answer.status()});
    }
  }

  void fail_lookups_on(const std::string& node) {
    for (auto it = lookups_.begin(); it != lookups_.end();) {
      if (it->second.node == node) {
        answer_lookup(it->second, Ref::from_raw(it->first), absl::AbortedError(absl::StrCat("node ", node, ": noconnection")));
        it = lookups_.erase(it);
      } else {
        ++it;
      }
    }
  }

  Self self_;
  ClusterState& state_;
  NodeCore& node_;
  RateLimitedLog log_;  // lines a peer can cause (refusals, unexpected messages)
  absl::btree_set<Pid> watched_;
  absl::btree_map<std::uint64_t, PendingSpawn> pending_;  // by the caller's ref
  absl::btree_map<std::uint64_t, PendingLookup> lookups_;  // by the caller's ref
};

Proc cluster_process(Self self, ClusterState* state, NodeCore* node) {
  ClusterProcess p(self, *state, *node);
  co_await p.run();
}

struct SpawnableRegistry {
  std::mutex mu;
  absl::flat_hash_map<std::string, SpawnableFn> fns;
};
SpawnableRegistry& spawnables() {
  static SpawnableRegistry* r = new SpawnableRegistry;  // never destroyed: used at exit
  return *r;
}

}  // namespace

MessageNode* box_peer_message(const ClusterState* cluster, Pid to, std::uint16_t peer, Term message) {
  if (cluster != nullptr && to == cluster->process) return box(FromPeer{peer, std::move(message)});
  if (MessageNode* reply = box_if_call_reply(message)) return reply;  // a service's answer to a call from here
  return box(std::move(message));
}

void start_cluster_services(Runtime& rt, NodeCore& node) {
  node.cluster = std::make_unique<ClusterState>();
  RuntimeCore& core = rt.core();
  const Spawned s = spawn(core, nullptr, SpawnRelation::none, make_body(cluster_process, node.cluster.get(), &node),
                          SpawnOptions{}, /*system=*/true);
  node.cluster->process = s.pid;
  (void)rt.register_name(kClusterProcessName, s.pid);
}

bool register_spawnable_fn(std::string name, SpawnableFn fn) {
  SpawnableRegistry& r = spawnables();
  std::lock_guard lock(r.mu);
  return r.fns.insert_or_assign(std::move(name), std::move(fn)).second;
}

const SpawnableFn* find_spawnable(std::string_view name) {
  SpawnableRegistry& r = spawnables();
  std::lock_guard lock(r.mu);
  auto it = r.fns.find(std::string(name));
  return it == r.fns.end() ? nullptr : &it->second;  // entries are never removed
}

}  // namespace snow::detail
