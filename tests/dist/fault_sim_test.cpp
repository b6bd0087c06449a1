// Fault injection over the simulated network (issues 5 and 9): simultaneous connections,
// partitions, crashes, restarts, lossy links and stalled nodes, each over many seeds.
//
// Every scenario asserts the same invariants: no duplicate Down, no message lost or
// reordered between processes whose nodes stayed connected, every node agreeing on every
// global name's owner, and process counts back to their baseline. A failing seed prints
// itself; SNOW_SIM_SEED=n replays it, SNOW_SIM_SEEDS=1000 runs a thousand seeds per scenario:
//
//     SNOW_SIM_SEEDS=1000 build/tests/dist_tests --test-suite=fault
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "tests/dist/sim_cluster.hpp"

namespace faulttest {
/// The n-th message of one sender's stream.
struct Seq {
  std::int64_t sender = 0;
  std::int64_t n = 0;
};
SNOW_WIRE(Seq, sender, n)
struct Stop {};
SNOW_WIRE(Stop)
/// A request of the hand-made remote call (monitor, send, wait for the reply or Down).
struct CallReq {
  snow::Pid from;
  snow::Ref ref;
  std::int64_t n = 0;
};
SNOW_WIRE(CallReq, from, ref, n)
struct CallRep {
  snow::Ref ref;
  std::int64_t n = 0;
};
SNOW_WIRE(CallRep, ref, n)

/// What a sink received, per sender, in arrival order.
using SeqLog = std::map<std::int64_t, std::vector<std::int64_t>>;

/// Records every Seq until it gets Stop.
snow::Proc sink(snow::Self self, SeqLog* log) {
  bool stop = false;
  while (!stop) {
    co_await self.receive(snow::on<Seq>([&](Seq s) { (*log)[s.sender].push_back(s.n); }),
                          snow::on<Stop>([&](Stop) { stop = true; }));
  }
}

/// Does nothing until Stop: a process to register or watch.
snow::Proc holder(snow::Self self) { co_await self.receive(snow::on<Stop>([](Stop) {})); }

/// Answers each CallReq after `delay` until Stop.
snow::Proc server(snow::Self self, absl::Duration delay) {
  bool stop = false;
  while (!stop) {
    co_await self.receive(
        snow::on<CallReq>([&](CallReq r) { self.send_after(delay, r.from, CallRep{r.ref, r.n * 2}); }),
        snow::on<Stop>([&](Stop) { stop = true; }));
  }
}

snow::Proc fault_worker(snow::Self self) { co_await self.receive(snow::on<Stop>([](Stop) {})); }
SNOW_SPAWNABLE(fault_worker);

}  // namespace faulttest

using namespace simtest;
using namespace faulttest;
using snow::Pid;
using snow::Self;
namespace global = snow::global;

namespace {

constexpr int kSeeds = 50;

/// `n` messages from each of `senders`, exactly once and in order: 0, 1, ..., n - 1.
void check_streams(const SeqLog& log, const std::vector<std::int64_t>& senders, std::int64_t n) {
  std::vector<std::int64_t> want(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) want[static_cast<std::size_t>(i)] = i;
  for (std::int64_t s : senders) {
    INFO("sender " << s);
    auto it = log.find(s);
    CHECK((it == log.end() ? std::vector<std::int64_t>{} : it->second) == want);
  }
  CHECK(log.size() == senders.size());
}

/// Strictly increasing (nothing twice, nothing out of order), with at most `gaps` holes
/// (each a run of messages lost with a connection).
void check_increasing_with_gaps(const std::vector<std::int64_t>& got, int gaps) {
  int holes = 0;
  std::int64_t expect = 0;
  for (std::int64_t n : got) {
    REQUIRE_MESSAGE(n >= expect, "message " << n << " after " << expect - 1 << ": duplicated or reordered");
    if (n > expect) ++holes;
    expect = n + 1;
  }
  CHECK_MESSAGE(holes <= gaps, holes << " holes in the stream, but only " << gaps << " connection losses");
}

/// Every node's global names as (name -> owner node, creation, serial), the same Pid
/// whichever node names it.
using Registry = std::map<std::string, std::tuple<std::string, int, std::uint64_t>>;
Registry registry_of(SimCluster& c, const std::string& host) {
  Registry out;
  snow::Runtime& rt = *c[host].rt;
  for (const std::string& name : global::registered_names(rt)) {
    const std::optional<Pid> pid = global::whereis(rt, name);
    if (!pid) continue;
    const std::string owner = pid->is_local() ? c[host].name : c[host].node().node_of(*pid);
    out[name] = {owner, pid->creation(), pid->serial()};
  }
  return out;
}
bool registries_agree(SimCluster& c) {
  std::optional<Registry> first;
  for (auto& [host, n] : c.nodes) {
    if (!n.rt) continue;
    Registry r = registry_of(c, host);
    if (!first) {
      first = std::move(r);
    } else if (r != *first) {
      return false;
    }
  }
  return true;
}

/// Records NodeUp ("up"), NodeDown ("down") and GlobalNameLost ("lost NAME") until Stop.
snow::Proc event_log(Self self, std::vector<std::string>* out) {
  bool stop = false;
  while (!stop) {
    co_await self.receive(snow::on<snow::NodeUp>([&](snow::NodeUp) { out->push_back("up"); }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown) { out->push_back("down"); }),
                          snow::on<snow::GlobalNameLost>(
                              [&](snow::GlobalNameLost l) { out->push_back("lost " + l.name); }),
                          snow::on<Stop>([&](Stop) { stop = true; }));
  }
}

/// Sends Seq{id, 0}, Seq{id, 1}, ... to `to` every 5 ms until Stop; counts in `sent`.
snow::Proc ticker(Self self, Pid to, std::int64_t id, std::int64_t* sent) {
  bool stop = false;
  while (!stop) {
    self.send(to, Seq{id, (*sent)++});
    co_await self.receive(snow::on<Stop>([&](Stop) { stop = true; }), snow::after(absl::Milliseconds(5), [] {}));
  }
}

/// Monitors each of `targets` once and records every Down by process until Stop.
snow::Proc watcher(Self self, std::vector<Pid> targets, std::map<Pid, std::vector<std::string>>* downs) {
  for (Pid t : targets) (void)self.monitor(t);
  bool stop = false;
  while (!stop) {
    co_await self.receive(
        snow::on<snow::Down>([&](snow::Down d) { (*downs)[d.pid].push_back(d.reason.to_string()); }),
        snow::on<Stop>([&](Stop) { stop = true; }));
  }
}

/// What every fault scenario must keep, checked with traffic of its own: between every
/// two nodes a stream of numbered messages, a remote monitor, and an eye on NodeDown.
///
///   - no duplicate Down: each monitor ends once, with noconnection, if its connection
///     was lost, and otherwise not at all;
///   - no message lost or reordered between connected processes: each stream increases
///     strictly, is whole if its connection was never lost, and has at most one hole per
///     loss;
///   - registry convergence: every live node sees the same owner for every global name;
///   - no leaked process: every node is back to the processes it had before the scenario
///     (the scenario's own processes stopped), so a process left for nobody shows.
class Invariants {
 public:
  explicit Invariants(SimCluster& c) : c_(c) {}

  /// Takes the baseline and starts the traffic between every two live nodes.
  void start() {
    for (auto& [host, n] : c_.nodes) {
      if (!n.rt) continue;
      baseline_[host] = c_.live(host);
      hosts_.push_back(host);
    }
    for (const std::string& y : hosts_) {
      Node& to = nodes_[y];
      to.sink = c_[y].rt->spawn(sink, &to.received);
      to.target = c_[y].rt->spawn(holder);
      background_.emplace_back(y, to.sink);
      background_.emplace_back(y, to.target);
    }
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      const std::string& x = hosts_[i];
      Node& from = nodes_[x];
      std::vector<Pid> targets;
      for (const std::string& y : hosts_) {
        if (x == y) continue;
        Link& link = from.links[y];
        // The sink at y tells the streams apart by the source's index.
        link.ticker =
            c_[x].rt->spawn(ticker, c_.view(x, y, nodes_[y].sink), static_cast<std::int64_t>(i), &link.sent);
        link.events_pid = c_[x].rt->spawn(event_log, &link.events);
        c_[x].node().monitor_node(link.events_pid, c_[y].name);
        link.target = c_.view(x, y, nodes_[y].target);
        targets.push_back(link.target);
        background_.emplace_back(x, link.events_pid);
      }
      from.watcher = c_[x].rt->spawn(watcher, targets, &from.downs);
      background_.emplace_back(x, from.watcher);
    }
  }
  /// After `host` restarted: its new life's processes are its baseline, and its old
  /// life's streams ended with it.
  void restarted(const std::string& host) {
    baseline_[host] = c_.live(host);
    restarted_.insert(host);
  }

  /// Messages of its own stream from x to y sent so far.
  std::int64_t sent(const std::string& x, const std::string& y) { return nodes_[x].links[y].sent; }
  /// Messages of its own streams sent and not (yet) arrived.
  std::uint64_t missing() {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      for (auto& [y, link] : nodes_[hosts_[i]].links) {
        n += static_cast<std::uint64_t>(link.sent) - nodes_[y].received[static_cast<std::int64_t>(i)].size();
      }
    }
    return n;
  }

  /// Stops the traffic, then the scenario's `procs` and the rest, and checks it all.
  void finish(const std::vector<std::pair<std::string, Pid>>& procs = {}) {
    for (auto& [x, from] : nodes_) {
      for (auto& [y, link] : from.links) send(x, link.ticker);
    }
    c_.net.run_for(absl::Milliseconds(100));  // what is in flight arrives
    for (auto& [host, pid] : background_) send(host, pid);
    for (auto& [host, pid] : procs) send(host, pid);
    c_.net.run_for(absl::Seconds(1));
    for (auto& [x, from] : nodes_) {
      for (auto& [y, link] : from.links) check_link(x, y);
    }
    CHECK(registries_agree(c_));
    for (auto& [host, count] : baseline_) {
      INFO("processes on " << host);
      if (c_.nodes.at(host).rt) CHECK(c_.live(host) == count);
    }
  }

 private:
  struct Link {  // from one node to another
    Pid ticker, events_pid;
    Pid target;  // the other node's target, as this node names it
    std::int64_t sent = 0;
    std::vector<std::string> events;  // NodeUp / NodeDown of the other node
  };
  struct Node {
    Pid sink, target, watcher;
    SeqLog received;  // by sender
    std::map<std::string, Link> links;
    std::map<Pid, std::vector<std::string>> downs;  // by target
  };

  void send(const std::string& host, Pid pid) {
    if (c_.nodes.at(host).rt) c_[host].rt->send(pid, Stop{});
  }

  void check_link(const std::string& x, const std::string& y) {
    INFO("stream " << x << " -> " << y);
    const Link& link = nodes_[x].links[y];
    const int losses = static_cast<int>(std::count(link.events.begin(), link.events.end(), "down"));
    const auto source = std::find(hosts_.begin(), hosts_.end(), x) - hosts_.begin();
    const std::vector<std::int64_t>& got = nodes_[y].received[source];
    check_increasing_with_gaps(got, losses);
    // A crash takes the node's processes and what was in flight with it, and nobody is
    // left there to see the loss: what a crashed node watched or sent is not judged.
    auto lives = [&](const std::string& h) { return c_.nodes.at(h).rt && !restarted_.contains(h); };
    if (lives(x)) {
      const std::vector<std::string> once{"noconnection"};
      CHECK(nodes_[x].downs[link.target] == (losses > 0 ? once : std::vector<std::string>{}));
    }
    if (losses == 0 && lives(x) && lives(y)) CHECK(static_cast<std::int64_t>(got.size()) == link.sent);
  }

  SimCluster& c_;
  std::vector<std::string> hosts_;
  std::map<std::string, std::uint64_t> baseline_;
  std::set<std::string> restarted_;
  std::map<std::string, Node> nodes_;
  std::vector<std::pair<std::string, Pid>> background_;
};

/// Runs `scenario` once per seed, each time with a fresh cluster and a generator for the
/// scenario's own choices, both from the seed.
void for_each_seed(const std::function<void(SimCluster&, std::mt19937_64&)>& scenario) {
  for (std::uint64_t seed : seeds(kSeeds)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    std::mt19937_64 draw(seed);
    scenario(c, draw);
  }
}

}  // namespace

TEST_SUITE_BEGIN("fault");

// -- sends right after connect() when both nodes connect at once --

namespace {

/// Waits for NodeUp of `peer`, then sends `n` Seqs to the sink on `peer`: even ones by
/// name, odd ones to its Pid (`sink_there`, as its own node names it). One stream.
snow::Proc eager_sender(Self self, snow::detail::NodeCore* core, std::string peer, Pid sink_there,
                        std::int64_t id, std::int64_t n) {
  snow::Node::of(self.runtime())->monitor_node(self.pid(), peer);
  co_await self.receive(snow::on<snow::NodeUp>([](snow::NodeUp) {}));
  const Pid to = core->remote_pid(peer, sink_there.serial());
  for (std::int64_t i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      self.send("sink", peer, Seq{id, i});
    } else {
      self.send(to, Seq{id, i});
    }
  }
}

/// A sink registered as "sink" on a and on b, and three eager senders on each node
/// sending ten messages to the other's sink as soon as it is up.
struct EagerTraffic {
  static constexpr std::int64_t kSenders = 3, kEach = 10;
  SeqLog at_a, at_b;

  void start(SimCluster& c) {
    const Pid sink_a = c["a"].rt->spawn(sink, &at_a);
    const Pid sink_b = c["b"].rt->spawn(sink, &at_b);
    REQUIRE(c["a"].rt->register_name("sink", sink_a).ok());
    REQUIRE(c["b"].rt->register_name("sink", sink_b).ok());
    for (std::int64_t s = 0; s < kSenders; ++s) {
      c["a"].rt->spawn(eager_sender, c["a"].core, c["b"].name, sink_b, s, kEach);
      c["b"].rt->spawn(eager_sender, c["b"].core, c["a"].name, sink_a, s, kEach);
    }
    c.net.run_for(absl::Microseconds(1));  // the senders watch for NodeUp before any connect
  }
  bool all_arrived() const { return total(at_a) == kSenders * kEach && total(at_b) == kSenders * kEach; }
  void check() const {
    std::vector<std::int64_t> ids;
    for (std::int64_t s = 0; s < kSenders; ++s) ids.push_back(s);
    check_streams(at_b, ids, kEach);
    check_streams(at_a, ids, kEach);
  }

 private:
  static std::size_t total(const SeqLog& l) {
    std::size_t n = 0;
    for (auto& [s, v] : l) n += v.size();
    return n;
  }
};

struct Latency {
  absl::Duration min, max;
};

/// What else disturbs the handshakes: nothing, a node stalling in the middle of them
/// (as a slow TSan build does), or jitter on the link.
enum class Disturbance { none, stall, jitter };

/// Nodes `first` and the other one connect to each other `offset` apart while eager
/// senders wait on both. Everything must arrive once, in order.
void connect_both_and_send(SimCluster& c, Latency latency, const std::string& first, absl::Duration offset,
                           Disturbance disturbance) {
  c.net.set_latency(latency.min, latency.max);
  c.add("a");
  c.add("b");
  if (disturbance == Disturbance::jitter) c.net.set_link("a", "b", {.jitter = latency.max * 3});
  EagerTraffic traffic;
  traffic.start(c);
  const std::string second = first == "a" ? "b" : "a";
  c[first].node().connect_async(c[second].name);
  c.net.run_for(offset);
  c[second].node().connect_async(c[first].name);
  if (disturbance == Disturbance::stall) {
    c.net.run_for(latency.max);
    c.net.pause(first, latency.max * 2);
  }
  c.net.run_until([&] { return traffic.all_arrived(); }, absl::Seconds(3));
  c.net.run_for(absl::Milliseconds(50));  // time for duplicates to show
  INFO("a: " << c["a"].core->counters().bytes_out << " bytes out, b: " << c["b"].core->counters().messages_in
             << " messages in");
  traffic.check();
  CHECK(c.sees("a", "b"));
  CHECK(c.sees("b", "a"));
}

}  // namespace

// Why nothing sent right after NodeUp can be lost to the duplicate-connection rule: let L
// be the node whose name sorts first, X its connection to H and Y H's connection to L.
// L starts X only before it has read H's hello on Y (once a hello names the peer, no new
// attempt starts); if X is alive when L reads that hello, the rule closes Y, so Y is
// never up at L while X lives; Y can come up at H only after L's proof on Y, which L
// sends only once Y is up at L. So a losing connection never carries data. And within
// one connection the accepting side's proof precedes its data, so the connecting side
// never receives data before it is up. These two tests try hard to break that.
TEST_CASE("both nodes connect at once and send at once: every message arrives once, in order") {
  const Latency latencies[] = {{absl::Microseconds(100), absl::Milliseconds(2)},
                               {absl::Milliseconds(1), absl::Milliseconds(1)},
                               {absl::ZeroDuration(), absl::Milliseconds(5)},
                               {absl::Milliseconds(5), absl::Milliseconds(40)}};
  for (const Latency& l : latencies) {
    INFO("latency " << absl::FormatDuration(l.min) << " to " << absl::FormatDuration(l.max));
    for_each_seed([&](SimCluster& c, std::mt19937_64& draw) {
      // From "at the same instant" to "the other is mid-handshake" (one to three trips),
      // each node first in turn.
      const absl::Duration offset = l.max * std::uniform_real_distribution<double>(0, 3)(draw);
      const std::string first = draw() % 2 == 0 ? "a" : "b";
      const auto disturbance = static_cast<Disturbance>(draw() % 3);
      INFO(first << " connects first, the other " << absl::FormatDuration(offset) << " later; disturbance "
                 << static_cast<int>(disturbance));
      connect_both_and_send(c, l, first, offset, disturbance);
    });
  }
}

TEST_CASE("two nodes that meet through a third connect at once and send at once") {
  for_each_seed([](SimCluster& c, std::mt19937_64&) {
    c.add("a");
    c.add("b");
    c.add("c");
    EagerTraffic traffic;
    traffic.start(c);
    // Both learn of each other from c's peer lists at about the same time, and both
    // connect: the mesh's own simultaneous connection.
    c["a"].node().connect_async(c["c"].name);
    c["b"].node().connect_async(c["c"].name);
    c.net.run_for(absl::Seconds(1));
    traffic.check();
  });
}

// -- fault injection scenarios --

TEST_CASE("a partition during global registration: the registries converge when it heals") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    auto jiffy = [&] { return absl::Microseconds(static_cast<std::int64_t>(draw() % 3000)); };
    c.mesh({"a", "b", "c"});
    Invariants inv(c);
    inv.start();
    std::vector<std::pair<std::string, Pid>> procs;
    auto hold = [&](const std::string& host) {
      const Pid p = c[host].rt->spawn(holder);
      procs.emplace_back(host, p);
      return p;
    };
    // A name registered before the cut whose process ends during it: gone everywhere.
    const Pid doomed = hold("b");
    REQUIRE(global::register_name(*c["b"].rt, "doomed", doomed).ok());
    // a is cut off from b and c while names are registered on both sides, in an order
    // the seed picks: some GlobalAdds cross before the cut, some are lost in it.
    const std::string names[] = {"n1", "n2", "n3", "n4"};
    const std::string owners[] = {"a", "b", "c", "a"};
    const int cut_before = static_cast<int>(draw() % 5);
    for (int i = 0; i < 4; ++i) {
      if (i == cut_before) {
        c.net.partition("a", "b");
        c.net.partition("a", "c");
      }
      REQUIRE(global::register_name(*c[owners[i]].rt, names[i], hold(owners[i])).ok());
      c.net.run_for(jiffy());
    }
    if (cut_before == 4) {
      c.net.partition("a", "b");
      c.net.partition("a", "c");
    }
    c.net.run_for(jiffy());
    c["b"].rt->send(doomed, Stop{});
    c.net.run_for(absl::Seconds(1));  // the heartbeats find the cut
    CHECK_FALSE(c.sees("a", "b"));
    CHECK(registry_of(c, "b") == registry_of(c, "c"));  // the majority agrees meanwhile
    c.net.heal_all();
    CHECK(c.net.run_until([&] { return c.full_mesh() && registries_agree(c); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(50));
    CHECK(registries_agree(c));
    const Registry r = registry_of(c, "a");
    CHECK(r.size() == 4);
    for (int i = 0; i < 4; ++i) {
      INFO(names[i]);
      REQUIRE(r.contains(names[i]));
      CHECK(std::get<0>(r.at(names[i])) == c[owners[i]].name);
    }
    CHECK_FALSE(r.contains("doomed"));
    inv.finish(procs);
    CHECK(global::registered_names(*c["a"].rt).empty());
  });
}

TEST_CASE("a partition heals with one name registered on both sides: one owner, the loser told once") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    c.mesh({"a", "b", "c"});
    Invariants inv(c);
    inv.start();
    // The cut isolates one node, the seed says which; the name is registered on each side.
    const std::string hosts[] = {"a", "b", "c"};
    const std::string alone = hosts[draw() % 3];
    for (const std::string& h : hosts) {
      if (h != alone) c.net.partition(alone, h);
    }
    c.net.run_for(absl::Seconds(1));
    std::vector<std::string> rest;
    for (const std::string& h : hosts) {
      if (h != alone) rest.push_back(h);
    }
    const std::string other = rest[draw() % 2];
    std::map<std::string, std::vector<std::string>> heard;  // by host
    std::vector<std::pair<std::string, Pid>> procs;
    for (const std::string& h : {alone, other}) {
      procs.emplace_back(h, c[h].rt->spawn(event_log, &heard[h]));
      REQUIRE(global::register_name(*c[h].rt, "x", procs.back().second).ok());
    }
    c.net.run_for(absl::Milliseconds(static_cast<std::int64_t>(draw() % 20)));
    c.net.heal_all();
    CHECK(c.net.run_until([&] { return c.full_mesh() && registries_agree(c); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(100));
    CHECK(registries_agree(c));
    // The rule: the registration from the node whose name sorts first wins.
    const std::string winner = std::min(alone, other), loser = std::max(alone, other);
    const Registry r = registry_of(c, "b");
    REQUIRE(r.contains("x"));
    CHECK(std::get<0>(r.at("x")) == c[winner].name);
    CHECK(heard[loser] == std::vector<std::string>{"lost x"});
    CHECK(heard[winner].empty());
    inv.finish(procs);
  });
}

namespace {

/// A hand-made remote call, as a service call works: monitor the server, send, wait for
/// the reply or the Down. Logs "reply n" or "Down reason" per call.
snow::Proc caller(Self self, Pid server, int calls, std::vector<std::string>* log) {
  for (int i = 0; i < calls; ++i) {
    const snow::Ref ref = self.monitor(server);
    self.send(server, CallReq{self.pid(), ref, i});
    bool down = false;
    co_await self
        .receive(snow::on<CallRep>([ref](const CallRep& r) { return r.ref == ref; },
                                   [&](CallRep r) { log->push_back("reply " + std::to_string(r.n)); }),
                 snow::on<snow::Down>([ref](const snow::Down& d) { return d.ref == ref; },
                                      [&](snow::Down d) {
                                        log->push_back("Down " + d.reason.to_string());
                                        down = true;
                                      }),
                 snow::after(absl::Seconds(5), [&] { log->push_back("timeout"); }))
        .since(ref);
    if (!down) self.demonitor(ref);
    if (down) break;
  }
  // Nothing is left over: a second Down or a late reply would show here.
  co_await self.receive(
      snow::on<snow::Down>([&](snow::Down d) { log->push_back("extra Down " + d.reason.to_string()); }),
      snow::on<CallRep>([&](CallRep r) { log->push_back("late reply " + std::to_string(r.n)); }),
      snow::after(absl::Seconds(1), [] {}));
}

snow::Proc spawner(Self self, std::string node, int n, std::vector<std::string>* log) {
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Pid> p = co_await snow::spawn_on(self, node, "fault_worker");
    log->push_back(p.ok() ? "spawned" : absl::StatusCodeToString(p.status().code()));
    if (!p.ok()) break;
    self.send(*p, Stop{});
  }
}

}  // namespace

TEST_CASE("a node crashes during remote calls and remote spawns: each ends once, nothing leaks") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    c.pair();
    Invariants inv(c);
    inv.start();
    const Pid srv = c.view("a", "b", c["b"].rt->spawn(server, absl::Milliseconds(2)));
    std::vector<std::vector<std::string>> calls(3);
    std::vector<std::string> spawns;
    for (auto& log : calls) c["a"].rt->spawn(caller, srv, 1000, &log);
    c["a"].rt->spawn(spawner, c["b"].name, 1000, &spawns);
    const bool reset = draw() % 2 == 0;  // kill -9, or a power cut the heartbeats find
    INFO(std::string(reset ? "kill -9" : "power cut"));
    c.net.run_for(absl::Microseconds(static_cast<std::int64_t>(draw() % 50000)));
    c.crash("b", reset);
    c.net.run_for(absl::Seconds(2));  // the heartbeats find a power cut in 0.4 s
    for (auto& log : calls) {
      REQUIRE(log.size() >= 1);
      // Replies 0, 2, 4, ... in order, then exactly one Down(noconnection), nothing after.
      for (std::size_t i = 0; i + 1 < log.size(); ++i) CHECK(log[i] == "reply " + std::to_string(2 * i));
      CHECK(log.back() == "Down noconnection");
    }
    REQUIRE(!spawns.empty());
    for (std::size_t i = 0; i + 1 < spawns.size(); ++i) CHECK(spawns[i] == "spawned");
    // The spawn in flight ends, once, as soon as b is known lost (not at its timeout).
    CHECK(spawns.back() == "UNAVAILABLE");
    CHECK(c["a"].node().list().empty());
    inv.finish();
  });
}

TEST_CASE("remote spawns that time out leave no process behind and no late reply in the mailbox") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    c.pair();
    Invariants inv(c);
    inv.start();
    // The answer takes about twice the link's delay; the caller waits about that long.
    c.net.set_link("a", "b", {.delay = absl::Milliseconds(static_cast<std::int64_t>(draw() % 8)),
                              .jitter = absl::Milliseconds(2)});
    const absl::Duration timeout = absl::Milliseconds(1 + static_cast<std::int64_t>(draw() % 15));
    INFO("timeout " << absl::FormatDuration(timeout));
    std::vector<std::string> log;
    c["a"].rt->spawn([&log, node = c["b"].name, timeout](Self self) -> snow::Proc {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<Pid> p =
            co_await snow::detail::spawn_on_term(self, node, "fault_worker", snow::to_term(std::tuple<>()), timeout,
                                                 /*link=*/false);
        log.push_back(p.ok() ? "spawned" : absl::StatusCodeToString(p.status().code()));
        if (p.ok()) self.send(*p, Stop{});
      }
      // A reply that came after its call gave up must not be left here.
      co_await self.receive(snow::any([&](snow::Message m) { log.push_back("stray " + m.to_string()); }),
                            snow::after(absl::Milliseconds(200), [] {}));
    });
    c.net.run_for(absl::Seconds(1));
    CHECK(log.size() == 10);
    for (const std::string& l : log) CHECK((l == "spawned" || l == "DEADLINE_EXCEEDED"));
    inv.finish();  // its process count: no worker spawned for a caller that gave up
  });
}

TEST_CASE("messages in flight when a connection dies are lost and counted; none twice, none out of order") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    c.pair();
    Invariants inv(c);
    inv.start();
    SeqLog at_a, at_b;
    const Pid sink_a = c["a"].rt->spawn(sink, &at_a);
    const Pid sink_b = c["b"].rt->spawn(sink, &at_b);
    // a watches b, to count the connection's losses.
    std::vector<std::string> events;
    const Pid watcher = c["a"].rt->spawn(event_log, &events);
    c["a"].node().monitor_node(watcher, c["b"].name);
    constexpr std::int64_t kCount = 400;
    auto stream = [&](const std::string& from, const std::string& to, Pid sink_there, std::int64_t id) {
      const Pid target = c.view(from, to, sink_there);
      c[from].rt->spawn([target, id](Self self) -> snow::Proc {
        for (std::int64_t i = 0; i < kCount; ++i) {
          self.send(target, Seq{id, i});
          if (i % 2 == 1) co_await self.sleep(absl::Milliseconds(1));  // a stream over 200 ms
        }
      });
    };
    stream("a", "b", sink_b, 1);
    stream("a", "b", sink_b, 2);
    stream("b", "a", sink_a, 3);
    // The link drops writes (each drop ends the connection; a reconnects, kept), with
    // jitter on top. Some seeds lose nothing.
    c.net.set_link("a", "b", {.delay = absl::Microseconds(200), .jitter = absl::Milliseconds(2),
                              .drop = 0.002 * static_cast<double>(draw() % 10)});
    c.net.run_for(absl::Milliseconds(60));
    c.net.set_link("a", "b", {});
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(300));  // the streams end
    const int losses = static_cast<int>(std::count(events.begin(), events.end(), "down"));
    INFO(c.net.drops() << " connections reset, " << losses << " losses seen by a");
    CHECK(losses <= static_cast<int>(c.net.drops()));
    std::uint64_t lost = 0;
    for (auto [log, id] : {std::pair{&at_b, 1}, {&at_b, 2}, {&at_a, 3}}) {
      INFO("stream " << id);
      const std::vector<std::int64_t>& got = (*log)[id];
      check_increasing_with_gaps(got, losses);
      if (losses == 0) CHECK(got.size() == kCount);
      lost += kCount - got.size();
    }
    // What the nodes counted as dropped was really lost (the rest went down with the
    // bytes in flight, which no one can count), here or in the invariants' streams.
    const auto counted = [&](const std::string& h) {
      const auto k = c[h].core->counters();
      return k.dropped_at_close + k.dropped_unreachable;
    };
    CHECK(counted("a") + counted("b") <= lost + inv.missing());
    // The link works again afterwards.
    stream("a", "b", sink_b, 4);
    c.net.run_for(absl::Milliseconds(300));
    CHECK(at_b[4].size() == kCount);
    c["a"].rt->send(sink_a, Stop{});
    inv.finish({{"b", sink_b}, {"a", watcher}});
  });
}

TEST_CASE("a node restarts with a new creation: monitors hear noconnection once, old Pids are dead") {
  for_each_seed([](SimCluster& c, std::mt19937_64& draw) {
    c.pair();
    constexpr int kWatched = 4;
    Invariants inv(c);
    inv.start();
    std::vector<Pid> old;
    for (int i = 0; i < kWatched; ++i) old.push_back(c.view("a", "b", c["b"].rt->spawn(holder)));
    struct {
      std::map<std::uint64_t, std::vector<std::string>> downs;  // by monitor ref
      std::map<std::uint64_t, std::vector<std::string>> exits;  // by the linked Pid
    } sig;
    // Monitors every old process, links to the first (trapping exits); after NodeUp of
    // the new b, monitors them again, which must answer noproc at once.
    const Pid watcher = c["a"].rt->spawn([&sig, old](Self self) -> snow::Proc {
      self.trap_exits(true);
      self.link(old[0]);
      for (Pid p : old) (void)self.monitor(p);
      bool stop = false;
      while (!stop) {
        co_await self.receive(
            snow::on<snow::Down>([&](snow::Down d) { sig.downs[d.ref.raw()].push_back(d.reason.to_string()); }),
            snow::on<snow::Exit>([&](snow::Exit e) { sig.exits[e.from.raw()].push_back(e.reason.to_string()); }),
            snow::on<Seq>([&](Seq) {
              for (Pid p : old) (void)self.monitor(p);
            }),
            snow::on<Stop>([&](Stop) { stop = true; }));
      }
    });
    c.net.run_for(absl::Milliseconds(10));
    const bool reset = draw() % 2 == 0;
    INFO(std::string(reset ? "kill -9" : "power cut, b back before a notices"));
    c.crash("b", reset);
    c.net.run_for(reset ? absl::Milliseconds(50) : absl::Milliseconds(static_cast<std::int64_t>(draw() % 100)));
    c.add("b", default_options(), 2);
    inv.restarted("b");
    // After a power cut the new b may connect before a has noticed the old one is gone:
    // the hello's new creation ends the old connection.
    c["b"].node().connect_async(c["a"].name);
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(20));
    // Exactly one Down(noconnection) per monitor and one Exit(noconnection) for the link.
    CHECK(sig.downs.size() == kWatched);
    for (auto& [ref, reasons] : sig.downs) CHECK(reasons == std::vector<std::string>{"noconnection"});
    CHECK(sig.exits.size() == 1);
    for (auto& [from, reasons] : sig.exits) CHECK(reasons == std::vector<std::string>{"noconnection"});
    // Old Pids from the new life's point of view: dead. (Each message of the invariants'
    // stream to b's old sink is a dead letter too.)
    auto dead_letters = [&] {
      return static_cast<std::int64_t>(c["a"].rt->stats().dead_letters) - inv.sent("a", "b");
    };
    const std::int64_t dead_before = dead_letters();
    c["a"].rt->send(watcher, Seq{});
    c["a"].rt->spawn([target = old[1]](Self self) -> snow::Proc {
      self.send(target, Seq{9, 9});
      co_return;
    });
    c.net.run_for(absl::Milliseconds(50));
    CHECK(sig.downs.size() == 2 * kWatched);
    int noproc = 0;
    for (auto& [ref, reasons] : sig.downs) {
      CHECK(reasons.size() == 1);
      noproc += reasons == std::vector<std::string>{"noproc"};
    }
    CHECK(noproc == kWatched);
    CHECK(dead_letters() == dead_before + 1);
    inv.finish({{"a", watcher}});
  });
}

TEST_CASE("a slow node: a pause just under the heartbeat budget keeps it, just over loses it once") {
  const snow::NodeOptions o = default_options();
  const absl::Duration budget = o.heartbeat * o.heartbeat_misses;
  const absl::Duration tick = o.heartbeat / 4;
  for (std::uint64_t seed : seeds(kSeeds)) {
    SIM_SEED(seed);
    for (const bool over : {false, true}) {
      INFO(std::string(over ? "over the budget" : "under the budget"));
      SimCluster c(seed);
      std::mt19937_64 draw(seed);
      c.pair();
      Invariants inv(c);
      inv.start();
      std::map<std::string, std::vector<std::string>> events;
      std::vector<std::pair<std::string, Pid>> procs;
      for (const std::string h : {"a", "b"}) {
        procs.emplace_back(h, c[h].rt->spawn(event_log, &events[h]));
        c[h].node().monitor_node(procs.back().second, "");
      }
      SeqLog at_b;
      const Pid sink_b = c["b"].rt->spawn(sink, &at_b);
      procs.emplace_back("b", sink_b);
      const Pid target = c.view("a", "b", sink_b);
      c.net.run_for(absl::Milliseconds(static_cast<std::int64_t>(draw() % 200)));  // any phase of the pings
      // Silence as either side sees it: the pause, plus the gap since the last bytes
      // before it (pings go on the tick after each heartbeat period: up to heartbeat +
      // tick, plus the latency) and a trip after it. Under: that stays below the budget.
      // Over: the pause alone exceeds it by more than a tick.
      const absl::Duration pause = over ? budget + tick + absl::Milliseconds(5)
                                        : budget - o.heartbeat - tick - absl::Milliseconds(8);
      c.net.pause("b", pause);
      // a keeps sending during the pause: kept in order, delivered after it if b stays.
      c["a"].rt->spawn([target](Self self) -> snow::Proc {
        for (std::int64_t i = 0; i < 20; ++i) {
          self.send(target, Seq{1, i});
          co_await self.sleep(absl::Milliseconds(10));
        }
      });
      c.net.run_for(pause + absl::Milliseconds(100));
      if (!over) {
        CHECK(events["a"].empty());
        CHECK(events["b"].empty());
        c.net.run_for(absl::Milliseconds(200));
        check_streams(at_b, {1}, 20);
      } else {
        REQUIRE(!events["a"].empty());
        CHECK(events["a"].front() == "down");
        // It comes back (a keeps b), once, and is lost no more than once per side.
        CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(3)));
        c.net.run_for(absl::Milliseconds(50));
        CHECK(events["a"] == std::vector<std::string>{"down", "up"});
        CHECK(events["b"] == std::vector<std::string>{"down", "up"});
        check_increasing_with_gaps(at_b[1], 1);
      }
      inv.finish(procs);
    }
  }
}

// -- replay: the same seed, the same run --

// One scenario with every fault at once: a mesh of three with traffic, global names
// registered, a lossy jittery link, a partition that heals, a crash. Its event log (the
// simulated network's SimEventLog, then the nodes' log lines) goes to the file named by
// SNOW_EVENT_LOG (every seed's, one after the other); tests/dist/replay_test.py runs this
// test case in several processes with the same seeds and compares the files byte for
// byte. Here it checks only that the log says something and names no address.
TEST_CASE("replay: one scenario's event log, for comparison across processes") {
  std::string all_seeds;
  for (std::uint64_t seed : seeds(1)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    std::mt19937_64 draw(seed);
    c.net.record_events();
    c.mesh({"a", "b", "c"});
    Invariants inv(c);
    inv.start();
    std::vector<std::pair<std::string, Pid>> procs;
    for (const std::string owner : {"a", "b", "c", "a"}) {
      const Pid p = c[owner].rt->spawn(holder);
      procs.emplace_back(owner, p);
      REQUIRE(global::register_name(*c[owner].rt, "name" + std::to_string(procs.size()), p).ok());
      c.net.run_for(absl::Microseconds(static_cast<std::int64_t>(draw() % 3000)));
    }
    c.net.set_link("a", "b", {.delay = absl::Microseconds(200), .jitter = absl::Milliseconds(2), .drop = 0.01});
    c.net.run_for(absl::Milliseconds(100));
    c.net.set_link("a", "b", {});
    c.net.partition("a", "c");
    c.net.run_for(absl::Seconds(1));
    c.net.heal_all();
    CHECK(c.net.run_until([&] { return c.full_mesh() && registries_agree(c); }, absl::Seconds(5)));
    c.crash("c");
    c.net.run_for(absl::Seconds(1));
    procs.erase(std::remove_if(procs.begin(), procs.end(), [](auto& p) { return p.first == "c"; }), procs.end());
    inv.finish(procs);

    std::string log = c.net.event_log();
    CHECK(log.find(" data ") != std::string::npos);
    CHECK(log.find(" closed ") != std::string::npos);
    log += "-- the nodes' log lines --\n";
    {
      std::lock_guard lock(c.logs.mu);
      for (const std::string& line : c.logs.lines) log += line + "\n";
    }
    CHECK(log.find("0x") == std::string::npos);  // no pointer printed
    all_seeds += "-- seed " + std::to_string(seed) + " --\n" + log;
  }
  if (const char* path = std::getenv("SNOW_EVENT_LOG")) {
    std::ofstream out(path, std::ios::binary);
    out << all_seeds;
    REQUIRE(out.good());
  }
}

TEST_SUITE_END();
