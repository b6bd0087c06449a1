// src/runtime/node_pool.cpp: per-thread free lists and central batch stacks for message
// nodes (the design is in snow/detail/node_pool.hpp).
#include "snow/detail/node_pool.hpp"

#include <cstdint>
#include <mutex>
#include <new>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define SNOW_NODE_POOL_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SNOW_NODE_POOL_BYPASS 1
#endif
#endif

namespace snow::detail {
namespace {

constexpr std::size_t kGranule = 16;  // malloc's alignment, so every class keeps it
constexpr std::size_t kClasses = 16;  // blocks up to 256 bytes: a node and a small value
constexpr std::uint32_t kBatch = 64;  // blocks moved between threads at a time
// What a central stack keeps, per size class: 1 MiB (32,768 blocks of 32 bytes, 4,096 of
// 256). A fan-in's queue swings by about 10,000 messages (backpressure.hpp: 2,000 plus a
// turn's sends per sender), and a stack that overflowed sent the difference back to
// malloc, which the senders then asked for again (a seventh of the fan-in profile).
constexpr std::size_t kCentralBytes = std::size_t{1} << 20;
constexpr std::size_t max_central_batches(std::size_t c) { return kCentralBytes / (kBatch * (c + 1) * kGranule); }

std::size_t size_class(std::size_t size) { return (size + kGranule - 1) / kGranule - 1; }

// A free block. Every block is at least 16 bytes, so it can hold both links.
struct Block {
  Block* next;        // the next block of a list or batch
  Block* next_batch;  // in a central stack: the first block of the next batch
};

// One stack of full batches per size class. Never destroyed: threads may free blocks
// while the program's static objects are being destroyed.
struct Central {
  std::mutex mu;
  Block* batches = nullptr;  // guarded by mu
  std::size_t count = 0;     // guarded by mu
};
Central* centrals() {
  static Central* const all = new Central[kClasses];
  return all;
}

void free_list(Block* b) noexcept {
  while (b) ::operator delete(std::exchange(b, b->next));
}

// Takes `batch` (kBatch blocks linked by `next`), or frees it when the stack is full.
void give_batch(std::size_t c, Block* batch) noexcept {
  Central& central = centrals()[c];
  {
    std::lock_guard lock(central.mu);
    if (central.count < max_central_batches(c)) {
      batch->next_batch = central.batches;
      central.batches = batch;
      ++central.count;
      return;
    }
  }
  free_list(batch);
}

Block* take_batch(std::size_t c) noexcept {
  Central& central = centrals()[c];
  std::lock_guard lock(central.mu);
  Block* batch = central.batches;
  if (batch) {
    central.batches = batch->next_batch;
    --central.count;
  }
  return batch;
}

// The calling thread's lists. Trivially destructible, so reaching them costs no guard;
// `ReturnAtExit` hands them back when the thread ends.
struct ThreadLists {
  Block* head[kClasses];
  std::uint32_t count[kClasses];
  bool armed;   // ReturnAtExit is registered
  bool closed;  // the thread is ending: blocks go to malloc and come from it
};
// initial-exec: libsnow is compiled as position-independent code, where a thread_local
// is by default reached through a call (__tls_get_addr), and even when the linker turns
// that into a plain %fs access, the call had made the compiler keep its values in saved
// registers: five pushes and pops on every allocation and release. initial-exec is one
// %fs-relative load. It needs the library loaded with the program, not dlopen()ed late
// (which glibc allows while its small static TLS reserve lasts); these are 200 bytes.
[[gnu::tls_model("initial-exec")]] thread_local ThreadLists lists{};

struct ReturnAtExit {
  ~ReturnAtExit() {
    ThreadLists& l = lists;
    l.closed = true;
    for (std::size_t c = 0; c < kClasses; ++c) {
      Block* b = std::exchange(l.head[c], nullptr);
      l.count[c] = 0;
      // Whole batches to the central stack, for the threads that stay; the rest to malloc.
      while (b) {
        Block* first = b;
        std::uint32_t n = 1;
        while (n < kBatch && b->next) {
          b = b->next;
          ++n;
        }
        Block* rest = b->next;
        b->next = nullptr;
        if (n == kBatch) give_batch(c, first); else free_list(first);
        b = rest;
      }
    }
  }
};

// Lists that hold blocks must be handed back at thread exit: registers that, once.
bool arm(ThreadLists& l) {
  if (l.closed) return false;
  thread_local ReturnAtExit return_at_exit;
  (void)return_at_exit;
  l.armed = true;
  return true;
}

}  // namespace

#ifdef SNOW_NODE_POOL_BYPASS
void* allocate_node(std::size_t size) { return ::operator new(size); }
void release_node(void* block, std::size_t) noexcept { ::operator delete(block); }
#else
// The fast paths (a block from, or to, this thread's list) are the whole of these two
// functions, 14 and 20 instructions with no saved register; the refill and the hand-off
// are out of line. Before, with those inlined and `lists` reached the default way, a
// message's allocation and release cost about 60 instructions (callgrind).
namespace {

// Both take only what their caller was given (they find the rest again), so the fast
// paths keep nothing across the call and need no saved registers: a tail call.
[[gnu::noinline]] void* allocate_slow(std::size_t size) {
  const std::size_t c = size_class(size);
  if (c >= kClasses) return ::operator new(size);
  ThreadLists& l = lists;
  if ((l.armed || arm(l)) && !l.closed) {
    if (Block* batch = take_batch(c)) {
      l.head[c] = batch->next;
      l.count[c] = kBatch - 1;
      return batch;
    }
  }
  return ::operator new((c + 1) * kGranule);
}

[[gnu::noinline]] void release_slow(void* block, std::size_t size) noexcept {
  const std::size_t c = size_class(size);
  ThreadLists& l = lists;
  if (c >= kClasses || (!l.armed && !arm(l)) || l.closed) {
    ::operator delete(block);
    return;
  }
  auto* b = static_cast<Block*>(block);
  b->next = l.head[c];
  l.head[c] = b;
  if (++l.count[c] < 2 * kBatch) return;
  // Keep the kBatch most recently freed (likely still in this core's cache); hand on the
  // older kBatch as one batch.
  Block* last_kept = b;
  for (std::uint32_t n = 1; n < kBatch; ++n) last_kept = last_kept->next;
  Block* batch = std::exchange(last_kept->next, nullptr);
  l.count[c] = kBatch;
  give_batch(c, batch);
}

}  // namespace

void* allocate_node(std::size_t size) {
  const std::size_t c = size_class(size);
  ThreadLists& l = lists;
  if (c < kClasses) [[likely]] {
    if (Block* b = l.head[c]) [[likely]] {
      l.head[c] = b->next;
      --l.count[c];
      return b;
    }
  }
  return allocate_slow(size);
}

void release_node(void* block, std::size_t size) noexcept {
  const std::size_t c = size_class(size);
  ThreadLists& l = lists;
  // Armed, open, and the list stays under two batches: just push. (A list gets a block
  // only once armed, so an unarmed thread's first release takes the slow path and arms.)
  if (c < kClasses && l.armed && !l.closed && l.count[c] + 1 < 2 * kBatch) [[likely]] {
    auto* b = static_cast<Block*>(block);
    b->next = l.head[c];
    l.head[c] = b;
    ++l.count[c];
    return;
  }
  release_slow(block, size);
}
#endif

NodePoolHeld node_pool_held() {
  NodePoolHeld held;
  const ThreadLists& l = lists;
  for (std::size_t c = 0; c < kClasses; ++c) {
    held.this_thread += l.count[c];
    Central& central = centrals()[c];
    std::lock_guard lock(central.mu);
    held.central += central.count * kBatch;
  }
  return held;
}

}  // namespace snow::detail
