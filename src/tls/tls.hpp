// src/tls/tls.hpp: TLS 1.3 through BoringSSL, over memory buffers.
//
// The transport owns the sockets; TLS here never touches one. A TlsSession is fed the
// ciphertext that arrived and hands back plaintext, and is given plaintext to send and
// hands back the ciphertext to put on the wire. This keeps BoringSSL out of libuv's
// callbacks' way (no blocking BIOs) and lets tests run two sessions against each other
// in memory.
//
// Not thread-safe: a context may be shared by sessions on any threads (BoringSSL's
// SSL_CTX is), but one session is used by one thread at a time.
#pragma once

#include <openssl/base.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/node.hpp"

namespace snow::tls {

/// The length of `TlsSession::exporter()`.
inline constexpr std::size_t kExporterBytes = 32;

/// Certificates, keys and policy shared by every session of a node.
///
/// Ephemeral mode makes a fresh self-signed EC P-256 certificate and checks no peer:
/// the cookie handshake above TLS, which covers the exporter, authenticates. Mutual mode
/// presents cert_file/key_file and requires the peer (either side) to present a
/// certificate that verifies against ca_file.
class TlsContext {
 public:
  /// Errors (InvalidArgument): mutual mode with a file name missing, a file that cannot
  /// be read, a file that holds no usable PEM, or a key that does not match the
  /// certificate. The message names the option and the file.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> create(const TlsOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  TlsOptions::Mode mode() const { return mode_; }
  /// The BoringSSL context, for TlsSession.
  SSL_CTX* native() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsOptions::Mode mode) : ctx_(ctx), mode_(mode) {}
  SSL_CTX* ctx_;
  TlsOptions::Mode mode_;
};

/// One TLS connection's state machine, driven by bytes in and out.
///
///   session->receive(bytes_from_network, &plaintext);   // may complete the handshake
///   network.send(session->take_ciphertext());           // after every call, always
///
/// Every call may leave ciphertext to send (handshake messages, alerts, records); the
/// owner must take it after each call and send it in order. Errors are absl::Status:
/// PermissionDenied when a certificate was refused (by us or by the peer), Unavailable
/// for any other TLS failure (garbage, a protocol error, a plain-text client); the
/// message carries BoringSSL's error text. After an error the session is dead.
class TlsSession {
 public:
  enum class Role { client, server };

  /// A client's ClientHello is ready in `take_ciphertext()` as soon as this returns.
  static absl::StatusOr<std::unique_ptr<TlsSession>> create(std::shared_ptr<const TlsContext> context,
                                                            Role role);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// Takes ciphertext from the network, advances the handshake and appends whatever
  /// plaintext is now available to `*plaintext`. OK with nothing appended when more
  /// bytes are needed. Once the peer's close_notify arrives, `peer_closed()` is true and
  /// further input is ignored.
  absl::Status receive(std::string_view ciphertext, std::string* plaintext);
  /// Encrypts `plaintext` (all of it) into the outgoing ciphertext. Only after the
  /// handshake (FailedPrecondition before).
  absl::Status send(std::string_view plaintext);
  /// Queues a close_notify alert; nothing can be sent afterwards.
  void close();

  /// The ciphertext produced so far and not yet taken; empties the buffer.
  std::string take_ciphertext();
  /// Bytes `take_ciphertext()` would return.
  std::size_t ciphertext_pending() const;

  Role role() const { return role_; }
  bool handshake_complete() const { return handshake_complete_; }
  bool failed() const { return !error_.ok(); }
  bool peer_closed() const { return peer_closed_; }
  /// The negotiated version, e.g. "TLSv1.3".
  std::string version() const;
  /// kExporterBytes bytes from SSL_export_keying_material under a snow-specific label:
  /// equal at both ends of one TLS connection, different for any other connection. Empty
  /// before the handshake completes. This is the transport's channel binding.
  std::string exporter() const;
  /// The subjectAltName entries of the peer's certificate, in certificate order:
  /// "DNS:host", "IP:127.0.0.1" (IPv6 in its RFC 5952 text form), "URI:snow://a@host".
  /// Other kinds of entry are left out. The bytes are the certificate's, unchecked: they
  /// come from the network and may hold anything, a NUL included. Empty before the
  /// handshake completes, when the peer sent no certificate, or when it has no SANs.
  std::vector<std::string> peer_names() const;

 private:
  TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, Role role);
  absl::Status drive_handshake();
  absl::Status fail(int ssl_result, std::string_view during);

  std::shared_ptr<const TlsContext> context_;
  SSL* ssl_;     // owns rbio_ and wbio_
  BIO* rbio_;    // ciphertext from the network, read by BoringSSL
  BIO* wbio_;    // ciphertext to the network, written by BoringSSL
  Role role_;
  bool handshake_complete_ = false;
  bool peer_closed_ = false;
  bool closed_ = false;
  absl::Status error_;
};

/// BoringSSL's error queue for this thread as one line ("a: b; c"), then clears it.
/// Empty when the queue is.
std::string drain_error_queue();

}  // namespace snow::tls
