// bench/cluster_scale/scale_run.cpp
#include "bench/cluster_scale/scale_run.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "bench/cluster_scale/sim_mesh.hpp"
#include "snow/snow.hpp"

namespace snow::bench {
namespace {

using WallClock = std::chrono::steady_clock;
double wall_s_since(WallClock::time_point t0) { return std::chrono::duration<double>(WallClock::now() - t0).count(); }
double ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

/// Bytes malloc has handed out and not had back (arena chunks in use plus mmapped ones).
/// Everything in the simulation runs on this thread, so it all comes from the main arena
/// that mallinfo2 reports; snow's node pool takes its blocks from operator new too.
double heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}
/// Resident set size, from /proc/self/statm.
double rss() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

struct Quit {};
/// The process a global name points at: it only waits.
Proc holder(Self self) { co_await self.receive(on<Quit>([](Quit) {})); }

}  // namespace

ScaleFigures measure_scale(int nodes, std::uint64_t seed, const ScaleOptions& options) {
  ScaleFigures f;
  f.nodes = nodes;
  const auto failed = [&](std::string what) {
    f.failure = std::move(what);
    return f;
  };
  const double heap0 = heap_in_use(), rss0 = rss();
  auto mesh = std::make_unique<SimMesh>(seed, nodes, options.node);
  SimMesh& m = *mesh;
  const double heap1 = heap_in_use(), rss1 = rss();
  f.node_bytes = (heap1 - heap0) / nodes;
  f.node_rss = (rss1 - rss0) / nodes;

  // 1. The mesh forms from one seed.
  auto wall = WallClock::now();
  absl::Time t0 = m.net().now();
  m.join_through_seed();
  if (!m.run_until([&] { return m.full_mesh(); }, options.limit, options.check_every)) {
    return failed("the mesh did not form");
  }
  f.mesh_ms = ms(m.net().now() - t0);
  f.mesh_wall_s = wall_s_since(wall);
  // Settle (handshake state freed, peer lists answered) before memory is read.
  m.net().run_for(absl::Seconds(2));
  f.formation_bytes_per_node = static_cast<double>(m.bytes_out()) / nodes;
  const double pairs = nodes * (nodes - 1) / 2.0;
  f.conn_bytes = (heap_in_use() - heap1) / pairs;
  f.conn_rss = (rss() - rss1) / pairs;

  // 2. At rest: only heartbeats cross.
  const std::uint64_t bytes0 = m.bytes_out(), frames0 = m.frames_out();
  wall = WallClock::now();
  m.net().run_for(options.rest);
  const double rest_s = absl::ToDoubleSeconds(options.rest);
  f.rest_wall_per_s = wall_s_since(wall) / rest_s;
  f.heartbeat_bytes_per_node_s = static_cast<double>(m.bytes_out() - bytes0) / nodes / rest_s;
  f.heartbeat_frames_per_node_s = static_cast<double>(m.frames_out() - frames0) / nodes / rest_s;
  if (!m.full_mesh()) return failed("the mesh lost a connection at rest");

  // 3. Cut in halves; names on both sides, "leader" on both (B's side first).
  t0 = m.net().now();
  m.partition_halves();
  if (!m.run_until([&] { return m.split_in_halves(); }, options.limit, options.check_every)) {
    return failed("the halves did not find the cut");
  }
  f.split_ms = ms(m.net().now() - t0);
  const int half = nodes / 2;
  const int per_side = std::min(4, half);
  for (int k = 0; k < per_side; ++k) {
    const absl::Status a = global::register_name(m.rt(k), absl::StrCat("a", k), m.rt(k).spawn(holder));
    const absl::Status b = global::register_name(m.rt(half + k), absl::StrCat("b", k), m.rt(half + k).spawn(holder));
    if (!a.ok() || !b.ok()) return failed("a registration was refused during the cut");
  }
  if (!global::register_name(m.rt(half), "leader", m.rt(half).spawn(holder)).ok()) return failed("leader on B");
  m.net().run_for(absl::Milliseconds(10));
  if (!global::register_name(m.rt(1), "leader", m.rt(1).spawn(holder)).ok()) return failed("leader on A");
  f.leader_first_claim = m.name(half);
  m.net().run_for(absl::Milliseconds(500));  // each side agrees within itself

  // 4. Heal: the far half redials node 0, the mesh re-forms, the registries converge.
  t0 = m.net().now();
  wall = WallClock::now();
  m.heal();
  bool meshed = false;
  if (!m.run_until(
          [&] {
            if (!meshed && m.full_mesh()) {
              meshed = true;
              f.heal_mesh_ms = ms(m.net().now() - t0);
            }
            return meshed && m.registries_agree();
          },
          options.limit, options.check_every)) {
    return failed(meshed ? "the registries did not converge" : "the mesh did not re-form");
  }
  f.heal_registry_ms = ms(m.net().now() - t0);
  f.heal_wall_s = wall_s_since(wall);
  const SimMesh::Registry agreed = m.registry_of(0);
  f.names_after_heal = static_cast<int>(agreed.size());
  if (auto it = agreed.find("leader"); it != agreed.end()) f.leader_owner = std::get<0>(it->second);
  f.warnings = m.warnings();
  f.ok = true;
  return f;
}

}  // namespace snow::bench
