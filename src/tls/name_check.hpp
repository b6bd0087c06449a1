// src/tls/name_check.hpp: does a peer's certificate entitle it to the node name it claims?
//
// Mutual TLS proves that the CA signed the peer's certificate; it says nothing about which
// node the peer is. This ties the two: the node name from the peer's hello (or the one we
// dialled) must be carried by the certificate's subjectAltName entries, under the rule the
// node was configured with (TlsOptions::NameCheck, whose comment is the manual).
//
// A pure function of its inputs, so every rule is tested without a handshake; the entries
// come from TlsSession::peer_names() through Transport::peer_certificate_names().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "snow/node.hpp"

namespace snow::tls {

/// OK when `peer_names` ("DNS:host", "IP:1.2.3.4", "URI:snow://a@host", as
/// TlsSession::peer_names() gives them) satisfy `rule` for `node_name` ("name@host:port").
/// Otherwise PermissionDenied, whose message names the node, what the rule wanted and what
/// the certificate holds; it is bounded in length and its bytes are printable (the
/// certificate and the name came from the network). A node name that does not parse is
/// refused the same way, whatever the rule but `none`.
absl::Status check_certificate_name(TlsOptions::NameCheck rule, std::string_view node_name,
                                    const std::vector<std::string>& peer_names);

}  // namespace snow::tls
