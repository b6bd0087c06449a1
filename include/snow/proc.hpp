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
//
// A Task's frame comes from its second parameter, the frame allocator: a type with
// static `void* allocate(std::size_t)` and `void release(void*, std::size_t) noexcept`.
// The default, ProcessFrames, counts the frame in the memory of the process it runs in
// (snow/observe.hpp); code that makes many small frames may choose another (Snow's
// generated code uses per-thread free lists: snow/lang/co.hpp).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "snow/detail/task_fwd.hpp"  // Task's default arguments

namespace snow {

namespace detail {
// A process's memory figure (snow/observe.hpp, memory_bytes) counts its coroutine
// frames. A frame's size is known only to its allocation (the promise's operator new),
// so that is where it is recorded.
//
// The size of the last Proc frame allocated on this thread: spawn reads it right after
// calling the body, which allocates the frame and returns before running any of it.
inline thread_local std::size_t last_proc_frame_bytes = 0;
// A Task frame, counted in the process running on this thread (if any) until it is freed.
void* allocate_task_frame(std::size_t bytes);
void free_task_frame(void* frame, std::size_t bytes) noexcept;
}  // namespace detail

class [[nodiscard]] Proc {
 public:
  struct promise_type {
    static void* operator new(std::size_t bytes) {
      detail::last_proc_frame_bytes = bytes;
      return ::operator new(bytes);
    }
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

/// Task frames from the heap, counted in the memory figure of the process running (if any)
/// until they are freed: Task's default frame allocator.
struct ProcessFrames {
  static void* allocate(std::size_t bytes) { return detail::allocate_task_frame(bytes); }
  static void release(void* frame, std::size_t bytes) noexcept { detail::free_task_frame(frame, bytes); }
};

// `template <class T = void, class Frames = ProcessFrames>`: the defaults are in
// detail/task_fwd.hpp.
template <class T, class Frames>
class [[nodiscard("co_await the Task: `co_await f(...)` (a Task that is not awaited never runs)")]] Task {
 public:
  struct promise_type : detail::TaskResult<T> {
    static void* operator new(std::size_t bytes) { return Frames::allocate(bytes); }
    static void operator delete(void* frame, std::size_t bytes) noexcept { Frames::release(frame, bytes); }
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

 protected:  // for a type that adds to Task (snow/lang/co.hpp)
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
template <class T, class Frames>
struct task_value<Task<T, Frames>> {
  using type = T;
};
}  // namespace detail

}  // namespace snow
