// snow/log.hpp: the runtime's log.
//
// The runtime reports what a user must be able to see (a process that crashed, a
// supervisor restart, a refused connection) through one pluggable sink. Each line is a
// `LogRecord`: when (the runtime's clock), how bad, which node and which process it is
// about, what kind of event, and the text. The default sink writes warnings and errors to
// stderr with all of that on the line:
//
//     2026-12-06T19:38:12.123456Z snow[4242] warning a@127.0.0.1:9101 <0.12> process exit: error(bad)
//
// (`snow[4242]`: the OS process id; `<0.12>`: the snow process, `-` when none; the node
// is left out when the runtime is not a node.) Tests install their own sink to assert on
// the log or to keep expected crashes quiet.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "snow/pid.hpp"

namespace snow {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level);

/// One line of the log. The views are valid only during the sink's call: copy what you keep.
struct LogRecord {
  absl::Time time;        // the runtime's clock: wall time, or virtual in deterministic mode
  LogLevel level = LogLevel::info;
  std::string_view node;  // this runtime's node name; empty when it is not a node
  Pid pid;                // the process the line is about; null when none
  std::string_view kind;  // what happened, a short fixed phrase: "process exit", "supervisor", "node", ...
  std::string_view text;
};

/// The default line for a record (without the newline), as in the header comment.
std::string format_log_record(const LogRecord& record);

/// Called from any runtime thread, possibly concurrently: a sink must be thread-safe.
/// Takes a function of the record, or of `(LogLevel, std::string_view text)` (the form
/// before records; it sees the level and text only).
class LogSink {
 public:
  LogSink() = default;
  LogSink(std::nullptr_t) {}
  template <class F>
    requires std::is_invocable_v<F&, const LogRecord&>
  LogSink(F f) : write_(std::move(f)) {}
  template <class F>
    requires(!std::is_invocable_v<F&, const LogRecord&> && std::is_invocable_v<F&, LogLevel, std::string_view>)
  LogSink(F f) : write_([f = std::move(f)](const LogRecord& r) mutable { f(r.level, r.text); }) {}

  explicit operator bool() const { return static_cast<bool>(write_); }
  void operator()(const LogRecord& record) const { write_(record); }

 private:
  std::function<void(const LogRecord&)> write_;
};

/// The default: format_log_record on stderr for warning and above.
void stderr_log_sink(const LogRecord& record);
/// The same with another threshold (RuntimeOptions::log_level, SNOW_LOG_LEVEL).
LogSink stderr_log_sink_from(LogLevel lowest);

/// Parses "debug", "info", "warning" (or "warn") and "error", in any case.
bool parse_log_level(std::string_view text, LogLevel* level);

}  // namespace snow
