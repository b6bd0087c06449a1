// snow/lang/dist.hpp: distribution for Snow programs (snow.md#distribution): Node.*, Global.*, remote
// spawn by actor name, named remote send, and the NodeUp/NodeDown notifications.
//
// One Snow program is one node at most: `Node.start` makes the program's runtime a node
// (snow/node.hpp) and every other call here works on that node. Sends to remote Pids go
// through snow::lang::send (process.hpp), which converts the message to a Term first
// (value_wire.hpp), so a closure is refused in the sender.
//
// Where the runtime and the reference differ, the reference wins (snow.md#decisions):
//   * No automatic reconnection (snow.md#remote-failures): the runtime keeps reconnecting to a peer that was
//     connected with connect(); a Snow node forgets it when it goes down (a small watcher
//     process disconnects it), and the program calls Node.connect again if it wants.
//   * Global.register works before Node.start (snow.md#global-registry): such names live in this program
//     only and join the cluster's registry when the node starts.
//   * Errors are return codes and null Pids, as snow.md#nodes and snow.md#remote-spawn specify; a failed remote
//     spawn also says why on standard error, since a null Pid cannot.
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/actor.hpp"
#include "snow/global.hpp"
#include "snow/node.hpp"
#include "snow/remote_spawn.hpp"
#include "snow/lang/co.hpp"
#include "snow/lang/process.hpp"
#include "snow/lang/value.hpp"

namespace snow::lang::dist {

/// This program's node, if Node.start made it one.
std::optional<snow::Node> this_node(Self self);

// ---- global names registered before Node.start (snow.md#global-registry) ----

struct PendingGlobals {
  std::mutex mu;
  std::map<std::string, snow::Pid> names;
};
inline PendingGlobals pending_globals;

/// Moves the names registered before the node started into the cluster's registry.
void publish_pending_globals(Self self);

// ---- Node ----

/// Forgets every peer that goes down, so the runtime does not reconnect on its own (snow.md#remote-failures).
/// A system-like process: it does not count for program lifetime (process.hpp).
snow::Proc forget_lost_peers(Self self, snow::Node node);

/// `Node.start(name, cookie)`: 0 ok, -1 already started, -2 cannot start (cannot listen,
/// or an unusable ~/.snow.cookie), -3 malformed name. An empty cookie means the cookie
/// file (NodeOptions::cookie).
Value Node_start(Self self, const Value& name, const Value& cookie);

/// `Node.connect(target)`: 0 connected, -1 not started, -2 TCP failed, -3 handshake
/// failed (wrong cookie, bad name). Blocks the calling process's worker until done (at
/// most the runtime's connect timeout): a connection takes a few milliseconds on a LAN,
/// and the other workers keep running every other process.
Co<Value> Node_connect(Self self, Value target);

/// `Node.self()`: the node's name ("nonode@nohost" before Node.start, snow.md#nodes).
Value Node_self(Self self);

/// `Node.list()`: the connected nodes, sorted.
Value Node_list(Self self);

/// `Node.monitor(node)`: 0 subscribed, 1 not started or empty name. The caller receives
/// NodeUp(node) / NodeDown(node) at every later connection and disconnection.
Value Node_monitor(Self self, const Value& peer);

/// What receive arms for NodeUp / NodeDown match (the runtime's notifications).
Value node_up_value(const snow::NodeUp& n);
Value node_down_value(const snow::NodeDown& n);

// ---- remote spawn (snow.md#remote-spawn) ----

/// Spawnable bodies are registered under "spawn NAME" with this layout, so two programs
/// that both define NAME with different arities refuse each other's spawns (the
/// runtime's protocol fingerprint) instead of failing on the arguments.
void register_spawn_layout(const std::string& name, std::size_t arity);

/// The arguments of a spawn request as Values (a tuple Term of `arity` elements).
absl::StatusOr<std::vector<Value>> spawn_arguments(const std::string& name, std::size_t arity, const Term& args);

/// Lets other nodes start the actor `name` here with Node.spawn (snowc registers every
/// actor at start-up).
template <class... P>
bool register_actor(std::string name, snow::Proc (*body)(Self, ActorToken, P...), ActorToken::Terminate terminate) {
  static_assert((std::is_same_v<P, Value> && ...), "Snow actors take Values");
  register_spawn_layout(name, sizeof...(P));
  return snow::detail::register_spawnable_fn(
      name, [name, body, terminate](const Self& parent, const Term& args) -> absl::StatusOr<snow::Pid> {
        absl::StatusOr<std::vector<Value>> values = spawn_arguments(name, sizeof...(P), args);
        if (!values.ok()) return values.status();
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
          return spawn(parent, body, terminate, std::move((*values)[I])...).as_pid();
        }(std::index_sequence_for<P...>{});
      });
}

/// Lets other nodes start the supervisor `name` here with Node.spawn.
bool register_supervisor(std::string name, Co<Value> (*start)(Self));

/// `Node.spawn(node, actor, args...)` and `Node.spawn_link`: the new remote Pid, or the
/// null Pid (snow.md#remote-spawn) when the node is not connected, has no such actor, or does not
/// answer; the reason goes to standard error.
Co<Value> node_spawn(Self self, Value node, const char* actor, Args args, bool link);
Co<Value> Node_spawn(Self self, Value node, const char* actor, Args args);
Co<Value> Node_spawn_link(Self self, Value node, const char* actor, Args args);

// ---- Global (snow.md#global-registry) ----

/// `Global.register(name, pid)`: 0 ok; 1 taken, empty, or not a live process of this node.
Value Global_register(Self self, const Value& name, const Value& pid);

/// `Global.whereis(name)`: the Pid, or the null Pid (equal to 0).
Value Global_whereis(Self self, const Value& name);

/// `Global.unregister(name)`: 0 removed (whichever node owns it), 1 not registered.
Value Global_unregister(Self self, const Value& name);

}  // namespace snow::lang::dist

namespace snow::lang {

/// `send((name, node), msg)` (snow.md#named-remote-send): to the process registered locally as `name` on
/// `node`, silently dropped if there is none; this node's own name means here.
Value named_remote_send(Self self, const Value& target, Value msg);

}  // namespace snow::lang
