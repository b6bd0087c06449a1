// bench/cluster_scale/sim_mesh.cpp
#include "bench/cluster_scale/sim_mesh.hpp"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "src/dist/start_node.hpp"

namespace snow::bench {
namespace {

/// Counts the node's connected peers as NodeUp and NodeDown arrive.
Proc count_peers(Self self, int* connected) {
  for (;;) {
    co_await self.receive(on<NodeUp>([connected](const NodeUp&) { ++*connected; }),
                          on<NodeDown>([connected](const NodeDown&) { --*connected; }));
  }
}

/// A log sink that keeps nothing: a cut mesh logs heartbeat timeouts and failed redials
/// on every node, all expected here. It counts warnings and shows the first few errors
/// (an error is not expected, and is worth seeing).
LogSink counting_sink(std::shared_ptr<std::uint64_t> warnings) {
  return [warnings, errors = std::make_shared<int>(0)](const LogRecord& r) {
    if (r.level >= LogLevel::warning) ++*warnings;
    if (r.level == LogLevel::error && ++*errors <= 5) {
      std::fprintf(stderr, "node %.*s: %.*s\n", static_cast<int>(r.node.size()), r.node.data(),
                   static_cast<int>(r.text.size()), r.text.data());
    }
  };
}

}  // namespace

SimMesh::SimMesh(std::uint64_t seed, int nodes, NodeOptions options) : net_(seed) {
  nodes_.reserve(nodes);
  for (int i = 0; i < nodes; ++i) {
    MeshNode& n = nodes_.emplace_back();
    const std::string host = absl::StrFormat("h%03d", i);
    n.name = "n@" + host + ":9000";
    n.connected = std::make_unique<int>(0);
    n.rt = std::make_unique<Runtime>(
        RuntimeOptions{.deterministic = true, .log_sink = counting_sink(warnings_), .creation = 1});
    auto core = detail::start_node(*n.rt, n.name, options, net_.make_transport(host, *n.rt));
    if (!core.ok()) {
      std::fprintf(stderr, "cluster_scale: cannot start %s: %s\n", n.name.c_str(), core.status().ToString().c_str());
      std::abort();
    }
    const Pid watcher = n.rt->spawn(count_peers, n.connected.get());
    Node::of(*n.rt)->monitor_node(watcher, "");
  }
}

SimMesh::~SimMesh() {
  for (MeshNode& n : nodes_) n.rt->stop();
}

void SimMesh::join_through_seed() {
  for (int i = 1; i < size(); ++i) Node::of(rt(i))->connect_async(name(0));
}

bool SimMesh::run_until(const std::function<bool()>& done, absl::Duration limit, absl::Duration step) {
  const absl::Time end = net_.now() + limit;
  while (!done()) {
    if (net_.now() >= end) return false;
    net_.run_for(std::min(step, end - net_.now()));
  }
  return true;
}

bool SimMesh::full_mesh() const {
  for (const MeshNode& n : nodes_) {
    if (*n.connected != size() - 1) return false;
  }
  return true;
}

bool SimMesh::split_in_halves() const {
  const int half = size() / 2;
  for (int i = 0; i < size(); ++i) {
    if (*nodes_[i].connected != (i < half ? half : size() - half) - 1) return false;
  }
  return true;
}

void SimMesh::partition_halves() {
  const int half = size() / 2;
  std::vector<std::string> near, far;
  for (int i = 0; i < size(); ++i) (i < half ? near : far).push_back(absl::StrFormat("h%03d", i));
  net_.partition(near, far);
}

void SimMesh::heal() { net_.heal_all(); }

SimMesh::Registry SimMesh::registry_of(int i) {
  Registry out;
  Runtime& r = rt(i);
  const Node node = *Node::of(r);
  for (const std::string& global_name : global::registered_names(r)) {
    const std::optional<Pid> pid = global::whereis(r, global_name);
    if (!pid) continue;
    out[global_name] = {node.node_of(*pid), pid->creation(), pid->serial()};
  }
  return out;
}

bool SimMesh::registries_agree() {
  const Registry first = registry_of(0);
  for (int i = 1; i < size(); ++i) {
    if (registry_of(i) != first) return false;
  }
  return true;
}

std::uint64_t SimMesh::bytes_out() const {
  std::uint64_t sum = 0;
  for (const MeshNode& n : nodes_) sum += Node::of(*n.rt)->stats().bytes_out;
  return sum;
}

std::uint64_t SimMesh::frames_out() const {
  std::uint64_t sum = 0;
  for (const MeshNode& n : nodes_) sum += Node::of(*n.rt)->stats().frames_out;
  return sum;
}

}  // namespace snow::bench
