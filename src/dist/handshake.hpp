// src/dist/handshake.hpp: the cookie proof of the node handshake (docs/WIRE.md §5.2).
//
// Each side sends a fresh random nonce in its hello. A side proves it knows the cookie
// with HMAC-SHA256(cookie, label | channel binding | the *other* side's nonce | prover's
// name | verifier's name). The channel binding is the TLS exporter of this connection,
// so a proof cannot be relayed onto another TLS channel, and the nonce makes it fresh.
// The connecting side proves first; the accepting side answers with its own proof only
// after checking, so a node that does not know the cookie learns nothing from it.
#pragma once

#include <string>
#include <string_view>

namespace snow::dist {

/// kNonceBytes of cryptographically random bytes.
std::string make_nonce();
/// The proof `prover` sends to `verifier` (kDigestBytes bytes).
std::string auth_digest(std::string_view cookie, std::string_view channel_binding, std::string_view verifier_nonce,
                        std::string_view prover, std::string_view verifier);
/// Compares two digests in time independent of where they differ.
bool digests_equal(std::string_view a, std::string_view b);

}  // namespace snow::dist
