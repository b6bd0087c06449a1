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

/// A LogRecord that owns its strings.
struct CapturedRecord {
  absl::Time time;
  LogLevel level;
  std::string node;
  Pid pid;
  std::string kind;
  std::string text;
};

/// Collects the runtime's log so tests can assert on it (and expected crashes stay quiet).
struct LogCapture {
  std::mutex mu;  // std::mutex, not absl::Mutex: ThreadSanitizer sees through it (Debian's Abseil is not instrumented)
  std::vector<std::string> lines;  // "level: text", or "level: node NAME: text" from a node
  std::vector<CapturedRecord> records;
  LogSink sink() {
    return [this](const LogRecord& r) {
      std::lock_guard lock(mu);
      std::string line = std::string(to_string(r.level)) + ": ";
      if (!r.node.empty()) line += "node " + std::string(r.node) + ": ";
      lines.push_back(line + std::string(r.text));
      records.push_back({r.time, r.level, std::string(r.node), r.pid, std::string(r.kind), std::string(r.text)});
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
