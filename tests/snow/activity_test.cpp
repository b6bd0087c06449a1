// The activity counters the host reads to tell that a Snow program has ended
// (include/snow/lang/process.hpp): each thread keeps `blocked` and the epoch in one word,
// and the host sums the words. A process that blocks on one thread and wakes on another
// leaves a negative count in a slot; the sum must still give both counts exactly.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "snow/lang/lang.hpp"

namespace sl = snow::lang;

namespace {

// What count_blocked, count_wake and touch add to a thread's word.
constexpr std::uint64_t kBlock = 1;
constexpr std::uint64_t kWake = sl::kEpochUnit - 1;
constexpr std::uint64_t kTouch = sl::kEpochUnit;

sl::ActivitySample sum_of(const std::vector<std::uint64_t>& words) {
  std::uint64_t sum = 0;
  for (std::uint64_t w : words) sum += w;
  return sl::ActivitySample::of_sum(sum);
}

}  // namespace

TEST_CASE("the threads' words sum to the blocked count and the epoch") {
  // Thread 0: three processes block. Thread 1: two of them wake there, then one spawn.
  std::uint64_t t0 = 0, t1 = 0;
  t0 += 3 * kBlock;
  t1 += 2 * kWake;
  t1 += kTouch;
  sl::ActivitySample s = sum_of({t0, t1});
  CHECK(s.blocked == 1);
  CHECK(s.epoch == 3);

  // Thread 1's slot alone is negative (-2 blocked): it borrows from its epoch half.
  CHECK(sl::ActivitySample::of_sum(t1).blocked == -2);
  CHECK(sl::ActivitySample::of_sum(t1).epoch == 3);

  // Many round trips between two threads: each slot's count drifts far from zero, the
  // sum does not.
  for (int i = 0; i < 100000; ++i) {
    t0 += kBlock;
    t1 += kWake;
    t1 += kBlock;
    t0 += kWake;
  }
  s = sum_of({t0, t1});
  CHECK(s.blocked == 1);
  CHECK(s.epoch == 3 + 200000);

  // A sum read while a wake is half seen can be one below zero; the epoch is still right.
  s = sum_of({kWake, kTouch});
  CHECK(s.blocked == -1);
  CHECK(s.epoch == 2);
}

TEST_CASE("count_blocked, count_wake and touch change this thread's counts as they say") {
  const sl::ActivitySample before = sl::activity.sample();
  sl::count_blocked(1);
  sl::ActivitySample now = sl::activity.sample();
  CHECK(now.blocked == before.blocked + 1);
  CHECK(now.epoch == before.epoch);
  sl::count_wake();
  now = sl::activity.sample();
  CHECK(now.blocked == before.blocked);
  CHECK(now.epoch == before.epoch + 1);
  sl::touch();
  now = sl::activity.sample();
  CHECK(now.blocked == before.blocked);
  CHECK(now.epoch == before.epoch + 2);
}
