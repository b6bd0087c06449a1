// src/dist/cluster.hpp: the cluster services of a node — global names, process groups,
// remote spawn — kept by one system process per node ("snow.cluster").
//
// The state is shared: API calls on any thread read it (whereis, members never wait) and
// make local changes under `mu`, then tell the cluster process, which watches the
// processes involved, tells the other nodes' cluster processes (plain wire messages sent
// to {"snow.cluster", node}), and applies what they tell it. Every node applies the same
// deterministic rules, so all of them converge without a cluster-wide lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/pid.hpp"
#include "snow/term.hpp"

namespace snow {
class Runtime;
}

namespace snow::detail {

class NodeCore;
struct MessageNode;

/// The name the cluster process is registered under on every node.
inline constexpr char kClusterProcessName[] = "snow.cluster";

struct ClusterState {
  struct GlobalEntry {
    Pid pid;
    std::string owner;  // the node the process lives on
    // When the name was registered, on the owner's claim clock (see claim_clock.hpp):
    // between two registrations of one name the earlier keeps it.
    std::int64_t claimed = 0;
  };
  std::mutex mu;
  absl::btree_map<std::string, GlobalEntry> names;
  absl::btree_map<std::string, absl::btree_set<Pid>> groups;
  std::int64_t clock = 0;  // the last claim stamp issued or seen (under mu)
  Pid process;  // the cluster process
  // Messages from peers that named a process not on the peer that sent them (a forged
  // owner), or were otherwise not the sender's to say; refused and logged.
  std::atomic<std::uint64_t> refused{0};
};

/// What a peer's message to the cluster process is delivered as: the message and the
/// node it came from (this node's index for it), which only the connection knows. The
/// cluster process checks every claim against it (a peer speaks for its own processes).
struct FromPeer {
  std::uint16_t node = 0;
  Term message;
};

/// The node layer's delivery of `message`, which came from node `peer` to local process
/// `to`: wrapped in a FromPeer when `to` is the cluster process, a service's reply to a
/// call made from here as a CallReply (src/dist/remote_call.hpp), else boxed as it is.
MessageNode* box_peer_message(const ClusterState* cluster, Pid to, std::uint16_t peer, Term message);

/// Starts the node's cluster process (a system process: rt.join() does not wait for it).
void start_cluster_services(Runtime& rt, NodeCore& node);

}  // namespace snow::detail
