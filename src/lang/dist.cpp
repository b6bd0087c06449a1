// src/lang/dist.cpp: distribution for Snow programs (include/snow/lang/dist.hpp): Node.*,
// Global.*, remote spawn by actor name, named remote send. Compiled once into libsnow_lang
// instead of into every generated program; register_actor, a template over the actor's
// parameters, stays in the header and calls spawn_arguments here.
#include "snow/lang/dist.hpp"

#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "snow/environment.hpp"
#include "snow/lang/value_wire.hpp"

namespace snow::lang::dist {

std::optional<snow::Node> this_node(Self self) {
  absl::StatusOr<snow::Node> node = snow::Node::of(self.runtime());
  if (!node.ok()) return std::nullopt;
  return *node;
}

void publish_pending_globals(Self self) {
  std::map<std::string, snow::Pid> names;
  {
    std::lock_guard lock(pending_globals.mu);
    names.swap(pending_globals.names);
  }
  for (const auto& [name, pid] : names) {
    if (self.runtime().is_alive(pid)) (void)snow::global::register_name(self.runtime(), name, pid);
  }
}

snow::Proc forget_lost_peers(Self self, snow::Node node) {
  node.monitor_node(self.pid(), "");
  for (;;) {
    co_await self.receive(snow::on<snow::NodeDown>([node](snow::NodeDown down) { node.disconnect(down.node); }),
                          snow::on<snow::NodeUp>([] {}));
  }
}

// How a Snow node finds its cluster without a line of code for it: the seeds and DNS
// discovery of the environment (SNOW_SEEDS, SNOW_DISCOVERY, SNOW_DISCOVERY_INTERVAL), so
// the same program runs on a laptop and in a container. The name and cookie stay the
// program's own (Node.start's arguments). What was taken is said on stderr, as
// read_environment says it, and only when any of them is set.
namespace {
void apply_discovery_from_environment(snow::NodeOptions& options) {
  const snow::EnvironmentSettings env = snow::read_environment([](std::string_view) {});
  std::vector<std::string> said;
  for (const std::string& item : env.report) {
    if (item.starts_with("SNOW_SEEDS") || item.starts_with("SNOW_DISCOVERY")) said.push_back(item);
  }
  if (said.empty()) return;
  snow::NodeOptions from_environment;
  env.apply(from_environment);
  options.seeds = from_environment.seeds;
  options.discovery = from_environment.discovery;
  std::fprintf(stderr, "snow: from the environment: %s\n", absl::StrJoin(said, ", ").c_str());
}
}  // namespace

Value Node_start(Self self, const Value& name, const Value& cookie) {
  touch();
  snow::NodeOptions options;
  options.cookie = cookie.as_str();
  apply_discovery_from_environment(options);
  absl::StatusOr<snow::Node> node = snow::Node::start(self.runtime(), name.as_str(), options);
  if (!node.ok()) {
    switch (node.status().code()) {
      case absl::StatusCode::kAlreadyExists: return I(-1);
      case absl::StatusCode::kInvalidArgument: return I(-3);  // a malformed name
      default: return I(-2);
    }
  }
  self.spawn(&forget_lost_peers, *node);
  publish_pending_globals(self);
  return I(0);
}

Co<Value> Node_connect(Self self, Value target) {
  check_may_wait("Node.connect");
  touch();
  std::optional<snow::Node> node = this_node(self);
  if (!node) co_return I(-1);
  // Waits as a receive does: the worker runs other processes meanwhile.
  const absl::Status st = co_await node->connect(self, target.as_str());
  touch();
  if (st.ok()) co_return I(0);
  switch (st.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kInvalidArgument: co_return I(-3);
    default: co_return I(-2);  // Unavailable, DeadlineExceeded: nobody answered
  }
}

Value Node_self(Self self) {
  std::optional<snow::Node> node = this_node(self);
  return S(node ? node->name() : std::string("nonode@nohost"));
}

Value Node_list(Self self) {
  std::vector<Value> names;
  if (std::optional<snow::Node> node = this_node(self)) {
    for (std::string& n : node->list()) names.push_back(S(std::move(n)));
  }
  return list(std::move(names));
}

Value Node_monitor(Self self, const Value& peer) {
  std::optional<snow::Node> node = this_node(self);
  if (!node || peer.as_str().empty()) return I(1);
  node->monitor_node(self.pid(), peer.as_str());
  return I(0);
}

Value node_up_value(const snow::NodeUp& n) { return Value::variant(notification_type, 2, {S(n.node)}); }

Value node_down_value(const snow::NodeDown& n) { return Value::variant(notification_type, 3, {S(n.node)}); }

void register_spawn_layout(const std::string& name, std::size_t arity) {
  std::string layout = name + "(";
  for (std::size_t i = 0; i < arity; ++i) layout += i ? ",Value" : "Value";
  snow::detail::register_layout(std::string(snow::detail::kSpawnLayoutPrefix) + name, layout + ")");
}

absl::StatusOr<std::vector<Value>> spawn_arguments(const std::string& name, std::size_t arity, const Term& args) {
  if (!args.is_tuple() || args.size() != arity) {
    return absl::InvalidArgumentError("actor " + name + " takes " + std::to_string(arity) + " arguments, the request has " +
                                      std::to_string(args.is_tuple() ? args.size() : 1));
  }
  std::vector<Value> values;
  for (const Term& a : args.elements()) {
    absl::StatusOr<Value> v = from_term(a);
    if (!v.ok()) return v.status();
    values.push_back(std::move(*v));
  }
  return values;
}

bool register_supervisor(std::string name, Co<Value> (*start)(Self)) {
  register_spawn_layout(name, 0);
  return snow::detail::register_spawnable_fn(
      name, [name, start](const Self& parent, const Term& args) -> absl::StatusOr<snow::Pid> {
        absl::StatusOr<std::vector<Value>> none = spawn_arguments(name, 0, args);
        if (!none.ok()) return none.status();
        return start(parent).run_sync().as_pid();  // a supervisor's start never waits
      });
}

Co<Value> node_spawn(Self self, Value node, const char* actor, Args args, bool link) {
  check_may_wait(link ? "Node.spawn_link" : "Node.spawn");
  touch();
  std::vector<Term> terms;
  for (const Value& a : args) terms.push_back(to_term(a));  // a closure argument fails here
  const std::string node_name = node.as_str();
  absl::StatusOr<snow::Pid> pid = co_await snow::detail::spawn_on_term(
      self, node_name, actor, Term::tuple(std::move(terms)), snow::kRemoteSpawnTimeout, link);
  touch();
  if (!pid.ok()) {
    std::fprintf(stderr, "snow: Node.%s(%s, %s) failed: %s\n", link ? "spawn_link" : "spawn", node_name.c_str(), actor,
                 std::string(pid.status().message()).c_str());
    co_return Value::of_pid(snow::Pid());
  }
  co_return Value::of_pid(*pid);
}

Co<Value> Node_spawn(Self self, Value node, const char* actor, Args args) {
  return node_spawn(self, std::move(node), actor, std::move(args), false);
}

Co<Value> Node_spawn_link(Self self, Value node, const char* actor, Args args) {
  return node_spawn(self, std::move(node), actor, std::move(args), true);
}

Value Global_register(Self self, const Value& name, const Value& pid) {
  touch();
  const std::string& n = name.as_str();
  const snow::Pid p = pid.as_pid();
  if (n.empty()) return I(1);
  if (this_node(self)) return I(snow::global::register_name(self.runtime(), n, p).ok() ? 0 : 1);
  if (!p.is_local() || !self.runtime().is_alive(p)) return I(1);
  std::lock_guard lock(pending_globals.mu);
  auto [it, fresh] = pending_globals.names.try_emplace(n, p);
  if (!fresh && self.runtime().is_alive(it->second)) return I(1);
  it->second = p;
  return I(0);
}

Value Global_whereis(Self self, const Value& name) {
  if (this_node(self)) {
    const std::optional<snow::Pid> p = snow::global::whereis(self.runtime(), name.as_str());
    return Value::of_pid(p ? *p : snow::Pid());
  }
  std::lock_guard lock(pending_globals.mu);
  auto it = pending_globals.names.find(name.as_str());
  if (it == pending_globals.names.end() || !self.runtime().is_alive(it->second)) return Value::of_pid(snow::Pid());
  return Value::of_pid(it->second);
}

Value Global_unregister(Self self, const Value& name) {
  touch();
  if (this_node(self)) return I(snow::global::unregister_name(self.runtime(), name.as_str()).ok() ? 0 : 1);
  std::lock_guard lock(pending_globals.mu);
  auto it = pending_globals.names.find(name.as_str());
  if (it == pending_globals.names.end()) return I(1);
  const bool alive = self.runtime().is_alive(it->second);
  pending_globals.names.erase(it);
  return I(alive ? 0 : 1);
}

}  // namespace snow::lang::dist

namespace snow::lang {

Value named_remote_send(Self self, const Value& target, Value msg) {
  if (!is_tuple(target, 2)) fail("type mismatch: send target must be a Pid or a (name, node) tuple");
  const std::string name = field(target, 0).as_str();
  const std::string node = field(target, 1).as_str();
  if (node == dist::Node_self(self).as_str()) {
    if (auto pid = self.runtime().whereis(name)) self.send(*pid, std::move(msg));
    return unit();
  }
  if (!dist::this_node(self)) return unit();  // no node, so no other node to reach (snow.md#send-and-self: never fails)
  self.send(name, node, to_term(msg));         // a closure fails here, in the sender (snow.md#remote-send)
  return unit();
}
}  // namespace snow::lang
