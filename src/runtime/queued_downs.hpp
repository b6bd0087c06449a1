// src/runtime/queued_downs.hpp: the Downs in a process's queue, and demonitor's flush.
//
// After `demonitor(ref)` returns, no Down for `ref` is ever received (Erlang's demonitor
// with flush). A Down still in the intake is dropped as it is drained, because its
// monitor is gone (drain checks). The only other place it can be is the queue, if it was
// drained before the demonitor: a call whose server died just after replying, a monitor
// of a process already gone. Finding it by walking the queue made every call O(queue),
// since a call ends with a demonitor (`snow_bench call_queued`: 57k calls/s with 10,000
// messages queued against 1.14M with none). Instead:
//
// - Every Down the runtime queues is indexed by its ref (Relations::queued_downs), and
//   leaves the index when it leaves the queue (a receive takes it, or it is withdrawn).
//   Downs are few: one per monitor that fired, so the index costs nothing on the message
//   path; a receive checks the type of the message it took, one comparison.
// - demonitor looks the ref up (O(log monitors)); if its Down is queued, the node is
//   withdrawn in place: retyped to the Down's signal form, which no receive clause can
//   match (queued nodes are never signals otherwise), and taken out of the queue's
//   length and the bounded mailbox's count at once, so process_info and mailbox_stats
//   stay exact. No queued message is looked at.
// - A withdrawn node stays linked until a receive scan meets it and frees it (one
//   comparison per message looked at, in the scan that was looking anyway). A process
//   whose receives all start from markers may never meet it, so when withdrawn nodes
//   outnumber the live messages (and are more than kSweepFloor), one walk frees them
//   all. That walk costs at most twice the withdrawals since the last one: O(1) per
//   demonitor, amortised, and withdrawn nodes never hold more than the live messages
//   (or kSweepFloor nodes) do.
#pragma once

#include "snow/monitor.hpp"
#include "src/runtime/process.hpp"

namespace snow::detail {

/// A withdrawn Down: a queued node retyped so that nothing matches it.
inline bool is_withdrawn(const MessageNode* node) noexcept { return node->type == &kSignalInfo<Down>; }

/// Queues the Down of a monitor of `p` that fired, indexed by its ref.
void queue_down(Process* p, Down down);
/// `node`, an indexed Down, left the queue: it leaves the index.
void forget_queued_down(Process* p, const MessageNode* node) noexcept;
/// A receive took `node` out of the queue: if it is a Down, it leaves the index.
inline void note_taken_down(Process* p, const MessageNode* node) noexcept {
  if (node->type == type_of<Down>()) [[unlikely]]
    forget_queued_down(p, node);
}
/// Withdraws the Down for `ref` if one is queued (demonitor's flush). O(log monitors),
/// and O(1) amortised for the sweep it may start.
void withdraw_queued_down(Process* p, Ref ref) noexcept;
/// Unlinks and frees the withdrawn node at `*slot`; the slot then holds the next node.
void free_withdrawn(Process* p, MessageNode** slot) noexcept;

}  // namespace snow::detail
