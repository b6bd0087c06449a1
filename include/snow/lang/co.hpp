// snow/lang/co.hpp: the coroutine type of the functions snowc generates.
//
// A Snow function may wait (receive, Timer.sleep, a service call, Job.await), and C++20
// coroutines are stackless, so a generated function that may wait is a coroutine
// returning `Co<Value>` and every call of it is `co_await`ed (one that never waits is a
// plain C++ function: dsl/emitter.cc, find_plain_functions). Co is snow::Task with one addition:
// `run_sync()`, which drives a coroutine to completion on the spot. That is what places
// that cannot suspend use (receive guards, service handlers inside the runtime's
// synchronous handle_call, supervisor start functions, Display hooks); if the function
// tries to wait there, the waiting helpers see `in_sync_context()` and raise a Snow
// runtime error instead of corrupting the process.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "snow/lang/pool.hpp"

namespace snow::lang {

/// A Snow runtime error (snow.md#runtime-errors): ends the current process with error(text).
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The program's source files by number (0: the entry module), set by generated code
/// before it runs anything.
inline const char* const* source_files = nullptr;

/// Where generated code is: `SNOW_AT(file, line)` at every statement, read when a
/// runtime error is raised so that its message names the .snow file and line. One word,
/// file number above line, so that a statement of the entry module costs one store of
/// a constant (two words with a file pointer cost pingpong about 3%).
inline thread_local std::uint64_t current_at = 0;
#define SNOW_AT(file_, line_) \
  (::snow::lang::current_at = static_cast<std::uint64_t>(file_) << 32 | static_cast<std::uint32_t>(line_))

/// Raises a runtime error located at the current statement.
[[noreturn]] void fail(const std::string& what);

inline thread_local int sync_depth = 0;
inline bool in_sync_context() { return sync_depth > 0; }

/// Called by every helper that may suspend, before it does.
[[noreturn]] void cannot_wait(const char* what);
inline void check_may_wait(const char* what) {
  if (in_sync_context()) [[unlikely]]
    cannot_wait(what);  // out of line, so that this check inlines into every receive
}

template <class T>
class [[nodiscard]] Co {
 public:
  struct promise_type {
    // Every Snow call allocates a frame: from the per-thread pool, not malloc.
    static void* operator new(std::size_t n) { return SmallPool::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { SmallPool::release(p, n); }
    std::optional<T> value;
    std::coroutine_handle<> continuation;
    std::exception_ptr exception;
#ifdef SNOW_LANG_DEBUG
    bool run_by_caller = false;  // resumed from its caller's await_suspend (below)
#endif
    Co get_return_object() { return Co(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        auto next = h.promise().continuation;
#ifdef SNOW_LANG_DEBUG
        if (h.promise().run_by_caller) return std::noop_coroutine();  // back into that call
#endif
        return next ? next : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    template <class U>
    void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Co(Co&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Co& operator=(Co&&) = delete;
  ~Co() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
#ifndef SNOW_LANG_DEBUG
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return handle_;
  }
#else
  // `snowc --debug` (-DSNOW_LANG_DEBUG): the callee runs inside this call rather than by
  // symmetric transfer. g++ makes one transfer per coroutine, at the line of its
  // opening brace, so a caller's frame in a backtrace showed that line instead of the
  // call's; this call is at the call's line. When the callee waits, whoever resumes it
  // resumes the caller at its end, as usual; frames of callers that waited meanwhile
  // are then not on the native stack. Inlined, and the builtin resume, so that one
  // (inline) frame of this header stands between two Snow frames rather than two calls.
  [[gnu::always_inline]] bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
    promise_type& p = handle_.promise();
    p.continuation = awaiter;
    p.run_by_caller = true;
    __builtin_coro_resume(handle_.address());
    p.run_by_caller = false;
    return !handle_.done();  // done: go on at once; waiting: stay suspended
  }
#endif
  T await_resume() {
    if (handle_.promise().exception) std::rethrow_exception(handle_.promise().exception);
    return std::move(*handle_.promise().value);
  }

  /// The exception the coroutine ended with, if any (after it completed).
  std::exception_ptr error() const { return handle_.promise().exception; }

  /// Runs to completion now (see the file comment).
  T run_sync() {
    ++sync_depth;
    handle_.resume();
    --sync_depth;
    if (!handle_.done()) fail("a function waited where waiting is not possible");
    return await_resume();
  }

 private:
  explicit Co(Handle h) : handle_(h) {}
  Handle handle_;
};

/// `co_await capture(co)`: runs `co` and yields the exception it ended with (or null)
/// instead of rethrowing it, so no try/catch has to surround a co_await (g++ 12
/// miscompiles frame destruction there).
template <class T>
struct Capture {
  Co<T> co;
  bool await_ready() const noexcept { return false; }
  [[gnu::always_inline]] auto await_suspend(std::coroutine_handle<> h) noexcept { return co.await_suspend(h); }
  std::exception_ptr await_resume() { return co.error(); }
};
template <class T>
Capture<T> capture(Co<T> co) {
  return Capture<T>{std::move(co)};
}

}  // namespace snow::lang
