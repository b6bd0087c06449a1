// src/runtime/remote_router.hpp: the seam between the local runtime and distribution.
//
// The runtime knows nothing about nodes: a message or signal for a Pid whose node index
// is not 0 goes to the RemoteRouter the node installed (src/dist/), or is answered as
// undeliverable when the runtime is not a node. Keeping the seam this narrow keeps the
// local send path free of distribution code: one branch on the Pid's node field.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "snow/detail/message_node.hpp"
#include "snow/pid.hpp"

namespace snow::detail {

enum class Delivery { delivered, dead, full };

/// The far node's answer to one acknowledged send (try_send / send_wait to a remote Pid),
/// or the outcome of one connect (NodeCore's ConnectWaiter), for whoever waits on it: a
/// host thread blocks on `cv`; a process sets `on_done`, which sends it a message. The
/// node's thread finishes it once; the waiter may give up first.
struct AckWaiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu
  absl::Status status;
  std::function<void(const absl::Status&)> on_done;  // set before the send starts
  void finish(absl::Status s) {
    std::function<void(const absl::Status&)> notify;
    {
      std::lock_guard lock(mu);
      if (done) return;
      done = true;
      status = std::move(s);
      notify = std::move(on_done);
      cv.notify_all();
    }
    if (notify) notify(status);  // outside the lock: it sends a message
  }
  /// The waiting side gave up: finish() will not call on_done. False when finish() came first.
  bool abandon() {
    std::lock_guard lock(mu);
    if (done) return false;
    done = true;
    on_done = nullptr;
    return true;
  }
};

class RemoteRouter {
 public:
  virtual ~RemoteRouter() = default;
  /// Takes `node` (a message or a runtime signal) from `from` (null: no process) to the
  /// process `to` on another node. Consumes `node`. Any thread; never blocks.
  virtual Delivery route(Pid from, Pid to, MessageNode* node) noexcept = 0;
  /// route() for try_send: OK once the message is on its way; a message the node refuses
  /// to send (over the peer's limits, a type declared differently there) comes back as
  /// that error, where route() would log it and count a dead letter.
  virtual absl::Status try_route(Pid from, Pid to, MessageNode* node) noexcept = 0;
  /// Sends an already encoded (STF) message to the process registered as `name` on
  /// `node_name`. Any thread; never blocks.
  virtual Delivery route_named(Pid from, std::string_view name, std::string_view node_name,
                               std::string encoded) noexcept = 0;
  /// An acknowledged send, part one: the frame for `node` from `from` to `to`, made once
  /// (consumes `node`) so that a retry sends the same bytes. InvalidArgument when it
  /// cannot go (not a wire type); the refusals of route()'s
  /// try_route otherwise: ResourceExhausted over the peer's limits, FailedPrecondition for
  /// a type declared differently there.
  virtual absl::StatusOr<std::string> encode_acked(Pid from, Pid to, MessageNode* node) noexcept = 0;
  /// Part two: sends `frame`; `waiter` is finished with the far node's answer (OK when
  /// delivered), Unavailable when the node is not connected or the connection is lost
  /// first, DeadlineExceeded at `deadline`. Any thread; never blocks.
  virtual void send_acked(Pid from, Pid to, std::string frame, absl::Time deadline,
                          std::shared_ptr<AckWaiter> waiter) noexcept = 0;
  /// Closes every connection and stops the I/O thread; later routes are dropped. Called
  /// first when the runtime stops, so no network thread touches processes being freed.
  virtual void stop() noexcept = 0;
};

}  // namespace snow::detail
