// src/runtime/registry.hpp: the local name registry.
//
// A name maps to one live process and a process has at most one name. The name dies with
// its process: the process's name_state goes none -> named here and -> dead when it
// ends, and whichever of register and exit comes second sees the other's write, so a
// name can never outlive its process.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include <condition_variable>
#include <mutex>
#include "snow/pid.hpp"
#include "src/runtime/process.hpp"

namespace snow::internal {

class Registry {
 public:
  /// `process` is the live process `pid` names (null if there is none).
  absl::Status register_name(std::string name, detail::Process* process, Pid pid);
  /// Removes the name and returns the Pid it named; the caller resets that process's
  /// name_state so it may register again.
  absl::StatusOr<Pid> unregister_name(std::string_view name);
  std::optional<Pid> whereis(std::string_view name) const;
  /// Drops the name of an ended process.
  void release(Pid pid);
  std::vector<std::string> names() const;
  /// The name `pid` is registered under, "" if none.
  std::string name_of(Pid pid) const;
  /// Every (pid, name) pair, for introspection.
  std::vector<std::pair<Pid, std::string>> entries() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Pid> by_name_;  // guarded by mu_
  absl::flat_hash_map<Pid, std::string> by_pid_;  // guarded by mu_
};

}  // namespace snow::internal
