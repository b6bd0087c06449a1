#include "src/runtime/process_table.hpp"

#include <algorithm>

namespace snow::internal {

ProcessTable::Leaf* ProcessTable::Shard::leaf(std::uint64_t index) {
  if (index == last_index) return last;
  auto it = leaves.find(index);
  if (it == leaves.end()) return nullptr;
  last = it->second.get();
  last_index = index;
  return last;
}

ProcessTable::Leaf* ProcessTable::Shard::make_leaf(std::uint64_t index) {
  std::unique_ptr<Leaf> fresh = spare ? std::move(spare) : std::make_unique<Leaf>();
  last = fresh.get();
  last_index = index;
  leaves.emplace(index, std::move(fresh));
  return last;
}

void ProcessTable::insert(Process* p) {
  const Place at = place_of(p->pid.serial());
  Shard& s = shard(p->pid.serial());
  std::lock_guard lock(s.mu);
  Leaf* leaf = s.leaf(at.leaf);
  if (leaf == nullptr) leaf = s.make_leaf(at.leaf);
  Process*& slot = leaf->slots[at.slot];
  SNOW_CHECK(slot == nullptr, "a process serial inserted twice");
  slot = p;
  ++leaf->live;
  ++s.live;
}

ProcessRef ProcessTable::find(std::uint64_t serial) const {
  const Place at = place_of(serial);
  Shard& s = shard(serial);
  std::lock_guard lock(s.mu);
  Leaf* leaf = s.leaf(at.leaf);
  if (leaf == nullptr) return {};
  Process* p = leaf->slots[at.slot];
  if (p == nullptr) return {};
  p->add_ref();
  return ProcessRef(p);
}

bool ProcessTable::remove(Process* p) {
  const Place at = place_of(p->pid.serial());
  {
    Shard& s = shard(p->pid.serial());
    std::lock_guard lock(s.mu);
    Leaf* leaf = s.leaf(at.leaf);
    if (leaf == nullptr || leaf->slots[at.slot] != p) return false;
    leaf->slots[at.slot] = nullptr;
    --s.live;
    if (--leaf->live == 0) {
      // Emptied: serials are not reused, so it fills again only if a spawn that took a
      // serial in its range has not inserted yet (it is then made again).
      auto it = s.leaves.find(at.leaf);
      if (!s.spare) s.spare = std::move(it->second);  // all slots are null again
      s.leaves.erase(it);
      s.last = nullptr;
      s.last_index = ~std::uint64_t{0};
    }
  }
  p->release();
  return true;
}

std::vector<ProcessRef> ProcessTable::snapshot() const {
  std::vector<ProcessRef> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [index, leaf] : s.leaves) {
      for (Process* p : leaf->slots) {
        if (p == nullptr) continue;
        p->add_ref();
        out.emplace_back(p);
      }
    }
  }
  // Serial order, not the shards' order: a stopping runtime ends its processes in this
  // order (their destructors may log or send), and process listings show it.
  std::sort(out.begin(), out.end(), [](const ProcessRef& a, const ProcessRef& b) { return a->pid.serial() < b->pid.serial(); });
  return out;
}

std::size_t ProcessTable::size() const {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.live;
  }
  return n;
}

std::size_t ProcessTable::leaves() const {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.leaves.size() + (s.spare ? 1 : 0);
  }
  return n;
}

}  // namespace snow::internal
