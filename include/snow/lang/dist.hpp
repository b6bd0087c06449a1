// snow/lang/dist.hpp: the distribution shim (§7, Node.*, Global.*, named remote send).
//
// The runtime's distribution layer is being built; until snowc can target it, every
// distributed operation in a Snow program lands here and fails with one clear runtime
// error. What is specified for a program that never started a node is answered locally:
// Node.self() is "nonode@nohost" and Node.list() is empty. The runtime API these need is
// listed in dsl/README.md ("Distribution").
#pragma once

#include <string>

#include "snow/lang/process.hpp"
#include "snow/lang/value.hpp"

namespace snow::lang::dist {

[[noreturn]] inline void unavailable(const char* what) {
  fail(std::string("distribution not available yet (") + what + ")");
}

inline Value Node_start(Self, const Value&, const Value&) { unavailable("Node.start"); }
inline Value Node_connect(Self, const Value&) { unavailable("Node.connect"); }
inline Value Node_self(Self) { return S("nonode@nohost"); }
inline Value Node_list(Self) { return list({}); }
inline Value Node_monitor(Self, const Value&) { unavailable("Node.monitor"); }
inline Value Node_spawn(Self, const Value&, const char* /*actor*/, Args) { unavailable("Node.spawn"); }
inline Value Node_spawn_link(Self, const Value&, const char* /*actor*/, Args) { unavailable("Node.spawn_link"); }
inline Value Global_register(Self, const Value&, const Value&) { unavailable("Global.register"); }
inline Value Global_whereis(Self, const Value&) { unavailable("Global.whereis"); }
inline Value Global_unregister(Self, const Value&) { unavailable("Global.unregister"); }

}  // namespace snow::lang::dist

namespace snow::lang {

/// `send((name, node), msg)`: this node's own name means the local registry (§7.7).
inline Value named_remote_send(Self self, const Value& target, Value msg) {
  if (!is_tuple(target, 2)) fail("type mismatch: send target must be a Pid or a (name, node) tuple");
  const std::string& name = field(target, 0).as_str();
  const std::string& node = field(target, 1).as_str();
  if (node != dist::Node_self(self).as_str()) dist::unavailable("send to a name on another node");
  if (auto pid = self.runtime().whereis(name)) self.send(*pid, std::move(msg));
  return unit();
}

}  // namespace snow::lang

namespace snow::lang::dist {

/// What the runtime would deliver for Node.monitor subscriptions (§6.8); receive arms
/// for NodeUp/NodeDown match these types.
struct NodeUp {
  std::string node;
};
struct NodeDown {
  std::string node;
};
inline Value node_up_value(const NodeUp& n) { return Value::variant(notification_type, 2, {S(n.node)}); }
inline Value node_down_value(const NodeDown& n) { return Value::variant(notification_type, 3, {S(n.node)}); }

}  // namespace snow::lang::dist
