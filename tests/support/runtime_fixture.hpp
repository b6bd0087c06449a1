// tests/support/runtime_fixture.hpp: runtimes for tests.
//
// Most tests run on a deterministic runtime: one thread, FIFO run queue, virtual clock,
// so a process interleaving happens the same way on every run and timeouts take no real
// time. Processes in such a test may share plain state with the test body (a `Trace`):
// nothing runs concurrently.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "snow/runtime.hpp"

namespace snow::testing {

/// Collects the runtime's log so tests can assert on it (and expected crashes stay quiet).
struct LogCapture {
  std::mutex mu;  // std::mutex, not absl::Mutex: ThreadSanitizer sees through it (Debian's Abseil is not instrumented)
  std::vector<std::string> lines;
  LogSink sink() {
    return [this](LogLevel level, std::string_view text) {
      std::lock_guard lock(mu);
      lines.push_back(std::string(to_string(level)) + ": " + std::string(text));
    };
  }
  std::size_t count_containing(std::string_view needle) {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

/// An ordered record of what happened, written by processes and read by the test.
using Trace = std::vector<std::string>;

inline RuntimeOptions deterministic(LogCapture& log) {
  RuntimeOptions o;
  o.deterministic = true;
  o.log_sink = log.sink();
  return o;
}

inline RuntimeOptions threaded(LogCapture& log, int workers = 2) {
  RuntimeOptions o;
  o.workers = workers;
  o.log_sink = log.sink();
  return o;
}

}  // namespace snow::testing
