// src/runtime/environment.cpp: read_environment (snow/environment.hpp).
#include "snow/environment.hpp"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "src/discovery/discovery_source.hpp"
#include "src/dist/node_address.hpp"
#include "src/runtime/strings.hpp"

namespace snow {

namespace {

std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

EnvironmentSettings read_environment(const std::function<void(std::string_view line)>& say) {
  EnvironmentSettings env;
  if (std::optional<std::string> level = variable("SNOW_LOG_LEVEL")) {
    LogLevel parsed;
    if (parse_log_level(*level, &parsed)) {
      env.log_level = parsed;
      env.report.push_back(absl::StrCat("SNOW_LOG_LEVEL=", internal::to_absl(to_string(parsed))));
    } else {
      env.report.push_back(
          absl::StrCat("SNOW_LOG_LEVEL=", *level, " ignored: not one of debug, info, warning, error"));
    }
  }
  if (std::optional<std::string> node = variable("SNOW_NODE")) {
    if (node->empty()) {
      env.report.push_back("SNOW_NODE ignored: empty");
    } else {
      env.report.push_back(absl::StrCat("SNOW_NODE=", *node));
      env.node = std::move(node);
    }
  }
  if (std::optional<std::string> cookie = variable("SNOW_COOKIE")) {
    // An empty cookie would mean "the cookie file" to NodeOptions: not what was asked.
    if (cookie->empty()) {
      env.report.push_back("SNOW_COOKIE ignored: empty");
    } else {
      env.report.push_back(absl::StrCat("SNOW_COOKIE (", cookie->size(), " bytes, not shown)"));
      env.cookie = std::move(cookie);
    }
  }
  if (std::optional<std::string> seeds = variable("SNOW_SEEDS")) {
    // Each seed on its own: one mistyped entry leaves the others usable.
    std::vector<std::string> bad;
    for (absl::string_view piece : absl::StrSplit(*seeds, ',', absl::SkipWhitespace())) {
      const std::string seed(absl::StripAsciiWhitespace(piece));
      absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(seed, kDefaultNodePort);
      if (a.ok()) {
        env.seeds.push_back(a->full());
      } else {
        bad.push_back(internal::printable(seed));
      }
    }
    if (!env.seeds.empty()) env.report.push_back(absl::StrCat("SNOW_SEEDS=", absl::StrJoin(env.seeds, ",")));
    if (!bad.empty()) {
      env.report.push_back(absl::StrCat("SNOW_SEEDS entries ignored (not name@host:port): ", absl::StrJoin(bad, ",")));
    } else if (env.seeds.empty()) {
      env.report.push_back("SNOW_SEEDS ignored: empty");
    }
  }
  if (std::optional<std::string> discovery = variable("SNOW_DISCOVERY")) {
    absl::StatusOr<discovery::DiscoverySource> source = discovery::parse_discovery_source(*discovery);
    if (source.ok()) {
      env.discovery = source->text();
      env.report.push_back(absl::StrCat("SNOW_DISCOVERY=", *env.discovery));
    } else {
      env.report.push_back(absl::StrCat("SNOW_DISCOVERY ignored: ", source.status().message()));
    }
  }
  if (std::optional<std::string> interval = variable("SNOW_DISCOVERY_INTERVAL")) {
    absl::Duration d;
    if (absl::ParseDuration(*interval, &d) && d > absl::ZeroDuration() && d < absl::InfiniteDuration()) {
      env.discovery_interval = d;
      env.report.push_back(absl::StrCat("SNOW_DISCOVERY_INTERVAL=", absl::FormatDuration(d)));
    } else {
      env.report.push_back(absl::StrCat("SNOW_DISCOVERY_INTERVAL=", internal::printable(*interval),
                                        " ignored: not a positive duration such as 5s or 500ms"));
    }
  }
  const std::string line = absl::StrCat(
      "from the environment: ",
      env.report.empty() ? "nothing (SNOW_LOG_LEVEL, SNOW_NODE, SNOW_COOKIE, SNOW_SEEDS, SNOW_DISCOVERY, "
                           "SNOW_DISCOVERY_INTERVAL are not set)"
                         : absl::StrJoin(env.report, ", "));
  if (say) {
    say(line);
  } else {
    std::fprintf(stderr, "snow: %s\n", line.c_str());
  }
  return env;
}

void EnvironmentSettings::apply(RuntimeOptions& options) const {
  if (log_level) options.log_level = *log_level;
}

void EnvironmentSettings::apply(NodeOptions& options) const {
  if (cookie) options.cookie = *cookie;
  if (!seeds.empty()) options.seeds = seeds;
  if (discovery) options.discovery.source = *discovery;
  if (discovery_interval) options.discovery.interval = *discovery_interval;
}

}  // namespace snow
