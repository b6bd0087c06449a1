// src/dist/decode_worker.hpp: large inbound messages decoded off the network thread.
//
// Decoding a message to a Term costs time in proportion to its size: tens of ns per byte,
// more for content built of many small values, so up to seconds for the largest message a
// node accepts. Done on the transport's thread, that time is taken from every connection:
// pings go unanswered, other peers' frames wait, and a third node's link can drop for a
// message it never saw. So NodeCore hands large decodes here, and goes on serving the
// loop; the result comes back to the transport thread to be delivered in order.
//
// One thread per node, started on the first large message. The runtime has no job pool:
// its scheduler runs processes (a multi-second decode would hold one of its workers and
// the processes behind it), and its timer thread must keep time. A single thread also
// caps what peers' large messages can take at one core. NodeCore has at most one decode
// in flight per connection, so the queue is at most one job per connection.
//
// Deterministic mode (the simulated network): no thread. `submit` decodes at once, on the
// caller's thread, and the result lands at the node's next tick (NodeCore::on_tick calls
// land_finished), an ordered step of the simulation: runs replay exactly, and a large
// decode takes a little virtual time (up to a tick), during which what arrives behind it
// waits, as it does on a real node.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace snow::detail {

class DecodeWorker {
 public:
  /// `work` runs on the worker and may touch only what it owns; `land` runs afterwards on
  /// the transport thread, from land_finished().
  struct Job {
    std::function<void()> work;
    std::function<void()> land;
  };

  /// `wake` asks the transport thread to call land_finished() (Transport::wake); not
  /// called in deterministic mode.
  DecodeWorker(bool deterministic, std::function<void()> wake);
  ~DecodeWorker();
  DecodeWorker(const DecodeWorker&) = delete;
  DecodeWorker& operator=(const DecodeWorker&) = delete;

  /// Transport thread.
  void submit(Job job);
  /// Runs the `land` of every job done so far, in the order they finished. Transport thread.
  void land_finished();
  /// Joins the thread; jobs not done are dropped. Any thread but the worker; idempotent.
  void stop();

 private:
  void loop();

  const bool deterministic_;
  const std::function<void()> wake_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queued_;    // guarded by mu_
  std::deque<Job> finished_;  // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  std::thread thread_;        // started by the first submit
};

}  // namespace snow::detail
