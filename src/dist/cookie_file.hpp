// src/dist/cookie_file.hpp: where a node's cookie comes from when the program gives none,
// and what makes a cookie weak.
//
// As Erlang does, a node started without a cookie reads `$HOME/.snow.cookie`, and makes
// it (32 random bytes, hex, mode 0600) the first time, so every node a user starts on
// their machines shares a strong secret without it appearing in code or on a command
// line. A cookie file that others can read is refused: it would give away the cluster.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace snow::dist {

/// `$HOME/.snow.cookie`, read or created. Errors: FailedPrecondition (HOME unset, the
/// file readable or writable by group or others, or empty), Unavailable (cannot be read
/// or written, with the OS's reason).
absl::StatusOr<std::string> default_cookie();
/// The same for any path (tests use a temporary one).
absl::StatusOr<std::string> read_or_create_cookie_file(const std::string& path);

/// Why `cookie` is easy to guess ("6 bytes; use at least 16 random bytes"), or "" if it
/// is not. The SPAKE2 handshake makes every guess an online one that the node counts and
/// slows down, but a short or repetitive cookie still falls to patience.
std::string cookie_weakness(std::string_view cookie);

}  // namespace snow::dist
