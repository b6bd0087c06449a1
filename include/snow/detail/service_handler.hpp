// snow/detail/service_handler.hpp: how a service runs one handler, whatever its shape.
//
// A call handler comes in three shapes, told apart at compile time where the call is
// written:
//   - plain:     `T handle_call(const Req&[, Self])`, answered with its result at once;
//   - coroutine: `Task<T> handle_call(const Req&, Self)`, awaited by the service, which
//                serves nothing else meanwhile (one request at a time, in arrival order)
//                and answers with the Task's result;
//   - deferred:  `void handle_call(const Req&, ReplyTo<R>[, Self])` (or `Task<>`), which
//                answers through its token (snow/reply.hpp), now or later.
// What the caller receives: R for a ReplyTo<R>; otherwise T, except that absl::Status
// and absl::StatusOr<R> are the call's own status (the caller gets Status / StatusOr<R>,
// not a status wrapped in another). A shape the caller cannot receive is a static_assert
// saying what to write instead.
//
// A runner (Request::Runner) sends the answer itself, through send_reply, and returns
// what the service loop must still do: nothing (an empty Message), await a coroutine
// (AwaitHandler), or stop (StopService).
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/proc.hpp"
#include "snow/receive.hpp"
#include "snow/reply.hpp"

namespace snow::detail {

// is_task<T> (a snow::Task?) is receive.hpp's.


/// What a caller receives for a handler result of type T (see the top of this file).
template <class T>
struct answer_of {
  using type = T;
};
template <>
struct answer_of<absl::Status> {
  using type = void;
};
template <class R>
struct answer_of<absl::StatusOr<R>> {
  using type = R;
};

template <class T>
inline constexpr bool is_status = std::is_same_v<T, absl::Status>;
template <class T>
inline constexpr bool is_status_or = false;
template <class R>
inline constexpr bool is_status_or<absl::StatusOr<R>> = true;

/// `Impl` has a call handler for `Req` that answers by returning (plain or coroutine).
template <class Impl, class Req>
concept PlainCallableWith = requires(Impl& impl, Req req, Self self) { impl.handle_call(std::move(req)); } ||
                            requires(Impl& impl, Req req, Self self) { impl.handle_call(std::move(req), self); };

/// Converts to any ReplyTo<R>: finds handlers that take a token, whatever their R.
struct AnyReplyTo {
  template <class R>
  operator ReplyTo<R>() const;  // NOLINT: only ever used in unevaluated operands
};

/// `Impl` has a deferred handler for `Req` (one that takes a ReplyTo).
template <class Impl, class Req>
concept DefersWith = requires(Impl& impl, Req req, AnyReplyTo token, Self self) { impl.handle_call(std::move(req), token, self); } ||
                     requires(Impl& impl, Req req, AnyReplyTo token) { impl.handle_call(std::move(req), token); };

/// The R of the deferred handler for `Req`, read from its declaration (it must be one
/// non-template member function; its request by value or const reference).
template <class Req>
struct DeferredReplyOf {
  template <class R, class Ret, class C>
  static R of(Ret (C::*)(const Req&, ReplyTo<R>, Self));
  template <class R, class Ret, class C>
  static R of(Ret (C::*)(Req, ReplyTo<R>, Self));
  template <class R, class Ret, class C>
  static R of(Ret (C::*)(const Req&, ReplyTo<R>));
  template <class R, class Ret, class C>
  static R of(Ret (C::*)(Req, ReplyTo<R>));
};
template <class Impl, class Req>
concept HasDeferredReply = requires { DeferredReplyOf<Req>::of(&Impl::handle_call); };

template <class Impl, class Req>
decltype(auto) invoke_call(Impl& impl, Req&& req, Self self) {
  if constexpr (requires { impl.handle_call(std::move(req), self); }) {
    return impl.handle_call(std::move(req), self);
  } else {
    return impl.handle_call(std::move(req));
  }
}
template <class Impl, class Req, class R>
decltype(auto) invoke_deferred(Impl& impl, Req&& req, ReplyTo<R> token, Self self) {
  if constexpr (requires { impl.handle_call(std::move(req), std::move(token), self); }) {
    return impl.handle_call(std::move(req), std::move(token), self);
  } else {
    return impl.handle_call(std::move(req), std::move(token));
  }
}

/// The shape of `Impl`'s call handler for `Req`, checked.
template <class Impl, class Req, bool Deferred = !PlainCallableWith<Impl, Req>>
struct CallShape {
  using result = std::remove_cvref_t<decltype(invoke_call(std::declval<Impl&>(), std::declval<Req>(), std::declval<Self>()))>;
  using value = typename task_value<result>::type;  // proc.hpp
  using reply = typename answer_of<value>::type;
  static_assert(!std::is_same_v<result, Proc>,
                "a call handler that waits is a coroutine returning snow::Task<R> (snow::Proc is for process bodies): "
                "declare it as snow::Task<R> handle_call(const Req&, snow::Self)");
  static_assert(!is_task<value>,
                "a call handler returns snow::Task<R> whose R is a value the caller receives, not another Task: "
                "co_await the inner Task and co_return its result");
  static_assert(std::is_same_v<result, Proc> || is_task<value> || std::is_void_v<reply> ||
                    (std::movable<reply> && !std::is_reference_v<value>),
                "the caller cannot receive this call handler's result: return a movable value (or absl::StatusOr<R>)");
};
template <class Impl, class Req>
struct CallShape<Impl, Req, true> {
  static_assert(HasDeferredReply<Impl, Req>,
                "a call handler that takes a ReplyTo must be one plain member function: "
                "void handle_call(const Req&, snow::ReplyTo<R>, snow::Self)");
  using reply = decltype(DeferredReplyOf<Req>::of(&Impl::handle_call));
  using result = std::remove_cvref_t<decltype(invoke_deferred(std::declval<Impl&>(), std::declval<Req>(),
                                                              std::declval<ReplyTo<reply>>(), std::declval<Self>()))>;
  static_assert(std::is_void_v<result> || std::is_same_v<result, Task<>>,
                "a call handler that takes a ReplyTo answers through it: return void (or snow::Task<> from a coroutine)");
  static_assert(!is_status<reply> && !is_status_or<reply>,
                "ReplyTo<R> names the value the caller receives: use ReplyTo<R> and answer errors with fail(status)");
};

/// What the service loop awaits for a coroutine handler: the Task that runs it and answers.
struct AwaitHandler {
  Task<> task;
};
/// Returned by the stop request's runner: the service ends after it.
struct StopService {};

/// Answers call `r` (nothing for a cast) with a handler's result.
template <class State, class T>
void answer(Self self, const Request<State>& r, T&& result) {
  if (!r.ref) return;
  using V = std::remove_cvref_t<T>;
  if constexpr (is_status<V>) {
    send_reply(self.runtime(), r.from, r.ref, Message(), std::forward<T>(result));
  } else if constexpr (is_status_or<V>) {
    if (result.ok()) {
      send_reply(self.runtime(), r.from, r.ref, Message::of(std::move(*result)), absl::OkStatus());
    } else {
      send_reply(self.runtime(), r.from, r.ref, Message(), result.status());
    }
  } else {
    send_reply(self.runtime(), r.from, r.ref, Message::of(std::forward<T>(result)), absl::OkStatus());
  }
}
template <class State>
void answer_void(Self self, const Request<State>& r) {
  if (r.ref) send_reply(self.runtime(), r.from, r.ref, Message(), absl::OkStatus());
}

/// Runs a coroutine handler to its end, then answers. `request` stays alive in the service
/// loop until this Task is done, so the handler may keep references into it.
template <class State, class T, class Frames>
Task<> answer_when_done(Self self, const Request<State>& request, Task<T, Frames> handler) {
  if constexpr (std::is_void_v<T>) {
    co_await handler;
    answer_void(self, request);
  } else {
    T result = co_await handler;
    answer(self, request, std::move(result));
  }
}
template <class T, class Frames>
Task<> discard_result(Task<T, Frames> handler) {
  if constexpr (std::is_void_v<T>) {
    co_await handler;
  } else {
    [[maybe_unused]] T result = co_await handler;
  }
}

template <class Impl, class Req>
Message run_call(Impl& impl, Request<Impl>& r, Self self) {
  using Shape = CallShape<Impl, Req>;
  Req& req = *r.payload.template get<Req>();
  if constexpr (!PlainCallableWith<Impl, Req>) {
    ReplyTo<typename Shape::reply> token = make_reply_to<typename Shape::reply>(self.runtime(), r.from, r.ref, self.pid());
    if constexpr (is_task<typename Shape::result>) {
      return Message::of(AwaitHandler{invoke_deferred(impl, std::move(req), std::move(token), self)});
    } else {
      invoke_deferred(impl, std::move(req), std::move(token), self);
      return Message();
    }
  } else if constexpr (is_task<typename Shape::result>) {
    return Message::of(AwaitHandler{answer_when_done(self, r, invoke_call(impl, std::move(req), self))});
  } else if constexpr (std::is_void_v<typename Shape::result>) {
    invoke_call(impl, std::move(req), self);
    answer_void(self, r);
    return Message();
  } else {
    answer(self, r, invoke_call(impl, std::move(req), self));
    return Message();
  }
}

template <class Impl, class Req>
decltype(auto) invoke_cast(Impl& impl, Req&& req, Self self) {
  if constexpr (requires { impl.handle_cast(std::move(req), self); }) {
    return impl.handle_cast(std::move(req), self);
  } else {
    return impl.handle_cast(std::move(req));
  }
}
template <class Impl, class Req>
Message run_cast(Impl& impl, Request<Impl>& r, Self self) {
  Req& req = *r.payload.template get<Req>();
  using Result = std::remove_cvref_t<decltype(invoke_cast(impl, std::move(req), self))>;
  static_assert(!std::is_same_v<Result, Proc>,
                "a cast handler that waits is a coroutine returning snow::Task<> (snow::Proc is for process bodies)");
  if constexpr (is_task<Result>) {
    return Message::of(AwaitHandler{discard_result(invoke_cast(impl, std::move(req), self))});
  } else {
    invoke_cast(impl, std::move(req), self);
    return Message();
  }
}

template <class Impl>
concept HasInfo = requires(Impl& impl, Message m, Self self) { impl.handle_info(std::move(m), self); } ||
                  requires(Impl& impl, Message m) { impl.handle_info(std::move(m)); };
template <class Impl>
decltype(auto) invoke_info(Impl& impl, Message& m, Self self) {
  if constexpr (requires { impl.handle_info(std::move(m), self); }) {
    return impl.handle_info(std::move(m), self);
  } else {
    return impl.handle_info(std::move(m));
  }
}
/// handle_info, if the state has one; a coroutine handle_info is awaited like a handler.
template <class Impl>
Message run_info(Impl& impl, Message& m, Self self) {
  if constexpr (!HasInfo<Impl>) {
    return Message();  // no handle_info: other messages are dropped
  } else if constexpr (is_task<std::remove_cvref_t<decltype(invoke_info(impl, m, self))>>) {
    return Message::of(AwaitHandler{discard_result(invoke_info(impl, m, self))});
  } else {
    invoke_info(impl, m, self);
    return Message();
  }
}

/// A Task awaited without rethrowing: its exception (or null) is the result. The service
/// loop awaits coroutine handlers through this, so that it can run terminate before the
/// exception ends the service without a try/catch around a co_await (g++ 12 miscompiles
/// the destruction of a frame suspended inside one).
class [[nodiscard]] Settled {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation;
    std::exception_ptr exception;
    Settled get_return_object() { return Settled(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().continuation;
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };

  Settled(Settled&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Settled& operator=(Settled&&) = delete;
  ~Settled() {
    if (handle_) handle_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return handle_;
  }
  std::exception_ptr await_resume() noexcept { return handle_.promise().exception; }

 private:
  explicit Settled(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};
inline Settled settle(Task<> task) { co_await task; }

}  // namespace snow::detail
