// src/tls/name_check.cpp
#include "src/tls/name_check.hpp"

#include <arpa/inet.h>

#include <cstddef>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/dist/node_address.hpp"
#include "src/runtime/strings.hpp"

namespace snow::tls {
namespace {

using internal::to_absl;

// The refusal message quotes data from the network: a few entries, each cut short, so a
// certificate with thousands of SANs cannot make a log line of megabytes.
constexpr std::size_t kMaxEntriesShown = 8;
constexpr std::size_t kMaxBytesShown = 64;

constexpr std::string_view kNodeUriPrefix = "URI:snow://";
constexpr std::string_view kDnsPrefix = "DNS:";
constexpr std::string_view kIpPrefix = "IP:";

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(to_absl(a), to_absl(b));
}

// Non-printable bytes as C escapes (\n, \x00, \x7f...), at most kMaxBytesShown of them.
std::string printable(std::string_view raw) {
  const bool cut = raw.size() > kMaxBytesShown;
  return absl::StrCat("\"", absl::CHexEscape(to_absl(raw.substr(0, kMaxBytesShown))), cut ? "...\"" : "\"");
}

std::string_view rule_name(TlsOptions::NameCheck rule) {
  switch (rule) {
    case TlsOptions::NameCheck::node: return "node";
    case TlsOptions::NameCheck::host: return "host";
    case TlsOptions::NameCheck::none: return "none";
  }
  return "?";
}

// The host in TlsSession::peer_names()'s "IP:" form when it is a numeric IPv4 address
// (node names allow no IPv6), else empty: a host name.
std::string numeric_host_text(const std::string& host) {
  in_addr addr{};
  char text[INET_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1 || inet_ntop(AF_INET, &addr, text, sizeof text) == nullptr) {
    return {};
  }
  return text;
}

// What `rule` looks for, in peer_names()'s form: matched by `matches`, shown in refusals.
std::string wanted_entry(TlsOptions::NameCheck rule, const dist::NodeAddress& node) {
  if (rule == TlsOptions::NameCheck::node) {
    return absl::StrCat(to_absl(kNodeUriPrefix), node.name, "@", node.host);
  }
  const std::string ip = numeric_host_text(node.host);
  return ip.empty() ? absl::StrCat(to_absl(kDnsPrefix), node.host) : absl::StrCat(to_absl(kIpPrefix), ip);
}

bool matches(TlsOptions::NameCheck rule, const dist::NodeAddress& node, std::string_view entry) {
  if (rule == TlsOptions::NameCheck::host) {
    // "DNS:name" ignoring case, or exactly the "IP:a.b.c.d" text peer_names() makes.
    return equal_ignoring_case(entry, wanted_entry(rule, node));
  }
  // "URI:snow://" and the host ignore case (a scheme and a DNS name do); the node's own
  // name is compared exactly, as node names are everywhere else.
  if (!equal_ignoring_case(entry.substr(0, kNodeUriPrefix.size()), kNodeUriPrefix)) return false;
  const std::string_view rest = entry.substr(kNodeUriPrefix.size());
  const std::size_t at = rest.find('@');
  return at != std::string_view::npos && rest.substr(0, at) == node.name &&
         equal_ignoring_case(rest.substr(at + 1), node.host);
}

std::string certificate_holds(const std::vector<std::string>& peer_names) {
  if (peer_names.empty()) return "no subjectAltName entry";
  std::string out;
  for (std::size_t i = 0; i < peer_names.size() && i < kMaxEntriesShown; ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", printable(peer_names[i]));
  }
  if (peer_names.size() > kMaxEntriesShown) {
    absl::StrAppend(&out, " and ", peer_names.size() - kMaxEntriesShown, " more");
  }
  return out;
}

}  // namespace

absl::Status check_certificate_name(TlsOptions::NameCheck rule, std::string_view node_name,
                                    const std::vector<std::string>& peer_names) {
  if (rule == TlsOptions::NameCheck::none) return absl::OkStatus();
  absl::StatusOr<dist::NodeAddress> node = dist::parse_node_address(node_name, kDefaultNodePort);
  if (!node.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("no certificate can carry the node name ", printable(node_name), " (not a node name)"));
  }
  for (const std::string& entry : peer_names) {
    if (matches(rule, *node, entry)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat("the certificate of ", printable(node_name), " does not carry ",
                                                  wanted_entry(rule, *node), " (name check ", to_absl(rule_name(rule)),
                                                  "); it holds ", certificate_holds(peer_names)));
}

}  // namespace snow::tls
