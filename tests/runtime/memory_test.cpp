// What processes and messages cost in memory, counted by the allocator (not timed): an
// idle process stays under 512 bytes, and the node pool recycles blocks across threads
// within its bounds (snow/detail/node_pool.hpp).
#include <malloc.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <thread>
#include <vector>

#include "snow/actor.hpp"
#include "snow/detail/node_pool.hpp"
#include "snow/runtime.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {
struct Go {};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // the sanitizers' allocators keep their own books
#elif defined(__has_feature)
constexpr bool kSanitized = __has_feature(address_sanitizer) || __has_feature(thread_sanitizer);
#else
constexpr bool kSanitized = false;
#endif

// Bytes malloc has handed out and not had back, over all arenas and mmapped blocks.
std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// A size class no message of the test program uses, so other tests' blocks are not counted.
constexpr std::size_t kProbeSize = 232;
}  // namespace

TEST_SUITE("memory") {
TEST_CASE("an idle process (parked in a receive) costs under 512 bytes of heap") {
  if (kSanitized) return;
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  constexpr int kProcesses = 50'000;
  std::vector<Pid> pids;
  pids.reserve(kProcesses);
  // A first round, so that one-time growth (the node pool's lists, the table of the
  // process table's leaves) is not counted. The leaves themselves are freed as their
  // processes end and made again below: each process's slot is counted.
  for (int i = 0; i < kProcesses; ++i) pids.push_back(rt.spawn([](Self self) -> Proc { co_await self.receive(on<Go>([] {})); }));
  rt.run_until_idle();
  for (Pid p : pids) rt.send(p, Go{});
  rt.run_until_idle();
  REQUIRE(rt.stats().live == 0);
  pids.clear();

  const std::size_t before = heap_in_use();
  for (int i = 0; i < kProcesses; ++i) pids.push_back(rt.spawn([](Self self) -> Proc { co_await self.receive(on<Go>([] {})); }));
  rt.run_until_idle();
  REQUIRE(rt.stats().live == static_cast<std::uint64_t>(kProcesses));
  const std::size_t per_process = (heap_in_use() - before) / kProcesses;
  MESSAGE("heap per idle process: " << per_process << " bytes");
  CHECK(per_process < 512);
  for (Pid p : pids) rt.send(p, Go{});
  rt.run_until_idle();
  CHECK(rt.stats().live == 0);
}

TEST_CASE("node pool: a block freed on this thread is the next one allocated here") {
  if (kSanitized) return;  // under AddressSanitizer the pool is bypassed
  void* a = detail::allocate_node(kProbeSize);
  detail::release_node(a, kProbeSize);
  void* b = detail::allocate_node(kProbeSize);
  CHECK(a == b);
  detail::release_node(b, kProbeSize);
}

TEST_CASE("node pool: blocks one thread frees are what another thread allocates next (a one-way stream)") {
  if (kSanitized) return;
  constexpr int kBlocks = 1'000;
  std::vector<void*> first;
  std::thread([&] {
    for (int i = 0; i < kBlocks; ++i) first.push_back(detail::allocate_node(kProbeSize));
  }).join();
  const std::size_t central_before = detail::node_pool_held().central;
  // The receiver's side: frees every block, then ends (its lists go to the central stack).
  std::thread([&] {
    for (void* b : first) detail::release_node(b, kProbeSize);
  }).join();
  const std::size_t handed_over = detail::node_pool_held().central - central_before;
  CHECK(handed_over >= 896);  // whole batches of 64: all but the last partial one
  CHECK(handed_over <= kBlocks);

  // The sender's side allocates again: from those batches, not from malloc.
  std::vector<void*> second;
  std::thread([&] {
    for (int i = 0; i < kBlocks; ++i) second.push_back(detail::allocate_node(kProbeSize));
    for (void* b : second) detail::release_node(b, kProbeSize);
  }).join();
  const std::set<void*> old(first.begin(), first.end());
  const auto reused = std::count_if(second.begin(), second.end(), [&](void* b) { return old.count(b) != 0; });
  CHECK(static_cast<std::size_t>(reused) >= handed_over);
}

TEST_CASE("node pool: what the central stacks keep is bounded; the rest goes back to malloc") {
  if (kSanitized) return;
  constexpr int kBlocks = 100'000;
  std::vector<void*> blocks;
  std::thread([&] {
    for (int i = 0; i < kBlocks; ++i) blocks.push_back(detail::allocate_node(kProbeSize));
  }).join();
  const std::size_t central_before = detail::node_pool_held().central;
  const std::size_t heap_before = heap_in_use();
  std::thread([&] {
    for (void* b : blocks) detail::release_node(b, kProbeSize);
  }).join();
  const std::size_t kept = detail::node_pool_held().central - central_before;
  CHECK(kept * kProbeSize <= (1u << 20));  // 1 MiB per size class
  // Everything else was freed: the heap shrank by the blocks not kept.
  const std::size_t freed = heap_before - heap_in_use();
  CHECK(freed >= (kBlocks - kept) * kProbeSize);
}
}
