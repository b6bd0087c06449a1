// src/dist/cookie_proof.cpp
#include "src/dist/cookie_proof.hpp"

#include <openssl/crypto.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>

#include <cstdint>

namespace snow::dist {

namespace {
constexpr std::string_view kLabel = "snow-node-cookie-proof-v2";

const std::uint8_t* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

void add_field(HMAC_CTX* ctx, std::string_view field) {
  // Length-prefixed, so no two different field lists hash the same bytes.
  const auto n = static_cast<std::uint32_t>(field.size());
  const std::uint8_t len[4] = {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                               static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)};
  HMAC_Update(ctx, len, sizeof len);
  HMAC_Update(ctx, bytes(field), field.size());
}

spake2_ctx_st* new_context(CookieProof::Role role, std::string_view connector, std::string_view acceptor) {
  const bool alice = role == CookieProof::Role::connector;
  const std::string_view mine = alice ? connector : acceptor;
  const std::string_view theirs = alice ? acceptor : connector;
  return SPAKE2_CTX_new(alice ? spake2_role_alice : spake2_role_bob, bytes(mine), mine.size(), bytes(theirs),
                        theirs.size());
}
}  // namespace

CookieProof::CookieProof(Role role, std::string_view connector_name, std::string_view acceptor_name,
                         std::string_view cookie)
    : role_(role), ctx_(new_context(role, connector_name, acceptor_name), &SPAKE2_CTX_free) {
  std::uint8_t out[SPAKE2_MAX_MSG_SIZE];
  std::size_t n = 0;
  // Fails only when out of memory (the context) or on misuse; an empty message then
  // makes the peer refuse, never a silent success.
  if (ctx_ != nullptr && SPAKE2_generate_msg(ctx_.get(), out, &n, sizeof out, bytes(cookie), cookie.size()) == 1) {
    message_.assign(reinterpret_cast<const char*>(out), n);
  }
}

CookieProof::~CookieProof() = default;
CookieProof::CookieProof(CookieProof&&) noexcept = default;
CookieProof& CookieProof::operator=(CookieProof&&) noexcept = default;

absl::Status CookieProof::receive(std::string_view peer_message, std::string_view channel_binding,
                                  std::string_view transcript) {
  if (ctx_ == nullptr || message_.empty() || !key_.empty()) {
    return absl::FailedPreconditionError("the cookie proof is not ready for a message");
  }
  if (peer_message.size() != kPakeMessageBytes) {
    return absl::InvalidArgumentError("a cookie proof message must be 32 bytes");
  }
  std::uint8_t key[SPAKE2_MAX_KEY_SIZE];
  std::size_t n = 0;
  if (SPAKE2_process_msg(ctx_.get(), key, &n, sizeof key, bytes(peer_message), peer_message.size()) != 1) {
    return absl::InvalidArgumentError("the cookie proof message is not a valid curve point");
  }
  key_.assign(reinterpret_cast<const char*>(key), n);
  OPENSSL_cleanse(key, sizeof key);
  binding_ = std::string(channel_binding);
  transcript_ = std::string(transcript);
  return absl::OkStatus();
}

std::string CookieProof::confirmation_for(Role role) const {
  if (key_.empty()) return {};
  bssl::ScopedHMAC_CTX ctx;
  HMAC_Init_ex(ctx.get(), key_.data(), key_.size(), EVP_sha256(), nullptr);
  add_field(ctx.get(), kLabel);
  add_field(ctx.get(), role == Role::connector ? "connector" : "acceptor");
  add_field(ctx.get(), binding_);
  add_field(ctx.get(), transcript_);
  std::string out(kConfirmationBytes, '\0');
  unsigned int n = 0;
  HMAC_Final(ctx.get(), reinterpret_cast<std::uint8_t*>(out.data()), &n);
  out.resize(n);
  return out;
}

std::string CookieProof::confirmation() const { return confirmation_for(role_); }

bool CookieProof::verify(std::string_view theirs) const {
  if (key_.empty()) return false;
  const std::string expected = confirmation_for(role_ == Role::connector ? Role::acceptor : Role::connector);
  return theirs.size() == expected.size() && CRYPTO_memcmp(theirs.data(), expected.data(), expected.size()) == 0;
}

}  // namespace snow::dist
