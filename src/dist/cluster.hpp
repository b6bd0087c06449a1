// src/dist/cluster.hpp: the cluster services of a node — global names, process groups,
// remote spawn — kept by one system process per node ("snow.cluster").
//
// The state is shared: API calls on any thread read it (whereis, members never wait) and
// make local changes under `mu`, then tell the cluster process, which watches the
// processes involved, tells the other nodes' cluster processes (plain wire messages sent
// to {"snow.cluster", node}), and applies what they tell it. Every node applies the same
// deterministic rules, so all of them converge without a cluster-wide lock.
#pragma once

#include <mutex>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "snow/pid.hpp"

namespace snow {
class Runtime;
}

namespace snow::detail {

class NodeCore;

/// The name the cluster process is registered under on every node.
inline constexpr char kClusterProcessName[] = "snow.cluster";

struct ClusterState {
  struct GlobalEntry {
    Pid pid;
    std::string owner;  // the node the process lives on
  };
  std::mutex mu;
  absl::btree_map<std::string, GlobalEntry> names;
  absl::btree_map<std::string, absl::btree_set<Pid>> groups;
  Pid process;  // the cluster process
};

/// Starts the node's cluster process (a system process: rt.join() does not wait for it).
void start_cluster_services(Runtime& rt, NodeCore& node);

}  // namespace snow::detail
