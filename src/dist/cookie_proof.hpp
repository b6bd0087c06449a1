// src/dist/cookie_proof.hpp: proving knowledge of the cookie without exposing it to
// offline guessing (docs/WIRE.md §5.2).
//
// Two nodes that share a cookie run SPAKE2 over Curve25519 (BoringSSL's, a balanced
// password-authenticated key exchange; src/tls/spake2.hpp): each sends one 32-byte message derived from the
// cookie and a fresh secret, and each derives a 64-byte key from the other's message.
// The keys are equal only if both used the same cookie. Each side then proves it holds
// the key with a confirmation, HMAC-SHA256(key, label | role | channel binding |
// transcript), which the other checks (src/tls/hmac.hpp). The cryptography is called
// through src/tls, so that BoringSSL is included only there.
//
// Why not the HMAC challenge of protocol version 1: anyone who captured one proof
// (a fake endpoint that a real node dialled is enough) could test cookie guesses
// offline, as fast as HMAC runs: a weak cookie fell in 3,025 guesses. With SPAKE2 a
// party that does not know the cookie has to commit to one guess in its own message
// before it sees anything that depends on the real cookie, so one handshake, captured
// or taken part in, tests exactly one guess, and only against a live node that counts
// the failure (see the handshake's penalties).
//
// The channel binding (the TLS exporter) in the confirmations keeps a proof from being
// relayed onto another TLS connection; the transcript (both hellos and both SPAKE2
// messages) keeps either side's claims (names, creations, version) from being changed
// in flight.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "src/tls/spake2.hpp"

namespace snow::dist {

/// Bytes of a SPAKE2 message and of a confirmation.
inline constexpr std::size_t kPakeMessageBytes = 32;
inline constexpr std::size_t kConfirmationBytes = 32;
/// What a SPAKE2 message of another size is refused with (by receive(), and by the
/// handshake before it: src/dist/handshake_frames.hpp, read_pake).
inline constexpr char kPakeSizeError[] = "a cookie proof message must be 32 bytes";

class CookieProof {
 public:
  /// The connector dials, the acceptor was dialled; SPAKE2 needs the two sides to differ.
  enum class Role { connector, acceptor };

  /// Starts one exchange: `message()` is ready at once. The names of both sides are
  /// bound into the key, so a proof for one pair of nodes is worth nothing for another.
  CookieProof(Role role, std::string_view connector_name, std::string_view acceptor_name, std::string_view cookie);
  ~CookieProof();
  CookieProof(CookieProof&&) noexcept;
  CookieProof& operator=(CookieProof&&) noexcept;

  /// This side's SPAKE2 message, to send to the peer.
  const std::string& message() const { return pake_.message(); }
  /// Derives the shared key from the peer's message. `channel_binding` and `transcript`
  /// are what the confirmations will cover. InvalidArgument for a message that is not a
  /// curve point of the right size. Once.
  absl::Status receive(std::string_view peer_message, std::string_view channel_binding, std::string_view transcript);
  bool has_key() const { return !key_.empty(); }
  /// This side's confirmation (after receive()).
  std::string confirmation() const;
  /// Whether `theirs` is the peer's confirmation for the same key, in time independent
  /// of where it differs. False before receive().
  bool verify(std::string_view theirs) const;

 private:
  std::string confirmation_for(Role role) const;

  Role role_;
  tls::Spake2 pake_;
  std::string key_;
  std::string binding_, transcript_;
};

}  // namespace snow::dist
