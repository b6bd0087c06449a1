#include "src/runtime/registry.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/runtime/strings.hpp"

namespace snow::internal {

using detail::NameState;

absl::Status Registry::register_name(std::string name, detail::Process* process, Pid pid) {
  if (name.empty()) return absl::InvalidArgumentError("a registered name must not be empty");
  std::lock_guard lock(mu_);
  if (auto it = by_name_.find(to_absl(name)); it != by_name_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("the name '", name, "' is already registered to ", it->second.to_string()));
  }
  if (process == nullptr) return absl::NotFoundError(absl::StrCat(pid.to_string(), " is not a live local process"));
  NameState expected = NameState::none;
  if (!process->name_state.compare_exchange_strong(expected, NameState::named)) {
    if (expected == NameState::dead) return absl::NotFoundError(absl::StrCat(pid.to_string(), " has ended"));
    return absl::AlreadyExistsError(absl::StrCat(pid.to_string(), " is already registered as '", by_pid_[pid], "'"));
  }
  by_pid_.emplace(pid, name);
  by_name_.emplace(std::move(name), pid);
  return absl::OkStatus();
}

absl::StatusOr<Pid> Registry::unregister_name(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(to_absl(name));
  if (it == by_name_.end()) return absl::NotFoundError(absl::StrCat("no process is registered as '", to_absl(name), "'"));
  const Pid pid = it->second;
  by_pid_.erase(pid);
  by_name_.erase(it);
  return pid;
}

std::optional<Pid> Registry::whereis(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(to_absl(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

void Registry::release(Pid pid) {
  std::lock_guard lock(mu_);
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  by_name_.erase(it->second);
  by_pid_.erase(it);
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, pid] : by_name_) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Registry::name_of(Pid pid) const {
  std::lock_guard lock(mu_);
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? std::string() : it->second;
}

std::vector<std::pair<Pid, std::string>> Registry::entries() const {
  std::lock_guard lock(mu_);
  return {by_pid_.begin(), by_pid_.end()};
}

}  // namespace snow::internal
