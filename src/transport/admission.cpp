#include "src/transport/admission.hpp"

#include <algorithm>

namespace snow::transport {
namespace {

bool finite_positive(absl::Duration d) { return d > absl::ZeroDuration() && d != absl::InfiniteDuration(); }

}  // namespace

Admission::Admission(Limits limits) : limits_(limits) {
  // A limit of 0 would have to evict the connection just accepted, which `accept`
  // promises never to do: one slot is the least there is.
  limits_.max_total = std::max<std::size_t>(1, limits_.max_total);
  limits_.max_per_address = std::max<std::size_t>(1, limits_.max_per_address);
}

ConnId Admission::victim(const Ranks& ranks, ConnId spare) {
  for (const std::set<Key>& rank : ranks) {
    for (const Key& k : rank) {
      if (k.second != spare) return k.second;  // at most one step: `spare` is one element
    }
  }
  return 0;
}

void Admission::index(ConnId id, const Entry& e) {
  const int r = rank(e.stage, e.stalled);
  all_[r].insert({e.seq, id});
  AddressGroup& group = by_address_[e.address];
  group.ranks[r].insert({e.seq, id});
  if (group.count > 1) shared_[r].insert({e.seq, id});
}

void Admission::unindex(ConnId id, const Entry& e) {
  const int r = rank(e.stage, e.stalled);
  all_[r].erase({e.seq, id});
  shared_[r].erase({e.seq, id});
  auto it = by_address_.find(e.address);
  if (it != by_address_.end()) it->second.ranks[r].erase({e.seq, id});
}

void Admission::set_shared(const AddressGroup& group, bool shared) {
  for (int r = 0; r < kRanks; ++r) {
    for (const Key& k : group.ranks[r]) {
      if (shared) {
        shared_[r].insert(k);
      } else {
        shared_[r].erase(k);
      }
    }
  }
}

void Admission::mark_stalled(absl::Time now) {
  if (!finite_positive(limits_.stalled_after)) return;
  for (int r = rank(Stage::silent, false); r < kRanks; ++r) {
    std::set<Key>& advancing = all_[r];
    // Longest since its last step first, and steps come in clock order: the first one
    // still fresh ends the scan.
    while (!advancing.empty()) {
      const ConnId id = advancing.begin()->second;
      Entry& e = entries_.at(id);
      if (now - e.stage_since < limits_.stalled_after) break;
      unindex(id, e);
      e.stalled = true;
      index(id, e);
    }
  }
}

std::vector<Admission::Eviction> Admission::accept(ConnId id, std::string_view address, absl::Time now) {
  mark_stalled(now);
  Entry e{next_seq_++, Stage::silent, /*stalled=*/false, now, now, std::string(address)};
  AddressGroup& group = by_address_[e.address];
  // Counted before it is indexed, so that it goes into shared_ if its address is.
  if (++group.count == 2) set_shared(group, true);
  index(id, e);
  entries_.emplace(id, std::move(e));

  std::vector<Eviction> out;
  // The address's own limit first: its victim also frees a slot of the total, so a
  // host over its share never costs another host a connection.
  if (group.count > limits_.max_per_address) {
    const ConnId v = victim(group.ranks, id);
    forget(v);
    out.push_back({v, Cap::per_address});
  }
  if (entries_.size() > limits_.max_total) {
    // The least advanced connection of an address that holds more than one pays: a flood
    // must then spread over as many addresses as there are slots before a newcomer from
    // an address of its own competes with it at all. Only when no address holds two does
    // it come from anywhere.
    ConnId v = victim(shared_, id);
    if (v == 0) v = victim(all_, id);
    forget(v);
    out.push_back({v, Cap::total});
  }
  return out;
}

void Admission::progress(ConnId id, Stage stage, absl::Time now) {
  auto it = entries_.find(id);
  if (it == entries_.end() || stage <= it->second.stage) return;
  Entry& e = it->second;
  unindex(id, e);
  e.seq = next_seq_++;  // the newest in its new stage
  e.stage = stage;
  e.stalled = false;
  e.stage_since = now;
  index(id, e);
}

void Admission::forget(ConnId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  unindex(id, it->second);
  auto group = by_address_.find(it->second.address);
  if (group != by_address_.end()) {
    const std::size_t left = --group->second.count;
    if (left == 1) set_shared(group->second, false);  // the one left has its address to itself
    if (left == 0) by_address_.erase(group);
  }
  entries_.erase(it);
}

std::vector<ConnId> Admission::expire_silent(absl::Time now) {
  std::vector<ConnId> out;
  if (!finite_positive(limits_.silent_timeout)) return out;
  for (bool stalled : {true, false}) {
    // Oldest first, and accepts come in clock order: the first one still within its
    // deadline ends the scan of its rank.
    for (const Key& k : all_[rank(Stage::silent, stalled)]) {
      if (now - entries_.at(k.second).accepted_at < limits_.silent_timeout) break;
      out.push_back(k.second);
    }
  }
  for (ConnId id : out) forget(id);
  return out;
}

std::size_t Admission::count_from(std::string_view address) const {
  auto it = by_address_.find(std::string(address));
  return it == by_address_.end() ? 0 : it->second.count;
}

}  // namespace snow::transport
