// src/runtime/environment.cpp: read_environment (snow/environment.hpp).
#include "snow/environment.hpp"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
  const std::string line = absl::StrCat(
      "from the environment: ",
      env.report.empty() ? "nothing (SNOW_LOG_LEVEL, SNOW_NODE, SNOW_COOKIE are not set)" : absl::StrJoin(env.report, ", "));
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
}

}  // namespace snow
