// snow/log.hpp: the runtime's log.
//
// The runtime reports what a user must be able to see (a process that crashed, a
// supervisor restart, a refused connection) through one pluggable sink. The default sink
// writes warnings and errors to stderr; tests install their own to assert on the log or
// to keep expected crashes quiet.
#pragma once

#include <functional>
#include <string_view>

namespace snow {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level);

/// Called from any runtime thread, possibly concurrently: a sink must be thread-safe.
using LogSink = std::function<void(LogLevel level, std::string_view text)>;

/// The default: `snow: warning: text` on stderr for warning and above.
void stderr_log_sink(LogLevel level, std::string_view text);

}  // namespace snow
