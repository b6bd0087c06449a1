// tests/dist/sim_cluster.hpp: nodes on the simulated network, for distribution tests.
//
// Each node is a deterministic Runtime made a node over a SimTransport; the SimNetwork
// runs them all on the test's thread. Tests loop over seeds(); SIM_SEED(seed) makes a
// failure name its seed, SNOW_SIM_SEED=<n> replays just that one, and SNOW_SIM_SEEDS=<count> runs
// that many seeds instead of each test's own number.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snow/snow.hpp"
#include "snow/testing/simulation.hpp"
#include "src/dist/cluster.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/start_node.hpp"
#include "src/transport/sim_transport.hpp"
#include "tests/support/runtime_fixture.hpp"

namespace simtest {

/// snow::testing's seeds (SNOW_SIM_SEED, SNOW_SIM_SEEDS), as users' tests get them.
inline std::vector<std::uint64_t> seeds(int n = 5) { return snow::testing::seeds(n); }

/// In the body of a loop over seeds(): a failure there prints the seed and how to replay it.
#define SIM_SEED(seed) INFO(snow::testing::replay_hint(seed))

inline snow::NodeOptions default_options(std::string cookie = "secret") {
  snow::NodeOptions o;
  o.cookie = std::move(cookie);
  o.heartbeat = absl::Milliseconds(100);
  o.heartbeat_misses = 4;
  o.reconnect_min = absl::Milliseconds(100);
  o.reconnect_max = absl::Milliseconds(800);
  return o;
}

struct SimNode {
  std::string host;
  std::string name;  // "n@host:9000"
  std::unique_ptr<snow::Runtime> rt;
  snow::detail::NodeCore* core = nullptr;
  snow::Node node() const { return *snow::Node::of(*rt); }
};

class SimCluster {
 public:
  explicit SimCluster(std::uint64_t seed) : net(seed) {}
  ~SimCluster() {
    for (auto& [host, n] : nodes) {
      if (n.rt) n.rt->stop();
    }
  }

  SimNode& add(const std::string& host, snow::NodeOptions options = default_options(), std::uint32_t creation = 1) {
    SimNode& n = nodes[host];
    n.host = host;
    n.name = "n@" + host + ":9000";
    snow::RuntimeOptions ro{.deterministic = true, .log_sink = logs.sink(), .creation = creation};
    n.rt = std::make_unique<snow::Runtime>(ro);
    auto core = snow::detail::start_node(*n.rt, n.name, std::move(options), net.make_transport(host, *n.rt));
    REQUIRE_MESSAGE(core.ok(), core.status().ToString());
    n.core = *core;
    return n;
  }
  SimNode& operator[](const std::string& host) { return nodes.at(host); }

  /// Connects a to b and runs until both see each other.
  void connect(const std::string& a, const std::string& b) {
    nodes.at(a).node().connect_async(nodes.at(b).name);
    const bool ok = net.run_until([&] { return sees(a, b) && sees(b, a); }, absl::Seconds(5));
    REQUIRE_MESSAGE(ok, a << " and " << b << " did not connect");
  }
  /// Nodes a and b, connected.
  void pair() {
    add("a");
    add("b");
    connect("a", "b");
  }
  /// A node on each host, every pair connected with connect() (kept: they reconnect
  /// after a partition or a crash, unlike peers met through the mesh).
  void mesh(const std::vector<std::string>& hosts) {
    for (const std::string& h : hosts) add(h);
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      for (std::size_t j = i + 1; j < hosts.size(); ++j) {
        nodes.at(hosts[i]).node().connect_async(nodes.at(hosts[j]).name);
      }
    }
    REQUIRE_MESSAGE(net.run_until([&] { return full_mesh(); }, absl::Seconds(5)), "the mesh did not form");
  }
  /// Every live node sees every other live node.
  bool full_mesh() {
    for (auto& [a, na] : nodes) {
      for (auto& [b, nb] : nodes) {
        if (a != b && na.rt && nb.rt && !sees(a, b)) return false;
      }
    }
    return true;
  }
  /// Nodes a, b and c in a full mesh (a and c each connect to b; the mesh does the rest).
  void mesh3() {
    add("a");
    add("b");
    add("c");
    connect("a", "b");
    connect("c", "b");
    REQUIRE_MESSAGE(net.run_until([&] { return sees("a", "c") && sees("c", "a"); }, absl::Seconds(5)),
                    "a and c did not meet through b");
  }
  bool sees(const std::string& a, const std::string& b) {
    for (const std::string& n : nodes.at(a).node().list()) {
      if (n == nodes.at(b).name) return true;
    }
    return false;
  }
  /// `pid`, a process of node `owner`, as node `viewer` names it (a Pid's node index and
  /// its generation are local to each node, so a Pid cannot simply be handed from one
  /// runtime to another).
  snow::Pid view(const std::string& viewer, const std::string& owner, snow::Pid pid) {
    const snow::Pid seen = nodes.at(viewer).core->remote_pid(nodes.at(owner).name, pid.serial());
    REQUIRE(!seen.is_null());
    return seen;
  }
  /// Sends `msg` from a process of `from`'s node to `to`'s cluster process, as a peer
  /// holding the cookie can (tests of what the cluster process accepts).
  template <class T>
  void send_to_cluster_process(const std::string& from, const std::string& to, T msg) {
    const std::string target = nodes.at(to).name;
    nodes.at(from).rt->spawn([target, msg = std::move(msg)](snow::Self self) -> snow::Proc {
      self.send(snow::detail::kClusterProcessName, target, msg);
      co_return;
    });
  }
  /// Processes alive on host's node (its system processes included).
  std::uint64_t live(const std::string& host) { return nodes.at(host).rt->stats().live; }
  /// Kills host's node (kill -9: connections reset; `reset` false: a power cut, its
  /// connections just go silent) and destroys its runtime.
  void crash(const std::string& host, bool reset = true) {
    net.crash(host, reset);
    nodes.at(host).rt->stop();
    nodes.at(host).rt.reset();
  }

  snow::transport::SimNetwork net;
  snow::testing::LogCapture logs;
  std::map<std::string, SimNode> nodes;
};

}  // namespace simtest
