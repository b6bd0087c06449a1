// src/dist/node.cpp: the public Node API over NodeCore.
#include "snow/node.hpp"

#include "absl/strings/str_cat.h"
#include "snow/runtime.hpp"
#include "src/discovery/discovery_source.hpp"
#include "src/dist/cluster.hpp"
#include "src/dist/cookie_file.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/start_node.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"
#include "src/transport/tcp_transport.hpp"

namespace snow {

namespace detail {

absl::StatusOr<NodeCore*> start_node(Runtime& rt, std::string_view name, NodeOptions options,
                                     std::unique_ptr<transport::Transport> transport) {
  RuntimeCore& core = rt.core();
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(name, kDefaultNodePort);
  if (!address.ok()) return address.status();
  if (options.cookie.empty()) {
    absl::StatusOr<std::string> cookie = dist::default_cookie();
    if (!cookie.ok()) return cookie.status();
    options.cookie = *std::move(cookie);
  }
  if (const std::string weak = dist::cookie_weakness(options.cookie); !weak.empty()) {
    // Loud, not fatal: tests and demos use short cookies on purpose. Every guess at a
    // cookie costs an attacker one handshake with this node, which counts and slows it,
    // but a short cookie still falls to a patient one.
    core.log(LogLevel::warning,
             absl::StrCat("node ", internal::to_absl(name), ": WEAK COOKIE (", weak,
                          "): a peer that can reach this node may guess it online; leave NodeOptions::cookie "
                          "empty to use ~/.snow.cookie (32 random bytes)"));
  }
  if (options.heartbeat <= absl::ZeroDuration() || options.heartbeat_misses < 1) {
    return absl::InvalidArgumentError("NodeOptions: heartbeat must be positive and heartbeat_misses at least 1");
  }
  if (options.fragment_bytes < 512 || options.max_frame_bytes < options.fragment_bytes + 64) {
    return absl::InvalidArgumentError(
        "NodeOptions: fragment_bytes must be at least 512 and max_frame_bytes at least fragment_bytes + 64");
  }
  if (!options.discovery.source.empty()) {
    if (absl::StatusOr<discovery::DiscoverySource> source = discovery::parse_discovery_source(options.discovery.source);
        !source.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("NodeOptions::discovery: ", source.status().message()));
    }
    if (options.discovery.interval <= absl::ZeroDuration() || options.discovery.max_members == 0) {
      return absl::InvalidArgumentError("NodeOptions::discovery: interval must be positive and max_members at least 1");
    }
  }
  std::vector<dist::NodeAddress> seeds;
  for (const std::string& seed : options.seeds) {
    absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(seed, kDefaultNodePort);
    if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat("NodeOptions::seeds: ", a.status().message()));
    seeds.push_back(*std::move(a));
  }
  if (core.node) return absl::AlreadyExistsError("this runtime is a node already");
  if (core.stopping()) return absl::FailedPreconditionError("the runtime is stopping");
  auto node = std::make_unique<NodeCore>(core, *std::move(address), std::move(options), std::move(transport));
  core.set_log_node(std::string(name));  // before start: its first lines carry the name
  if (absl::Status started = node->start(); !started.ok()) {
    core.set_log_node("");
    return started;
  }
  NodeCore* raw = node.get();
  core.node = std::move(node);
  core.router.store(raw, std::memory_order_release);
  start_cluster_services(rt, *raw);
  // A seed that is this node itself is skipped (one list of seeds serves every node).
  for (dist::NodeAddress& seed : seeds) raw->connect_async(std::move(seed), nullptr, true);
  return raw;
}

NodeCore* node_of(Runtime& rt) {
  // Through the atomic router, not `core.node`: Node::of may run on any thread (the
  // metrics endpoint's, say) while another starts the node.
  return static_cast<NodeCore*>(rt.core().router.load(std::memory_order_acquire));
}

}  // namespace detail

absl::StatusOr<Node> Node::start(Runtime& rt, std::string_view name, NodeOptions options) {
  if (rt.core().options.deterministic) {
    return absl::FailedPreconditionError("a deterministic runtime cannot listen on a real network");
  }
  detail::RuntimeCore* core = &rt.core();
  absl::StatusOr<std::unique_ptr<transport::TcpTransport>> tcp = transport::TcpTransport::create(
      options.tls, [core](std::string_view line) { core->log(LogLevel::warning, "transport", Pid(), line); },
      transport::TcpTransportOptions{.handshake_timeout = options.handshake_timeout,
                                     .max_unauthenticated = options.max_unauthenticated,
                                     .max_unauthenticated_per_address = options.max_unauthenticated_per_address,
                                     .silent_timeout = options.silent_timeout});
  if (!tcp.ok()) return tcp.status();
  absl::StatusOr<detail::NodeCore*> node = detail::start_node(rt, name, std::move(options), *std::move(tcp));
  if (!node.ok()) return node.status();
  return Node(*node);
}

absl::StatusOr<Node> Node::of(Runtime& rt) {
  if (detail::NodeCore* n = detail::node_of(rt)) return Node(n);
  return absl::FailedPreconditionError("this runtime is not a node (Node::start)");
}

const std::string& Node::name() const { return core_->name(); }

absl::Status Node::connect(std::string_view peer, absl::Duration timeout) const {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(peer, kDefaultNodePort);
  if (!address.ok()) return address.status();
  auto waiter = std::make_shared<detail::ConnectWaiter>();
  core_->connect_async(*address, waiter, /*keep=*/true, core_->now() + timeout);
  std::unique_lock lock(waiter->mu);
  if (!waiter->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return waiter->done; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("connecting to ", internal::to_absl(peer), " took longer than ", absl::FormatDuration(timeout)));
  }
  if (!waiter->status.ok()) core_->disconnect(address->full());  // a first connect that fails is not kept
  return waiter->status;
}

namespace {
/// What a waiting connect hears when its connection is up or has failed.
struct ConnectDone {
  Ref ref;
  absl::Status status;
};
}  // namespace

Task<absl::Status> Node::connect(Self self, std::string peer, absl::Duration timeout) const {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(peer, kDefaultNodePort);
  if (!address.ok()) co_return address.status();
  auto waiter = std::make_shared<detail::ConnectWaiter>();
  const Ref ref = self.make_ref();
  waiter->on_done = [rt = &self.runtime(), me = self.pid(), ref](const absl::Status& status) {
    rt->send(me, ConnectDone{ref, status});
  };
  core_->connect_async(*address, waiter, /*keep=*/true, core_->now() + timeout);
  std::optional<absl::Status> result;
  auto take = [&](ConnectDone d) { result = std::move(d.status); };
  const auto ours = has_ref(&ConnectDone::ref, ref);
  // From the marker `ref` placed: the answer comes after it, so a long mailbox is not searched.
  co_await self.receive(on<ConnectDone>(ours, take), after(timeout, [] {})).since(ref);
  if (!result && !waiter->abandon()) {
    // The answer was sent just as we gave up: it is in the mailbox; take it, leave nothing.
    co_await self.receive(on<ConnectDone>(ours, take), after(absl::ZeroDuration(), [] {})).since(ref);
  }
  if (!result) {
    co_return absl::DeadlineExceededError(
        absl::StrCat("connecting to ", peer, " took longer than ", absl::FormatDuration(timeout)));
  }
  if (!result->ok()) core_->disconnect(address->full());  // a first connect that fails is not kept
  co_return *result;
}

void Node::connect_async(std::string_view peer) const {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(peer, kDefaultNodePort);
  if (!address.ok()) {
    core_->log(LogLevel::warning, internal::to_std(address.status().message()));
    return;
  }
  core_->connect_async(*address, nullptr, /*keep=*/true);
}

void Node::disconnect(std::string_view peer) const {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(peer, kDefaultNodePort);
  core_->disconnect(address.ok() ? address->full() : std::string(peer));
}

std::vector<std::string> Node::list() const { return core_->connected(); }

std::string Node::node_of(Pid pid) const { return core_->node_of(pid); }

void Node::monitor_node(Pid watcher, std::string_view peer) const { core_->monitor_node(watcher, std::string(peer), true); }

void Node::demonitor_node(Pid watcher, std::string_view peer) const {
  core_->monitor_node(watcher, std::string(peer), false);
}

NodeStats Node::stats() const { return core_->counters(); }

std::vector<PeerInfo> Node::peers() const { return core_->peers(); }

std::vector<NodeEvent> Node::history() const { return core_->history(); }

}  // namespace snow
