// snow/lang/co.hpp: the coroutine type of the functions snowc generates.
//
// A Snow function may wait (receive, Timer.sleep, a service call, Job.await), and C++20
// coroutines are stackless, so a generated function that may wait is a coroutine
// returning `Co<Value>` and every call of it is `co_await`ed (one that never waits is a
// plain C++ function: dsl/emitter.cc, find_plain_functions). Co is snow::Task<T, SmallPool>
// (snow/proc.hpp): its frames come from Snow's per-thread pool (snow/lang/pool.hpp), and
// it adds `run_sync()`, which drives a coroutine to completion on the spot. That is what
// places that cannot suspend use (receive guards, supervisor start functions, Display
// hooks); if the function tries to wait there, the waiting helpers see
// `in_sync_context()` and raise a Snow runtime error instead of corrupting the process.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "snow/lang/pool.hpp"
#include "snow/proc.hpp"

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

/// snow::Task with its frames from the per-thread pool (every Snow call makes one), and
/// what Snow adds to it: `run_sync()` (see the file comment), `error()`, and under
/// `snowc --debug` a callee run inside its caller's await (below).
template <class T>
class [[nodiscard]] Co : public snow::Task<T, SmallPool> {
  using Base = snow::Task<T, SmallPool>;

 public:
  // The coroutine's return object is made by Task's promise (promise_type is Task's).
  Co(Base&& task) noexcept : Base(std::move(task)) {}  // NOLINT: implicit on purpose

#ifdef SNOW_LANG_DEBUG
  // `snowc --debug` (-DSNOW_LANG_DEBUG): the callee runs inside this call rather than by
  // symmetric transfer. g++ makes one transfer per coroutine, at the line of its
  // opening brace, so a caller's frame in a backtrace showed that line instead of the
  // call's; this call is at the call's line. The callee's continuation is a no-op while
  // it runs here, so that its end comes back into this call; if it waits instead, the
  // continuation becomes the caller, which whoever resumes the callee resumes at its
  // end, as usual (frames of callers that waited meanwhile are then not on the native
  // stack). Inlined, and the builtin resume, so that one (inline) frame of this header
  // stands between two Snow frames rather than two calls.
  [[gnu::always_inline]] bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
    auto& p = this->handle_.promise();
    p.continuation = std::noop_coroutine();
    __builtin_coro_resume(this->handle_.address());
    if (this->handle_.done()) return false;  // done: go on at once
    p.continuation = awaiter;                 // waiting: stay suspended
    return true;
  }
#endif

  /// The exception the coroutine ended with, if any (after it completed).
  std::exception_ptr error() const { return this->handle_.promise().exception; }

  /// Runs to completion now (see the file comment).
  T run_sync() {
    this->handle_.promise().continuation = std::noop_coroutine();  // its end returns here
    ++sync_depth;
    this->handle_.resume();
    --sync_depth;
    if (!this->handle_.done()) fail("a function waited where waiting is not possible");
    return this->await_resume();
  }
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
