#include "src/transport/admission.hpp"

#include <algorithm>

namespace snow::transport {

Admission::Admission(Limits limits) : limits_(limits) {
  // A limit of 0 would have to evict the connection just accepted, which `accept`
  // promises never to do: one slot is the least there is.
  limits_.max_total = std::max<std::size_t>(1, limits_.max_total);
  limits_.max_per_address = std::max<std::size_t>(1, limits_.max_per_address);
}

ConnId Admission::victim(const ByStage& sets, ConnId spare) {
  for (const std::set<Key>& stage : sets) {
    for (const Key& k : stage) {
      if (k.second != spare) return k.second;  // at most one step: `spare` is one element
    }
  }
  return 0;
}

void Admission::index(ConnId id, const Entry& e) {
  const int s = static_cast<int>(e.stage);
  all_[s].insert({e.seq, id});
  by_address_[e.address].by_stage[s].insert({e.seq, id});
}

void Admission::unindex(ConnId id, const Entry& e) {
  const int s = static_cast<int>(e.stage);
  all_[s].erase({e.seq, id});
  auto it = by_address_.find(e.address);
  if (it != by_address_.end()) it->second.by_stage[s].erase({e.seq, id});
}

std::vector<Admission::Eviction> Admission::accept(ConnId id, std::string_view address, absl::Time now) {
  Entry e{next_seq_++, Stage::silent, std::string(address), now};
  index(id, e);
  AddressGroup& group = by_address_[e.address];
  ++group.count;
  entries_.emplace(id, std::move(e));

  std::vector<Eviction> out;
  // The address's own limit first: its victim also frees a slot of the total, so a
  // host over its share never costs another host a connection.
  if (group.count > limits_.max_per_address) {
    const ConnId v = victim(group.by_stage, id);
    forget(v);
    out.push_back({v, Cap::per_address});
  }
  if (entries_.size() > limits_.max_total) {
    const ConnId v = victim(all_, id);
    forget(v);
    out.push_back({v, Cap::total});
  }
  return out;
}

void Admission::progress(ConnId id, Stage stage) {
  auto it = entries_.find(id);
  if (it == entries_.end() || stage <= it->second.stage) return;
  unindex(id, it->second);
  it->second.stage = stage;
  index(id, it->second);
}

void Admission::forget(ConnId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  unindex(id, it->second);
  auto group = by_address_.find(it->second.address);
  if (group != by_address_.end() && --group->second.count == 0) by_address_.erase(group);
  entries_.erase(it);
}

std::vector<ConnId> Admission::expire_silent(absl::Time now) {
  std::vector<ConnId> out;
  const absl::Duration limit = limits_.silent_timeout;
  if (limit <= absl::ZeroDuration() || limit == absl::InfiniteDuration()) return out;
  // Oldest first, and accepts come in clock order: the first one still within its
  // deadline ends the scan.
  for (const Key& k : all_[static_cast<int>(Stage::silent)]) {
    if (now - entries_.at(k.second).accepted_at < limit) break;
    out.push_back(k.second);
  }
  for (ConnId id : out) forget(id);
  return out;
}

std::size_t Admission::count_from(std::string_view address) const {
  auto it = by_address_.find(std::string(address));
  return it == by_address_.end() ? 0 : it->second.count;
}

}  // namespace snow::transport
