// snow/environment.hpp: settings a deployment gives a program through its environment.
//
//     SNOW_LOG_LEVEL   debug, info, warning or error: RuntimeOptions::log_level
//     SNOW_NODE        this program's node name, for Node::start
//     SNOW_COOKIE      the cookie: NodeOptions::cookie
//     SNOW_SEEDS       peers to connect at start, "a@h1:4370,b@h2:4370": NodeOptions::seeds
//     SNOW_DISCOVERY   peers from DNS, "a:NAME:PORT" (A/AAAA) or "srv:NAME" (SRV):
//                      NodeOptions::discovery.source
//     SNOW_DISCOVERY_INTERVAL  how often to look up, an Abseil duration ("5s", "500ms"):
//                      NodeOptions::discovery.interval
//
// Nothing in snow reads them behind your back: a program that wants them calls
// read_environment(), which says on stderr (or through `say`) what it took, so a
// setting that came from the environment is never a surprise:
//
//     snow: from the environment: SNOW_LOG_LEVEL=debug, SNOW_NODE=a@127.0.0.1:9101, SNOW_COOKIE (32 bytes, not shown)
//
//     snow::EnvironmentSettings env = snow::read_environment();
//     snow::RuntimeOptions ro;
//     env.apply(ro);
//     snow::Runtime rt(ro);
//     snow::NodeOptions no;
//     env.apply(no);
//     auto node = snow::Node::start(rt, env.node.value_or("a@127.0.0.1:9101"), no);
//
// A value it cannot use (SNOW_LOG_LEVEL=loud, an empty SNOW_NODE, SNOW_DISCOVERY=dns:x) is
// left out and said so; of SNOW_SEEDS only the malformed entries are.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snow/log.hpp"
#include "snow/node.hpp"
#include "snow/runtime.hpp"

namespace snow {

struct EnvironmentSettings {
  std::optional<LogLevel> log_level;  // SNOW_LOG_LEVEL
  std::optional<std::string> node;    // SNOW_NODE
  std::optional<std::string> cookie;  // SNOW_COOKIE
  std::vector<std::string> seeds;     // SNOW_SEEDS, each "name@host:port"
  std::optional<std::string> discovery;  // SNOW_DISCOVERY, checked: "a:NAME:PORT" or "srv:NAME"
  std::optional<absl::Duration> discovery_interval;  // SNOW_DISCOVERY_INTERVAL
  /// What was taken and what was left out, one item each ("SNOW_LOG_LEVEL=debug",
  /// "SNOW_COOKIE (32 bytes, not shown)", "SNOW_LOG_LEVEL=loud ignored: ..."); the line
  /// read_environment() writes joins them.
  std::vector<std::string> report;

  /// Sets what the environment gave: log_level.
  void apply(RuntimeOptions& options) const;
  /// Sets what the environment gave: cookie, seeds, discovery.source and .interval.
  void apply(NodeOptions& options) const;
};

/// Reads the variables above, and writes one line saying what it
/// took (or that none was set) to `say`; by default `snow: from the environment: ...` on
/// stderr. The cookie's value is never written.
EnvironmentSettings read_environment(const std::function<void(std::string_view line)>& say = nullptr);

}  // namespace snow
