// src/runtime/strings.hpp: std::string_view <-> absl::string_view.
//
// Debian's Abseil 20220623 is built with its own absl::string_view (not an alias of the
// standard one), and the two do not convert implicitly. snow's public API speaks
// std::string_view; internals that call Abseil convert at the boundary with these.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace snow::internal {

inline absl::string_view to_absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view to_std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

/// Text from the network made safe for one log line: bytes outside printable ASCII
/// (control codes, terminal escapes, newlines that would forge a line) as \xNN, and cut
/// after `max_bytes` with the length said, so a peer can neither forge nor flood a log.
std::string printable(std::string_view s, std::size_t max_bytes = 96);

}  // namespace snow::internal
