// src/tls/hmac.cpp
#include "src/tls/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>

#include <cstdint>

namespace snow::tls {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int n = 0;
  if (HMAC(EVP_sha256(), key.data(), key.size(), reinterpret_cast<const std::uint8_t*>(data.data()), data.size(),
           reinterpret_cast<std::uint8_t*>(out.data()), &n) == nullptr) {
    return {};
  }
  out.resize(n);
  return out;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace snow::tls
