// bench/cluster_scale/scale_run.hpp: one run of the scaling scenario on N simulated nodes.
//
// The scenario, in virtual time on one SimNetwork (bench/cluster_scale/sim_mesh.hpp):
//   1. N nodes start, each knowing only node 0, and the full mesh forms;
//   2. the mesh rests (heartbeats only) for `rest`;
//   3. the cluster is cut into two halves; once each side has found the cut, names are
//      registered on both sides, one of them ("leader") on both, B's side first;
//   4. the cut heals: the far half redials node 0 (its kept peer), hears the peer list,
//      and dials the rest; the registries converge.
// Times are virtual (the simulation's clock) unless named *_wall_s; memory is measured in
// this process with mallinfo2 and RSS (see measure_scale in scale_run.cpp for what they
// include).
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "snow/node.hpp"

namespace snow::bench {

struct ScaleOptions {
  /// The nodes' options: NodeOptions' defaults (500 ms heartbeat, 4 misses, redial from
  /// 200 ms up to 10 s) unless a caller changes them.
  NodeOptions node;
  absl::Duration rest = absl::Seconds(10);     // the at-rest window for heartbeat bytes
  absl::Duration check_every = absl::Milliseconds(1);  // resolution of the virtual times
  absl::Duration limit = absl::Seconds(120);   // per phase, virtual
};

struct ScaleFigures {
  int nodes = 0;
  bool ok = false;
  std::string failure;  // the phase that did not finish, when !ok

  double mesh_ms = 0;       // virtual: start to every node connected to every other
  double mesh_wall_s = 0;   // wall time the simulation took for that
  double formation_bytes_per_node = 0;  // bytes_out per node from the start to 2 s after the mesh formed
  double node_bytes = 0;    // mallinfo2 in-use bytes per started, unconnected node
  double conn_bytes = 0;    // mallinfo2 in-use bytes per connection (both ends), at rest
  double node_rss = 0;      // the same two from the process's RSS
  double conn_rss = 0;
  double heartbeat_bytes_per_node_s = 0;   // bytes_out per node per virtual second at rest
  double heartbeat_frames_per_node_s = 0;
  double rest_wall_per_s = 0;  // wall seconds to simulate one virtual second at rest
  double split_ms = 0;         // virtual: cut to both halves seeing only themselves
  double heal_mesh_ms = 0;     // virtual: heal to the full mesh again
  double heal_registry_ms = 0; // virtual: heal to every node's registry the same
  double heal_wall_s = 0;
  // What the registries agreed on after the heal (the smoke test checks them).
  int names_after_heal = 0;         // global names every node holds
  std::string leader_owner;         // the node owning "leader" (registered on both sides)
  std::string leader_first_claim;   // the node that registered "leader" first
  std::uint64_t warnings = 0;       // log lines at warning or above, all nodes
};

/// Runs the scenario once on `nodes` nodes (at least 4) with the network's `seed`.
ScaleFigures measure_scale(int nodes, std::uint64_t seed, const ScaleOptions& options);

}  // namespace snow::bench
