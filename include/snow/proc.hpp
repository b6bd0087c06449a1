// snow/proc.hpp: the coroutine types a process body is written with.
//
// A process body is a coroutine returning `snow::Proc` whose first parameter is
// `snow::Self`:
//
//     snow::Proc echo(snow::Self self) {
//       for (;;) co_await self.receive(snow::on<Ping>([&](Ping p) { ... }));
//     }
//
// It is created suspended and started by the scheduler. Returning ends the process with
// reason normal; an exception escaping it ends the process with error(what()).
//
// A helper that itself waits (receives, sleeps, calls) returns `snow::Task<T>` and is
// awaited: `int n = co_await count_replies(self, 3);`. Tasks start when awaited, resume
// their awaiter directly when done (symmetric transfer, no scheduler round trip), and
// pass exceptions up to it. Only snow's own awaitables (receive, sleep, yield, Task) may
// be awaited inside a process: the scheduler has to know why a process is suspended.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace snow {

class [[nodiscard]] Proc {
 public:
  struct promise_type {
    std::exception_ptr exception;
    Proc get_return_object() { return Proc(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Proc(Proc&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Proc& operator=(Proc&&) = delete;
  ~Proc() {
    if (handle_) handle_.destroy();
  }
  /// Hands the frame to the runtime, which destroys it when the process ends.
  Handle release() { return std::exchange(handle_, {}); }

 private:
  explicit Proc(Handle h) : handle_(h) {}
  Handle handle_;
};

namespace detail {

template <class T>
struct TaskResult {
  std::optional<T> value;
  template <class U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  T take() { return std::move(*value); }
};
template <>
struct TaskResult<void> {
  void return_void() noexcept {}
  void take() {}
};

}  // namespace detail

template <class T = void>
class [[nodiscard("co_await the Task: `co_await f(...)` (a Task that is not awaited never runs)")]] Task {
 public:
  struct promise_type : detail::TaskResult<T> {
    std::coroutine_handle<> continuation;
    std::exception_ptr exception;
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().continuation;
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return handle_;
  }
  T await_resume() {
    if (handle_.promise().exception) std::rethrow_exception(handle_.promise().exception);
    return handle_.promise().take();
  }

 private:
  explicit Task(Handle h) : handle_(h) {}
  Handle handle_;
};

namespace detail {
/// What a Task<T> yields (T), or T itself for a value that is not a Task: used where a
/// function may return either (jobs' bodies, services' handlers).
template <class T>
struct task_value {
  using type = T;
};
template <class T>
struct task_value<Task<T>> {
  using type = T;
};
}  // namespace detail

}  // namespace snow
