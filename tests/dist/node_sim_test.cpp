// Distribution over the simulated network: handshake, mesh, routing, failure semantics.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <optional>
#include <string>

#include "snow/group.hpp"
#include "src/runtime/runtime_core.hpp"
#include "tests/dist/sim_cluster.hpp"

namespace simtest_types {
struct Ping {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(Ping, from, n)
struct Blob {
  std::string data;
};
SNOW_WIRE(Blob, data)
struct NotWire {
  int x = 0;
};
}  // namespace simtest_types

using namespace simtest;
using simtest_types::Blob;
using simtest_types::Ping;
using snow::Pid;
using snow::Self;

namespace {

/// A process that answers every Ping with Ping{self, n + 1}.
snow::Proc echo(Self self) {
  for (;;) {
    co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Ping{self.pid(), p.n + 1}); }));
  }
}

/// Records whatever it receives (as text) into `out`.
snow::Proc recorder(Self self, std::vector<std::string>* out) {
  for (;;) {
    co_await self.receive(snow::on<snow::NodeUp>([&](snow::NodeUp u) { out->push_back("up " + u.node); }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown d) { out->push_back("down " + d.node); }),
                          snow::on<snow::Down>([&](snow::Down d) { out->push_back("Down " + d.reason.to_string()); }),
                          snow::on<snow::Exit>([&](snow::Exit e) { out->push_back("Exit " + e.reason.to_string()); }),
                          snow::on<Ping>([&](Ping p) { out->push_back("Ping " + std::to_string(p.n)); }),
                          snow::on<Blob>([&](Blob b) { out->push_back("Blob " + std::to_string(b.data.size())); }),
                          snow::any([&](snow::Message m) { out->push_back("other " + m.to_string()); }));
  }
}

}  // namespace

TEST_CASE("two nodes connect, see each other and exchange typed messages both ways") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    CHECK(c["a"].node().list() == std::vector<std::string>{c["b"].name});
    CHECK(c["b"].node().list() == std::vector<std::string>{c["a"].name});

    const Pid server = c.view("a", "b", c["b"].rt->spawn(echo));
    std::vector<std::int64_t> replies;
    Pid remote_seen;
    c["a"].rt->spawn([&, server](Self self) -> snow::Proc {
      for (std::int64_t i = 0; i < 100; ++i) self.send(server, Ping{self.pid(), i * 10});
      for (int i = 0; i < 100; ++i) {
        co_await self.receive(snow::on<Ping>([&](Ping p) {
          replies.push_back(p.n);
          remote_seen = p.from;
        }));
      }
    });
    c.net.run_until([&] { return replies.size() == 100; }, absl::Seconds(5));
    REQUIRE(replies.size() == 100);
    for (std::int64_t i = 0; i < 100; ++i) CHECK(replies[i] == i * 10 + 1);  // in order, exactly once
    CHECK(!remote_seen.is_local());
    CHECK(c["a"].node().node_of(remote_seen) == c["b"].name);
  }
}

TEST_CASE("a Pid that travels to a third node and back is still the same process") {
  SimCluster c(1);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  // b forwards whatever Pid it gets back to its sender: a's own Pid must come home local.
  const Pid mirror = c.view("a", "b", c["b"].rt->spawn([](Self self) -> snow::Proc {
    for (;;) co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Ping{p.from, p.n}); }));
  }));
  Pid got;
  Pid me;
  c["a"].rt->spawn([&, mirror](Self self) -> snow::Proc {
    me = self.pid();
    self.send(mirror, Ping{self.pid(), 1});
    co_await self.receive(snow::on<Ping>([&](Ping p) { got = p.from; }));
  });
  c.net.run_for(absl::Seconds(1));
  CHECK(got.is_local());
  CHECK(got == me);
}

TEST_CASE("connecting a to b and c to b forms a full mesh") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.add("c");
    c.connect("a", "b");
    c.connect("c", "b");
    CHECK(c.net.run_until([&] { return c.sees("a", "c") && c.sees("c", "a"); }, absl::Seconds(5)));
    CHECK(c["a"].node().list().size() == 2);
    CHECK(c["b"].node().list().size() == 2);
    CHECK(c["c"].node().list().size() == 2);
  }
}

TEST_CASE("simultaneous connections between one pair leave exactly one, and one NodeUp each") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    std::vector<std::string> events_a, events_b;
    const Pid ra = c["a"].rt->spawn(recorder, &events_a);
    const Pid rb = c["b"].rt->spawn(recorder, &events_b);
    c["a"].node().monitor_node(ra, "");
    c["b"].node().monitor_node(rb, "");
    c.net.run_for(absl::Milliseconds(1));
    c["a"].node().connect_async(c["b"].name);
    c["b"].node().connect_async(c["a"].name);
    c.net.run_for(absl::Seconds(2));
    CHECK(c.sees("a", "b"));
    CHECK(c.sees("b", "a"));
    CHECK(events_a == std::vector<std::string>{"up " + c["b"].name});
    CHECK(events_b == std::vector<std::string>{"up " + c["a"].name});
  }
}

TEST_CASE("send to {name, node} is resolved on the remote node") {
  SimCluster c(3);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  std::vector<std::string> got;
  const Pid r = c["b"].rt->spawn(recorder, &got);
  REQUIRE(c["b"].rt->register_name("logger", r).ok());
  const std::string b = c["b"].name;
  c["a"].rt->spawn([b](Self self) -> snow::Proc {
    self.send("logger", b, Ping{self.pid(), 7});
    self.send("nobody", b, Ping{self.pid(), 8});  // a dead letter on b
    co_return;
  });
  c.net.run_for(absl::Seconds(1));
  CHECK(got == std::vector<std::string>{"Ping 7"});
  CHECK(c["b"].rt->stats().dead_letters == 1);
}

TEST_CASE("a wrong cookie is refused on both sides, logged, and the peer learns nothing") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a", default_options("right"));
    c.add("b", default_options("wrong"));
    auto waiter = std::make_shared<snow::detail::ConnectWaiter>();
    c["a"].core->connect_async(*snow::dist::parse_node_address(c["b"].name, 9000), waiter, false);
    c.net.run_until([&] { return waiter->done; }, absl::Seconds(5));
    REQUIRE(waiter->done);
    CHECK(waiter->status.code() == absl::StatusCode::kPermissionDenied);
    CHECK(c["a"].node().list().empty());
    CHECK(c["b"].node().list().empty());
    CHECK(c.logs.count_containing("wrong cookie") >= 1);
    CHECK(c["b"].core->counters().handshakes_refused == 1);
    // b (the accepting side) checked a's proof and never sent its own.
    CHECK(c["a"].core->counters().handshakes_refused == 0);
  }
}

TEST_CASE("remote monitors: Down with the reason, noproc for a dead Pid, noconnection when unreachable") {
  SimCluster c(5);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  const Pid victim = c.view("a", "b", c["b"].rt->spawn([](Self self) -> snow::Proc {
    co_await self.receive(snow::on<Ping>([&](Ping) { throw std::runtime_error("boom"); }));
  }));
  std::vector<std::string> seen;
  c["a"].rt->spawn([&, victim](Self self) -> snow::Proc {
    const snow::Ref ref = self.monitor(victim);
    self.send(victim, Ping{self.pid(), 0});
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) {
      seen.push_back((d.ref == ref ? "ref ok " : "ref bad ") + d.reason.to_string());
    }));
    // The process is gone now: a new monitor answers noproc.
    (void)self.monitor(victim);
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { seen.push_back(d.reason.to_string()); }));
    // A process on a node that is not connected: noconnection, at once.
    (void)self.monitor(Pid::make(victim.node() + 5, 1, 3));
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { seen.push_back(d.reason.to_string()); }));
  });
  c.net.run_for(absl::Seconds(1));
  CHECK(seen == std::vector<std::string>{"ref ok error(boom)", "noproc", "noconnection"});
}

TEST_CASE("remote links propagate exits both ways; a trapping process gets Exit") {
  SimCluster c(6);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  std::vector<std::string> trace;
  const Pid remote = c.view("a", "b", c["b"].rt->spawn([](Self self) -> snow::Proc {
    co_await self.receive(snow::on<Ping>([&](Ping p) {
      if (p.n == 1) self.exit(snow::ExitReason::error("remote failed"));
    }));
  }));
  const Pid trapper = c["a"].rt->spawn([&, remote](Self self) -> snow::Proc {
    self.trap_exits(true);
    self.link(remote);
    self.send(remote, Ping{self.pid(), 1});
    co_await self.receive(snow::on<snow::Exit>([&](snow::Exit e) {
      trace.push_back("trapper got Exit " + e.reason.to_string() + (e.from == remote ? " from remote" : ""));
    }));
  });
  // The other direction: a local crash kills a linked remote process that does not trap.
  bool remote2_alive = true;
  const Pid remote2_there = c["b"].rt->spawn([&](Self self) -> snow::Proc {
    co_await self.receive(snow::after(absl::Seconds(100), [] {}));
    remote2_alive = true;
  });
  const Pid remote2 = c.view("a", "b", remote2_there);
  c["a"].rt->spawn([remote2](Self self) -> snow::Proc {
    self.link(remote2);
    co_await self.sleep(absl::Milliseconds(50));
    throw std::runtime_error("local failed");
  });
  c.net.run_for(absl::Seconds(1));
  CHECK(trace == std::vector<std::string>{"trapper got Exit error(remote failed) from remote"});
  CHECK_FALSE(c["b"].rt->is_alive(remote2_there));
  CHECK_FALSE(c["a"].rt->is_alive(trapper));
  (void)remote2_alive;
}

TEST_CASE("a linked exit reason crosses nodes nested, its partners as the receiving node knows them") {
  SimCluster c(7);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  const snow::SpawnOptions snow_rules{.exit_rules = snow::ExitRules::snow};
  const Pid first = c["b"].rt->spawn([](Self self) -> snow::Proc {
    co_await self.receive(snow::on<Ping>([](Ping) { throw std::runtime_error("boom"); }));
  });
  const Pid second = c["b"].rt->spawn_with(snow_rules, [first](Self self) -> snow::Proc {
    self.link(first);
    co_await self.receive(snow::on<Ping>([](Ping) {}));
  });
  const Pid first_seen_from_a = c.view("a", "b", first);
  const Pid second_seen_from_a = c.view("a", "b", second);
  const Pid third = c["a"].rt->spawn_with(snow_rules, [second_seen_from_a](Self self) -> snow::Proc {
    self.link(second_seen_from_a);
    co_await self.receive(snow::on<Ping>([](Ping) {}));
  });
  snow::ExitReason seen;
  c["a"].rt->spawn([&, third](Self self) -> snow::Proc {
    (void)self.monitor(third);
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { seen = d.reason; }));
  });
  c.net.run_for(absl::Milliseconds(200));
  c["b"].rt->send(first, Ping{});
  c.net.run_for(absl::Seconds(1));
  CHECK(seen == snow::ExitReason::linked(second_seen_from_a,
                                         snow::ExitReason::linked(first_seen_from_a, snow::ExitReason::error("boom"))));
}

TEST_CASE("a partition fires NodeDown, Down(noconnection) and noconnection exits; healing reconnects") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    std::vector<std::string> events;
    const Pid rec = c["a"].rt->spawn(recorder, &events);
    c["a"].node().monitor_node(rec, c["b"].name);
    const Pid remote = c.view("a", "b", c["b"].rt->spawn(echo));
    c["a"].rt->spawn([&, remote, rec](Self self) -> snow::Proc {
      self.trap_exits(true);
      self.link(remote);
      (void)self.monitor(remote);
      for (;;) {
        co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { self.send(rec, Ping{Pid(), 100}); (void)d; }),
                              snow::on<snow::Exit>([&](snow::Exit e) {
                                self.send(rec, Ping{Pid(), e.reason.is(snow::ExitReason::Kind::noconnection) ? 200 : 201});
                              }));
      }
    });
    c.net.run_for(absl::Milliseconds(100));
    const absl::Time cut_at = c.net.now();
    c.net.partition("a", "b");
    CHECK(c.net.run_until([&] { return events.size() >= 3; }, absl::Seconds(3)));
    const absl::Duration detection = c.net.now() - cut_at;
    CHECK(detection <= absl::Milliseconds(100) * 4 + absl::Milliseconds(100));  // misses x heartbeat, + a tick
    CHECK(std::count(events.begin(), events.end(), "down " + c["b"].name) == 1);
    CHECK(std::count(events.begin(), events.end(), "Ping 100") == 1);  // Down(noconnection), once
    CHECK(std::count(events.begin(), events.end(), "Ping 200") == 1);  // Exit(noconnection)
    CHECK(c["a"].node().list().empty());
    c.net.heal_all();
    CHECK(c.net.run_until([&] { return c.sees("a", "b") && c.sees("b", "a"); }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(10));
    CHECK(std::count(events.begin(), events.end(), "up " + c["b"].name) == 1);
  }
}

TEST_CASE("after a crash and restart with a new creation, Pids from the old life are dead") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b", default_options(), 1);
    c.connect("a", "b");
    const Pid old = c.view("a", "b", c["b"].rt->spawn(echo));
    std::vector<std::string> events;
    const Pid rec = c["a"].rt->spawn(recorder, &events);
    c["a"].node().monitor_node(rec, "");
    c.net.run_for(absl::Milliseconds(10));
    c.crash("b");
    CHECK(c.net.run_until([&] { return !events.empty(); }, absl::Seconds(2)));  // reset: seen at once
    CHECK(events.back() == "down " + c.nodes["b"].name);
    c.add("b", default_options(), 2);
    c.connect("a", "b");
    // The old Pid names a process of b's first life: dead.
    const auto dead_before = c["a"].rt->stats().dead_letters;
    std::vector<std::string> seen;
    c["a"].rt->spawn([&, old](Self self) -> snow::Proc {
      self.send(old, Ping{self.pid(), 1});
      (void)self.monitor(old);
      co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { seen.push_back(d.reason.to_string()); }),
                            snow::on<Ping>([&](Ping) { seen.push_back("reply from the dead"); }));
    });
    c.net.run_for(absl::Seconds(1));
    CHECK(seen == std::vector<std::string>{"noproc"});
    CHECK(c["a"].rt->stats().dead_letters == dead_before + 1);
  }
}

TEST_CASE("Pids of every earlier life stay dead over 300 restarts, even where creations share their low bits") {
  SimCluster c(7);
  c.add("a");
  std::vector<Pid> earlier;  // one process of each earlier life of b, as a names it
  int replies_from_the_dead = 0, noproc = 0;
  auto probe = [&](Pid target) {
    c["a"].rt->spawn([&, target](Self self) -> snow::Proc {
      self.send(target, Ping{self.pid(), 1});
      (void)self.monitor(target);
      co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { noproc += d.reason.to_string() == "noproc"; }),
                            snow::on<Ping>([&](Ping) { ++replies_from_the_dead; }));
    });
  };
  constexpr int kLives = 300;
  for (int life = 0; life < kLives; ++life) {
    // Creations 1, 257, 513, ...: all equal in the 8 bits a Pid carries, so only the
    // node table's lives (name and 32-bit creation) can tell them apart.
    c.add("b", default_options(), 1 + 256 * static_cast<std::uint32_t>(life));
    c.connect("a", "b");
    // The same serial in every life: the first process b spawns.
    const Pid fresh = c.view("a", "b", c["b"].rt->spawn(echo));
    if (!earlier.empty()) probe(earlier.back());  // the life just before this one
    c.net.run_for(absl::Milliseconds(50));
    earlier.push_back(fresh);
    c.crash("b");
    c.net.run_for(absl::Milliseconds(10));
  }
  CHECK(noproc == kLives - 1);
  // And all of them at once, from the last life's point of view.
  c.add("b", default_options(), 1 + 256 * static_cast<std::uint32_t>(kLives));
  c.connect("a", "b");
  (void)c["b"].rt->spawn(echo);
  noproc = 0;
  for (Pid p : earlier) probe(p);
  c.net.run_for(absl::Seconds(1));
  CHECK(noproc == kLives);
  CHECK(replies_from_the_dead == 0);
}

TEST_CASE("a peers frame naming a thousand nodes makes at most 8 dials at a time, paced") {
  SimCluster c(11);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  snow::dist::FrameWriter w(snow::dist::FrameKind::peers);
  w.u16(1000);
  for (int i = 0; i < 1000; ++i) w.name("x" + std::to_string(i) + "@ghost" + std::to_string(i) + ":9");
  c["a"].core->send_frame_for_testing(c["b"].name, w.finish());  // a, holding the cookie, turns hostile
  std::size_t most = 0;
  c.net.run_until(
      [&] {
        most = std::max(most, c["b"].core->dials_in_flight_for_testing());
        return false;
      },
      absl::Seconds(3));
  CHECK(most > 0);
  CHECK(most <= 8);
  CHECK(c["b"].node().list() == std::vector<std::string>{c["a"].name});
}

namespace {

/// "My node index `index`, in Pids carrying `generation`, is this life of this node."
std::string node_name_frame(std::uint16_t index, std::uint8_t generation, std::uint32_t creation,
                            const std::string& name) {
  return snow::dist::FrameWriter(snow::dist::FrameKind::node_name)
      .u16(index)
      .u8(generation)
      .u32(creation)
      .name(name)
      .finish();
}

/// `from` (holding the cookie) tells `to` of `count` made-up nodes, as its indices
/// 100 + first, ...
void announce_ghosts(SimCluster& c, const std::string& from, const std::string& to, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    c[from].core->send_frame_for_testing(
        c[to].name, node_name_frame(static_cast<std::uint16_t>(100 + i), 1, 1, "x" + std::to_string(i) + "@ghost:9"));
  }
}

/// Starts `from` connecting to `to`; the connect's outcome once it is known.
absl::Status connect_outcome(SimCluster& c, const std::string& from, const std::string& to) {
  auto waiter = std::make_shared<snow::detail::ConnectWaiter>();
  c[from].core->connect_async(*snow::dist::parse_node_address(c[to].name, 9000), waiter, false);
  c.net.run_until([&] { return waiter->done; }, absl::Seconds(5));
  REQUIRE(waiter->done);
  return waiter->status;
}

}  // namespace

TEST_CASE("a node whose table of known nodes is full refuses a newcomer, and the newcomer's connect says so") {
  SimCluster c(12);
  c.add("a");
  c.add("d");
  c.add("b");
  c.add("n");
  c.connect("a", "b");
  c.connect("d", "b");
  // a and d (holding the cookie) each announce as many made-up nodes to b as one peer may
  // hold; together they fill b's table (b, a, d and 1,021 nodes that do not exist).
  announce_ghosts(c, "a", "b", 0, 512);
  announce_ghosts(c, "d", "b", 512, 509);
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["b"].core->node_table_size().entries == 1024);
  CHECK(c["b"].node().list().size() == 2);
  const absl::Status st = connect_outcome(c, "n", "b");
  CHECK_FALSE(st.ok());  // it used to say OK while b had refused it
  CHECK(c["n"].node().list().empty());
  CHECK(c["b"].core->counters().refused.capacity == 1);
}

TEST_CASE("a peer naming more node lives than it may hold is cut off, and what it named is freed for new nodes") {
  SimCluster c(14);
  c.add("a");
  c.add("b");
  c.add("d");
  c.add("n");
  c.connect("a", "b");
  // a, holding the cookie, names 1,100 nodes that do not exist: past 512 it is cut off.
  announce_ghosts(c, "a", "b", 0, 1100);
  c.net.run_for(absl::Milliseconds(100));
  snow::NodeStats stats = c["b"].node().stats();
  CHECK(stats.node_names_refused == 1);
  CHECK(stats.protocol_errors == 1);
  CHECK(c.logs.count_containing("node lives this node has no connection to") >= 1);
  const auto table = c["b"].core->node_table_size();
  CHECK(table.entries == 2 + 512);  // b, a, and what a named before it was cut off
  CHECK(table.held <= 2);           // b, and a if it is back: its made-up nodes are free
  // The free entries are b's again: d names 510 nodes of its own (b's table would hold
  // 1,025 entries, so one of a's is reused) and stays connected; n gets in as well.
  c.connect("d", "b");
  announce_ghosts(c, "d", "b", 2000, 510);
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["b"].node().stats().node_names_refused == 1);
  CHECK(c.sees("b", "d"));
  CHECK(connect_outcome(c, "n", "b").ok());
  CHECK(c.sees("b", "n"));
  CHECK(c["b"].core->node_table_size().entries <= 1024);
}

TEST_CASE("a peer that comes back cannot hold the made-up nodes it named before beyond its cap") {
  SimCluster c(17);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  announce_ghosts(c, "a", "b", 0, 512);  // as many as one peer may hold
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["b"].node().stats().node_names_refused == 0);
  c["a"].core->disconnect(c["b"].name);
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["b"].core->node_table_size().held == 1);  // b alone: a's made-up nodes are free
  // Back on a new connection, a names the same nodes again, and one more.
  c.connect("a", "b");
  announce_ghosts(c, "a", "b", 0, 513);
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["b"].node().stats().node_names_refused == 1);
  CHECK(c["b"].core->node_table_size().held <= 2);
}

TEST_CASE("a Pid a peer kept from a life its index named before arrives as a dead Pid, not the new life's") {
  SimCluster c(16);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  std::vector<Pid> got;
  const Pid rec = c["b"].rt->spawn([&](Self self) -> snow::Proc {
    for (;;) co_await self.receive(snow::on<Ping>([&](Ping p) { got.push_back(p.from); }));
  });
  const Pid rec_on_a = c.view("a", "b", rec);
  // a (holding the cookie) plays a node whose index 100 named one life, then another:
  // a Pid with the first generation, still in a's queue or memory, is of the first life.
  auto send_ping = [&](Pid inside) {
    snow::dist::FrameWriter w(snow::dist::FrameKind::send);
    w.pid(Pid()).pid(rec_on_a);
    REQUIRE(snow::encode_append(w.buffer(), Ping{inside, 1}).ok());
    c["a"].core->send_frame_for_testing(c["b"].name, w.finish());
  };
  c["a"].core->send_frame_for_testing(c["b"].name, node_name_frame(100, 7, 5, "g@ghost:9"));
  send_ping(Pid::make(100, 7, 42));
  c["a"].core->send_frame_for_testing(c["b"].name, node_name_frame(100, 8, 6, "h@ghost:9"));
  send_ping(Pid::make(100, 7, 43));  // the first life's, sent after the index was reused
  send_ping(Pid::make(100, 8, 44));
  c.net.run_for(absl::Milliseconds(100));
  REQUIRE(got.size() == 3);
  CHECK(c["b"].node().node_of(got[0]) == "g@ghost:9");
  CHECK(c["b"].node().node_of(got[1]).empty());  // dead: names no node here
  CHECK(c["b"].node().node_of(got[2]) == "h@ghost:9");
  CHECK(got[1] != got[2]);
  // Sending to it is sending to a dead process.
  std::vector<std::string> seen;
  const Pid stale = got[1];
  c["b"].rt->spawn([&, stale](Self self) -> snow::Proc {
    (void)self.monitor(stale);
    co_await self.receive(snow::on<snow::Down>([&](snow::Down d) { seen.push_back(d.reason.to_string()); }));
  });
  c.net.run_for(absl::Milliseconds(100));
  CHECK(seen == std::vector<std::string>{"noproc"});
  CHECK(c["b"].node().list() == std::vector<std::string>{c["a"].name});  // nothing malformed
}

TEST_CASE("a peer restarted 5,000 times gets in every time, and no Pid of an earlier life reaches a later one") {
  SimCluster c(15);
  c.add("a");
  std::vector<Pid> earlier;  // one process of each earlier life of b, as a names it
  int replies_from_the_dead = 0, noproc = 0, other_downs = 0;
  auto probe = [&](Pid target) {
    c["a"].rt->spawn([&, target](Self self) -> snow::Proc {
      self.send(target, Ping{self.pid(), 1});
      (void)self.monitor(target);
      co_await self.receive(snow::on<snow::Down>([&](snow::Down d) {
                              (d.reason.to_string() == "noproc" ? noproc : other_downs) += 1;
                            }),
                            snow::on<Ping>([&](Ping) { ++replies_from_the_dead; }));
    });
  };
  constexpr int kLives = 5000;  // the table holds 1,024 lives at once
  snow::detail::NodeCore::NodeTableSize first;
  for (int life = 0; life < kLives; ++life) {
    // Creations 1, 257, 513, ...: equal in their low 8 bits, so where a reuses an entry
    // only the generation tells two lives apart.
    c.add("b", default_options(), 1 + 256 * static_cast<std::uint32_t>(life));
    c.connect("a", "b");  // fails once the table is full if entries are never freed
    const Pid on_b = c["b"].rt->spawn(echo);  // the same serial in every life
    REQUIRE(snow::group::join(*c["b"].rt, "lives", on_b).ok());
    const Pid fresh = c.view("a", "b", on_b);
    if (!earlier.empty()) probe(earlier.back());
    c.net.run_for(absl::Milliseconds(20));
    earlier.push_back(fresh);
    if (life == 0) first = c["a"].core->node_table_size();
    c.crash("b");
    c.net.run_for(absl::Milliseconds(5));
  }
  CHECK(noproc == kLives - 1);
  // All of them at once, while the newest life runs a process of that same serial.
  c.add("b", default_options(), 1 + 256 * static_cast<std::uint32_t>(kLives));
  c.connect("a", "b");
  const Pid newest = c["b"].rt->spawn(echo);
  REQUIRE(snow::group::join(*c["b"].rt, "lives", newest).ok());
  noproc = 0;
  for (Pid p : earlier) probe(p);
  c.net.run_for(absl::Seconds(1));
  CHECK(noproc == kLives);
  CHECK(other_downs == 0);
  CHECK(replies_from_the_dead == 0);
  // a's view of the group holds the newest life's member only: each earlier life's went
  // when that life went down.
  CHECK(snow::group::members(*c["a"].rt, "lives") == std::vector<Pid>{c.view("a", "b", newest)});
  // The first lives' entries have been reused: their Pids name no node any more.
  CHECK(c["a"].node().node_of(earlier.front()).empty());
  const auto last = c["a"].core->node_table_size();
  CHECK(last.entries <= 1024);
  CHECK(last.held == 2);  // a, and b's current life
  MESSAGE("a's node table after b's first life: " << first.entries << " entries, " << first.bytes
                                                  << " bytes; after " << kLives + 1 << " lives: " << last.entries
                                                  << " entries (" << last.held << " held), " << last.bytes << " bytes");
}

TEST_CASE("unfinished fragmented messages hold at most twice what was sent, expire, and are capped in number") {
  SimCluster c(13);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  auto fragment = [](std::uint64_t stream, std::size_t bytes) {
    std::string piece(bytes, 'x');
    piece[0] = static_cast<char>(snow::dist::FrameKind::send);
    return snow::dist::FrameWriter(snow::dist::FrameKind::fragment).u64(stream).u8(0).bytes(piece).finish();
  };
  // A hostile peer (a holds the cookie) starts 100 large messages and never ends them.
  std::size_t sent = 0;
  for (std::uint64_t s = 1; s <= 100; ++s) {
    for (int piece = 0; piece < 3; ++piece) {
      c["a"].core->send_frame_for_testing(c["b"].name, fragment(s, 20'000));
      sent += 20'000;
    }
  }
  c.net.run_for(absl::Milliseconds(200));
  auto [open, held] = c["b"].core->reassemblies_for_testing(c["a"].name);
  CHECK(open == 100);
  CHECK(held >= sent);
  CHECK(held <= 2 * sent);
  // Heartbeats keep the connection up; the unfinished messages go after 30 s idle.
  c.net.run_for(absl::Seconds(31));
  CHECK(c["b"].node().list() == std::vector<std::string>{c["a"].name});
  CHECK(c["b"].core->reassemblies_for_testing(c["a"].name) == std::pair<std::size_t, std::size_t>{0, 0});
  CHECK(c["b"].node().stats().dropped_incomplete == 100);
  // More than 1,024 open at once is no sender's normal: the connection is closed.
  for (std::uint64_t s = 1000; s < 1000 + 1025; ++s) c["a"].core->send_frame_for_testing(c["b"].name, fragment(s, 16));
  c.net.run_for(absl::Milliseconds(200));
  CHECK(c.logs.count_containing("unfinished fragmented messages") >= 1);
}

TEST_CASE("fresh creations are never 0 and never repeat: each runtime in a process gets a later one") {
  // A restarted node must never get its previous life's creation; within a process the
  // last one given is the floor, across processes the wall clock's milliseconds are.
  std::uint32_t last = 0;
  for (int i = 0; i < 10'000; ++i) {
    const std::uint32_t c = snow::detail::fresh_creation();
    CHECK(c != 0);
    if (i > 0) CHECK(static_cast<std::int32_t>(c - last) > 0);
    last = c;
  }
  snow::Runtime one;
  snow::Runtime two;
  CHECK(one.core().creation() != two.core().creation());
}

TEST_CASE("a node without a cookie uses ~/.snow.cookie, made once; a weak cookie is a loud warning") {
  const std::string home = "/tmp/snow-home-test-" + std::to_string(::getpid());
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home);
  const char* saved = std::getenv("HOME");
  const std::string saved_home = saved != nullptr ? saved : "";
  ::setenv("HOME", home.c_str(), 1);
  {
    SimCluster c(3);
    c.add("a", default_options(""));
    c.add("b", default_options(""));
    c.connect("a", "b");  // the same file, so the same cookie
    CHECK(c["a"].node().list() == std::vector<std::string>{c["b"].name});
    CHECK(std::filesystem::exists(home + "/.snow.cookie"));
    CHECK(c.logs.count_containing("WEAK COOKIE") == 0);
    c.add("w", default_options("secret"));
    CHECK(c.logs.count_containing("WEAK COOKIE") == 1);
  }
  if (saved != nullptr) ::setenv("HOME", saved_home.c_str(), 1);
  std::filesystem::remove_all(home);
}

TEST_CASE("a 10 MiB message does not hold back a small one from another process") {
  SimCluster c(9);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  std::vector<std::string> got;
  const Pid r = c.view("a", "b", c["b"].rt->spawn(recorder, &got));
  c["a"].rt->spawn([r](Self self) -> snow::Proc {
    self.send(r, Blob{std::string(10 << 20, 'x')});
    co_return;
  });
  c["a"].rt->spawn([r](Self self) -> snow::Proc {
    self.send(r, Ping{Pid(), 1});
    co_return;
  });
  c.net.run_until([&] { return got.size() == 2; }, absl::Seconds(10));
  CHECK(got == std::vector<std::string>{"Ping 1", "Blob " + std::to_string(10 << 20)});
}

namespace {
/// What a sender sees when its message is over the limits b advertised: pings 1-50,
/// a try_send and a send of `big`, pings 51-100, all from one process.
struct OverLimit {
  std::vector<std::string> got;  // on b, in order
  absl::Status try_status;
};
void send_over_limit(SimCluster& c, OverLimit& out, std::string big) {
  const Pid r = c.view("a", "b", c["b"].rt->spawn(recorder, &out.got));
  c["a"].rt->spawn([r, &out, big = std::move(big)](Self self) -> snow::Proc {
    for (int i = 1; i <= 50; ++i) self.send(r, Ping{Pid(), i});
    out.try_status = self.try_send(r, Blob{big});
    self.send(r, Blob{big});
    for (int i = 51; i <= 100; ++i) self.send(r, Ping{Pid(), i});
    co_return;
  });
  c.net.run_until([&] { return out.got.size() >= 100; }, absl::Seconds(10));
  c.net.run_for(absl::Milliseconds(100));
}
std::vector<std::string> pings(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back("Ping " + std::to_string(i));
  return out;
}
}  // namespace

TEST_CASE("a message over the peer's max_message_bytes fails at the sender; the connection carries on") {
  SimCluster c(31);
  c.add("a");
  snow::NodeOptions small = default_options();
  small.max_message_bytes = 1 << 20;  // b takes at most 1 MiB; a's own limit is 64 MiB
  c.add("b", small);
  c.connect("a", "b");
  c.net.run_for(absl::Milliseconds(50));  // node_info has come both ways
  OverLimit out;
  send_over_limit(c, out, std::string(2 << 20, 'x'));
  CHECK(out.got == pings(1, 100));
  CHECK(out.try_status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.try_status.message().find("over max_message_bytes (1048576) of " + c["b"].name) != std::string::npos);
  CHECK(c.logs.count_containing("over max_message_bytes (1048576) of " + c["b"].name) == 1);  // the plain send
  CHECK(c["a"].node().stats().refused_over_limits == 2);
  CHECK(c["a"].rt->stats().dead_letters == 1);
  CHECK(c.sees("a", "b"));
  CHECK(c["b"].node().stats().protocol_errors == 0);
}

TEST_CASE("a 50 MB string, over the peer's max_string_bytes, fails at the sender; the connection carries on") {
  SimCluster c(32);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  c.net.run_for(absl::Milliseconds(50));
  OverLimit out;
  send_over_limit(c, out, std::string(50 << 20, 'x'));  // under max_message_bytes (64 MiB)
  CHECK(out.got == pings(1, 100));
  CHECK(out.try_status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.try_status.message().find("over max_string_bytes (16777216) of " + c["b"].name) != std::string::npos);
  CHECK(c.logs.count_containing("over max_string_bytes (16777216) of " + c["b"].name) == 1);
  CHECK(c["a"].node().stats().refused_over_limits == 2);
  CHECK(c.sees("a", "b"));
  CHECK(c["b"].node().stats().protocol_errors == 0);
}

TEST_CASE("a node's own decode_limits are what it enforces and what its peers learn: lowered, then raised") {
  SimCluster c(33);
  c.add("a");
  snow::NodeOptions strict = default_options();
  strict.decode_limits.max_string_bytes = 1024;
  c.add("b", strict);
  snow::NodeOptions generous = default_options();
  generous.decode_limits.max_string_bytes = std::size_t{40} << 20;
  c.add("d", generous);
  c.connect("a", "b");
  c.connect("a", "d");
  c.net.run_for(absl::Milliseconds(50));
  OverLimit to_b;
  send_over_limit(c, to_b, std::string(2048, 'x'));  // over b's 1 KiB, far under the default 16 MiB
  CHECK(to_b.got == pings(1, 100));
  CHECK(to_b.try_status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(to_b.try_status.message().find("over max_string_bytes (1024) of " + c["b"].name) != std::string::npos);
  // d takes a 20 MB string, over the default limit: raised limits take effect.
  std::vector<std::string> got;
  const Pid r = c.view("a", "d", c["d"].rt->spawn(recorder, &got));
  absl::Status sent = absl::UnknownError("not sent");
  c["a"].rt->spawn([r, &sent](Self self) -> snow::Proc {
    sent = self.try_send(r, Blob{std::string(20 << 20, 'y')});
    co_return;
  });
  c.net.run_until([&] { return !got.empty(); }, absl::Seconds(10));
  CHECK_MESSAGE(sent.ok(), sent);
  CHECK(got == std::vector<std::string>{"Blob " + std::to_string(20 << 20)});
  CHECK(c["d"].node().stats().dropped_undecodable == 0);
}

TEST_CASE("a non-wire message to a remote Pid is an error at the call site") {
  SimCluster c(10);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  const Pid remote = c.view("a", "b", c["b"].rt->spawn(echo));
  std::string error;
  const Pid sender = c["a"].rt->spawn([remote](Self self) -> snow::Proc {
    self.send(remote, simtest_types::NotWire{1});
    co_return;
  });
  c.net.run_for(absl::Milliseconds(100));
  CHECK_FALSE(c["a"].rt->is_alive(sender));
  CHECK(c.logs.count_containing("not a wire type") == 1);
  CHECK(c.logs.count_containing("simtest_types::NotWire") == 1);
  (void)error;
}

namespace {
/// A raw client on the simulated network: connects and writes what the test says.
class RawClient : public snow::transport::TransportHandler {
 public:
  void on_open(snow::transport::ConnId id, bool) override { opened = id; }
  void on_data(snow::transport::ConnId, std::string_view bytes) override { received += bytes.size(); }
  void on_closed(snow::transport::ConnId, const absl::Status& why) override { closed = why.ToString(); }
  void on_drained(snow::transport::ConnId) override {}
  void on_wake() override {}
  void on_tick() override {}
  snow::transport::ConnId opened = 0;
  std::size_t received = 0;
  std::string closed;
};
}  // namespace

TEST_CASE("garbage, an oversized frame or a silent client closes only that connection") {
  struct Case {
    const char* what;
    std::string bytes;
    const char* logged;
  };
  const std::vector<Case> cases = {
      {"random bytes", std::string("\x13\x00\x00\x00\x7f garbage garbage", 21), "unknown frame kind"},
      {"a frame over the limit", std::string("\xff\xff\xff\x0f\x01", 5), "over the limit"},
      {"a process frame before the handshake", std::string("\x11\x00\x00\x00\x10", 5) + std::string(16, '\0'),
       "during the handshake"},
      {"a plain-text client", "GET / HTTP/1.0\r\n\r\n", "frame of"},
      {"a client that sends nothing", "", "no handshake"},
  };
  for (const Case& k : cases) {
    INFO(std::string(k.what));
    SimCluster c(11);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    snow::Runtime raw_rt({.deterministic = true});
    auto raw = c.net.make_transport("evil", raw_rt);
    RawClient client;
    REQUIRE(raw->listen("evil", 1).ok());
    raw->start(&client, absl::Milliseconds(50));
    raw->connect("b", 9000);
    c.net.run_for(absl::Milliseconds(20));
    REQUIRE(client.opened != 0);
    if (!k.bytes.empty()) raw->write(client.opened, k.bytes);
    c.net.run_for(absl::Seconds(6));
    CHECK(!client.closed.empty());
    CHECK(c.logs.count_containing(k.logged) >= 1);
    // The good connection carried on.
    CHECK(c.sees("a", "b"));
    const Pid server = c.view("a", "b", c["b"].rt->spawn(echo));
    std::int64_t reply = 0;
    c["a"].rt->spawn([&, server](Self self) -> snow::Proc {
      self.send(server, Ping{self.pid(), 41});
      co_await self.receive(snow::on<Ping>([&](Ping p) { reply = p.n; }));
    });
    c.net.run_for(absl::Milliseconds(100));
    CHECK(reply == 42);
    raw->stop();
  }
}

TEST_CASE("heartbeats are not held behind a large transfer on a slow link") {
  for (std::uint64_t seed : seeds(3)) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    c.net.set_bandwidth(10e6);  // 10 MB/s: 10 MiB takes a second, 2.5x the 400 ms budget
    std::vector<std::string> got, events;
    const Pid r = c.view("a", "b", c["b"].rt->spawn(recorder, &got));
    const Pid watcher = c["a"].rt->spawn(recorder, &events);
    c["a"].node().monitor_node(watcher, "");
    c["a"].rt->spawn([r](Self self) -> snow::Proc {
      self.send(r, Blob{std::string(10 << 20, 'x')});
      co_return;
    });
    c.net.run_until([&] { return got.size() == 1; }, absl::Seconds(10));
    CHECK(got == std::vector<std::string>{"Blob " + std::to_string(10 << 20)});
    CHECK(events.empty());  // no NodeDown: pings went through the control lane
    CHECK(c.sees("a", "b"));
  }
}

TEST_CASE("messages queued when a connection is lost are lost, counted, and later ones flow again") {
  SimCluster c(12);
  c.add("a");
  c.add("b");
  c.connect("a", "b");
  c.net.set_bandwidth(1e6);  // slow, so messages are still queued when the cut comes
  std::vector<std::string> got;
  const Pid r = c.view("a", "b", c["b"].rt->spawn(recorder, &got));
  c["a"].rt->spawn([r](Self self) -> snow::Proc {
    for (int i = 0; i < 100; ++i) self.send(r, Blob{std::string(64 << 10, 'y')});
    co_return;
  });
  c.net.run_for(absl::Milliseconds(200));
  c.net.partition("a", "b");
  c.net.run_for(absl::Seconds(1));  // the heartbeat budget passes: the connection is dropped
  CHECK_FALSE(c.sees("a", "b"));
  const std::size_t before = got.size();
  CHECK(before < 100);
  CHECK(c["a"].core->counters().dropped_at_close > 0);
  c.net.set_bandwidth(1e9);
  c.net.heal_all();
  CHECK(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(5)));
  const Pid r2 = c.view("a", "b", c["b"].rt->spawn(recorder, &got));
  c["a"].rt->spawn([r2](Self self) -> snow::Proc {
    self.send(r2, Ping{Pid(), 5});
    co_return;
  });
  c.net.run_for(absl::Milliseconds(100));
  CHECK(got.back() == "Ping 5");
  // What arrived before the cut arrived whole and in order (the recorder saw only Blobs).
  for (std::size_t i = 0; i < before; ++i) CHECK(got[i] == "Blob 65536");
}

namespace {

/// Connects its node to `peer` from inside the process (Node::connect(Self, ...)) and
/// records the result.
snow::Proc connector(Self self, std::string peer, absl::Duration timeout, std::optional<absl::Status>* result) {
  snow::Node node = *snow::Node::of(self.runtime());
  *result = co_await node.connect(self, peer, timeout);
}

/// Counts its turns: a neighbour that gets to run while another process connects.
snow::Proc ticker(Self self, int* ticks) {
  for (;;) {
    ++*ticks;
    co_await self.sleep(absl::Milliseconds(1));
  }
}

}  // namespace

TEST_CASE("a process connecting waits in its receive: its runtime keeps running others") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    std::optional<absl::Status> result;
    int ticks = 0;
    // A deterministic runtime has one thread, driven by the network: a connect that
    // blocked its thread could never see the handshake it waits for.
    c["a"].rt->spawn(&ticker, &ticks);
    c["a"].rt->spawn(&connector, c["b"].name, absl::Seconds(5), &result);
    REQUIRE(c.net.run_until([&] { return result.has_value(); }, absl::Seconds(5)));
    CHECK_MESSAGE(result->ok(), result->ToString());
    CHECK(c.sees("a", "b"));
    CHECK(c.sees("b", "a"));
    CHECK(ticks > 0);

    // Already connected: OK at once. A bad name: InvalidArgument, nothing started.
    result.reset();
    c["a"].rt->spawn(&connector, c["b"].name, absl::Seconds(5), &result);
    REQUIRE(c.net.run_until([&] { return result.has_value(); }, absl::Seconds(1)));
    CHECK(result->ok());
    result.reset();
    c["a"].rt->spawn(&connector, std::string("not a node name"), absl::Seconds(5), &result);
    REQUIRE(c.net.run_until([&] { return result.has_value(); }, absl::Seconds(1)));
    CHECK(absl::IsInvalidArgument(*result));
  }
}

TEST_CASE("a process connecting to a host that never answers gets DeadlineExceeded at its timeout") {
  for (std::uint64_t seed : seeds()) {
    INFO("seed " << seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.net.partition("a", "b");  // b's packets never reach a, nor a's b
    std::optional<absl::Status> result;
    c["a"].rt->spawn(&connector, c["b"].name, absl::Milliseconds(300), &result);
    REQUIRE(c.net.run_until([&] { return result.has_value(); }, absl::Seconds(5)));
    CHECK_MESSAGE((absl::IsDeadlineExceeded(*result) || absl::IsUnavailable(*result)), result->ToString());
    CHECK_FALSE(c.sees("a", "b"));
  }
}
