// src/runtime/backpressure.cpp: muting senders of a backlogged process (the protocol and
// its memory orders are in backpressure.hpp).
#include "src/runtime/backpressure.hpp"

#include <utility>

#include "src/runtime/process.hpp"

namespace snow::detail {
namespace {

/// Takes `r`'s stack of muted senders; marks each released and, if `wake_them`, wakes it.
void take_muted(Process* r, bool wake_them) noexcept {
  Process* s = r->muted.exchange(nullptr, std::memory_order_seq_cst);
  while (s) {
    Process* next = std::exchange(s->mute_link, nullptr);  // S may list itself again once released
    // seq_cst: S publishes `waiting` and then reads this mark (released_while_parking).
    s->mute_state.store(MuteState::released, std::memory_order_seq_cst);
    if (wake_them) wake(s);
    s->release();  // the stack's reference
    s = next;
  }
}

}  // namespace

void note_backlog(Process* r) noexcept {
  if (r->is_host()) return;
  // relaxed: senders read it as a hint; only its clearing (parking, exiting) needs an
  // order, against the senders listing themselves (mute).
  // backlog_memory: only r writes it (a plain load and store); thieves read it as a hint.
  if (r->queue.size() > kBacklogHigh) {
    if (!r->backlogged.load(std::memory_order_relaxed)) r->backlogged.store(true, std::memory_order_relaxed);
    r->backlog_memory.store(kBacklogMemory, std::memory_order_relaxed);
  } else if (const std::uint16_t left = r->backlog_memory.load(std::memory_order_relaxed); left != 0) {
    r->backlog_memory.store(left - 1, std::memory_order_relaxed);
  }
}

bool keeps_its_worker(const Process* p) noexcept {
  if (p->backlog_memory.load(std::memory_order_relaxed) != 0) return true;
  // `send_cache` is its owner's, but p is in a run queue, not running, and the caller holds
  // that queue's lock: p's last turn, which wrote it, happened before p was queued. The
  // cache holds a reference, so its process is still there.
  const Process* to = p->send_cache;
  return to != nullptr && to->backlog_memory.load(std::memory_order_relaxed) != 0;
}

void note_send_to(Process* from, Process* to) noexcept {
  if (!to->backlogged.load(std::memory_order_relaxed) || from == to || from->is_host()) return;  // a ScopedActor never ticks
  // Listed in a stack (woken by a message meanwhile) or released and not yet at its next
  // turn: `mute_link` is not ours to use. acquire: once released, the taker's last write
  // of it is visible.
  if (from->mute_pending || from->mute_state.load(std::memory_order_acquire) != MuteState::free) return;
  to->add_ref();  // dropped by mute() or drop_mute_target()
  from->mute_link = to;
  // The next tick suspends (and mutes) instead of counting down. Not the budget: a
  // process that sends to a backlogged one and then receives (a server replying to a
  // caller with a long queue) must not lose its turn at every receive.
  from->mute_pending = true;
}

bool mute(Process* s, std::coroutine_handle<> h) noexcept {
  // `mute_link` is set only while `mute_state` is free (note_send_to), and only this
  // process changes it from free.
  Process* r = std::exchange(s->mute_link, nullptr);
  s->mute_pending = false;
  s->resume_point = h;
  bool parks = false;
  s->mute_state.store(MuteState::listed, std::memory_order_relaxed);  // published by the push
  s->add_ref();  // the stack's reference, dropped by take_muted
  Process* top = r->muted.load(std::memory_order_relaxed);
  do {
    s->mute_link = top;
    // seq_cst: pairs with R clearing `backlogged` before taking the stack.
  } while (!r->muted.compare_exchange_weak(top, s, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (r->backlogged.load(std::memory_order_seq_cst)) {
    parks = true;
  } else {
    // R parked or exited since the send, so it may not take the stack again: take it
    // here (S is in it, marked released, consumed at its next turn) and run on.
    take_muted(r, true);
  }
  r->release();
  if (!parks) s->yield_requested = true;
  return parks;
}

void release_muted(Process* r, bool stays_backlogged) noexcept {
  if (!stays_backlogged && r->backlogged.load(std::memory_order_relaxed)) {
    r->backlogged.store(false, std::memory_order_seq_cst);
  }
  // seq_cst: the load pairs with a sender's push, after our clearing of `backlogged`.
  if (r->muted.load(std::memory_order_seq_cst) == nullptr) [[likely]]
    return;
  take_muted(r, true);
}

void start_turn(Process* s) noexcept {
  // acquire: the taker cleared our `mute_link` before marking us released; we may use it
  // again once we have seen the mark.
  if (s->mute_state.load(std::memory_order_acquire) == MuteState::released) {
    s->mute_state.store(MuteState::free, std::memory_order_relaxed);
  }
}

bool released_while_parking(const Process* s) noexcept {
  return s->mute_state.load(std::memory_order_seq_cst) == MuteState::released;
}

bool has_mute_target(const Process* p) noexcept { return p->mute_pending; }

void drop_mute_target(Process* p) noexcept {
  if (p->mute_pending) {
    p->mute_pending = false;
    std::exchange(p->mute_link, nullptr)->release();
  }
}

void forget_mutes(Process* p) noexcept {
  drop_mute_target(p);
  take_muted(p, false);
}

}  // namespace snow::detail
