// bench/cluster_scale/main.cpp: how snow's full mesh grows with the number of nodes.
//
//   build/bench/cluster_scale/cluster_scale [--sizes 16,64,256] [--runs 3] [--rest 10]
//
// Runs the scenario of scale_run.hpp `runs` times per size (network seeds 7919, 15838,
// ...) and prints one line per run on stderr and a table of medians on stdout. Times
// marked (virtual) are the simulation's clock, so the machine's load does not move them;
// those marked (wall) are this process's, on one thread, and do. Memory is this process's
// heap (mallinfo2) divided out; see scale_run.cpp. The per-run lines also give RSS deltas,
// which mean something only for a process's first run: later runs reuse the heap the
// earlier ones freed, and their RSS hardly moves.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/cluster_scale/scale_run.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: cluster_scale [--sizes 16,64,256] [--runs 3] [--rest SECONDS]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {16, 64, 256};
  int runs = 3;
  snow::bench::ScaleOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    const std::string value = argv[++i];
    if (arg == "--sizes") {
      sizes.clear();
      for (absl::string_view s : absl::StrSplit(value, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(s, &n) || n < 4) usage();
        sizes.push_back(n);
      }
    } else if (arg == "--runs") {
      if (!absl::SimpleAtoi(value, &runs) || runs < 1) usage();
    } else if (arg == "--rest") {
      int seconds = 0;
      if (!absl::SimpleAtoi(value, &seconds) || seconds < 1) usage();
      options.rest = absl::Seconds(seconds);
    } else {
      usage();
    }
  }

  struct Row {
    int nodes;
    std::vector<snow::bench::ScaleFigures> runs;
  };
  std::vector<Row> rows;
  for (int n : sizes) {
    Row& row = rows.emplace_back(Row{n, {}});
    for (int r = 1; r <= runs; ++r) {
      const std::uint64_t seed = 7919ULL * static_cast<std::uint64_t>(r);
      snow::bench::ScaleFigures f = snow::bench::measure_scale(n, seed, options);
      if (!f.ok) {
        std::fprintf(stderr, "nodes=%d seed=%llu FAILED: %s\n", n, static_cast<unsigned long long>(seed),
                     f.failure.c_str());
        return 1;
      }
      std::fprintf(stderr,
                   "nodes=%d seed=%llu mesh_ms=%.1f mesh_wall_s=%.2f formation_bytes_node=%.0f node_bytes=%.0f conn_bytes=%.0f node_rss=%.0f "
                   "conn_rss=%.0f hb_bytes_node_s=%.1f hb_frames_node_s=%.1f rest_wall_per_s=%.3f split_ms=%.1f "
                   "heal_mesh_ms=%.1f heal_registry_ms=%.1f heal_wall_s=%.2f names=%d leader=%s warnings=%llu\n",
                   n, static_cast<unsigned long long>(seed), f.mesh_ms, f.mesh_wall_s, f.formation_bytes_per_node, f.node_bytes, f.conn_bytes,
                   f.node_rss, f.conn_rss, f.heartbeat_bytes_per_node_s, f.heartbeat_frames_per_node_s,
                   f.rest_wall_per_s, f.split_ms, f.heal_mesh_ms, f.heal_registry_ms, f.heal_wall_s,
                   f.names_after_heal, f.leader_owner.c_str(), static_cast<unsigned long long>(f.warnings));
      row.runs.push_back(std::move(f));
    }
  }

  const auto med = [](const Row& row, double snow::bench::ScaleFigures::*field) {
    std::vector<double> v;
    for (const auto& f : row.runs) v.push_back(f.*field);
    return median(v);
  };
  using F = snow::bench::ScaleFigures;
  std::printf("medians of %d run(s); (v) virtual time, (w) wall time on this machine, one thread\n", runs);
  std::printf("%6s %10s %9s %13s %10s %10s %12s %10s %14s %15s %9s\n", "nodes", "mesh(v)ms", "mesh(w)s",
              "mesh B/node", "heap/node",
              "heap/conn", "hb B/node/s", "rest(w)/s", "heal mesh(v)ms", "heal names(v)ms", "heal(w)s");
  for (const Row& row : rows) {
    std::printf("%6d %10.1f %9.2f %13.0f %10.0f %10.0f %12.0f %10.3f %14.1f %15.1f %9.2f\n", row.nodes,
                med(row, &F::mesh_ms), med(row, &F::mesh_wall_s), med(row, &F::formation_bytes_per_node),
                med(row, &F::node_bytes), med(row, &F::conn_bytes),
                med(row, &F::heartbeat_bytes_per_node_s),
                med(row, &F::rest_wall_per_s), med(row, &F::heal_mesh_ms), med(row, &F::heal_registry_ms),
                med(row, &F::heal_wall_s));
  }
  return 0;
}
