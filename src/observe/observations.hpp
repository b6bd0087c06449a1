// src/observe/observations.hpp: what the runtime counts about itself for snow/observe.hpp.
//
// Everything here is off the fast path of a delivered message: dead letters, drops and
// discarded messages are counted where the runtime already handles a failure, and the
// latency recorders are fed only while RuntimeOptions::histograms is on (the send and
// receive paths test that option once, a branch that is always predicted).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "snow/observe.hpp"
#include "src/observe/supervisor_board.hpp"

namespace snow::detail {
class RuntimeCore;
}

namespace snow::internal {

/// Latency samples into LatencyHistogram's buckets. Sharded by recording thread, so
/// workers that record at the same time do not contend for one cache line; a snapshot
/// adds the shards up (it may miss samples being recorded, never invents any).
class LatencyRecorder {
 public:
  void record(std::int64_t nanos) noexcept;
  LatencyHistogram snapshot() const;
  /// The bucket of a sample: bounds are 1 us x 4^i.
  static int bucket_of(std::int64_t nanos) noexcept;

 private:
  static constexpr int kShards = 8;
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, LatencyHistogram::kBuckets> counts{};
    std::atomic<std::int64_t> sum_nanos{0};
  };
  std::array<Shard, kShards> shards_;
};

struct RuntimeObservations {
  // Dead letters the runtime counts by reason; the node layer (src/dist/) counts its own
  // in RuntimeCore::dead_letters.
  std::atomic<std::uint64_t> dead_no_process{0};
  std::atomic<std::uint64_t> dead_no_name{0};
  std::atomic<std::uint64_t> dead_not_a_node{0};
  std::atomic<std::uint64_t> unmatched_at_exit{0};  // left in the queue of a process that ended
  std::atomic<std::uint64_t> late_replies{0};       // replies to abandoned calls, discarded
  // Lines given to the log sink, by LogLevel; mutable because logging is const.
  mutable std::array<std::atomic<std::uint64_t>, 4> log_messages{};

  LatencyRecorder time_in_mailbox;
  LatencyRecorder handling_time;

  SupervisorBoard supervisors;  // what each supervisor last published (supervisors())
};

/// The clock the histograms measure with: the virtual clock of a deterministic runtime
/// (so tests can assert on it), else a monotonic one. Nanoseconds, never 0.
std::int64_t observe_now_nanos(const detail::RuntimeCore& core) noexcept;

}  // namespace snow::internal
