// src/dist/handshake.cpp
#include "src/dist/handshake.hpp"

#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "src/dist/protocol.hpp"

namespace snow::dist {

namespace {
constexpr std::string_view kLabel = "snow-node-auth-v1";

void add_field(HMAC_CTX* ctx, std::string_view field) {
  // Length-prefixed, so no two different field lists hash the same bytes.
  const auto n = static_cast<std::uint32_t>(field.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 24)};
  HMAC_Update(ctx, len, sizeof len);
  HMAC_Update(ctx, reinterpret_cast<const unsigned char*>(field.data()), field.size());
}
}  // namespace

std::string make_nonce() {
  std::string nonce(kNonceBytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce.size());
  return nonce;
}

std::string auth_digest(std::string_view cookie, std::string_view channel_binding, std::string_view verifier_nonce,
                        std::string_view prover, std::string_view verifier) {
  bssl::ScopedHMAC_CTX ctx;
  HMAC_Init_ex(ctx.get(), cookie.data(), cookie.size(), EVP_sha256(), nullptr);
  add_field(ctx.get(), kLabel);
  add_field(ctx.get(), channel_binding);
  add_field(ctx.get(), verifier_nonce);
  add_field(ctx.get(), prover);
  add_field(ctx.get(), verifier);
  std::string out(kDigestBytes, '\0');
  unsigned int n = 0;
  HMAC_Final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n);
  out.resize(n);
  return out;
}

bool digests_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace snow::dist
