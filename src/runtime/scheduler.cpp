#include "src/runtime/scheduler.hpp"

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
  absl::MutexLock lock(&mu_);
  if (tail_) {
    tail_->run_next = p;
  } else {
    head_ = p;
  }
  tail_ = p;
  size_.fetch_add(1, std::memory_order_seq_cst);
}

Process* RunQueue::pop() {
  if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
  absl::MutexLock lock(&mu_);
  Process* p = head_;
  if (!p) return nullptr;
  head_ = p->run_next;
  if (!head_) tail_ = nullptr;
  size_.fetch_sub(1, std::memory_order_relaxed);
  return p;
}

Scheduler::Scheduler(detail::RuntimeCore& core, int workers, bool deterministic)
    : core_(core), deterministic_(deterministic) {
  if (!deterministic) {
    for (int i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([this, i] { work(static_cast<int>(i)); });
  }
}

void Scheduler::stop() {
  stopping_.store(true);
  {
    absl::MutexLock lock(&sleep_mu_);
    sleep_cv_.SignalAll();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Scheduler::schedule(Process* p) {
  if (tls_current.scheduler == this) {
    auto& w = *static_cast<Worker*>(tls_current.worker);
    if (Process* displaced = std::exchange(w.next, p)) {
      w.queue.push(displaced);
      wake_one();
    }
    return;
  }
  injected_.push(p);
  wake_one();
}

void Scheduler::requeue(Process* p) {
  if (tls_current.scheduler == this) {
    static_cast<Worker*>(tls_current.worker)->queue.push(p);
    wake_one();
    return;
  }
  injected_.push(p);
}

void Scheduler::wake_one() {
  if (deterministic_) return;
  // seq_cst pairs with idle(): the sleeper increments sleepers_ and then re-reads the
  // queue sizes; we grew a size and then read sleepers_. One of us sees the other.
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  absl::MutexLock lock(&sleep_mu_);
  sleep_cv_.Signal();
}

bool Scheduler::any_work() const {
  if (injected_.size() > 0) return true;
  for (const auto& w : workers_) {
    if (w->queue.size() > 0) return true;
  }
  return false;
}

Process* Scheduler::steal(int thief) {
  const int n = static_cast<int>(workers_.size());
  for (int k = 1; k < n; ++k) {
    if (Process* p = workers_[(thief + k) % n]->queue.pop()) return p;
  }
  return nullptr;
}

Process* Scheduler::take(Worker& w, int index) {
  // Now and then look at the shared queue first, so processes woken by host threads and
  // timers get their turn even while this worker's own queue never empties.
  if (++w.ticks % kInjectedCheckInterval == 0) {
    if (Process* p = injected_.pop()) return p;
  }
  if (w.next && w.next_streak < kMaxNextStreak) {
    ++w.next_streak;
    return std::exchange(w.next, nullptr);
  }
  w.next_streak = 0;
  if (w.next) w.queue.push(std::exchange(w.next, nullptr));
  if (Process* p = w.queue.pop()) return p;
  if (Process* p = injected_.pop()) return p;
  return steal(index);
}

void Scheduler::idle(Worker& w, int index) {
  // Spin a little first: a reply is often a microsecond away, and sleeping costs two
  // system calls (ours and the waker's).
  for (int spin = 0; spin < 200; ++spin) {
    if (any_work() || stopping_.load(std::memory_order_relaxed)) return;
    std::this_thread::yield();
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  {
    absl::MutexLock lock(&sleep_mu_);
    if (!any_work() && !stopping_.load()) {
      // The timeout is a backstop only; wake_one() is what normally ends the sleep.
      sleep_cv_.WaitWithTimeout(&sleep_mu_, absl::Milliseconds(100));
    }
  }
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  (void)w;
  (void)index;
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
    if (Process* p = take(w, index)) {
      run(p);
    } else {
      idle(w, index);
    }
  }
  tls_current = {};
}

bool Scheduler::step() {
  Process* p = injected_.pop();
  if (!p) return false;
  run(p);
  return true;
}

}  // namespace snow::internal
