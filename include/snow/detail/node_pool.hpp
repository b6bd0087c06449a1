// snow/detail/node_pool.hpp: memory for message nodes without a malloc round trip.
//
// Every local send boxes its message in a heap node, and the receiver frees it, usually on
// another thread. With malloc that is a cross-thread free per message: glibc returns the
// block to the arena it came from under that arena's lock, and the sending thread mallocs
// a fresh one. In the fan-in benchmark (16 senders, one receiver) malloc and free were a
// third of the profile.
//
// The pool keeps freed blocks where they are freed and moves them between threads in
// batches, as tcmalloc's transfer cache does:
// - each thread has one free list per 16-byte size class (blocks up to 256 bytes); a
//   free pushes on it and an allocation pops from it, with no atomic instruction;
// - a thread whose list reaches two batches (2 x 64 blocks) hands one batch to a central
//   stack for its size class, under a mutex taken once per 64 frees;
// - a thread whose list is empty takes a whole batch from there (once per 64 allocations)
//   before it asks malloc.
// So a one-way stream (fan-in: the receiver frees, the senders allocate) recycles its
// blocks through the central stack, and a two-way one (ping-pong) never leaves the
// threads' own lists.
//
// Memory held: at most 2 batches per size class per thread, and at most 1 MiB per size
// class centrally (past that, batches go back to malloc); a thread's lists go to the
// central stacks (or malloc) when it ends. Larger blocks and over-aligned types go
// straight to operator new.
//
// Under AddressSanitizer the pool is bypassed, so a use after free is still caught.
#pragma once

#include <cstddef>

namespace snow::detail {

/// A block of at least `size` bytes, aligned to 16, for a message node.
void* allocate_node(std::size_t size);
/// Returns a block from allocate_node(size), on any thread.
void release_node(void* block, std::size_t size) noexcept;

/// What the calling thread's lists and the central stacks hold, in blocks (for tests).
struct NodePoolHeld {
  std::size_t this_thread = 0;
  std::size_t central = 0;
};
NodePoolHeld node_pool_held();

}  // namespace snow::detail
