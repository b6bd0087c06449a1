// src/transport/socket_address.cpp
#include "src/transport/socket_address.hpp"

#include <arpa/inet.h>
#include <uv.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace snow::transport {

std::string ip_of(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN + 1] = {};
  if (uv_ip_name(sa, ip, sizeof ip) != 0) return "?";
  return ip;
}

std::string format_address(const sockaddr* sa) {
  const std::string ip = ip_of(sa);
  if (ip == "?") return ip;
  if (sa->sa_family == AF_INET6) {
    return absl::StrCat("[", ip, "]:", ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port));
  }
  return absl::StrCat(ip, ":", ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port));
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos && host[0] != '['
             ? absl::StrCat("[", host, "]:", port)
             : absl::StrCat(host, ":", port);
}

bool parse_numeric(const std::string& host, std::uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return uv_ip6_addr(h.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

std::vector<sockaddr_storage> addresses_of(const addrinfo* res, std::uint16_t port) {
  std::vector<sockaddr_storage> v4, v6;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    sockaddr_storage s{};
    if (a->ai_family == AF_INET && a->ai_addrlen <= sizeof s) {
      std::memcpy(&s, a->ai_addr, a->ai_addrlen);
      reinterpret_cast<sockaddr_in*>(&s)->sin_port = htons(port);
      v4.push_back(s);
    } else if (a->ai_family == AF_INET6 && a->ai_addrlen <= sizeof s) {
      std::memcpy(&s, a->ai_addr, a->ai_addrlen);
      reinterpret_cast<sockaddr_in6*>(&s)->sin6_port = htons(port);
      v6.push_back(s);
    }
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

addrinfo stream_hints() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  return hints;
}

}  // namespace snow::transport
