// src/runtime/log.cpp: the default log line and sink (snow/log.hpp).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "snow/log.hpp"
#include "src/runtime/strings.hpp"

namespace snow {

std::string format_log_record(const LogRecord& r) {
  // UTC with microseconds: lines from several nodes (and their machines) sort by time.
  std::string line = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", r.time, absl::UTCTimeZone()), " snow[",
                                  static_cast<long>(::getpid()), "] ", internal::to_absl(to_string(r.level)), " ");
  if (!r.node.empty()) absl::StrAppend(&line, internal::to_absl(r.node), " ");
  absl::StrAppend(&line, r.pid.is_null() ? std::string("-") : r.pid.to_string(), " ", internal::to_absl(r.kind), ": ",
                  internal::to_absl(r.text));
  return line;
}

namespace {

void write_line(const LogRecord& record) {
  // One fputs per line: stdio locks the stream, so lines from several threads do not mix.
  std::fputs((format_log_record(record) + "\n").c_str(), stderr);
}

}  // namespace

void stderr_log_sink(const LogRecord& record) {
  if (record.level >= LogLevel::warning) write_line(record);
}

LogSink stderr_log_sink_from(LogLevel lowest) {
  return [lowest](const LogRecord& record) {
    if (record.level >= lowest) write_line(record);
  };
}

bool parse_log_level(std::string_view text, LogLevel* level) {
  const std::string lower = absl::AsciiStrToLower(internal::to_absl(text));
  if (lower == "debug") *level = LogLevel::debug;
  else if (lower == "info") *level = LogLevel::info;
  else if (lower == "warning" || lower == "warn") *level = LogLevel::warning;
  else if (lower == "error") *level = LogLevel::error;
  else return false;
  return true;
}

}  // namespace snow
