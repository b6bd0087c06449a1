// src/tls/spake2.hpp: BoringSSL's SPAKE2 over Curve25519, one exchange.
//
// A balanced password-authenticated key exchange: each side sends one message made from
// the password and a fresh secret, and derives a key from the other's message; the keys
// are equal only if both used the same password. What the key is for (the node cookie's
// proof, docs/WIRE.md §5.2) is src/dist/cookie_proof.hpp's business; this file only
// keeps BoringSSL's SPAKE2 API out of code outside src/tls.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct spake2_ctx_st;

namespace snow::tls {

class Spake2 {
 public:
  /// SPAKE2 needs the two sides to play different roles.
  enum class Role { alice, bob };

  /// Starts one exchange for `password`; `my_name` and `their_name` are bound into the
  /// key (the other side passes them swapped). `message()` is ready at once; it is empty
  /// if BoringSSL could not make it (out of memory), and then derive_key() refuses.
  Spake2(Role role, std::string_view my_name, std::string_view their_name, std::string_view password);
  ~Spake2();
  Spake2(Spake2&&) noexcept;
  Spake2& operator=(Spake2&&) noexcept;

  /// This side's message, to send to the other.
  const std::string& message() const { return message_; }
  /// The shared key (64 bytes) from the other side's message. FailedPrecondition when
  /// this side has no message; InvalidArgument for a message that is not a valid curve
  /// point (or not of the right size). At most once: the context is spent afterwards.
  absl::StatusOr<std::string> derive_key(std::string_view their_message);

 private:
  std::unique_ptr<spake2_ctx_st, void (*)(spake2_ctx_st*)> ctx_;
  std::string message_;
};

}  // namespace snow::tls
