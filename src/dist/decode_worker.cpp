// src/dist/decode_worker.cpp: see decode_worker.hpp.
#include "src/dist/decode_worker.hpp"

#include <pthread.h>

namespace snow::detail {

DecodeWorker::DecodeWorker(bool deterministic, std::function<void()> wake)
    : deterministic_(deterministic), wake_(std::move(wake)) {}

DecodeWorker::~DecodeWorker() { stop(); }

void DecodeWorker::submit(Job job) {
  if (deterministic_) {
    job.work();
    std::lock_guard lock(mu_);
    finished_.push_back(std::move(job));  // landed by the next tick, not a wake (see the header)
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queued_.push_back(std::move(job));
    if (!thread_.joinable()) {
      thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "snow-decode");
        loop();
      });
    }
  }
  cv_.notify_one();
}

void DecodeWorker::land_finished() {
  std::deque<Job> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
  }
  for (Job& job : done) job.land();
}

void DecodeWorker::stop() {
  std::thread joining;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    joining = std::move(thread_);
  }
  cv_.notify_all();
  if (joining.joinable()) joining.join();
  std::lock_guard lock(mu_);
  queued_.clear();
  finished_.clear();
}

void DecodeWorker::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (stopping_) return;
    Job job = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    job.work();
    lock.lock();
    finished_.push_back(std::move(job));
    lock.unlock();
    wake_();  // outside the lock: the transport may call land_finished at once
    lock.lock();
  }
}

}  // namespace snow::detail
