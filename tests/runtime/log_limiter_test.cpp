// RateLimitedLog on its own, on a clock the test drives (src/runtime/log_limiter.hpp).
#include "src/runtime/log_limiter.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using snow::LogLevel;
using snow::RateLimitedLog;

namespace {

const absl::Time t0 = absl::UnixEpoch();
absl::Time at_ms(int ms) { return t0 + absl::Milliseconds(ms); }

struct Sink {
  std::vector<std::pair<LogLevel, std::string>> lines;
  RateLimitedLog::Sink fn() {
    return [this](LogLevel level, std::string_view text) { lines.emplace_back(level, std::string(text)); };
  }
};

}  // namespace

TEST_SUITE("log_limiter") {
TEST_CASE("at most burst_per_second lines a second per kind; each kind has its own budget") {
  Sink sink;
  RateLimitedLog log(sink.fn(), 3, absl::Seconds(10));
  for (int i = 0; i < 10; ++i) log.write("tls", LogLevel::warning, "tls " + std::to_string(i), at_ms(i));
  for (int i = 0; i < 10; ++i) log.write("evicted", LogLevel::warning, "evicted " + std::to_string(i), at_ms(i));
  REQUIRE(sink.lines.size() == 6);
  CHECK(sink.lines[0].second == "tls 0");
  CHECK(sink.lines[2].second == "tls 2");  // the first of a burst are the ones written
  CHECK(sink.lines[3].second == "evicted 0");
  // A second later the budget is back.
  log.write("tls", LogLevel::warning, "tls again", at_ms(1000));
  REQUIRE(sink.lines.size() == 7);
  CHECK(sink.lines[6].second == "tls again");
}

TEST_CASE("tick() writes one summary per kind per period, with the count of what was left out") {
  Sink sink;
  RateLimitedLog log(sink.fn(), 2, absl::Seconds(10));
  for (int i = 0; i < 1000; ++i) log.write("transport: TLS failed", LogLevel::warning, "line", at_ms(i));  // 1 s
  for (int i = 0; i < 5; ++i) log.write("other", LogLevel::info, "line", at_ms(i));
  // All within one second: 2 lines of each kind written, the rest counted.
  REQUIRE(sink.lines.size() == 4);
  log.tick(at_ms(9000));  // the first suppressed line (at 2 ms) is not 10 s old yet
  CHECK(sink.lines.size() == 4);
  log.tick(at_ms(10002));
  REQUIRE(sink.lines.size() == 6);
  std::vector<std::string> summaries = {sink.lines[4].second, sink.lines[5].second};
  std::sort(summaries.begin(), summaries.end());
  CHECK(summaries[0] == "other: 3 more lines suppressed in the last 10 s");
  CHECK(summaries[1] == "transport: TLS failed: 998 more lines suppressed in the last 10 s");
  // Nothing more to say until more is suppressed.
  log.tick(at_ms(30000));
  CHECK(sink.lines.size() == 6);
}

TEST_CASE("a summary has the highest level among the lines it counts") {
  Sink sink;
  RateLimitedLog log(sink.fn(), 1, absl::Seconds(1));
  log.write("k", LogLevel::info, "written", at_ms(0));
  log.write("k", LogLevel::info, "suppressed", at_ms(1));
  log.write("k", LogLevel::error, "suppressed", at_ms(2));
  log.write("k", LogLevel::warning, "suppressed", at_ms(3));
  log.tick(at_ms(1001));
  REQUIRE(sink.lines.size() == 2);
  CHECK(sink.lines[1].first == LogLevel::error);
  CHECK(sink.lines[1].second == "k: 3 more lines suppressed in the last 1 s");
}
}  // TEST_SUITE
