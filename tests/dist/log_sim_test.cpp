// A node's log records carry its name (LogRecord::node): in a cluster's merged logs each
// line says which node wrote it.
#include <doctest/doctest.h>

#include <string>

#include "tests/dist/sim_cluster.hpp"

using namespace simtest;

TEST_SUITE("log") {
TEST_CASE("a node's lines are records of kind node carrying the node's name, not a prefix of the text") {
  SimCluster c(7);
  c.pair();
  int connected = 0;
  std::lock_guard lock(c.logs.mu);
  for (const snow::testing::CapturedRecord& r : c.logs.records) {
    if (r.text.find("connected to ") != 0) continue;
    ++connected;
    CHECK(r.kind == "node");
    CHECK(r.pid.is_null());
    CHECK(r.level == snow::LogLevel::info);
    REQUIRE((r.node == c["a"].name || r.node == c["b"].name));
    const std::string peer = r.node == c["a"].name ? c["b"].name : c["a"].name;
    CHECK(r.text == "connected to " + peer);
  }
  CHECK(connected == 2);  // one line from each side, each with its own name
}
}
