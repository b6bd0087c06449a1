// src/runtime/scheduler.hpp: who runs which process when.
//
// Threaded mode: N workers, each with a FIFO run queue (intrusive, so scheduling never
// allocates) and a one-process "next" slot. A process woken by a send from a process
// running on worker W goes into W's next slot and runs as soon as the sender parks: a
// request/reply pair then stays on one core, warm in its cache, with no thread wake-up,
// which is what makes ping-pong and rings fast. Another worker takes a slot only from an
// owner it has seen stay in one turn (steal_next): an idle one while it spins, a busy one
// every kInjectedCheckInterval turns (a long turn, or a thread the kernel descheduled, must
// not hold a woken process while the others keep running). A process the slot displaces
// goes to the queue, which idle workers steal from. A worker takes its next slot at most
// kMaxNextStreak times in a row, so two processes ping-ponging cannot starve the queue.
// Idle workers steal from the others' queues, except a backlogged fan-in's processes while
// their worker keeps starting turns (backpressure.hpp, kBacklogMemory), spin briefly,
// then sleep; a push wakes a
// sleeper only when one is sleeping (a seq_cst counter checked after the push, paired
// with the sleeper re-checking the queues after announcing itself).
//
// Deterministic mode: one FIFO queue, no threads; step() runs the head for one turn.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <condition_variable>
#include <mutex>
#include "src/runtime/process.hpp"

namespace snow::internal {

using detail::Process;

class RunQueue {
 public:
  void push(Process* p);
  Process* pop();
  /// pop(), unless the head is a process that `stays` (a thief leaves it, and what is
  /// behind it, for the owner).
  template <class Pred>
  Process* pop_unless(Pred stays) {
    if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(mu_);
    Process* p = head_;
    if (!p || stays(p)) return nullptr;
    head_ = p->run_next;
    if (!head_) tail_ = nullptr;
    size_.fetch_sub(1, std::memory_order_relaxed);
    return p;
  }
  /// Appends the chain first..last (linked through run_next) of `n` processes.
  void push_chain(Process* first, Process* last, std::size_t n);
  std::size_t size() const { return size_.load(std::memory_order_seq_cst); }

 private:
  std::mutex mu_;
  Process* head_ = nullptr;  // guarded by mu_
  Process* tail_ = nullptr;  // guarded by mu_
  std::atomic<std::size_t> size_{0};
};

class Scheduler {
 public:
  Scheduler(detail::RuntimeCore& core, int workers, bool deterministic);
  ~Scheduler();

  void start();
  /// Stops and joins the workers; processes in queues stay where they are.
  void stop();

  /// `p` has just become runnable (its state is runnable); any thread.
  void schedule(Process* p);
  /// `p` used up its turn; it goes to the back of the queue. Its owner thread only.
  void requeue(Process* p);

  int workers() const { return static_cast<int>(workers_.size()); }
  /// Processes waiting in each worker's queue (its next slot included); any thread, a
  /// moment's picture (observers).
  std::vector<std::uint64_t> run_queue_lengths() const {
    std::vector<std::uint64_t> out;
    out.reserve(workers_.size());
    for (const auto& w : workers_) {
      out.push_back(w->queue.size() + (w->next.load(std::memory_order_relaxed) != nullptr ? 1 : 0));
    }
    return out;
  }

  /// No process running or waiting to run, at this moment (any thread). A process a
  /// worker has just taken from a queue, in the few instructions before its turn counts
  /// as started, is missed: a caller samples it more than once, some time apart, as a
  /// Snow program's end does (src/lang/program.cpp).
  bool idle() const;

  // -- deterministic mode --
  bool step();

 private:
  struct Worker {
    RunQueue queue;
    // The next slot. Set and taken by the owner; an idle worker may steal it, but only
    // once it has seen the owner stay inside one turn (same `turns` value) across its
    // spin, so a reply the owner is about to run is left alone.
    std::atomic<Process*> next{nullptr};
    std::atomic<std::uint64_t> turns{0};
    // Turns finished: equal to `turns` while the worker is between turns (idle()).
    std::atomic<std::uint64_t> turns_ended{0};
    // The other workers' `turns` at this worker's last look at their next slots (take()).
    std::vector<std::uint64_t> seen_turns;
    // The other workers' `turns` at this worker's last steal(), and since when they have
    // not changed (steal() tells a stuck worker by it).
    struct Sighting {
      std::uint64_t turns = ~std::uint64_t{0};
      std::chrono::steady_clock::time_point since;
    };
    std::vector<Sighting> queue_sightings;
    int next_streak = 0;
    std::uint32_t ticks = 0;
    std::thread thread;
  };
  static constexpr int kMaxNextStreak = 32;
  static constexpr std::uint32_t kInjectedCheckInterval = 31;
  // A worker that has not started a turn for this long is stuck (a blocked thread, a
  // descheduled one): its whole queue may be stolen, kept fan-ins included (steal()).
  static constexpr std::chrono::milliseconds kStuckTurn{2};
  static constexpr int kIdleSpins = 100;  // roughly 20-50 us of looking before sleeping
  // A yield that took longer than this means another program had the core: the machine
  // is oversubscribed, and idle workers sleep at once (no spinning) for kBusyMachineHold.
  static constexpr std::chrono::microseconds kSlowYield{200};
  static constexpr std::chrono::milliseconds kBusyMachineHold{100};

  void work(int index);
  Process* take(Worker& w, int index);
  Process* steal(Worker& thief, int index);
  /// Steals a next slot whose owner has been in the same turn since `seen` was taken.
  Process* steal_next(int thief, std::vector<std::uint64_t>& seen);
  void run(Process* p);
  void wake_one();
  bool any_work() const;
  /// Looks for work for a while, then sleeps. Returns a stolen next-slot process, if any.
  Process* idle(int index);

  detail::RuntimeCore& core_;
  const bool deterministic_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // Processes made runnable by threads that are not workers (host threads, the timer
  // thread): a lock-free stack, so a host thread spawning or sending in bulk never waits
  // for a worker's lock. A worker takes it whole and appends it, in order, to its queue.
  std::atomic<Process*> injected_{nullptr};
  void inject(Process* p);
  bool take_injected(RunQueue& into);
  RunQueue deterministic_queue_;  // the only queue in deterministic mode

  std::atomic<bool> stopping_{false};
  std::atomic<int> sleepers_{0};
  std::atomic<int> spinning_{0};  // idle workers still looking for work before sleeping
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
};

}  // namespace snow::internal
