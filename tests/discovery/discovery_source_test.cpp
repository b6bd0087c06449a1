// tests/discovery/discovery_source_test.cpp: the forms of NodeOptions::discovery.source
// (and SNOW_DISCOVERY), and the ones refused before anything is looked up.
#include <doctest/doctest.h>

#include <string>

#include "src/discovery/discovery_source.hpp"

using snow::discovery::DiscoverySource;
using snow::discovery::parse_discovery_source;

TEST_CASE("discovery source: a:NAME:PORT names every address of NAME on PORT, srv:NAME its SRV records") {
  auto a = parse_discovery_source("a:snow.prod.svc.cluster.local:4370");
  REQUIRE(a.ok());
  CHECK(a->kind == DiscoverySource::Kind::a);
  CHECK(a->name == "snow.prod.svc.cluster.local");
  CHECK(a->port == 4370);
  CHECK(a->text() == "a:snow.prod.svc.cluster.local:4370");
  auto srv = parse_discovery_source("srv:_snow._tcp.prod.example.");
  REQUIRE(srv.ok());
  CHECK(srv->kind == DiscoverySource::Kind::srv);
  CHECK(srv->name == "_snow._tcp.prod.example.");
  CHECK(srv->port == 0);
}

TEST_CASE("discovery source: malformed values are refused with what is wrong") {
  for (const char* bad : {"", "snow.prod:4370", "dns:snow", "a:snow.prod", "a:snow.prod:0", "a:snow.prod:65536",
                          "a:snow.prod:http", "a::4370", "srv:", "srv:a..b", "srv:-bad space", "srv:x\n.y",
                          "a:snow/../etc:1", "srv:.", "a:[::1]:4370"}) {
    CAPTURE(bad);
    CHECK(parse_discovery_source(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  const std::string long_label(64, 'x');
  CHECK_FALSE(parse_discovery_source("srv:" + long_label + ".example").ok());
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefgh.";
  CHECK_FALSE(parse_discovery_source("srv:" + long_name).ok());
  CHECK(parse_discovery_source("a:snow.prod:http").status().message().find("port") != std::string::npos);
}
