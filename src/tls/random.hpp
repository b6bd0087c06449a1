// src/tls/random.hpp: bytes from the cryptographic random generator.
//
// BoringSSL's generator (RAND_bytes), behind one function so that code outside src/tls
// (the cookie file) does not include BoringSSL. BoringSSL aborts the process rather than
// return bytes it could not make, so this has no error to report.
#pragma once

#include <cstdint>
#include <span>

namespace snow::tls {

/// Fills `out` with cryptographically random bytes. Any thread.
void random_bytes(std::span<std::uint8_t> out);

}  // namespace snow::tls
