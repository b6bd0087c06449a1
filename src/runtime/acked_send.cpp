// src/runtime/acked_send.cpp: try_send and send_wait to a Pid on another node.
//
// A plain send to a remote Pid is fire-and-forget: the node queues the frame and the
// far node drops it if the mailbox is full (and tells this node, which counts it). A
// sender that must know asks for an acknowledged send: the frame carries a ticket, the
// far node answers with what became of the message, and the sender waits for that
// answer — a host thread blocking on the AckWaiter, a process in a receive (so its
// worker runs others meanwhile). send_wait retries a refused-for-full message, with a
// growing pause, until its deadline: room in a remote mailbox is signalled by nothing,
// as for a local one, and the receiver never holds a message for a sender.
#include <optional>

#include "absl/strings/str_cat.h"
#include "snow/actor.hpp"
#include "snow/runtime.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/remote_router.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {

constexpr absl::Duration kFirstRetryPause = absl::Milliseconds(1);
constexpr absl::Duration kMaxRetryPause = absl::Milliseconds(50);

/// What a waiting process hears when its acknowledged send is answered.
struct AckDone {
  Ref ref;
  absl::Status status;
};

RemoteRouter* router_of(RuntimeCore& core) { return core.router.load(std::memory_order_acquire); }

absl::Status not_a_node(Pid to) {
  return absl::UnavailableError(absl::StrCat("cannot send to ", to.to_string(), ": this runtime is not a node"));
}

absl::Status stayed_full(const absl::Status& last, absl::Duration timeout) {
  return absl::DeadlineExceededError(
      absl::StrCat(last.message(), ", and stayed full for ", absl::FormatDuration(timeout)));
}

}  // namespace

absl::Status send_acked_blocking(RuntimeCore& core, Pid to, MessageNode* node, absl::Duration timeout,
                                 bool wait_for_room) noexcept {
  RemoteRouter* router = router_of(core);
  if (router == nullptr || core.stopping()) {
    destroy(node);
    return not_a_node(to);
  }
  if (core.options.deterministic) {
    // The network of a deterministic runtime runs on this very thread: blocking it would
    // wait for an answer that cannot come.
    destroy(node);
    return absl::FailedPreconditionError(
        "an acknowledged send cannot block the thread of a deterministic runtime: send from a process");
  }
  absl::StatusOr<std::string> frame = router->encode_acked(Pid(), to, node);
  if (!frame.ok()) return frame.status();
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = kFirstRetryPause;
  for (;;) {
    auto waiter = std::make_shared<AckWaiter>();
    router->send_acked(Pid(), to, *frame, deadline, waiter);
    absl::Status status;
    {
      std::unique_lock lock(waiter->mu);
      // A little past the deadline: the node's thread answers DeadlineExceeded itself. In
      // slices of at most a second, so an infinite timeout does not overflow the clock.
      const absl::Time give_up = deadline + absl::Milliseconds(100);
      while (!waiter->done && absl::Now() < give_up) {
        waiter->cv.wait_for(lock, absl::ToChronoNanoseconds(std::min(give_up - absl::Now(), absl::Seconds(1))));
      }
      if (!waiter->done) {
        waiter->done = true;  // abandoned: a late finish() does nothing
        return absl::DeadlineExceededError(
            absl::StrCat("no answer about the message to ", to.to_string(), " within ", absl::FormatDuration(timeout)));
      }
      status = waiter->status;
    }
    if (!wait_for_room || !absl::IsResourceExhausted(status)) return status;
    if (absl::Now() + pause >= deadline) return stayed_full(status, timeout);
    absl::SleepFor(pause);
    pause = std::min(pause * 2, kMaxRetryPause);
  }
}

Task<absl::Status> send_acked(Self self, Pid to, MessageNode* node, absl::Duration timeout, bool wait_for_room) {
  RuntimeCore& core = core_of(self.process());
  const absl::Time deadline = self.now() + timeout;
  absl::Duration pause = kFirstRetryPause;
  if (to.is_local()) {
    // The same contract on this node. try_send consumes the message even when it refuses
    // it, so send_wait waits for room before trying (a sender that races in between can
    // still fill it: then the answer is try_send's ResourceExhausted).
    while (wait_for_room) {
      ProcessRef p = core.find(to);
      if (!p || p->capacity == 0 || p->queued.load(std::memory_order_relaxed) < static_cast<std::int64_t>(p->capacity)) break;
      if (self.now() + pause >= deadline) {
        destroy(node);
        co_return absl::DeadlineExceededError(absl::StrCat("the mailbox of ", to.to_string(), " stayed full"));
      }
      p.reset();
      co_await self.sleep(pause);
      pause = std::min(pause * 2, kMaxRetryPause);
    }
    co_return try_send(core, self.process(), to, node);
  }
  RemoteRouter* router = router_of(core);
  if (router == nullptr) {
    destroy(node);
    co_return not_a_node(to);
  }
  absl::StatusOr<std::string> frame = router->encode_acked(self.pid(), to, node);
  if (!frame.ok()) co_return frame.status();
  for (;;) {
    auto waiter = std::make_shared<AckWaiter>();
    const Ref ref = self.make_ref();
    waiter->on_done = [&core, me = self.pid(), ref](const absl::Status& status) {
      deliver(core, me, box(AckDone{ref, status}));
    };
    router->send_acked(self.pid(), to, *frame, deadline, waiter);
    std::optional<absl::Status> result;
    auto take = [&](AckDone d) { result = std::move(d.status); };
    const auto ours = has_ref(&AckDone::ref, ref);
    // From the marker `ref` placed: the answer comes after it. A little past the
    // deadline: the node's thread answers DeadlineExceeded itself.
    co_await self.receive(on<AckDone>(ours, take), after(deadline - self.now() + absl::Milliseconds(100), [] {}))
        .since(ref);
    if (!result && !waiter->abandon()) {
      // The answer was sent just as we gave up: it is in the mailbox; take it, leave nothing.
      co_await self.receive(on<AckDone>(ours, take), after(absl::ZeroDuration(), [] {})).since(ref);
    }
    if (!result) {
      co_return absl::DeadlineExceededError(
          absl::StrCat("no answer about the message to ", to.to_string(), " within ", absl::FormatDuration(timeout)));
    }
    if (!wait_for_room || !absl::IsResourceExhausted(*result)) co_return *result;
    if (self.now() + pause >= deadline) co_return stayed_full(*result, timeout);
    co_await self.sleep(pause);
    pause = std::min(pause * 2, kMaxRetryPause);
  }
}

}  // namespace snow::detail
