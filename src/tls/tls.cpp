#include "src/tls/tls.hpp"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/runtime/strings.hpp"

namespace snow::tls {
namespace {

using internal::to_absl;

// RFC 5705 reserves labels starting with "EXPORTER" for private use like this one.
constexpr char kExporterLabel[] = "EXPORTER-snow-channel-binding";
// Certificate and key files are small; a bigger one is a wrong path, not a certificate.
constexpr std::size_t kMaxPemFileBytes = std::size_t{1} << 20;
// BIO and SSL calls take int lengths.
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

// Reasons that mean a certificate was refused, by us or (through an alert) by the peer.
// Those are PermissionDenied; every other TLS failure is Unavailable.
bool is_certificate_reason(int reason) {
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_ALERT_CERTIFICATE_REQUIRED:
    // What BoringSSL sends when a certificate's signature does not verify.
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      return true;
    default:
      return false;
  }
}

std::string errno_text(int err) { return std::strerror(err); }

// Reads a whole (small) file, with errno's words when it cannot.
absl::StatusOr<std::string> read_small_file(std::string_view option, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mutual TLS needs ", to_absl(option), " (a PEM file); it is empty"));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", to_absl(option), " \"", path, "\": ", errno_text(errno)));
  }
  std::string out;
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    out.append(buf, n);
    if (out.size() > kMaxPemFileBytes) {
      std::fclose(f);
      return absl::InvalidArgumentError(absl::StrCat(to_absl(option), " \"", path,
                                                     "\" is too large to be a PEM file"));
    }
    if (n < sizeof buf) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", to_absl(option), " \"", path, "\": ", errno_text(err)));
  }
  return out;
}

absl::Status bad_file(std::string_view option, const std::string& path, std::string_view what) {
  std::string detail = drain_error_queue();
  return absl::InvalidArgumentError(absl::StrCat(to_absl(option), " \"", path, "\" ", to_absl(what),
                                                 detail.empty() ? "" : ": ", detail));
}

bssl::UniquePtr<BIO> memory_source(const std::string& bytes) {
  return bssl::UniquePtr<BIO>(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// True when the last PEM read failed only because no further PEM block follows.
bool at_pem_end() {
  const uint32_t e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return true;
  }
  return false;
}

// Every certificate in a PEM file, in order; at least one.
absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> read_certificates(std::string_view option,
                                                                     const std::string& path) {
  absl::StatusOr<std::string> pem = read_small_file(option, path);
  if (!pem.ok()) return pem.status();
  bssl::UniquePtr<BIO> bio = memory_source(*pem);
  if (!bio) return bad_file(option, path, "cannot be buffered");
  std::vector<bssl::UniquePtr<X509>> certs;
  for (;;) {
    bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      if (at_pem_end() && !certs.empty()) break;
      return bad_file(option, path, "holds no valid PEM certificate");
    }
    certs.push_back(std::move(cert));
  }
  return certs;
}

absl::Status load_mutual(SSL_CTX* ctx, const TlsOptions& options) {
  absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> chain = read_certificates("cert_file", options.cert_file);
  if (!chain.ok()) return chain.status();
  if (!SSL_CTX_use_certificate(ctx, (*chain)[0].get())) {
    return bad_file("cert_file", options.cert_file, "cannot be used as a certificate");
  }
  for (std::size_t i = 1; i < chain->size(); ++i) {
    if (!SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get())) {
      return bad_file("cert_file", options.cert_file, "has an unusable chain certificate");
    }
  }

  absl::StatusOr<std::string> key_pem = read_small_file("key_file", options.key_file);
  if (!key_pem.ok()) return key_pem.status();
  bssl::UniquePtr<BIO> key_bio = memory_source(*key_pem);
  bssl::UniquePtr<EVP_PKEY> key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                                        : nullptr);
  if (!key) return bad_file("key_file", options.key_file, "holds no valid PEM private key");
  if (!SSL_CTX_use_PrivateKey(ctx, key.get()) || !SSL_CTX_check_private_key(ctx)) {
    return bad_file("key_file", options.key_file,
                    absl::StrCat("does not match the certificate in cert_file \"", options.cert_file, "\""));
  }

  absl::StatusOr<std::vector<bssl::UniquePtr<X509>>> cas = read_certificates("ca_file", options.ca_file);
  if (!cas.ok()) return cas.status();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& ca : *cas) {
    if (!X509_STORE_add_cert(store, ca.get())) {
      return bad_file("ca_file", options.ca_file, "has a certificate that cannot be trusted");
    }
  }
  // Both sides present a certificate and both check the other's.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return absl::OkStatus();
}

// A fresh EC P-256 key and a self-signed certificate for it, valid from an hour ago (for
// clock skew between nodes) for a year.
absl::Status load_ephemeral(SSL_CTX* ctx) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!ec || !key || !EC_KEY_generate_key(ec.get()) || !EVP_PKEY_assign_EC_KEY(key.get(), ec.release())) {
    return absl::InternalError(absl::StrCat("cannot make an ephemeral key: ", drain_error_queue()));
  }

  bssl::UniquePtr<X509> cert(X509_new());
  uint8_t serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;  // a positive serial
  bssl::UniquePtr<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  X509_NAME* name = cert ? X509_get_subject_name(cert.get()) : nullptr;
  const bool ok =
      cert && serial && name && X509_set_version(cert.get(), X509_VERSION_3) &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const uint8_t*>("snow node"), -1, -1,
                                 0) &&
      X509_set_issuer_name(cert.get(), name) && X509_set_pubkey(cert.get(), key.get()) &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return absl::InternalError(absl::StrCat("cannot make an ephemeral certificate: ", drain_error_queue()));

  if (!SSL_CTX_use_certificate(ctx, cert.get()) || !SSL_CTX_use_PrivateKey(ctx, key.get())) {
    return absl::InternalError(absl::StrCat("cannot use the ephemeral certificate: ", drain_error_queue()));
  }
  // Nothing to verify a peer against: the cookie handshake, bound to this channel through
  // the exporter, is what authenticates.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  return absl::OkStatus();
}

std::string asn1_bytes(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// An iPAddress entry as text: 4 bytes are IPv4, 16 bytes IPv6; any other length is not
// an address at all, shown in hex so that it matches nothing and still reads in a log.
std::string ip_text(const ASN1_OCTET_STRING* s) {
  const std::string raw = asn1_bytes(s);
  char text[INET6_ADDRSTRLEN] = {};
  const int family = raw.size() == 4 ? AF_INET : raw.size() == 16 ? AF_INET6 : 0;
  if (family != 0 && inet_ntop(family, raw.data(), text, sizeof text) != nullptr) return text;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "invalid:";
  for (unsigned char c : raw) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

}  // namespace

std::string drain_error_queue() {
  std::string out;
  while (const uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// ---- TlsContext ----

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsOptions& options) {
  ERR_clear_error();
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return absl::InternalError(absl::StrCat("cannot make a TLS context: ", drain_error_queue()));
  if (!SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION)) {
    return absl::InternalError(absl::StrCat("cannot restrict TLS to 1.3: ", drain_error_queue()));
  }
  // No resumption: every connection runs a full handshake, so each has its own exporter
  // and nobody keeps tickets around.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);

  absl::Status st = options.mode == TlsOptions::Mode::mutual ? load_mutual(ctx.get(), options)
                                                              : load_ephemeral(ctx.get());
  ERR_clear_error();
  if (!st.ok()) return st;
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx.release(), options.mode));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

// ---- TlsSession ----

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::create(std::shared_ptr<const TlsContext> context,
                                                               Role role) {
  if (!context) return absl::InvalidArgumentError("TlsSession needs a TlsContext");
  ERR_clear_error();
  bssl::UniquePtr<SSL> ssl(SSL_new(context->native()));
  bssl::UniquePtr<BIO> rbio(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> wbio(BIO_new(BIO_s_mem()));
  if (!ssl || !rbio || !wbio) {
    return absl::InternalError(absl::StrCat("cannot make a TLS session: ", drain_error_queue()));
  }
  // An empty input buffer means "wait for more", not end of stream.
  BIO_set_mem_eof_return(rbio.get(), -1);
  BIO* r = rbio.release();
  BIO* w = wbio.release();
  SSL_set_bio(ssl.get(), r, w);  // ssl owns both now
  if (role == Role::client) {
    SSL_set_connect_state(ssl.get());
  } else {
    SSL_set_accept_state(ssl.get());
  }
  std::unique_ptr<TlsSession> session(new TlsSession(std::move(context), ssl.release(), role));
  session->rbio_ = r;
  session->wbio_ = w;
  if (role == Role::client) {
    // Writes the ClientHello now, so the owner can send it as soon as TCP is up.
    absl::Status st = session->drive_handshake();
    ERR_clear_error();
    if (!st.ok()) return st;
  }
  return session;
}

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, Role role)
    : context_(std::move(context)), ssl_(ssl), rbio_(nullptr), wbio_(nullptr), role_(role) {}

TlsSession::~TlsSession() { SSL_free(ssl_); }

absl::Status TlsSession::drive_handshake() {
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_complete_ = true;
    return absl::OkStatus();
  }
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
  return fail(e, "TLS handshake failed");
}

absl::Status TlsSession::fail(int ssl_error, std::string_view during) {
  // Classify while turning the queue into text: a refused certificate anywhere in it
  // makes the whole failure PermissionDenied.
  bool certificate = false;
  bool we_refused = false;
  std::string text;
  while (const uint32_t e = ERR_get_error()) {
    if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
      certificate = certificate || is_certificate_reason(ERR_GET_REASON(e));
      we_refused = we_refused || ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED;
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  if (we_refused) {
    // Why the peer's certificate did not verify ("self signed certificate", ...).
    absl::StrAppend(&text, "; peer certificate: ", X509_verify_cert_error_string(SSL_get_verify_result(ssl_)));
  }
  if (text.empty()) text = absl::StrCat("SSL_get_error ", ssl_error);
  const std::string msg = absl::StrCat(to_absl(during), ": ", text);
  error_ = certificate ? absl::PermissionDeniedError(msg) : absl::UnavailableError(msg);
  return error_;
}

absl::Status TlsSession::receive(std::string_view ciphertext, std::string* plaintext) {
  if (!error_.ok()) return error_;
  if (peer_closed_) return absl::OkStatus();
  ERR_clear_error();
  while (!ciphertext.empty()) {
    const std::size_t n = std::min(ciphertext.size(), kMaxChunk);
    if (BIO_write(rbio_, ciphertext.data(), static_cast<int>(n)) != static_cast<int>(n)) {
      error_ = absl::InternalError(absl::StrCat("TLS input buffer: ", drain_error_queue()));
      return error_;
    }
    ciphertext.remove_prefix(n);
  }
  if (!handshake_complete_) {
    absl::Status st = drive_handshake();
    if (!st.ok() || !handshake_complete_) return st;
  }
  char buf[16384];
  for (;;) {
    const int r = SSL_read(ssl_, buf, sizeof buf);
    if (r > 0) {
      plaintext->append(buf, static_cast<std::size_t>(r));
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
    if (e == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return absl::OkStatus();
    }
    return fail(e, "TLS read failed");
  }
}

absl::Status TlsSession::send(std::string_view plaintext) {
  if (!error_.ok()) return error_;
  if (!handshake_complete_) return absl::FailedPreconditionError("TLS send before the handshake completed");
  if (closed_) return absl::FailedPreconditionError("TLS send after close");
  ERR_clear_error();
  while (!plaintext.empty()) {
    const std::size_t n = std::min(plaintext.size(), kMaxChunk);
    const int r = SSL_write(ssl_, plaintext.data(), static_cast<int>(n));
    if (r <= 0) return fail(SSL_get_error(ssl_, r), "TLS write failed");
    // A memory BIO never pushes back, so SSL_write takes everything it is given.
    plaintext.remove_prefix(static_cast<std::size_t>(r));
  }
  return absl::OkStatus();
}

void TlsSession::close() {
  if (closed_) return;
  closed_ = true;
  if (handshake_complete_ && error_.ok()) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // writes close_notify; we do not wait for the peer's
    ERR_clear_error();
  }
}

std::string TlsSession::take_ciphertext() {
  const uint8_t* data = nullptr;
  std::size_t len = 0;
  if (!BIO_mem_contents(wbio_, &data, &len) || len == 0) return {};
  std::string out(reinterpret_cast<const char*>(data), len);
  BIO_reset(wbio_);
  return out;
}

std::size_t TlsSession::ciphertext_pending() const { return BIO_pending(wbio_); }

std::string TlsSession::version() const { return SSL_get_version(ssl_); }

std::string TlsSession::exporter() const {
  if (!handshake_complete_ || !error_.ok()) return {};
  uint8_t out[kExporterBytes];
  if (!SSL_export_keying_material(ssl_, out, sizeof out, kExporterLabel, sizeof kExporterLabel - 1, nullptr, 0,
                                  0)) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::vector<std::string> TlsSession::peer_names() const {
  std::vector<std::string> names;
  if (!handshake_complete_ || !error_.ok()) return names;
  bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_));
  if (!cert) return names;
  bssl::UniquePtr<GENERAL_NAMES> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();  // a certificate without the extension is not an error
  if (!sans) return names;
  for (const GENERAL_NAME* gn : sans.get()) {
    switch (gn->type) {
      case GEN_DNS: names.push_back("DNS:" + asn1_bytes(gn->d.dNSName)); break;
      case GEN_IPADD: names.push_back("IP:" + ip_text(gn->d.iPAddress)); break;
      case GEN_URI: names.push_back("URI:" + asn1_bytes(gn->d.uniformResourceIdentifier)); break;
      default: break;  // e-mail, directory and other names identify no node
    }
  }
  return names;
}

}  // namespace snow::tls
