// tests/support/loopback_http.hpp: a blocking HTTP client for servers on 127.0.0.1 (the
// metrics endpoint and the Observer), with a 5 s receive timeout so a server that never
// answers fails the test instead of hanging it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace snow::testing {

/// A socket connected to 127.0.0.1:port, with a 5 s receive timeout; -1 if refused.
inline int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Reads until the server closes (or the receive timeout).
inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

/// One request on a fresh connection; the whole response ("<no connection>" if refused).
/// An empty request half-closes at once: a client that says nothing and leaves.
inline std::string http_exchange(std::uint16_t port, std::string_view request) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "<no connection>";
  send_all(fd, request);
  if (request.empty()) ::shutdown(fd, SHUT_WR);
  std::string response = read_all(fd);
  ::close(fd);
  return response;
}

}  // namespace snow::testing
