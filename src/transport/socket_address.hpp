// src/transport/socket_address.hpp: socket addresses as the TCP transport needs them:
// printed for logs and for admission's per-address limits, parsed from a numeric host,
// and chosen from a resolver's answer.
//
// Separate because none of it touches a connection or the loop: plain functions of a
// sockaddr.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace snow::transport {

// "1.2.3.4" or "::1"; "?" if it has none.
std::string ip_of(const sockaddr* sa);

// "1.2.3.4:5" or "[::1]:5".
std::string format_address(const sockaddr* sa);

std::string format_host_port(const std::string& host, std::uint16_t port);

// Numeric IPv4 or IPv6 (with or without brackets); false for names.
bool parse_numeric(const std::string& host, std::uint16_t port, sockaddr_storage* out);

// The addresses of a resolved name, IPv4 first: "localhost" then means 127.0.0.1 both
// for a listener and for a connector, whatever order the resolver prefers.
std::vector<sockaddr_storage> addresses_of(const addrinfo* res, std::uint16_t port);

addrinfo stream_hints();

}  // namespace snow::transport
