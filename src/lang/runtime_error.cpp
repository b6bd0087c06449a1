// src/lang/runtime_error.cpp: raising a Snow runtime error (include/snow/lang/co.hpp),
// located at the statement generated code last recorded. Out of line: it is reached
// from nearly every helper, always on a failure path.
#include "snow/lang/co.hpp"

#include <string>

namespace snow::lang {

void fail(const std::string& what) {
  const std::uint64_t at = current_at;
  const char* file = source_files != nullptr ? source_files[at >> 32] : "?";
  throw RuntimeError(std::string(file) + ":" + std::to_string(at & 0xFFFFFFFF) + ": " + what);
}

void cannot_wait(const char* what) {
  fail(std::string("cannot wait (") + what +
       ") here: receive guards, service handlers, supervisor start functions and Display "
       "implementations must not receive, sleep or call");
}
}  // namespace snow::lang
