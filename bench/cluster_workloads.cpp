// bench/cluster_workloads.cpp: global names and process groups across three nodes.
//
//   global          [N=1,000]  register_us, whereis_us, visible_elsewhere_us (medians)
//   group_broadcast [N=100]    msgs_per_s: N broadcasts to a 1,000-member group spread
//                               over three nodes (N x 1,000 deliveries)
//
// The three nodes run in this process (three Runtimes, TLS on 127.0.0.1).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "snow/snow.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "snow_bench: FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

struct Tick {
  std::int64_t n = 0;
};
SNOW_WIRE(Tick, n)

struct ThreeNodes {
  snow::Runtime rt[3] = {snow::Runtime(snow::RuntimeOptions{.workers = 1}),
                         snow::Runtime(snow::RuntimeOptions{.workers = 1}),
                         snow::Runtime(snow::RuntimeOptions{.workers = 1})};
  ThreeNodes() {
    snow::NodeOptions o;
    o.cookie = "bench-cookie-0f3a9c2e71d84b56";
    std::string names[3];
    for (int i = 0; i < 3; ++i) {
      auto n = snow::Node::start(rt[i], "n" + std::to_string(i) + "@127.0.0.1:0", o);
      if (!n.ok()) fail("cannot start a node");
      names[i] = n->name();
    }
    for (int i = 1; i < 3; ++i) {
      if (!snow::Node::of(rt[i])->connect(names[0]).ok()) fail("cannot connect");
    }
    for (int i = 0; i < 500 && snow::Node::of(rt[2])->list().size() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
};

snow::Proc idle(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Tick>([](Tick) {}));
}

snow::Proc member(snow::Self self, std::atomic<std::int64_t>* received) {
  for (;;) co_await self.receive(snow::on<Tick>([&](Tick) { received->fetch_add(1, std::memory_order_relaxed); }));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int run_cluster_workload(std::string_view name, long n) {
  if (name == "global") {
    if (n == 0) n = 1000;
    ThreeNodes nodes;
    std::vector<double> reg, where, visible;
    const snow::Pid p = nodes.rt[0].spawn(idle);
    for (long i = 0; i < n; ++i) {
      const std::string key = "name" + std::to_string(i);
      auto t0 = Clock::now();
      if (!snow::global::register_name(nodes.rt[0], key, p).ok()) fail("register failed");
      reg.push_back(us_since(t0));
      t0 = Clock::now();
      if (!snow::global::whereis(nodes.rt[0], key)) fail("whereis failed");
      where.push_back(us_since(t0));
      while (!snow::global::whereis(nodes.rt[2], key)) {
        if (us_since(t0) > 5e6) fail("a registration did not reach the third node");
      }
      visible.push_back(us_since(t0));
      (void)snow::global::unregister_name(nodes.rt[0], key);
    }
    std::printf("RESULT global register_us=%.2f whereis_us=%.3f visible_elsewhere_us=%.1f\n", median(reg),
                median(where), median(visible));
    return 0;
  }
  if (name == "group_broadcast") {
    if (n == 0) n = 100;
    ThreeNodes nodes;
    std::atomic<std::int64_t> received{0};
    constexpr int kMembers = 1000;
    for (int i = 0; i < kMembers; ++i) {
      snow::Runtime& rt = nodes.rt[i % 3];
      if (!snow::group::join(rt, "g", rt.spawn(member, &received)).ok()) fail("join failed");
    }
    for (int i = 0; i < 1000 && snow::group::members(nodes.rt[0], "g").size() < kMembers; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (snow::group::members(nodes.rt[0], "g").size() != kMembers) fail("members did not propagate");
    const auto t0 = Clock::now();
    nodes.rt[0].spawn([n](snow::Self self) -> snow::Proc {
      for (long i = 0; i < n; ++i) {
        snow::group::broadcast(self, "g", Tick{i});
        co_await self.yield();
      }
    });
    const std::int64_t total = static_cast<std::int64_t>(n) * kMembers;
    while (received.load() < total) {
      if (us_since(t0) > 120e6) fail("broadcasts did not all arrive");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::printf("RESULT group_broadcast msgs_per_s=%.0f\n", total / (us_since(t0) / 1e6));
    return 0;
  }
  return 2;
}
