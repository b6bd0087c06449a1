// The process table on its own (src/runtime/process_table.hpp): a serial finds its live
// process and nothing else, removal is exact, a snapshot is in serial order, and the
// leaves the table allocates follow the live processes (freed as they end).
#include "src/runtime/process_table.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "snow/runtime.hpp"
#include "src/runtime/runtime_core.hpp"

using snow::internal::ProcessTable;
using snow::detail::Process;

namespace {

constexpr std::uint64_t kPerLeafRange = ProcessTable::kShards * ProcessTable::kLeafSlots;

// A process that is never scheduled, only kept in `table`; the table holds its one
// reference, so remove() frees it.
Process* make(snow::Runtime& rt, std::uint64_t serial) { return new Process(rt.core(), rt.core().local_pid(serial)); }

}  // namespace

TEST_SUITE("process_table") {
TEST_CASE("a serial finds its live process, and nothing once it is removed") {
  snow::Runtime rt({.workers = 1});
  ProcessTable table;
  std::vector<Process*> all;
  for (std::uint64_t serial = 1; serial <= 5000; ++serial) {
    all.push_back(make(rt, serial));
    table.insert(all.back());
  }
  CHECK(table.size() == 5000);
  for (Process* p : all) {
    const auto found = table.find(p->pid.serial());
    REQUIRE(found);
    CHECK(found.get() == p);
  }
  CHECK_FALSE(table.find(0));
  CHECK_FALSE(table.find(5001));
  CHECK_FALSE(table.find(1'000'000'000));
  // Every third one ends; the others are still found, the ended ones are not.
  for (std::size_t i = 0; i < all.size(); i += 3) {
    const std::uint64_t serial = all[i]->pid.serial();
    CHECK(table.remove(all[i]));
    CHECK_FALSE(table.find(serial));
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i % 3 != 0) CHECK(table.find(all[i]->pid.serial()).get() == all[i]);
  }
  CHECK(table.size() == 5000 - (5000 + 2) / 3);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i % 3 != 0) CHECK(table.remove(all[i]));
  }
  CHECK(table.size() == 0);
}

TEST_CASE("a process not in the table is not removed") {
  snow::Runtime rt({.workers = 1});
  ProcessTable table;
  Process* in = make(rt, 7);
  table.insert(in);
  // The same serial, another process (a stale pointer): the table keeps its own.
  Process* other = make(rt, 7);
  CHECK_FALSE(table.remove(other));
  CHECK(table.find(7).get() == in);
  other->release();  // its only reference: frees it
  // A serial in a leaf that does not exist.
  Process* far = make(rt, 7 + 1000 * kPerLeafRange);
  CHECK_FALSE(table.remove(far));
  far->release();
  CHECK(table.remove(in));
  Process* again = make(rt, 7);  // removed already: not there any more
  CHECK_FALSE(table.remove(again));
  again->release();
}

TEST_CASE("a snapshot lists every live process once, in serial order") {
  snow::Runtime rt({.workers = 1});
  ProcessTable table;
  // Inserted out of order, across shards and leaves.
  std::vector<std::uint64_t> serials = {900, 3, 70000, 64, 65, 1, 4097, 128, 2};
  for (std::uint64_t s : serials) table.insert(make(rt, s));
  std::vector<std::uint64_t> listed;
  std::vector<Process*> procs;
  for (const auto& ref : table.snapshot()) {
    listed.push_back(ref->pid.serial());
    procs.push_back(ref.get());
  }
  std::sort(serials.begin(), serials.end());
  CHECK(listed == serials);
  for (Process* p : procs) CHECK(table.remove(p));
}

TEST_CASE("leaves follow the live processes: dense spawns share them, and they are freed as processes end") {
  snow::Runtime rt({.workers = 1});
  ProcessTable table;
  // Four leaves' worth of consecutive serials in every shard.
  const std::uint64_t n = 4 * kPerLeafRange;
  std::vector<Process*> all;
  for (std::uint64_t serial = 1; serial <= n; ++serial) {
    all.push_back(make(rt, serial));
    table.insert(all.back());
  }
  // Serials 1..n: each shard's keys span 5 leaves at most (the range is not aligned).
  CHECK(table.leaves() <= 5 * ProcessTable::kShards);
  CHECK(table.leaves() >= 4 * ProcessTable::kShards);
  for (Process* p : all) CHECK(table.remove(p));
  // Everything ended: each shard keeps one emptied leaf to reuse, no more.
  CHECK(table.leaves() <= ProcessTable::kShards);
  // Spawning and ending one at a time, far apart, reuses the kept leaf.
  for (std::uint64_t i = 0; i < 100; ++i) {
    Process* p = make(rt, n + 1 + i * 10 * kPerLeafRange);
    table.insert(p);
    CHECK(table.remove(p));
  }
  CHECK(table.leaves() <= ProcessTable::kShards);
}

TEST_CASE("a leaf emptied before a late insert into its range is made again") {
  // Two spawns take serials s1 < s2 in one leaf; s2's process is inserted and ends before
  // s1's is inserted (its thread was slow): the leaf is freed in between.
  snow::Runtime rt({.workers = 1});
  ProcessTable table;
  const std::uint64_t s1 = 5 * kPerLeafRange + 3;
  const std::uint64_t s2 = s1 + ProcessTable::kShards;  // same shard, next key
  Process* second = make(rt, s2);
  table.insert(second);
  CHECK(table.remove(second));
  Process* first = make(rt, s1);
  table.insert(first);
  CHECK(table.find(s1).get() == first);
  CHECK_FALSE(table.find(s2));
  CHECK(table.remove(first));
}
}  // TEST_SUITE
