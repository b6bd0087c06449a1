// src/runtime/log_limiter.hpp: a log that an attacker cannot flood.
//
// Lines about single connections (a TLS failure, a timeout, an eviction) are written
// because someone must be able to see what happened to one peer. But each such line is
// paid for by whoever opens the connection: 20,000 connect-and-close from one address
// once wrote 20,000 lines (1.6 MB/s), which fills disks and buries every other line.
//
// So each *kind* of line (a string literal naming the event, "transport: TLS failed")
// gets a budget of `burst_per_second` lines per second; the first lines of a burst are
// written in full (they are the ones that tell what is going on), the rest only counted,
// and `tick()` then writes one line per kind per summary period saying how many were
// left out:
//
//     transport: TLS failed: 1234 more lines suppressed in the last 10 s
//
// Kinds, not texts, are the unit: texts differ by address and port, so per-text budgets
// would let the flood through. The kinds are few and fixed by the code, so the table of
// them stays bounded whatever the peers do.
//
//     RateLimitedLog log([](LogLevel level, std::string_view text) { ... });
//     log.write("transport: TLS failed", LogLevel::warning, "closed ... : bad record", now);
//     log.tick(now);  // from a timer: writes the summaries that are due
//
// Not thread-safe: one owner (a transport's loop, the node's thread), which also
// provides the clock (so tests drive it without sleeping).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "snow/log.hpp"

namespace snow {

class RateLimitedLog {
 public:
  using Sink = std::function<void(LogLevel, std::string_view)>;

  /// Writes at most `burst_per_second` lines per second for each kind of event; the rest
  /// are counted, and tick() writes one summary line per kind per summary period.
  explicit RateLimitedLog(Sink sink, int burst_per_second = 5, absl::Duration summary_period = absl::Seconds(10));

  /// Writes `text` through the sink, unless `kind` has used its budget for the current
  /// second; then only counts it.
  void write(std::string_view kind, LogLevel level, std::string_view text, absl::Time now);
  /// Writes "<kind>: N more lines suppressed in the last <period>" for each kind whose
  /// first suppressed line is a summary period old. Call it at least every few seconds.
  void tick(absl::Time now);

 private:
  struct KindState {
    absl::Time second_start = absl::InfinitePast();  // the budget's current one-second window
    int written_this_second = 0;
    std::uint64_t suppressed = 0;  // since the last summary
    absl::Time first_suppressed;   // when the count above started: its summary is due a period later
    LogLevel level = LogLevel::debug;  // the highest level among the suppressed lines
  };

  Sink sink_;
  int burst_per_second_;
  absl::Duration summary_period_;
  std::string period_text_;  // "10 s", for the summary lines
  // Ordered: tick() writes one summary line per kind, and their order must not depend
  // on the process (absl's hash is seeded per process; the simulated network replays logs).
  std::map<std::string, KindState, std::less<>> kinds_;
};

}  // namespace snow
