// src/wire/utf8.hpp: UTF-8 validation (also declared in snow/detail/wire_codec.hpp, whose
// inline string decoder calls it).
#pragma once

#include <string_view>

namespace snow::detail {

/// True when `s` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
/// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace snow::detail
