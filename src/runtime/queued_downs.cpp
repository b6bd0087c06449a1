// src/runtime/queued_downs.cpp: the Downs in a process's queue (see queued_downs.hpp).
#include "src/runtime/queued_downs.hpp"

#include <utility>

namespace snow::detail {

namespace {

// Fewer withdrawn nodes than this are left for receive scans to meet: not worth a walk.
constexpr std::size_t kSweepFloor = 64;

const Ref& ref_of(const MessageNode* down) { return static_cast<const Boxed<Down>*>(down)->value.ref; }

/// Frees every withdrawn node in one walk, stopping after the last one.
void sweep_withdrawn(Process* p) noexcept {
  for (MessageNode** slot = p->queue.head_slot(); *slot && p->queue.withdrawn() != 0;) {
    ++p->scanned;
    if (is_withdrawn(*slot)) {
      free_withdrawn(p, slot);
    } else {
      slot = &(*slot)->next;
    }
  }
}

}  // namespace

void queue_down(Process* p, Down down) {
  MessageNode* node = box(std::move(down));
  p->relations().queued_downs.emplace(ref_of(node).raw(), node);
  p->append_local(node);
}

void forget_queued_down(Process* p, const MessageNode* node) noexcept {
  if (!p->has_relations()) return;  // a Down some process sent as a message
  auto& index = p->relations().queued_downs;
  // The node itself must match: a Down sent as a message may carry an indexed ref.
  if (auto it = index.find(ref_of(node).raw()); it != index.end() && it->second == node) index.erase(it);
}

void withdraw_queued_down(Process* p, Ref ref) noexcept {
  if (!p->has_relations()) return;
  auto& index = p->relations().queued_downs;
  auto it = index.find(ref.raw());
  if (it == index.end()) return;  // never queued, or already received
  MessageNode* node = it->second;
  index.erase(it);
  node->type = &kSignalInfo<Down>;  // same object, same destructor: only matching changes
  p->queue.count_withdrawn();
  p->count_out();
  // Histograms on: its arrival is forgotten now (a search of the arrival list, as when a
  // receive takes a message from the middle of the queue); it never counts as taken.
  forget_arrival(p, node);
  const std::size_t withdrawn = p->queue.withdrawn();
  if (withdrawn > kSweepFloor && withdrawn > p->queue.size()) sweep_withdrawn(p);
}

void free_withdrawn(Process* p, MessageNode** slot) noexcept { destroy(p->queue.remove_withdrawn(slot)); }

}  // namespace snow::detail
