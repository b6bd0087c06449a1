#pragma once
// A cross-thread wake-up for a libuv loop: any thread rings, the loop thread answers.
//
// Why not uv_async_t: in libuv 1.44 (Debian 12) the loop thread busy-waits in
// uv__async_spin while a ringing thread is between its eventfd write and marking the
// handle done; on a 2-core machine with the ringer preempted that spin cost ~38% of a
// remote ping-pong (fixed upstream in libuv 1.45). The doorbell keeps the same folding
// (many rings, one answer) with an atomic flag and its own eventfd (Linux), and never
// spins.

#include <uv.h>

#include <atomic>
#include <functional>

#include "absl/status/status.h"

namespace snow::transport {

class Doorbell {
 public:
  Doorbell() = default;
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;
  ~Doorbell();

  /// Opens the eventfd and starts watching it on `loop`. Loop thread (or before it runs).
  absl::Status open(uv_loop_t* loop, std::function<void()> on_ring);
  /// Stops watching; the loop finishes closing the watcher. Loop thread. Rings after
  /// this are harmless (the eventfd stays open until the doorbell is destroyed).
  void close();

  /// Makes the loop call `on_ring` soon; rings before that call are folded into it.
  /// Any thread; never blocks (one write syscall for the first ring of a batch).
  void ring();

 private:
  static void on_readable(uv_poll_t* poll, int status, int events) noexcept;

  int fd_ = -1;
  uv_poll_t poll_{};
  bool watching_ = false;
  // True from the first ring of a batch until the loop starts answering it: later rings
  // of the batch skip the syscall.
  std::atomic<bool> rung_{false};
  std::function<void()> on_ring_;
};

}  // namespace snow::transport
