// tests/discovery/environment_test.cpp: SNOW_SEEDS, SNOW_DISCOVERY and
// SNOW_DISCOVERY_INTERVAL as read_environment takes them, and what it leaves out.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "snow/environment.hpp"
#include "support/scoped_env.hpp"

using namespace snow;

namespace {

using snow::testing::ScopedEnv;

std::string said_line(EnvironmentSettings& out) {
  std::string line;
  out = read_environment([&](std::string_view l) { line = std::string(l); });
  return line;
}

}  // namespace

TEST_CASE("environment: seeds, a discovery source and its interval reach NodeOptions, and the line says so") {
  ScopedEnv env;
  env.set("SNOW_SEEDS", "a@10.0.0.1:4370, b@h2:4370");
  env.set("SNOW_DISCOVERY", "srv:_snow._tcp.prod.example");
  env.set("SNOW_DISCOVERY_INTERVAL", "500ms");
  EnvironmentSettings s;
  const std::string line = said_line(s);
  CHECK(s.seeds == std::vector<std::string>{"a@10.0.0.1:4370", "b@h2:4370"});
  CHECK(s.discovery == "srv:_snow._tcp.prod.example");
  CHECK(s.discovery_interval == absl::Milliseconds(500));
  CHECK(line ==
        "from the environment: SNOW_SEEDS=a@10.0.0.1:4370,b@h2:4370, SNOW_DISCOVERY=srv:_snow._tcp.prod.example, "
        "SNOW_DISCOVERY_INTERVAL=500ms");
  NodeOptions no;
  s.apply(no);
  CHECK(no.seeds == s.seeds);
  CHECK(no.discovery.source == "srv:_snow._tcp.prod.example");
  CHECK(no.discovery.interval == absl::Milliseconds(500));
}

TEST_CASE("environment: an A/AAAA source with its port; a seed without a port gets the default") {
  ScopedEnv env;
  env.set("SNOW_DISCOVERY", "a:snow.prod.svc.cluster.local:4370");
  env.set("SNOW_SEEDS", "a@h1");
  EnvironmentSettings s;
  said_line(s);
  CHECK(s.discovery == "a:snow.prod.svc.cluster.local:4370");
  CHECK(s.seeds == std::vector<std::string>{"a@h1:9000"});
}

TEST_CASE("environment: bad values are left out and the line says why; good seeds beside bad ones stay") {
  ScopedEnv env;
  env.set("SNOW_SEEDS", "a@h1:4370,not a node,b@h2:99999");
  env.set("SNOW_DISCOVERY", "dns:snow");
  env.set("SNOW_DISCOVERY_INTERVAL", "-5s");
  EnvironmentSettings s;
  const std::string line = said_line(s);
  CHECK(s.seeds == std::vector<std::string>{"a@h1:4370"});
  CHECK_FALSE(s.discovery.has_value());
  CHECK_FALSE(s.discovery_interval.has_value());
  CHECK(line.find("SNOW_SEEDS entries ignored (not name@host:port): not a node,b@h2:99999") != std::string::npos);
  CHECK(line.find("SNOW_DISCOVERY ignored: discovery source 'dns:snow'") != std::string::npos);
  CHECK(line.find("SNOW_DISCOVERY_INTERVAL=-5s ignored") != std::string::npos);
  NodeOptions no;
  s.apply(no);
  CHECK(no.discovery.source.empty());
  CHECK(no.discovery.interval == absl::Seconds(5));
  for (const char* interval : {"5", "soon", "0s", "inf"}) {
    ScopedEnv again;
    again.set("SNOW_DISCOVERY_INTERVAL", interval);
    EnvironmentSettings t;
    said_line(t);
    CAPTURE(interval);
    CHECK_FALSE(t.discovery_interval.has_value());
  }
}
