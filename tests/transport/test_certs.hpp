// tests/transport/test_certs.hpp: certificates made on the spot for mutual-TLS tests.
//
// A throw-away CA, node certificates it signs, and a "rogue" self-signed certificate,
// written as PEM files into a temporary directory that goes away with the fixture. Built
// with BoringSSL itself, so the tests need no openssl binary and no checked-in keys.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "snow/node.hpp"

namespace snow::testing {

/// A directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "snow-tls-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct KeyAndCert {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
};

/// An EC P-256 key and a certificate for it named `cn`, signed by `issuer` (self-signed
/// when null). A CA gets basicConstraints CA:TRUE. `subject_alt_names`, in openssl's
/// config syntax ("URI:snow://a@127.0.0.1,DNS:a.example,IP:127.0.0.1"), become the
/// certificate's subjectAltName extension when not empty.
inline KeyAndCert make_key_and_cert(const std::string& cn, const KeyAndCert* issuer, bool is_ca,
                                    const std::string& subject_alt_names = "") {
  KeyAndCert out;
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  out.key.reset(EVP_PKEY_new());
  if (!ec || !out.key || !EC_KEY_generate_key(ec.get()) || !EVP_PKEY_assign_EC_KEY(out.key.get(), ec.release())) {
    throw std::runtime_error("test key generation failed");
  }
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  uint8_t serial[8];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  bool ok = X509_set_version(x, X509_VERSION_3) && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) &&
            X509_gmtime_adj(X509_getm_notBefore(x), -3600) && X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
            X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                       reinterpret_cast<const uint8_t*>(cn.c_str()), -1, -1, 0) &&
            X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer->cert.get() : x)) &&
            X509_set_pubkey(x, out.key.get());
  if (ok && is_ca) {
    bssl::UniquePtr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
    bc->ca = 1;
    ok = X509_add1_ext_i2d(x, NID_basic_constraints, bc.get(), /*crit=*/1, X509V3_ADD_DEFAULT) == 1;
  }
  if (ok && !subject_alt_names.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
    bssl::UniquePtr<X509_EXTENSION> ext(
        X509V3_EXT_nconf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str()));
    ok = ext != nullptr && X509_add_ext(x, ext.get(), -1) == 1;
  }
  ok = ok && X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256()) > 0;
  if (!ok) throw std::runtime_error("test certificate generation failed");
  return out;
}

inline void write_pem(const std::string& path, X509* cert) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) throw std::runtime_error("cannot write " + path);
}

inline void write_pem(const std::string& path, EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    throw std::runtime_error("cannot write " + path);
  }
}

/// A CA, two nodes it signed (a, b, with the subjectAltNames below), and a rogue
/// self-signed node, as PEM files.
struct MutualTlsFiles {
  static constexpr char kASubjectAltNames[] = "URI:snow://a@127.0.0.1,DNS:a.example,IP:127.0.0.1,IP:::1";
  static constexpr char kBSubjectAltNames[] = "URI:snow://b@127.0.0.1";
  TempDir dir;
  std::string ca = dir.file("ca.pem");
  std::string a_cert = dir.file("a.pem"), a_key = dir.file("a.key");
  std::string b_cert = dir.file("b.pem"), b_key = dir.file("b.key");
  std::string rogue_cert = dir.file("rogue.pem"), rogue_key = dir.file("rogue.key");

  MutualTlsFiles() {
    const KeyAndCert ca_kc = make_key_and_cert("snow test CA", nullptr, /*is_ca=*/true);
    const KeyAndCert a = make_key_and_cert("node a", &ca_kc, false, kASubjectAltNames);
    const KeyAndCert b = make_key_and_cert("node b", &ca_kc, false, kBSubjectAltNames);
    // Claims the CA's name, but the CA never signed it.
    const KeyAndCert rogue = make_key_and_cert("snow test CA", nullptr, false);
    write_pem(ca, ca_kc.cert.get());
    write_pem(a_cert, a.cert.get());
    write_pem(a_key, a.key.get());
    write_pem(b_cert, b.cert.get());
    write_pem(b_key, b.key.get());
    write_pem(rogue_cert, rogue.cert.get());
    write_pem(rogue_key, rogue.key.get());
  }

  TlsOptions options(const std::string& cert, const std::string& key) const {
    TlsOptions o;
    o.mode = TlsOptions::Mode::mutual;
    o.cert_file = cert;
    o.key_file = key;
    o.ca_file = ca;
    return o;
  }
  TlsOptions a() const { return options(a_cert, a_key); }
  TlsOptions b() const { return options(b_cert, b_key); }
  /// Trusts the CA, but presents a certificate the CA did not sign.
  TlsOptions rogue() const { return options(rogue_cert, rogue_key); }
};

}  // namespace snow::testing
