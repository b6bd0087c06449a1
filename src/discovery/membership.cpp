// src/discovery/membership.cpp
#include "src/discovery/membership.hpp"

#include <algorithm>

namespace snow::discovery {

MembershipPlan plan_membership(const std::vector<DnsMember>& answer, const absl::flat_hash_set<std::string>& previous,
                               const MemberState& state, std::size_t max_members) {
  MembershipPlan plan;
  for (const DnsMember& m : answer) {
    std::string key = m.key();
    if (plan.listed.contains(key)) continue;  // a duplicate record
    if (plan.listed.size() >= max_members) {
      ++plan.ignored;
      continue;
    }
    plan.listed.insert(key);
    if (state.is_self(m) || state.is_connected_or_dialling(m)) continue;
    plan.dial.push_back(m);
  }
  for (const std::string& key : previous) {
    if (!plan.listed.contains(key)) plan.gone.push_back(key);
  }
  std::sort(plan.gone.begin(), plan.gone.end());  // a set's order is per process: make it fixed
  return plan;
}

}  // namespace snow::discovery
