// src/runtime/process_table.hpp: live processes by serial.
//
// Sharded by serial so that sends from many threads rarely meet on one lock; a lookup is
// one uncontended mutex, one probe and one reference count increment. Serials come from
// one counter and are never reused, so a Pid of a dead process finds nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include <condition_variable>
#include <mutex>
#include "src/runtime/process.hpp"

namespace snow::internal {

using detail::Process;
using detail::ProcessRef;

class ProcessTable {
 public:
  /// A fresh local serial; aborts if the 40-bit space is spent (about 10^12 spawns).
  std::uint64_t next_serial() {
    const std::uint64_t s = next_serial_.fetch_add(1, std::memory_order_relaxed);
    SNOW_CHECK(s <= Pid::kMaxSerial, "process serials exhausted for this node's creation");
    return s;
  }
  /// Adds a live process; the table adopts the process's initial reference.
  void insert(Process* p);
  /// The live process with this serial, referenced; empty if it has ended.
  ProcessRef find(std::uint64_t serial) const;
  /// Removes the process and drops the table's reference. False if it was not there.
  bool remove(Process* p);
  /// References to every live process.
  std::vector<ProcessRef> snapshot() const;
  std::size_t size() const;

 private:
  static constexpr int kShards = 64;
  struct alignas(64) Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::uint64_t, Process*> by_serial;  // guarded by mu
  };
  Shard& shard(std::uint64_t serial) const { return shards_[serial % kShards]; }

  std::atomic<std::uint64_t> next_serial_{1};  // serial 0 would be the null Pid
  mutable Shard shards_[kShards];
};

}  // namespace snow::internal
