// bench/cluster_scale/sim_mesh.hpp: N nodes on the simulated network, each knowing one
// seed node, for measuring how snow's full mesh grows (docs/DESIGN.md, "How large a
// cluster").
//
// The nodes are deterministic Runtimes on one SimNetwork (src/transport/sim_transport.hpp),
// run on the caller's thread in virtual time, as tests/dist/sim_cluster.hpp runs them; this
// harness has no doctest in it so the benchmark and its smoke test can share it. Whether
// the mesh has formed is read from a watcher process per node that counts NodeUp and
// NodeDown (what a program would see), not from Node::list(): list() copies every peer's
// name, and checking 256 nodes' lists every millisecond of virtual time would cost more
// than the simulation it watches.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "snow/snow.hpp"
#include "src/transport/sim_transport.hpp"

namespace snow::bench {

class SimMesh {
 public:
  /// Starts `nodes` nodes ("n@h000:9000", ...), none connected yet.
  SimMesh(std::uint64_t seed, int nodes, NodeOptions options);
  ~SimMesh();
  SimMesh(const SimMesh&) = delete;
  SimMesh& operator=(const SimMesh&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  Runtime& rt(int i) { return *nodes_[i].rt; }
  const std::string& name(int i) const { return nodes_[i].name; }
  transport::SimNetwork& net() { return net_; }

  /// Every node but the first connects to the first (connect_async: a kept peer, redialled
  /// with backoff when lost); the mesh does the rest.
  void join_through_seed();

  /// Runs the network until `done()` (checked every `step` of virtual time) or `limit`;
  /// false if the limit came first.
  bool run_until(const std::function<bool()>& done, absl::Duration limit, absl::Duration step);

  /// Peers node i's watcher has seen come up and not go down.
  int connected(int i) const { return *nodes_[i].connected; }
  /// Every node connected to every other.
  bool full_mesh() const;
  /// Each half ([0, n/2) and [n/2, n)) a full mesh of its own, nothing across.
  bool split_in_halves() const;
  /// Cuts every link between the two halves / ends every cut.
  void partition_halves();
  void heal();

  /// Node i's global names: name -> (owner node, owner creation, owner serial).
  using Registry = std::map<std::string, std::tuple<std::string, int, std::uint64_t>>;
  Registry registry_of(int i);
  bool registries_agree();

  /// Node i's NodeStats::bytes_out and frames_out summed over every node.
  std::uint64_t bytes_out() const;
  std::uint64_t frames_out() const;
  /// Log lines at warning or above, over all nodes (connection losses, refused dials).
  std::uint64_t warnings() const { return *warnings_; }

 private:
  struct MeshNode {
    std::string name;
    std::unique_ptr<Runtime> rt;
    std::unique_ptr<int> connected;  // written by the node's watcher (same thread)
  };
  transport::SimNetwork net_;
  std::vector<MeshNode> nodes_;
  std::shared_ptr<std::uint64_t> warnings_ = std::make_shared<std::uint64_t>(0);
};

}  // namespace snow::bench
