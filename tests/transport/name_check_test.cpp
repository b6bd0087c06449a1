// tests/transport/name_check_test.cpp: the rule tying a node name to its certificate
// (TlsOptions::NameCheck), on SAN lists as TlsSession::peer_names() gives them.
#include "src/tls/name_check.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using snow::TlsOptions;
using snow::tls::check_certificate_name;
using Names = std::vector<std::string>;

namespace {

constexpr auto kNode = TlsOptions::NameCheck::node;
constexpr auto kHost = TlsOptions::NameCheck::host;
constexpr auto kNone = TlsOptions::NameCheck::none;

bool allowed(TlsOptions::NameCheck rule, std::string_view node, const Names& names) {
  return check_certificate_name(rule, node, names).ok();
}

std::string refusal(TlsOptions::NameCheck rule, std::string_view node, const Names& names) {
  const absl::Status st = check_certificate_name(rule, node, names);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == absl::StatusCode::kPermissionDenied);
  return std::string(st.message());
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

bool all_printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

TEST_SUITE("name_check") {
TEST_CASE("node: the URI snow://NAME@HOST lets that node in, whatever its port") {
  const Names a = {"DNS:ignored.example", "URI:snow://a@127.0.0.1"};
  CHECK(allowed(kNode, "a@127.0.0.1:9101", a));
  CHECK(allowed(kNode, "a@127.0.0.1:0", a));
  // Another URI SAN first does not hide the matching one.
  CHECK(allowed(kNode, "a@127.0.0.1:1", {"URI:https://a.example/", "URI:snow://a@127.0.0.1"}));
  // The scheme and the host ignore case; the node's own name does not.
  CHECK(allowed(kNode, "a@node1.example:1", {"URI:SNOW://a@Node1.EXAMPLE"}));
  CHECK_FALSE(allowed(kNode, "A@127.0.0.1:1", a));
}

TEST_CASE("node: another node's certificate is refused, and the refusal says what it holds") {
  const Names a = {"URI:snow://a@127.0.0.1"};
  const std::string why = refusal(kNode, "zeta@127.0.0.1:4000", a);
  CHECK(contains(why, "zeta@127.0.0.1:4000"));
  CHECK(contains(why, "URI:snow://zeta@127.0.0.1"));  // what was wanted
  CHECK(contains(why, "URI:snow://a@127.0.0.1"));     // what the certificate holds
  // Same name on another host, a prefix or an extension of the name, a port or a path,
  // another scheme: none is the node.
  CHECK_FALSE(allowed(kNode, "a@127.0.0.2:1", a));
  CHECK_FALSE(allowed(kNode, "ab@127.0.0.1:1", a));
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"URI:snow://ab@127.0.0.1"}));
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"URI:snow://a@127.0.0.1:1"}));
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"URI:snow://a@127.0.0.1/"}));
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"URI:http://a@127.0.0.1"}));
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"URI:snow://127.0.0.1"}));
}

TEST_CASE("node: a host-only certificate, or one without SANs, is not a node's") {
  CHECK_FALSE(allowed(kNode, "a@127.0.0.1:1", {"IP:127.0.0.1", "DNS:a"}));
  CHECK(contains(refusal(kNode, "a@127.0.0.1:1", {}), "no subjectAltName"));
}

TEST_CASE("host: a DNS name equal to the host, ignoring case; any node on it") {
  const Names pod = {"DNS:snow-0.snow.prod.svc.cluster.local"};
  CHECK(allowed(kHost, "a@snow-0.snow.prod.svc.cluster.local:9000", pod));
  CHECK(allowed(kHost, "other@SNOW-0.snow.prod.svc.cluster.local:1", pod));
  CHECK_FALSE(allowed(kHost, "a@snow-1.snow.prod.svc.cluster.local:9000", pod));
  CHECK_FALSE(allowed(kHost, "a@snow-0:9000", pod));  // a prefix is another host
  CHECK_FALSE(allowed(kHost, "a@x.example:1", {"DNS:*.example"}));  // no wildcards
  const std::string why = refusal(kHost, "a@snow-1.example:1", {"DNS:snow-0.example"});
  CHECK(contains(why, "DNS:snow-1.example"));
  CHECK(contains(why, "DNS:snow-0.example"));
  CHECK(contains(refusal(kHost, "a@h.example:1", {}), "no subjectAltName"));
}

TEST_CASE("host: a numeric host needs an IP entry, a host name a DNS entry") {
  CHECK(allowed(kHost, "a@10.0.0.5:1", {"DNS:x.example", "IP:10.0.0.5"}));
  CHECK_FALSE(allowed(kHost, "a@10.0.0.5:1", {"IP:10.0.0.6"}));
  CHECK_FALSE(allowed(kHost, "a@10.0.0.5:1", {"DNS:10.0.0.5"}));
  CHECK_FALSE(allowed(kHost, "a@localhost:1", {"IP:127.0.0.1"}));
  CHECK(contains(refusal(kHost, "a@10.0.0.5:1", {"DNS:10.0.0.5"}), "IP:10.0.0.5"));
  // A node URI is no host entry.
  CHECK_FALSE(allowed(kHost, "a@10.0.0.5:1", {"URI:snow://a@10.0.0.5"}));
}

TEST_CASE("none: any certificate lets any name in") {
  CHECK(allowed(kNone, "zeta@127.0.0.1:1", {"URI:snow://a@127.0.0.1"}));
  CHECK(allowed(kNone, "zeta@127.0.0.1:1", {}));
}

TEST_CASE("odd bytes from the network match nothing and come out escaped and bounded") {
  // A NUL inside a SAN must not end the comparison early (the classic "a.example\0.evil").
  const std::string nul_dns = std::string("DNS:h.example\0.evil", 20);
  CHECK_FALSE(allowed(kHost, "a@h.example:1", {nul_dns}));
  const std::string nul_uri = std::string("URI:snow://a@h\0", 15);
  CHECK_FALSE(allowed(kNode, "a@h:1", {nul_uri}));

  const std::string why = refusal(kNode, "a@h:1", {nul_uri, "URI:snow://a@h\n\x1b[31m\xff"});
  CHECK(all_printable(why));
  CHECK(contains(why, "\\x00"));
  CHECK(contains(why, "\\n"));
  CHECK(contains(why, "\\xff"));

  // A name that is no node name (it came in a hello) is refused, escaped.
  const std::string bad = refusal(kNode, std::string("a\0b@h\x01:1", 9), {"URI:snow://a@h"});
  CHECK(all_printable(bad));
  // ... except under `none`, which checks nothing.
  CHECK(allowed(kNone, std::string("a\0b@h\x01:1", 9), {}));

  // Thousands of long SANs make a short message that says how many were left out.
  Names many(5000, "DNS:" + std::string(1000, 'x'));
  const std::string long_why = refusal(kHost, "a@h.example:1", many);
  CHECK(long_why.size() < 2000);
  CHECK(contains(long_why, "4992 more"));
}
}
