// src/runtime/strings.hpp: std::string_view <-> absl::string_view.
//
// Debian's Abseil 20220623 is built with its own absl::string_view (not an alias of the
// standard one), and the two do not convert implicitly. snow's public API speaks
// std::string_view; internals that call Abseil convert at the boundary with these.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace snow::internal {

inline absl::string_view to_absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view to_std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace snow::internal
