// src/discovery/discovery_source.cpp
#include "src/discovery/discovery_source.hpp"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/runtime/strings.hpp"

namespace snow::discovery {

std::string DiscoverySource::text() const {
  return kind == Kind::a ? absl::StrCat("a:", name, ":", port) : absl::StrCat("srv:", name);
}

bool is_dns_name(std::string_view std_name) {
  absl::string_view name = internal::to_absl(std_name);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char ch : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return false;
    }
  }
  return true;
}

absl::StatusOr<DiscoverySource> parse_discovery_source(std::string_view std_text) {
  const std::string shown = internal::printable(std_text);
  absl::string_view text = internal::to_absl(std_text);
  DiscoverySource source;
  absl::string_view rest;
  if (absl::ConsumePrefix(&text, "a:")) {
    source.kind = DiscoverySource::Kind::a;
    const std::size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("discovery source '", shown, "': a:NAME:PORT needs a port"));
    }
    std::uint32_t port = 0;
    if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("discovery source '", shown, "': the port must be a number from 1 to 65535"));
    }
    source.port = static_cast<std::uint16_t>(port);
    rest = text.substr(0, colon);
  } else if (absl::ConsumePrefix(&text, "srv:")) {
    source.kind = DiscoverySource::Kind::srv;
    rest = text;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery source '", shown, "': expected a:NAME:PORT (A/AAAA records) or srv:NAME (SRV records)"));
  }
  if (!is_dns_name(internal::to_std(rest))) {
    return absl::InvalidArgumentError(absl::StrCat("discovery source '", shown,
                                                   "': not a DNS name (letters, digits, '-', '_', '.'; labels of "
                                                   "1 to 63 characters, 253 in all)"));
  }
  source.name = std::string(rest);
  return source;
}

}  // namespace snow::discovery
