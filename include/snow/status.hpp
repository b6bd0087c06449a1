// snow/status.hpp: error vocabulary at API edges.
//
// Public functions that can fail for reasons the caller must handle (a taken name, a
// timeout, a bad option) return absl::Status or absl::StatusOr<T>. Programming errors
// (an empty Pid where one is required, receive outside a process) abort through
// SNOW_CHECK with a message that names the broken rule.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

/// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define SNOW_RETURN_IF_ERROR(expr)                   \
  do {                                               \
    ::absl::Status snow_status_ = (expr);            \
    if (!snow_status_.ok()) return snow_status_;     \
  } while (false)

#define SNOW_CONCAT_INNER_(a, b) a##b
#define SNOW_CONCAT_(a, b) SNOW_CONCAT_INNER_(a, b)

/// `SNOW_ASSIGN_OR_RETURN(auto v, f());` declares `v` from an absl::StatusOr, or returns
/// its status from the enclosing function.
#define SNOW_ASSIGN_OR_RETURN(lhs, expr) \
  SNOW_ASSIGN_OR_RETURN_IMPL_(SNOW_CONCAT_(snow_statusor_, __LINE__), lhs, expr)
#define SNOW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

namespace snow::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               const char* message) noexcept;
}  // namespace snow::detail

/// Aborts with `message` when `condition` is false. For broken invariants and misuse of
/// the API, never for input from the network or from users.
#define SNOW_CHECK(condition, message)                                       \
  do {                                                                       \
    if (!(condition)) [[unlikely]]                                           \
      ::snow::detail::check_failed(__FILE__, __LINE__, #condition, message); \
  } while (false)
