// src/tls/spake2.cpp
#include "src/tls/spake2.hpp"

#include <openssl/crypto.h>
#include <openssl/curve25519.h>

#include <cstdint>

namespace snow::tls {

namespace {
const std::uint8_t* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }
}  // namespace

Spake2::Spake2(Role role, std::string_view my_name, std::string_view their_name, std::string_view password)
    : ctx_(SPAKE2_CTX_new(role == Role::alice ? spake2_role_alice : spake2_role_bob, bytes(my_name), my_name.size(),
                          bytes(their_name), their_name.size()),
           &SPAKE2_CTX_free) {
  std::uint8_t out[SPAKE2_MAX_MSG_SIZE];
  std::size_t n = 0;
  // Fails only when out of memory (the context) or on misuse; the empty message then
  // makes the peer refuse, never a silent success.
  if (ctx_ != nullptr && SPAKE2_generate_msg(ctx_.get(), out, &n, sizeof out, bytes(password), password.size()) == 1) {
    message_.assign(reinterpret_cast<const char*>(out), n);
  }
}

Spake2::~Spake2() = default;
Spake2::Spake2(Spake2&&) noexcept = default;
Spake2& Spake2::operator=(Spake2&&) noexcept = default;

absl::StatusOr<std::string> Spake2::derive_key(std::string_view their_message) {
  if (ctx_ == nullptr || message_.empty()) return absl::FailedPreconditionError("no SPAKE2 message was made");
  std::uint8_t key[SPAKE2_MAX_KEY_SIZE];
  std::size_t n = 0;
  if (SPAKE2_process_msg(ctx_.get(), key, &n, sizeof key, bytes(their_message), their_message.size()) != 1) {
    return absl::InvalidArgumentError("the SPAKE2 message is not a valid curve point");
  }
  std::string out(reinterpret_cast<const char*>(key), n);
  OPENSSL_cleanse(key, sizeof key);  // the copy on the stack; the caller owns the other
  return out;
}

}  // namespace snow::tls
