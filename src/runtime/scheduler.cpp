#include "src/runtime/scheduler.hpp"

#include <pthread.h>

#include "src/runtime/backpressure.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::internal {

namespace {
// The worker the current thread is, if it is one; lets schedule() use the next slot.
struct CurrentWorker {
  Scheduler* scheduler = nullptr;
  void* worker = nullptr;
};
thread_local CurrentWorker tls_current;
}  // namespace

void RunQueue::push(Process* p) {
  p->run_next = nullptr;
  std::lock_guard lock(mu_);
  if (tail_) {
    tail_->run_next = p;
  } else {
    head_ = p;
  }
  tail_ = p;
  size_.fetch_add(1, std::memory_order_seq_cst);
}

Process* RunQueue::pop() {
  return pop_unless([](const Process*) { return false; });
}

void RunQueue::push_chain(Process* first, Process* last, std::size_t n) {
  std::lock_guard lock(mu_);
  if (tail_) {
    tail_->run_next = first;
  } else {
    head_ = first;
  }
  tail_ = last;
  size_.fetch_add(n, std::memory_order_seq_cst);
}

void Scheduler::inject(Process* p) {
  Process* top = injected_.load(std::memory_order_relaxed);
  do {
    p->run_next = top;
    // seq_cst: pairs with the idle workers' re-check, as for the run queues' sizes.
  } while (!injected_.compare_exchange_weak(top, p, std::memory_order_seq_cst, std::memory_order_relaxed));
}

bool Scheduler::take_injected(RunQueue& into) {
  if (injected_.load(std::memory_order_relaxed) == nullptr) return false;
  Process* stack = injected_.exchange(nullptr, std::memory_order_acquire);
  if (!stack) return false;
  // The stack is newest first: reverse it so processes run in the order they were woken.
  Process* first = nullptr;
  Process* last = stack;
  std::size_t n = 0;
  while (stack) {
    Process* next = stack->run_next;
    stack->run_next = first;
    first = stack;
    stack = next;
    ++n;
  }
  into.push_chain(first, last, n);
  return true;
}

Scheduler::Scheduler(detail::RuntimeCore& core, int workers, bool deterministic)
    : core_(core), deterministic_(deterministic) {
  if (!deterministic) {
    for (int i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
    for (auto& w : workers_) {
      w->seen_turns.assign(workers_.size(), ~std::uint64_t{0});
      w->queue_sightings.resize(workers_.size());
    }
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([this, i] {
      // Named, as each of the runtime's threads is, so top -H, a debugger and
      // bench/remote_breakdown.py can tell them apart.
      pthread_setname_np(pthread_self(), "snow-worker");
      work(static_cast<int>(i));
    });
  }
}

void Scheduler::stop() {
  stopping_.store(true);
  {
    std::lock_guard lock(sleep_mu_);
    sleep_cv_.notify_all();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Scheduler::schedule(Process* p) {
  if (deterministic_) {
    deterministic_queue_.push(p);
    return;
  }
  if (tls_current.scheduler == this) {
    auto& w = *static_cast<Worker*>(tls_current.worker);
    if (Process* displaced = w.next.exchange(p, std::memory_order_acq_rel)) {
      w.queue.push(displaced);
      wake_one();
    }
    return;
  }
  inject(p);
  wake_one();
}

void Scheduler::requeue(Process* p) {
  if (tls_current.scheduler == this) {
    static_cast<Worker*>(tls_current.worker)->queue.push(p);
    wake_one();
    return;
  }
  if (deterministic_) {
    deterministic_queue_.push(p);
  } else {
    inject(p);
    wake_one();
  }
}

void Scheduler::wake_one() {
  if (deterministic_) return;
  // seq_cst pairs with idle(): an idle worker stops spinning, announces itself as a
  // sleeper, then re-reads the queue sizes; we grew a size and then read the counters.
  // Either it sees our work or we see it spinning (it will find the work) or sleeping.
  if (spinning_.load(std::memory_order_seq_cst) > 0) return;
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  std::lock_guard lock(sleep_mu_);
  sleep_cv_.notify_one();
}

bool Scheduler::any_work() const {
  if (injected_.load(std::memory_order_seq_cst) != nullptr) return true;
  for (const auto& w : workers_) {
    if (w->queue.size() > 0) return true;
  }
  return false;
}

bool Scheduler::idle() const {
  if (deterministic_) return deterministic_queue_.size() == 0;
  if (any_work()) return false;  // the injected stack and the run queues
  for (const auto& w : workers_) {
    // `turns_ended` first: a turn under way while it is read shows as `turns` ahead of it.
    const std::uint64_t ended = w->turns_ended.load(std::memory_order_acquire);
    if (w->turns.load(std::memory_order_acquire) != ended) return false;
    if (w->next.load(std::memory_order_acquire) != nullptr) return false;
  }
  return true;
}

Process* Scheduler::steal(Worker& thief, int index) {
  const int n = static_cast<int>(workers_.size());
  for (int k = 1; k < n; ++k) {
    Worker& victim = *workers_[(index + k) % n];
    if (victim.queue.size() == 0) continue;  // no clock read for an empty queue
    const auto now = std::chrono::steady_clock::now();
    // A backlogged fan-in stays on its worker (backpressure.hpp, kBacklogMemory) while that
    // worker keeps starting turns; one that has started none for kStuckTurn may be blocked
    // or descheduled, and then anything in its queue may go.
    Worker::Sighting& seen = thief.queue_sightings[(index + k) % n];
    const std::uint64_t turns = victim.turns.load(std::memory_order_acquire);
    if (turns != seen.turns) seen = {turns, now};
    const bool stuck = now - seen.since > kStuckTurn;
    if (Process* p = stuck ? victim.queue.pop() : victim.queue.pop_unless(detail::keeps_its_worker)) return p;
  }
  return nullptr;
}

Process* Scheduler::steal_next(int thief, std::vector<std::uint64_t>& seen) {
  const int n = static_cast<int>(workers_.size());
  for (int k = 1; k < n; ++k) {
    Worker& victim = *workers_[(thief + k) % n];
    const std::uint64_t turns = victim.turns.load(std::memory_order_acquire);
    std::uint64_t& last = seen[(thief + k) % n];
    if (turns != last) {
      last = turns;  // first sighting of this turn: give the owner time to finish it
      continue;
    }
    Process* p = victim.next.load(std::memory_order_acquire);
    if (p && victim.next.compare_exchange_strong(p, nullptr, std::memory_order_acq_rel)) return p;
  }
  return nullptr;
}

Process* Scheduler::take(Worker& w, int index) {
  // Now and then look at the shared queue first, so processes woken by host threads and
  // timers get their turn even while this worker's own queue never empties.
  if (++w.ticks % kInjectedCheckInterval == 0) {
    if (take_injected(w.queue)) return w.queue.pop();
    // And at the other workers' next slots: one whose owner has not started a turn since
    // our last look is stuck behind a long turn, or behind a thread the kernel gave away
    // (a loaded machine). Idle workers take such a process (idle()); a busy one must look
    // too, or a receiver stuck there waits while its senders keep running here.
    if (Process* p = steal_next(index, w.seen_turns)) return p;
  }
  if (w.next_streak < kMaxNextStreak) {
    if (Process* p = w.next.exchange(nullptr, std::memory_order_acq_rel)) {
      ++w.next_streak;
      return p;
    }
  }
  w.next_streak = 0;
  if (Process* p = w.next.exchange(nullptr, std::memory_order_acq_rel)) w.queue.push(p);
  if (Process* p = w.queue.pop()) return p;
  // Take everything host threads and timers woke; what we cannot run now becomes
  // stealable from our queue.
  if (take_injected(w.queue)) return w.queue.pop();
  return steal(w, index);
}

Process* Scheduler::idle(int index) {
  // Spin a little first: a reply is often a microsecond away, and sleeping costs two
  // system calls (ours and the waker's). While spinning, a process stuck in the next slot
  // of a worker that is busy with one long turn is fair game.
  //
  // While a worker spins, wakers leave the new work for it to find. On a machine where
  // other programs keep the cores busy, a yield can hand the core away for a whole
  // scheduler tick, and every message would wait that long; a sleeping worker is woken
  // promptly instead. So a worker whose yield was slow stops spinning, and skips the spin
  // for a while after.
  using Clock = std::chrono::steady_clock;
  thread_local Clock::time_point machine_busy_until{};
  thread_local std::vector<std::uint64_t> seen;
  seen.assign(workers_.size(), ~std::uint64_t{0});
  spinning_.fetch_add(1, std::memory_order_seq_cst);
  const int spins = Clock::now() < machine_busy_until ? 0 : kIdleSpins;
  for (int spin = 0; spin < spins; ++spin) {
    if (any_work() || stopping_.load(std::memory_order_relaxed)) {
      spinning_.fetch_sub(1, std::memory_order_seq_cst);
      return nullptr;
    }
    if (spin % 8 == 7) {
      if (Process* p = steal_next(index, seen)) {
        spinning_.fetch_sub(1, std::memory_order_seq_cst);
        return p;
      }
    }
    const Clock::time_point before = Clock::now();
    std::this_thread::yield();
    if (const Clock::time_point after = Clock::now(); after - before > kSlowYield) {
      machine_busy_until = after + kBusyMachineHold;
      break;
    }
  }
  spinning_.fetch_sub(1, std::memory_order_seq_cst);
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  {
    std::unique_lock lock(sleep_mu_);
    if (!any_work() && !stopping_.load()) {
      // The timeout is a backstop only; wake_one() is what normally ends the sleep.
      sleep_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  return nullptr;
}

void Scheduler::run(Process* p) {
  switch (detail::run_slice(p)) {
    case detail::SliceOutcome::parked:
    case detail::SliceOutcome::ended:
      break;
    case detail::SliceOutcome::yielded:
      requeue(p);
      break;
  }
}

void Scheduler::work(int index) {
  Worker& w = *workers_[index];
  tls_current = {this, &w};
  while (!stopping_.load(std::memory_order_relaxed)) {
    Process* p = take(w, index);
    if (!p) p = idle(index);
    if (p) {
      // Only this thread writes `turns`: a plain store, no locked instruction.
      w.turns.store(w.turns.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      run(p);
      // release: what the turn made runnable is queued before idle() sees it end.
      w.turns_ended.store(w.turns_ended.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
  }
  tls_current = {};
}

bool Scheduler::step() {
  Process* p = deterministic_queue_.pop();
  if (!p) return false;
  run(p);
  return true;
}

}  // namespace snow::internal
