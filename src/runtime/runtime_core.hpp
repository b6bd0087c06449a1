// src/runtime/runtime_core.hpp: what a Runtime is made of.
//
// The public Runtime is a thin handle on this. Parts are built in dependency order and
// torn down in reverse: timers and workers stop first, then every live process is
// destroyed, so no thread can touch a process while it is being freed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <condition_variable>
#include <mutex>
#include "snow/runtime.hpp"
#include "src/observe/observations.hpp"
#include "src/runtime/process_table.hpp"
#include "src/runtime/registry.hpp"
#include "src/runtime/remote_router.hpp"
#include "src/runtime/scheduler.hpp"
#include "src/runtime/timer_service.hpp"

namespace snow::detail {

class RuntimeCore {
 public:
  RuntimeCore(Runtime& owner, RuntimeOptions options);
  ~RuntimeCore();

  void stop();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  Ref make_ref() { return Ref::make(0, next_ref_.fetch_add(1, std::memory_order_relaxed)); }
  /// The live local process `pid` names, referenced; empty for remote or dead Pids, and
  /// for Pids of this node's earlier lives (another creation).
  ProcessRef find(Pid pid) const {
    if (!pid.is_local() || pid.is_null() || pid.creation() != pid_creation()) return {};
    return table.find(pid.serial());
  }
  /// Which life of its node this runtime is (RuntimeOptions::creation).
  std::uint32_t creation() const { return creation_; }
  /// What local Pids carry of it.
  std::uint8_t pid_creation() const { return static_cast<std::uint8_t>(creation_); }
  Pid local_pid(std::uint64_t serial) const { return Pid::make(0, pid_creation(), serial); }

  /// A line of kind "runtime" about no process in particular.
  void log(LogLevel level, std::string_view text) const;
  /// A LogRecord: the time is the runtime's clock, the node set_log_node's name.
  void log(LogLevel level, std::string_view kind, Pid pid, std::string_view text) const;
  /// The node name log records carry (set while this runtime is a node).
  void set_log_node(std::string name);

  /// Which count a process is in: rt.join() waits for `normal` ones only; ScopedActors
  /// (`host`) must be gone before the Runtime; `system` ones are the runtime's own.
  enum class ProcessKind { normal, host, system };
  static ProcessKind kind_of(const Process& p);
  void on_process_started(ProcessKind kind);
  void on_process_ended(ProcessKind kind);

  Runtime& owner;
  const RuntimeOptions options;
  internal::ProcessTable table;
  internal::Registry registry;
  internal::TimerService timers;
  internal::Scheduler scheduler;

  std::atomic<std::uint64_t> spawned{0};
  // Dead letters counted by the node layer (src/dist/); the runtime's own are counted
  // by reason in `obs`. RuntimeStats::dead_letters is the sum.
  std::atomic<std::uint64_t> dead_letters{0};
  std::atomic<std::uint64_t> dropped{0};  // refused by full mailboxes
  internal::RuntimeObservations obs;      // counters with reasons, histograms (snow/observe.hpp)
  std::atomic<std::int64_t> live_processes{0};  // not counting ScopedActors
  std::atomic<std::int64_t> live_hosts{0};
  std::atomic<std::int64_t> live_system{0};

  // Set while this runtime is a node (src/dist/); remote Pids go there. The node object
  // outlives every process (it is destroyed after the scheduler has stopped).
  std::atomic<RemoteRouter*> router{nullptr};
  std::unique_ptr<RemoteRouter> node;

  std::mutex join_mu;
  std::condition_variable join_cv;

 private:
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_ref_{1};
  // Which life of this node the Pids belong to: RuntimeOptions::creation, or fresh.
  std::uint32_t creation_ = 1;
  mutable std::mutex log_node_mu_;  // log() runs on any thread; the node starts on one
  std::string log_node_;
};

/// A creation that no earlier runtime on this machine had within the last 49 days: the
/// wall clock's milliseconds (low 32 bits, never 0), and above the last one this process
/// handed out, so two runtimes started in one millisecond differ too.
std::uint32_t fresh_creation();

}  // namespace snow::detail
