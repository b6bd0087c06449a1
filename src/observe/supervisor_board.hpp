// src/observe/supervisor_board.hpp: where supervisors publish themselves for observers.
//
// A supervisor's children, restart counts and exit reasons belong to its own thread, and
// asking it (a call) would make an observer wait on a supervisor busy restarting. So each
// supervisor copies its state here when it changes: at start-up, when a child ends or is
// restarted, on the dynamic API's changes, and removes it when it ends. Those are rare
// events, never on a message path, so a mutex and a copy are the whole cost, and an
// observer reads any number of supervisors without waiting on one.
#pragma once

#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "snow/observe.hpp"

namespace snow::internal {

class SupervisorBoard {
 public:
  void publish(SupervisorSummary summary);
  void remove(Pid supervisor);
  /// Every supervisor published and not removed, by Pid.
  std::vector<SupervisorSummary> snapshot() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<Pid, SupervisorSummary> boards_;  // guarded by mu_
};

}  // namespace snow::internal
