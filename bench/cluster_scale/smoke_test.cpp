// The cluster_scale benchmark's scenario on 8 nodes, so the benchmark code cannot rot: the
// mesh forms from one seed, and after a partition of half the cluster heals (names
// registered on both sides, one on both) every node agrees, the earlier claim winning.
// It asserts outcomes only; the figures it measures are the benchmark's business.
#include <doctest/doctest.h>

#include "bench/cluster_scale/scale_run.hpp"

TEST_CASE("cluster_scale's scenario on 8 nodes: the mesh forms and the registries converge after a heal") {
  snow::bench::ScaleOptions options;
  options.rest = absl::Seconds(1);
  options.limit = absl::Seconds(60);
  const snow::bench::ScaleFigures f = snow::bench::measure_scale(8, 7919, options);
  INFO(f.failure);
  REQUIRE(f.ok);
  CHECK(f.mesh_ms > 0);
  CHECK(f.heartbeat_bytes_per_node_s > 0);  // 7 peers, pinged twice a second
  CHECK(f.names_after_heal == 9);          // a0..a3, b0..b3 and one leader
  CHECK(f.leader_owner == f.leader_first_claim);
}
