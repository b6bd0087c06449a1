// src/observe/observations.cpp: the latency recorders and their clock.
#include "src/observe/observations.hpp"

#include <bit>
#include <chrono>

#include "src/runtime/runtime_core.hpp"

namespace snow {

absl::Duration LatencyHistogram::upper_bound(int bucket) {
  if (bucket >= kBuckets - 1) return absl::InfiniteDuration();
  return absl::Microseconds(std::int64_t{1} << (2 * bucket));
}

}  // namespace snow

namespace snow::internal {

namespace {
// Which shard this thread records into: threads take shards round robin on first use.
std::atomic<unsigned> next_shard{0};
thread_local const unsigned tls_shard = next_shard.fetch_add(1, std::memory_order_relaxed);
}  // namespace

int LatencyRecorder::bucket_of(std::int64_t nanos) noexcept {
  if (nanos <= 1000) return 0;
  // The smallest i with nanos <= 1000 * 4^i, i.e. i = ceil(log4(ceil(nanos / 1000))).
  const auto micros = static_cast<std::uint64_t>((nanos + 999) / 1000);
  const int i = (std::bit_width(micros - 1) + 1) / 2;
  return i < LatencyHistogram::kBuckets - 1 ? i : LatencyHistogram::kBuckets - 1;
}

void LatencyRecorder::record(std::int64_t nanos) noexcept {
  if (nanos < 0) nanos = 0;  // a clock step never makes a negative latency
  Shard& s = shards_[tls_shard % kShards];
  s.counts[bucket_of(nanos)].fetch_add(1, std::memory_order_relaxed);
  s.sum_nanos.fetch_add(nanos, std::memory_order_relaxed);
}

LatencyHistogram LatencyRecorder::snapshot() const {
  LatencyHistogram out;
  std::int64_t sum = 0;
  for (const Shard& s : shards_) {
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
      const std::uint64_t n = s.counts[i].load(std::memory_order_relaxed);
      out.counts[i] += n;
      out.count += n;
    }
    sum += s.sum_nanos.load(std::memory_order_relaxed);
  }
  out.sum = absl::Nanoseconds(sum);
  return out;
}

std::int64_t observe_now_nanos(const detail::RuntimeCore& core) noexcept {
  std::int64_t t;
  if (core.options.deterministic) {
    t = absl::ToUnixNanos(core.timers.now());
  } else {
    t = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
  }
  return t + 1;  // never 0, which means "not stamped"; differences stay exact
}

}  // namespace snow::internal
