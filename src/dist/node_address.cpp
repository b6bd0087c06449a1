// src/dist/node_address.cpp
#include "src/dist/node_address.hpp"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "src/runtime/strings.hpp"

namespace snow::dist {

namespace {
constexpr std::size_t kMaxNameBytes = 200;  // fits the u8 names of the protocol with room

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}
bool all_name_chars(std::string_view s) {
  for (char c : s) {
    if (!is_name_char(c)) return false;
  }
  return true;
}
absl::Status bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad node name \"", internal::to_absl(text.substr(0, 100)), "\": ", internal::to_absl(why),
                   " (expected name@host or name@host:port)"));
}
}  // namespace

std::string NodeAddress::full() const { return absl::StrCat(name, "@", host, ":", port); }

absl::StatusOr<NodeAddress> parse_node_address(std::string_view text, std::uint16_t default_port) {
  if (text.size() > kMaxNameBytes) return bad(text, "longer than 200 bytes");
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos) return bad(text, "no '@'");
  NodeAddress a;
  a.name = std::string(text.substr(0, at));
  std::string_view rest = text.substr(at + 1);
  if (a.name.empty() || !all_name_chars(a.name)) return bad(text, "the name before '@' must be letters, digits, _ - .");
  std::string_view host = rest;
  a.port = default_port;
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    const std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
      return bad(text, "the port must be a number from 0 to 65535");
    }
    a.port = static_cast<std::uint16_t>(value);
  }
  if (host.empty() || !all_name_chars(host)) return bad(text, "the host must be an IPv4 address or a host name");
  a.host = std::string(host);
  return a;
}

}  // namespace snow::dist
