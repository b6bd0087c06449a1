// src/observe/supervisor_board.cpp: see supervisor_board.hpp.
#include "src/observe/supervisor_board.hpp"

#include <algorithm>
#include <utility>

#include "snow/runtime.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow {
namespace internal {

void SupervisorBoard::publish(SupervisorSummary summary) {
  std::lock_guard lock(mu_);
  const Pid pid = summary.pid;
  boards_.insert_or_assign(pid, std::move(summary));
}

void SupervisorBoard::remove(Pid supervisor) {
  std::lock_guard lock(mu_);
  boards_.erase(supervisor);
}

std::vector<SupervisorSummary> SupervisorBoard::snapshot() const {
  std::vector<SupervisorSummary> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(boards_.size());
    for (const auto& [pid, summary] : boards_) out.push_back(summary);
  }
  std::sort(out.begin(), out.end(), [](const SupervisorSummary& a, const SupervisorSummary& b) { return a.pid < b.pid; });
  return out;
}

}  // namespace internal

std::vector<SupervisorSummary> supervisors(Runtime& rt) { return rt.core().obs.supervisors.snapshot(); }

}  // namespace snow
