#include "src/runtime/process_table.hpp"

#include <algorithm>

namespace snow::internal {

void ProcessTable::insert(Process* p) {
  Shard& s = shard(p->pid.serial());
  std::lock_guard lock(s.mu);
  s.by_serial.emplace(p->pid.serial(), p);
}

ProcessRef ProcessTable::find(std::uint64_t serial) const {
  Shard& s = shard(serial);
  std::lock_guard lock(s.mu);
  auto it = s.by_serial.find(serial);
  if (it == s.by_serial.end()) return {};
  it->second->add_ref();
  return ProcessRef(it->second);
}

bool ProcessTable::remove(Process* p) {
  {
    Shard& s = shard(p->pid.serial());
    std::lock_guard lock(s.mu);
    if (s.by_serial.erase(p->pid.serial()) == 0) return false;
  }
  p->release();
  return true;
}

std::vector<ProcessRef> ProcessTable::snapshot() const {
  std::vector<ProcessRef> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto& [serial, p] : s.by_serial) {
      p->add_ref();
      out.emplace_back(p);
    }
  }
  // Serial order, not the shards' hash order: a stopping runtime ends its processes in
  // this order (their destructors may log or send), and process listings show it.
  std::sort(out.begin(), out.end(), [](const ProcessRef& a, const ProcessRef& b) { return a->pid.serial() < b->pid.serial(); });
  return out;
}

std::size_t ProcessTable::size() const {
  std::size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.by_serial.size();
  }
  return n;
}

}  // namespace snow::internal
