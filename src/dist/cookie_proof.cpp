// src/dist/cookie_proof.cpp
#include "src/dist/cookie_proof.hpp"

#include <cstdint>

#include "src/tls/hmac.hpp"

namespace snow::dist {

namespace {
constexpr std::string_view kLabel = "snow-node-cookie-proof-v2";

void add_field(std::string& out, std::string_view field) {
  // Length-prefixed, so no two different field lists hash the same bytes.
  const auto n = static_cast<std::uint32_t>(field.size());
  const char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 24)};
  out.append(len, sizeof len);
  out.append(field.data(), field.size());
}

tls::Spake2 new_pake(CookieProof::Role role, std::string_view connector, std::string_view acceptor,
                     std::string_view cookie) {
  const bool alice = role == CookieProof::Role::connector;
  return tls::Spake2(alice ? tls::Spake2::Role::alice : tls::Spake2::Role::bob, alice ? connector : acceptor,
                     alice ? acceptor : connector, cookie);
}
}  // namespace

CookieProof::CookieProof(Role role, std::string_view connector_name, std::string_view acceptor_name,
                         std::string_view cookie)
    : role_(role), pake_(new_pake(role, connector_name, acceptor_name, cookie)) {}

CookieProof::~CookieProof() = default;
CookieProof::CookieProof(CookieProof&&) noexcept = default;
CookieProof& CookieProof::operator=(CookieProof&&) noexcept = default;

absl::Status CookieProof::receive(std::string_view peer_message, std::string_view channel_binding,
                                  std::string_view transcript) {
  if (pake_.message().empty() || !key_.empty()) {
    return absl::FailedPreconditionError("the cookie proof is not ready for a message");
  }
  if (peer_message.size() != kPakeMessageBytes) {
    return absl::InvalidArgumentError(kPakeSizeError);
  }
  absl::StatusOr<std::string> key = pake_.derive_key(peer_message);
  if (!key.ok()) return absl::InvalidArgumentError("the cookie proof message is not a valid curve point");
  key_ = std::move(*key);
  binding_ = std::string(channel_binding);
  transcript_ = std::string(transcript);
  return absl::OkStatus();
}

std::string CookieProof::confirmation_for(Role role) const {
  if (key_.empty()) return {};
  std::string fields;
  add_field(fields, kLabel);
  add_field(fields, role == Role::connector ? "connector" : "acceptor");
  add_field(fields, binding_);
  add_field(fields, transcript_);
  return tls::hmac_sha256(key_, fields);
}

std::string CookieProof::confirmation() const { return confirmation_for(role_); }

bool CookieProof::verify(std::string_view theirs) const {
  if (key_.empty()) return false;
  const std::string expected = confirmation_for(role_ == Role::connector ? Role::acceptor : Role::connector);
  return !expected.empty() && tls::equal_in_constant_time(theirs, expected);
}

}  // namespace snow::dist
