// src/runtime/mailbox.hpp: a process's mailbox, in two parts.
//
// Intake: where other threads put messages and signals. A lock-free LIFO stack
// (Treiber): push is one CAS, and the owner takes everything at once with one exchange,
// then reverses it, so arrival order is restored for each batch. Closing replaces the
// top with a sentinel, after which every push fails: the sender then knows the process
// is gone and can answer for it (noproc for a link or monitor), with no window in which a
// signal is accepted and never handled.
//
// Queue: the owner's private, ordered list of messages that no receive has taken yet.
// Only the process itself touches it, so it needs no synchronisation. Positions in it are
// `MessageNode**` slots (the `next` field of the node before, or `&head_`): a slot stays
// valid while nodes are appended or removed elsewhere, and the two long-lived positions
// (the tail and the receive marker) are moved back by remove() when their node goes.
// The queue keeps its length in an atomic that only the owner writes (a plain load and
// store, no read-modify-write), so other threads can read it for introspection; and, the
// same way, the bytes its nodes occupy (footprint_of each node), for the process's memory
// figure. Counting there, as the owner moves nodes out of the intake, costs the receiver
// an add and a store per message and the senders nothing: a count kept at push would be
// one more contended read-modify-write on every send.
//
// Withdrawn nodes. A singly linked queue cannot unlink a node it holds no slot for
// without walking to it, so a message the owner takes back (a Down flushed by demonitor,
// src/runtime/queued_downs.hpp) stays linked, made unmatchable, until a scan meets it.
// It leaves the length at once (the length counts live messages only, exactly) and is
// counted in `withdrawn()` until it is unlinked.
#pragma once

#include <atomic>
#include <cstdint>

#include "snow/detail/message_node.hpp"

namespace snow::internal {

using detail::MessageNode;

class Intake {
 public:
  /// Pushes `node`; false if the intake is closed (the node is not taken).
  bool push(MessageNode* node) noexcept {
    MessageNode* top = top_.load(std::memory_order_relaxed);
    do {
      if (top == closed()) return false;
      node->next = top;
      // seq_cst: the sender reads the process state right after this push, and the
      // process writes its state before re-reading the intake when it parks (a Dekker
      // pair); with weaker orders both could miss each other and the wake-up be lost.
    } while (!top_.compare_exchange_weak(top, node, std::memory_order_seq_cst, std::memory_order_relaxed));
    return true;
  }

  bool empty() const noexcept {
    MessageNode* top = top_.load(std::memory_order_seq_cst);
    return top == nullptr || top == closed();
  }

  /// Takes every pushed node, oldest first. Owner only.
  MessageNode* take_all() noexcept {
    if (top_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    // acquire: the pushed nodes' contents were published by the pushers' CAS.
    return reverse(top_.exchange(nullptr, std::memory_order_acquire));
  }

  /// Closes the intake and returns what was still in it, oldest first.
  MessageNode* close() noexcept { return reverse(top_.exchange(closed(), std::memory_order_acq_rel)); }

 private:
  static MessageNode* closed() noexcept { return reinterpret_cast<MessageNode*>(std::uintptr_t{1}); }
  static MessageNode* reverse(MessageNode* list) noexcept {
    if (list == closed()) return nullptr;
    MessageNode* out = nullptr;
    while (list) {
      MessageNode* next = list->next;
      list->next = out;
      out = list;
      list = next;
    }
    return out;
  }
  std::atomic<MessageNode*> top_{nullptr};
};

class MessageQueue {
 public:
  MessageQueue() = default;
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;

  MessageNode** head_slot() noexcept { return &head_; }
  bool empty() const noexcept { return head_ == nullptr; }

  void append(MessageNode* node) noexcept {
    node->next = nullptr;
    *tail_ = node;
    tail_ = &node->next;
    length_.store(length_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    add_bytes(footprint_of(node));
  }

  /// Unlinks and returns the node at `*slot`.
  MessageNode* remove(MessageNode** slot) noexcept {
    length_.store(length_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    MessageNode* node = unlink(slot);
    add_bytes(0 - footprint_of(node));  // unsigned wrap-around: a subtraction
    return node;
  }

  /// A node still linked has been withdrawn: it no longer counts as a message.
  void count_withdrawn() noexcept {
    length_.store(length_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    ++withdrawn_;
  }
  /// Unlinks and returns the withdrawn node at `*slot`.
  MessageNode* remove_withdrawn(MessageNode** slot) noexcept {
    --withdrawn_;
    MessageNode* node = unlink(slot);
    add_bytes(0 - footprint_of(node));  // a withdrawn node held its bytes until now
    return node;
  }
  /// Withdrawn nodes still linked.
  std::size_t withdrawn() const noexcept { return withdrawn_; }

  /// Marks the current end of the queue as the place where a receive `since(ref)` starts.
  void place_marker(std::uint64_t ref) noexcept {
    marker_slot_ = tail_;
    marker_ref_ = ref;
  }
  /// The slot to start scanning from for `since(ref)`; the head if `ref` is not the marker.
  MessageNode** start_for(std::uint64_t ref) noexcept {
    return (ref != 0 && ref == marker_ref_) ? marker_slot_ : &head_;
  }

  /// The number of queued messages; any thread (a thread other than the owner sees the
  /// length as of some recent moment).
  std::size_t size() const noexcept { return length_.load(std::memory_order_relaxed); }
  /// The bytes the queued nodes occupy, withdrawn ones included (they are still linked);
  /// any thread, as size().
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

  /// Frees every node. The queue is empty afterwards.
  void clear() noexcept {
    while (head_) {
      MessageNode* next = head_->next;
      detail::destroy(head_);
      head_ = next;
    }
    tail_ = &head_;
    marker_slot_ = &head_;
    marker_ref_ = 0;
    withdrawn_ = 0;
    length_.store(0, std::memory_order_relaxed);
    bytes_.store(0, std::memory_order_relaxed);
  }
  ~MessageQueue() { clear(); }

 private:
  void add_bytes(std::size_t delta) noexcept {
    bytes_.store(bytes_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  MessageNode* unlink(MessageNode** slot) noexcept {
    MessageNode* node = *slot;
    *slot = node->next;
    if (tail_ == &node->next) tail_ = slot;
    if (marker_slot_ == &node->next) marker_slot_ = slot;
    node->next = nullptr;
    return node;
  }

  MessageNode* head_ = nullptr;
  MessageNode** tail_ = &head_;
  MessageNode** marker_slot_ = &head_;
  std::uint64_t marker_ref_ = 0;
  std::size_t withdrawn_ = 0;  // owner only
  std::atomic<std::size_t> length_{0};  // live messages, withdrawn ones excluded
  std::atomic<std::size_t> bytes_{0};   // every linked node's node_bytes
};

}  // namespace snow::internal
