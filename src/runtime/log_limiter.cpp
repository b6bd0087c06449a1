#include "src/runtime/log_limiter.hpp"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace snow {

RateLimitedLog::RateLimitedLog(Sink sink, int burst_per_second, absl::Duration summary_period)
    : sink_(std::move(sink)),
      burst_per_second_(std::max(0, burst_per_second)),
      summary_period_(summary_period),
      period_text_(absl::StrCat(absl::ToDoubleSeconds(summary_period), " s")) {}

void RateLimitedLog::write(std::string_view kind, LogLevel level, std::string_view text, absl::Time now) {
  KindState& k = kinds_[std::string(kind)];
  if (now - k.second_start >= absl::Seconds(1)) {
    k.second_start = now;
    k.written_this_second = 0;
  }
  if (k.written_this_second < burst_per_second_) {
    ++k.written_this_second;
    if (sink_) sink_(level, text);
    return;
  }
  if (k.suppressed == 0) {
    k.first_suppressed = now;
    k.level = level;
  }
  ++k.suppressed;
  k.level = std::max(k.level, level);
}

void RateLimitedLog::tick(absl::Time now) {
  for (auto& [kind, k] : kinds_) {
    if (k.suppressed == 0 || now - k.first_suppressed < summary_period_) continue;
    if (sink_) {
      sink_(k.level, absl::StrCat(kind, ": ", k.suppressed, " more lines suppressed in the last ", period_text_));
    }
    k.suppressed = 0;
  }
}

}  // namespace snow
