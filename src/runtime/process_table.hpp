// src/runtime/process_table.hpp: live processes by serial.
//
// Serials come from one counter and are never reused, so a Pid of a dead process finds
// nothing, and the live processes occupy the serials in the order they were spawned. The
// table is therefore indexed by serial, not hashed: a serial's slot is found by
// arithmetic, in a leaf of kLeafSlots consecutive slots. Processes spawned together sit
// together, so a program that spawns a million and then sends to each in order walks
// memory in order; a hash table put each one on its own cache line, and its lookups,
// inserts and removes (with the rehashing as it grew to millions) were 44% of the spawn
// benchmark's profile.
//
// Sharded by serial (serial % kShards) so that sends from many threads rarely meet on one
// lock; within a shard the key is serial / kShards, so consecutive serials still fall in
// one leaf of each shard. A lookup is one uncontended mutex, the leaf (the last one used,
// or one probe of a small map of leaves), and one reference count increment.
//
// Memory. A slot is 8 bytes; a leaf is made when a serial in its range is inserted and
// freed when its last process is removed (each shard keeps one emptied leaf to reuse, so
// a shard whose processes spawn and end one at a time does not allocate each time). Live
// processes spawned together cost 8 bytes each and a leaf's header per kLeafSlots; the
// worst case, one live process per leaf (long-lived processes spawned far apart), costs a
// leaf (about 270 bytes) each, the same order as the process's own control block.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "src/runtime/process.hpp"

namespace snow::internal {

using detail::Process;
using detail::ProcessRef;

class ProcessTable {
 public:
  ProcessTable() = default;
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  /// A fresh local serial; aborts if the 40-bit space is spent (about 10^12 spawns).
  std::uint64_t next_serial() {
    const std::uint64_t s = next_serial_.fetch_add(1, std::memory_order_relaxed);
    SNOW_CHECK(s <= Pid::kMaxSerial, "process serials exhausted for this node's creation");
    return s;
  }
  /// Adds a live process; the table adopts the process's initial reference. Its serial
  /// must not be in the table.
  void insert(Process* p);
  /// The live process with this serial, referenced; empty if it has ended.
  ProcessRef find(std::uint64_t serial) const;
  /// Removes the process and drops the table's reference. False if it was not there.
  bool remove(Process* p);
  /// References to every live process, in serial order.
  std::vector<ProcessRef> snapshot() const;
  std::size_t size() const;
  /// Leaves allocated now, over all shards (the spare ones included): for tests of the
  /// table's memory bound.
  std::size_t leaves() const;

  static constexpr int kShards = 64;
  static constexpr std::uint64_t kLeafSlots = 32;

 private:
  struct Leaf {
    std::array<Process*, kLeafSlots> slots{};
    std::uint32_t live = 0;
  };
  struct alignas(64) Shard {
    std::mutex mu;
    // Guarded by mu: the leaves by index (key / kLeafSlots), the last one used (sends
    // and spawns in serial order hit it), one emptied leaf kept for reuse, and the count.
    absl::flat_hash_map<std::uint64_t, std::unique_ptr<Leaf>> leaves;
    Leaf* last = nullptr;
    std::uint64_t last_index = ~std::uint64_t{0};
    std::unique_ptr<Leaf> spare;
    std::size_t live = 0;

    // The leaf with this index, or null.
    Leaf* leaf(std::uint64_t index);
    // A new (or the spare) leaf under this index, which has none; it becomes `last`.
    Leaf* make_leaf(std::uint64_t index);
  };
  Shard& shard(std::uint64_t serial) const { return shards_[serial % kShards]; }
  // Where a serial sits within its shard: its key (serial / kShards: consecutive serials
  // of one shard have consecutive keys) names a leaf and a slot in it.
  struct Place {
    std::uint64_t leaf;
    std::uint64_t slot;
  };
  static Place place_of(std::uint64_t serial) {
    const std::uint64_t key = serial / kShards;
    return {key / kLeafSlots, key % kLeafSlots};
  }

  std::atomic<std::uint64_t> next_serial_{1};  // serial 0 would be the null Pid
  mutable Shard shards_[kShards];
};

}  // namespace snow::internal
