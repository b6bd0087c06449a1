// snow/reply.hpp: answering a call later (OTP's `{noreply, State}` and gen_server:reply/2).
//
// A call handler that declares a `snow::ReplyTo<R>` parameter does not answer by
// returning: it keeps the token and answers through it, now or later, from the service
// itself or from any process or thread it hands the token to:
//
//     struct Dispatcher {
//       std::vector<snow::Pid> workers;
//       std::size_t next = 0;
//       void handle_call(const Work& w, snow::ReplyTo<int> reply, snow::Self self) {
//         self.send(workers[next++ % workers.size()], Job{w, std::move(reply)});
//       }   // the service serves its next request; the worker answers with reply.reply(n)
//     };
//
// The caller sees an ordinary call (`StatusOr<int>`), with its timeout, its monitor on
// the service and the same errors. Exactly one answer reaches it: the first reply (or
// fail) through any copy of the token wins and returns true; later ones are dropped and
// return false. A token whose last copy is destroyed unanswered (a worker that died with
// it, a handler that forgot it) answers Aborted at once, so the caller does not wait for
// its timeout. A token is valid as long as its Runtime; it is not a wire type.
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "snow/detail/call.hpp"
#include "snow/message.hpp"
#include "snow/pid.hpp"
#include "snow/runtime.hpp"

namespace snow {

template <class R>
class ReplyTo;

namespace detail {

/// The answer to a caller on another node: a RemoteCallReply (the reply as a Term; a
/// reply that does not convert becomes the error), which the caller's node delivers as
/// a CallReply (src/dist/remote_call.cpp).
MessageNode* box_reply_for_remote_caller(Ref ref, Message payload, absl::Status status);

/// Every answer a service gives to a call goes through here: the handler's value, a
/// handler's error, a deferred reply and a dropped token's error, to a caller on this
/// node or another.
inline void send_reply(Runtime& rt, Pid caller, Ref ref, Message payload, absl::Status status) {
  MessageNode* reply = caller.is_local() ? box(CallReply{ref, std::move(payload), std::move(status)})
                                         : box_reply_for_remote_caller(ref, std::move(payload), std::move(status));
  // From a process of this runtime (the service, a worker) as that process's own send:
  // it counts against its turn and reuses its cached destination; else (a host thread,
  // a destructor run elsewhere) as a send from outside.
  if (Process* running = running_process(); running != nullptr && &core_of(running) == &rt.core()) {
    send_from(running, caller, reply);
  } else {
    send(rt.core(), caller, reply);
  }
}

/// The call a token answers, shared by all copies of the token.
class PendingCall {
 public:
  PendingCall(Runtime& rt, Pid caller, Ref ref, Pid server) : rt_(&rt), caller_(caller), ref_(ref), server_(server) {}
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;
  ~PendingCall() {
    if (claim()) {
      send_reply(*rt_, caller_, ref_, Message(),
                 absl::AbortedError(absl::StrCat("server ", server_.to_string(), " dropped the call without replying")));
    }
  }
  /// True once, for whoever answers first (tokens may be used from several threads).
  bool claim() { return !answered_.exchange(true, std::memory_order_acq_rel); }
  bool answered() const { return answered_.load(std::memory_order_acquire); }
  bool answer(Message payload, absl::Status status) {
    if (!claim()) return false;
    send_reply(*rt_, caller_, ref_, std::move(payload), std::move(status));
    return true;
  }
  Pid caller() const { return caller_; }

 private:
  Runtime* rt_;
  Pid caller_;
  Ref ref_;
  Pid server_;
  std::atomic<bool> answered_{false};
};

template <class R>
ReplyTo<R> make_reply_to(Runtime& rt, Pid caller, Ref ref, Pid server);

}  // namespace detail

/// The right to answer one call whose caller waits for an `R` (void: a bare status).
/// Copyable and movable (all copies answer the same call); see the top of this file.
template <class R>
class ReplyTo {
 public:
  /// A token for no call: replying through it does nothing and returns false.
  ReplyTo() = default;

  /// Answers the call with `value`. False if it was already answered (value dropped).
  template <class V = R>
    requires(!std::is_void_v<R> && std::convertible_to<V, R>)
  bool reply(V&& value) const {
    return call_ && call_->answer(Message::of(R(std::forward<V>(value))), absl::OkStatus());
  }
  /// Answers a call whose handler type is void: the caller gets OK.
  bool reply() const
    requires std::is_void_v<R>
  {
    return call_ && call_->answer(Message(), absl::OkStatus());
  }
  /// Answers with an error: the caller's call returns `error` (an OK status is turned
  /// into Internal where a value was expected).
  bool fail(absl::Status error) const {
    if (error.ok() && !std::is_void_v<R>) error = absl::InternalError("fail() with an OK status where a value was due");
    return call_ && call_->answer(Message(), std::move(error));
  }

  /// True once some copy has answered (or for a token of no call).
  bool answered() const { return !call_ || call_->answered(); }
  /// The process (or host thread) waiting for the answer.
  Pid caller() const { return call_ ? call_->caller() : Pid(); }

 private:
  friend ReplyTo detail::make_reply_to<R>(Runtime&, Pid, Ref, Pid);
  explicit ReplyTo(std::shared_ptr<detail::PendingCall> call) : call_(std::move(call)) {}
  std::shared_ptr<detail::PendingCall> call_;
};

namespace detail {
template <class R>
ReplyTo<R> make_reply_to(Runtime& rt, Pid caller, Ref ref, Pid server) {
  return ReplyTo<R>(std::make_shared<PendingCall>(rt, caller, ref, server));
}
}  // namespace detail

}  // namespace snow
