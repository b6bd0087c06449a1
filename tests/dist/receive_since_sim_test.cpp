// A receive with since(ref) across nodes (issue 23, item 4), and global::send from a
// host thread's ScopedActor (item 6), on the simulated network.
//
// The scenario of the issue: a client monitors a server on another node; that node dies
// and its Down (noconnection) and NodeDown are queued; only then does the client make a
// fresh ref, send a request and wait with on<Reply>, on<Down>, on<NodeDown> and
// .since(ref). It must see the Down and the NodeDown, not wait for ever.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "tests/dist/sim_cluster.hpp"

namespace sincetest {
struct SinceReq {
  snow::Pid from;
  snow::Ref ref;
};
SNOW_WIRE(SinceReq, from, ref)
struct SinceRep {
  snow::Ref ref;
};
SNOW_WIRE(SinceRep, ref)
struct Ping {
  std::int64_t n = 0;
};
SNOW_WIRE(Ping, n)
struct Go {};
}  // namespace sincetest

namespace {
using namespace sincetest;
using simtest::SimCluster;
using snow::Pid;
using snow::Proc;
using snow::Self;

Proc idle_server(Self self) {
  co_await self.receive(snow::on<SinceReq>([&](SinceReq r) { self.send(r.from, SinceRep{r.ref}); }));
}

/// Monitors `server` and its node, waits for Go, then makes two requests the way.
Proc client(Self self, Pid server, std::string server_node, std::vector<std::string>* seen) {
  snow::Node::of(self.runtime())->monitor_node(self.pid(), server_node);
  const snow::Ref watch = self.monitor(server);
  co_await self.receive(snow::on<Go>([] {}));  // by now the server's node is gone
  for (int i = 0; i < 2; ++i) {
    const snow::Ref ref = self.make_ref();  // after the Down and the NodeDown
    self.send(server, SinceReq{self.pid(), ref});
    co_await self
        .receive(snow::on<SinceRep>([ref](const SinceRep& r) { return r.ref == ref; },
                                    [&](SinceRep) { seen->push_back("reply"); }),
                 snow::on<snow::Down>([watch](const snow::Down& d) { return d.ref == watch; },
                                      [&](snow::Down d) { seen->push_back("Down " + d.reason.to_string()); }),
                 snow::on<snow::NodeDown>([&](snow::NodeDown) { seen->push_back("NodeDown"); }),
                 snow::after(absl::Seconds(5), [&] { seen->push_back("timeout"); }))
        .since(ref);
  }
}
}  // namespace

TEST_SUITE("since") {
TEST_CASE("a receive with since(ref) sees the Down and NodeDown of a node that died before the ref was made") {
  for (std::uint64_t seed : simtest::seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    const Pid srv = c.view("a", "b", c["b"].rt->spawn(idle_server));
    std::vector<std::string> seen;
    const Pid cl = c["a"].rt->spawn(client, srv, c["b"].name, &seen);
    c.net.run_for(absl::Milliseconds(50));
    c.crash("b");
    c.net.run_for(absl::Seconds(2));  // the Down and the NodeDown are queued at the client
    c["a"].rt->send(cl, Go{});
    c.net.run_for(absl::Seconds(12));
    std::sort(seen.begin(), seen.end());
    CHECK(absl::StrJoin(seen, ", ") == "Down noconnection, NodeDown");
  }
}

TEST_CASE("global::send from a ScopedActor reaches the process registered on another node") {
  SimCluster c(7919);
  c.pair();
  std::vector<std::int64_t> got;
  const Pid receiver = c["b"].rt->spawn([&got](Self self) -> Proc {
    co_await self.receive(snow::on<Ping>([&](Ping p) { got.push_back(p.n); }));
  });
  REQUIRE(snow::global::register_name(*c["b"].rt, "pinged", receiver).ok());
  REQUIRE(c.net.run_until([&] { return snow::global::whereis(*c["a"].rt, "pinged").has_value(); }, absl::Seconds(5)));
  {
    snow::ScopedActor me(*c["a"].rt);
    CHECK(snow::global::send(me, "pinged", Ping{42}));
    CHECK_FALSE(snow::global::send(me, "nobody", Ping{1}));
  }
  CHECK(c.net.run_until([&] { return !got.empty(); }, absl::Seconds(5)));
  CHECK(got == std::vector<std::int64_t>{42});
}
}
