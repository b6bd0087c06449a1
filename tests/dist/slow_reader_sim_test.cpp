// A peer that does not read what a node writes to it (docs/DESIGN.md §9): it is cut with
// its reason, what the node holds for it stays within the bound, other peers never notice,
// and an honest peer on a slow link is not taken for one.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/dist/sim_cluster.hpp"

namespace slow_reader_types {
struct Num {
  std::int64_t n = 0;
};
SNOW_WIRE(Num, n)
struct Chunk {
  std::string data;
};
SNOW_WIRE(Chunk, data)
}  // namespace slow_reader_types

using namespace simtest;
using slow_reader_types::Chunk;
using slow_reader_types::Num;
using snow::Pid;
using snow::Self;

namespace {

// What the transport may hold for one connection: the node hands it batches (64 KiB and
// one frame) while it holds under 256 KiB (outbound_lanes.cpp, pump).
constexpr std::size_t kTransportBound = (std::size_t{256} << 10) + (std::size_t{64} << 10) + 64;

/// Sends Num{0}, Num{1}, ... Num{count - 1} to `to`, one a millisecond.
snow::Proc numbers(Self self, Pid to, int count) {
  for (int i = 0; i < count; ++i) {
    self.send(to, Num{i});
    co_await self.sleep(absl::Milliseconds(1));
  }
}

/// Records the Nums it gets, each Chunk as 0, and any NodeDown as -1.
snow::Proc collect(Self self, std::vector<std::int64_t>* out) {
  for (;;) {
    co_await self.receive(snow::on<Num>([&](Num m) { out->push_back(m.n); }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown) { out->push_back(-1); }),
                          snow::on<Chunk>([&](Chunk) { out->push_back(0); }));
  }
}

bool in_order(const std::vector<std::int64_t>& got, int count) {
  if (got.size() != static_cast<std::size_t>(count)) return false;
  for (int i = 0; i < count; ++i) {
    if (got[i] != i) return false;
  }
  return true;
}

std::string ping(std::uint64_t n) { return snow::dist::FrameWriter(snow::dist::FrameKind::ping).u64(n).finish(); }

}  // namespace

TEST_CASE("a peer that pings without pause and never reads costs one pong, and is cut after twice the heartbeat budget") {
  for (std::uint64_t seed : seeds(2)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    snow::NodeOptions patient = default_options();
    patient.heartbeat_misses = 1000;  // a, not reading, would otherwise give up on b first
    c.add("a", patient);
    c.add("b");
    c.add("c");
    c.connect("a", "b");
    c.connect("c", "b");
    REQUIRE(c.net.run_until([&] { return c.sees("a", "c") && c.sees("c", "a"); }, absl::Seconds(5)));
    const absl::Duration budget = c["b"].core->options().heartbeat * c["b"].core->options().heartbeat_misses;
    // b <-> c exchange ordered streams before, during and after the attack.
    constexpr int kCount = 1200;
    std::vector<std::int64_t> at_b, at_c, b_watch;
    c["b"].rt->spawn(numbers, c.view("b", "c", c["c"].rt->spawn(collect, &at_c)), kCount);
    c["c"].rt->spawn(numbers, c.view("c", "b", c["b"].rt->spawn(collect, &at_b)), kCount);
    c["b"].node().monitor_node(c["b"].rt->spawn(collect, &b_watch), c["c"].name);
    c.net.run_for(absl::Milliseconds(50));

    // a holds the cookie, stops reading, and pings b 250 times every 5 ms; b hears it
    // all the while, so its silence never ends the connection.
    c.net.stop_reading("a");
    const absl::Time start = c.net.now();
    absl::Time cut = absl::InfiniteFuture();
    std::size_t most_control = 0, most_pending = 0;
    std::uint64_t n = 0;
    while (cut == absl::InfiniteFuture() && c.net.now() - start < 4 * budget) {
      for (int i = 0; i < 250; ++i) c["a"].core->send_frame_for_testing(c["b"].name, ping(++n));
      c.net.run_until(
          [&] {
            auto [control, pending] = c["b"].core->outbound_for_testing(c["a"].name);
            most_control = std::max(most_control, control);
            most_pending = std::max(most_pending, pending);
            if (c["b"].core->counters().disconnected_slow_reader > 0) cut = c.net.now();
            return cut != absl::InfiniteFuture();
          },
          absl::Milliseconds(5));
    }
    INFO(n << " pings sent");
    CHECK(c["b"].core->counters().disconnected_slow_reader == 1);
    // Within a tick or two of twice the budget (one budget is for silence).
    const absl::Duration heartbeat = c["b"].core->options().heartbeat;
    CHECK(cut - start > 2 * budget - heartbeat);
    CHECK(cut - start < 2 * budget + heartbeat);
    CHECK(most_control <= 1024);  // b's own heartbeats, never a pong per ping
    CHECK(most_pending <= kTransportBound);
    CHECK(c.logs.count_containing("closing connection to " + c["a"].name + ": it does not read") == 1);
    CHECK(c.logs.count_containing("nothing written for") >= 1);
    c.net.run_for(absl::Milliseconds(400));
    CHECK_FALSE(c.sees("b", "a"));

    c.net.run_for(absl::Seconds(1));  // the streams finish
    CHECK(in_order(at_b, kCount));
    CHECK(in_order(at_c, kCount));
    CHECK(b_watch.empty());  // b <-> c never went down
    CHECK(c.sees("b", "c"));
    CHECK(c["b"].core->counters().dropped_overflow == 0);
  }
}

TEST_CASE("a node's own frames for a peer that does not read are cut off at max_control_bytes") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    snow::NodeOptions patient = default_options();
    patient.heartbeat_misses = 1000;
    snow::NodeOptions small = default_options();
    small.max_control_bytes = 32 << 10;
    c.add("a", patient);
    c.add("b", small);
    c.add("c");
    c.connect("a", "b");
    c.connect("c", "b");
    REQUIRE(c.net.run_until([&] { return c.sees("a", "c") && c.sees("c", "a"); }, absl::Seconds(5)));
    // a stops reading; b's message to it fills b's transport window, so what b has for a
    // from now on waits in b's lanes.
    c.net.stop_reading("a");
    std::vector<std::int64_t> ignored;
    const Pid sink = c.view("b", "a", c["a"].rt->spawn(collect, &ignored));
    c["b"].rt->spawn([sink](Self self) -> snow::Proc {
      self.send(sink, Chunk{std::string(1 << 20, 'q')});
      co_return;
    });
    c.net.run_for(absl::Milliseconds(5));
    // a, which still writes, asks b to acknowledge 1,000 sends: b owes it 1,000 answers
    // (send_result frames), b's own control frames for a, which wait in b's control lane.
    std::vector<std::int64_t> taken;
    const Pid target = c.view("a", "b", c["b"].rt->spawn(collect, &taken));
    for (int i = 0; i < 1000; ++i) {
      c["a"].rt->spawn([target, i](Self self) -> snow::Proc {
        Num n{i};  // named: GCC 12 mishandles temporaries in a co_await
        (void)co_await self.send_acked(target, std::move(n), absl::Seconds(30));
      });
    }
    std::size_t most_control = 0;
    c.net.run_until(
        [&] {
          most_control = std::max(most_control, c["b"].core->outbound_for_testing(c["a"].name).first);
          return false;
        },
        absl::Milliseconds(100));
    CHECK(c["b"].core->counters().disconnected_slow_reader == 1);
    CHECK(most_control <= 32 << 10);
    CHECK(c.logs.count_containing("closing connection to " + c["a"].name + ": it does not read") == 1);
    CHECK(c.logs.count_containing("over max_control_bytes (32768)") >= 1);
    CHECK_FALSE(c.sees("b", "a"));
    CHECK(c.sees("b", "c"));  // c reads: nothing of this touched it
  }
}

TEST_CASE("an honest peer on a slow link takes a long transfer without being taken for a slow reader") {
  for (std::uint64_t seed : seeds(2)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    c.net.set_bandwidth(2e6);  // 2 MB/s: 16 MiB take 8 s, 20 times the heartbeat budget
    constexpr int kChunks = 256;
    std::vector<std::int64_t> got, a_watch;
    const Pid r = c.view("b", "a", c["a"].rt->spawn(collect, &got));
    c["b"].node().monitor_node(c["b"].rt->spawn(collect, &a_watch), c["a"].name);
    c["b"].rt->spawn([r](Self self) -> snow::Proc {
      for (int i = 0; i < kChunks; ++i) self.send(r, Chunk{std::string(64 << 10, 'z')});
      co_return;
    });
    c.net.run_until([&] { return got.size() == kChunks; }, absl::Seconds(20));
    CHECK(got.size() == kChunks);
    CHECK(a_watch.empty());
    CHECK(c["b"].core->counters().disconnected_slow_reader == 0);
    CHECK(c["b"].core->counters().dropped_overflow == 0);
  }
}
