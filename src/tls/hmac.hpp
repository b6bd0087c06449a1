// src/tls/hmac.hpp: HMAC-SHA256, and comparing two MACs without a timing leak.
//
// BoringSSL's HMAC and CRYPTO_memcmp, behind functions so that code outside src/tls (the
// cookie proof's key confirmation) does not include BoringSSL.
#pragma once

#include <string>
#include <string_view>

namespace snow::tls {

/// HMAC-SHA256 of `data` under `key`: 32 bytes, or empty if BoringSSL failed (out of
/// memory), which no check accepts as the MAC of anything.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Whether `a` and `b` are the same bytes, in time that depends only on their length (a
/// comparison that stopped at the first difference would tell an attacker how much of a
/// forged MAC was right).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace snow::tls
