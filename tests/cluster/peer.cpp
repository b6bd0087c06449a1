// tests/cluster/peer.cpp: one node of the multi-process cluster test (cluster_test.py).
//
//     cluster_peer NAME COOKIE
//
// Starts a node (over TCP + TLS), registers an echo process as "echo", prints
// "node <full name>", then obeys one command per stdin line, answering on stdout:
//
//     connect PEER    -> "connect ok" | "connect error <status>"
//     list            -> "list <names, comma separated>"
//     ping PEER       -> "pong PEER <echo's pid>" (through {echo, PEER} and back), or "ping timeout"
//     watch PEER      -> "watching PEER"; later "nodedown PEER <ms since watch>" and
//                        "down <reason> <ms since watch>" when the peer's echo is lost
//     gregister NAME  -> "gregister ok" | "gregister error <status>": echo as a global name
//     gwhereis NAME   -> "gwhereis NAME <node of the owner>" | "gwhereis NAME none"
//     quit
#include <iostream>
#include <mutex>
#include <string>

#include "snow/snow.hpp"

namespace {

struct Ping {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(Ping, from, n)

std::mutex out_mu;
void say(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::cout << line << std::endl;
}

snow::Proc echo(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Ping{self.pid(), p.n + 1}); }));
}

/// Finds the peer's echo, monitors it and the node, and reports what happens to them.
snow::Proc watcher(snow::Self self, std::string peer, snow::Node node) {
  const absl::Time start = self.now();
  auto ms = [&] { return std::to_string(absl::ToInt64Milliseconds(self.now() - start)); };
  self.send("echo", peer, Ping{self.pid(), 0});
  snow::Pid remote;
  co_await self.receive(snow::on<Ping>([&](Ping p) { remote = p.from; }),
                        snow::after(absl::Seconds(5), [&] { say("watch failed: no echo on " + peer); }));
  if (!remote) co_return;
  (void)self.monitor(remote);  // its Down is told apart by the Pid
  node.monitor_node(self.pid(), peer);
  say("watching " + peer);
  for (int seen = 0; seen < 2;) {
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) {
                            say("down " + d.reason.to_string() + " " + ms());
                            ++seen;
                          }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown d) {
                            say("nodedown " + d.node + " " + ms());
                            ++seen;
                          }));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cluster_peer NAME COOKIE\n";
    return 2;
  }
  snow::Runtime rt({.workers = 2});
  snow::NodeOptions options;
  options.cookie = argv[2];
  options.heartbeat = absl::Milliseconds(200);
  options.heartbeat_misses = 5;
  absl::StatusOr<snow::Node> node = snow::Node::start(rt, argv[1], options);
  if (!node.ok()) {
    std::cerr << "cannot start: " << node.status() << "\n";
    return 1;
  }
  if (!rt.register_name("echo", rt.spawn(echo)).ok()) return 1;
  say("node " + node->name());
  std::string line;
  while (std::getline(std::cin, line)) {
    const std::string cmd = line.substr(0, line.find(' '));
    const std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
    if (cmd == "connect") {
      absl::Status st = node->connect(arg);
      say(st.ok() ? "connect ok" : "connect error " + st.ToString());
    } else if (cmd == "list") {
      std::string names;
      for (const std::string& n : node->list()) names += (names.empty() ? "" : ",") + n;
      say("list " + names);
    } else if (cmd == "ping") {
      snow::ScopedActor me(rt);
      me.send("echo", arg, Ping{me.pid(), 1});
      bool ok = false;
      snow::Pid from;
      me.receive(snow::on<Ping>([&](Ping p) {
                   ok = p.n == 2;
                   from = p.from;
                 }),
                 snow::after(absl::Seconds(5), [] {}));
      say(ok ? "pong " + arg + " " + node->node_of(from) : "ping timeout");
    } else if (cmd == "watch") {
      rt.spawn(watcher, arg, *node);
    } else if (cmd == "gregister") {
      absl::Status st = snow::global::register_name(rt, arg, *rt.whereis("echo"));
      say(st.ok() ? "gregister ok" : "gregister error " + st.ToString());
    } else if (cmd == "gwhereis") {
      std::optional<snow::Pid> pid = snow::global::whereis(rt, arg);
      say("gwhereis " + arg + " " + (pid ? node->node_of(*pid) : std::string("none")));
    } else if (cmd == "quit") {
      break;
    }
  }
  rt.stop();
  return 0;
}
