// tests/hardening/slow_reader_peer.cpp: a peer that holds the cookie and never reads
// (slow_reader_test.py).
//
//     hardening_slow_reader NAME COOKIE TARGET SECONDS
//
// Dials TARGET ("name@host:port") over TCP + TLS (ephemeral), does the node handshake as
// a real connector would, then sends ping frames as fast as the socket takes them for up
// to SECONDS and never reads another byte: every pong the target owes it stays with the
// target. Prints one line and exits 0:
//
//     flood sent=<plaintext bytes of pings the socket took> seconds=<s> end=cut|deadline
//
// `cut`: the target closed the connection (a reset or a broken pipe on send). A failed
// connect or handshake exits 1 with the reason on stderr.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>

#include "src/dist/handshake.hpp"
#include "src/dist/node_address.hpp"
#include "src/dist/node_info.hpp"
#include "src/dist/protocol.hpp"
#include "src/tls/tls.hpp"

namespace {

using snow::dist::FrameKind;

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "slow_reader_peer: " << why << "\n";
  std::exit(1);
}

/// Writes all of `bytes`; false once the peer is gone (reset, broken pipe) or the
/// deadline passed while the socket took nothing.
bool send_all(int fd, std::string_view bytes, std::chrono::steady_clock::time_point deadline, bool* cut) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      continue;  // SO_SNDTIMEO makes this a wait, not a spin
    }
    *cut = true;
    return false;
  }
  return true;
}

/// The attacker has nothing to ask of the target's hello.
struct Connector final : snow::dist::HandshakeGate {
  std::optional<snow::dist::Refused> check_hello(const snow::dist::PeerHello&) const override { return std::nullopt; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: hardening_slow_reader NAME COOKIE TARGET SECONDS\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  const std::string name = argv[1], cookie = argv[2], target = argv[3];
  const double seconds = std::stod(argv[4]);
  absl::StatusOr<snow::dist::NodeAddress> address = snow::dist::parse_node_address(target, 0);
  if (!address.ok()) fail(std::string(address.status().message()));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(address->port);
  if (::inet_pton(AF_INET, address->host.c_str(), &sa.sin_addr) != 1) fail("TARGET's host must be an IPv4 address");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) fail(std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  auto context = snow::tls::TlsContext::create(snow::TlsOptions{});
  if (!context.ok()) fail(std::string(context.status().message()));
  auto session = snow::tls::TlsSession::create(*context, snow::tls::TlsSession::Role::client);
  if (!session.ok()) fail(std::string(session.status().message()));
  snow::tls::TlsSession& tls = **session;
  const auto far = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool cut = false;
  auto flush = [&] {
    if (!send_all(fd, tls.take_ciphertext(), far, &cut)) fail("the target closed during the handshake");
  };

  // TLS, then the node handshake as the connector, reading only until it is done.
  std::uint32_t creation = std::random_device{}() | 1;
  snow::dist::Handshake handshake(snow::dist::Handshake::Role::connector, name, creation, address->full(), cookie);
  snow::dist::FrameReader reader(snow::dist::kHandshakeFrameLimit);
  bool opened = false, authenticated = false;
  flush();  // the ClientHello
  char buf[16384];
  while (!authenticated) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) fail("the target closed during the handshake");
    std::string plain;
    if (absl::Status st = tls.receive(std::string_view(buf, static_cast<std::size_t>(n)), &plain); !st.ok()) {
      fail(std::string(st.message()));
    }
    flush();
    if (!tls.handshake_complete()) continue;
    if (!opened) {
      opened = true;
      for (const std::string& frame : handshake.opening()) (void)tls.send(frame);
      flush();
    }
    reader.append(plain);
    for (;;) {
      bool got = false;
      FrameKind kind{};
      std::string_view body;
      if (absl::Status st = reader.next(got, kind, body); !st.ok()) fail(std::string(st.message()));
      if (!got) break;
      snow::dist::Handshake::Step step = handshake.on_frame(kind, body, tls.exporter(), Connector{});
      for (const std::string& frame : step.send) (void)tls.send(frame);
      flush();
      if (step.refused) fail("refused: " + std::string(step.refused->status.message()));
      if (step.authenticated) {
        authenticated = true;
        break;
      }
    }
  }

  // As a node must, its node_info first (an empty fingerprint: it sends no messages).
  for (const std::string& frame : snow::dist::node_info_frames({std::size_t{64} << 20, {}}, {}, 64 << 10)) {
    (void)tls.send(frame);
  }
  flush();

  // Pings, 4,096 to a write, for as long as the socket takes them; never a read again.
  const timeval wait{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
  std::string batch;
  for (std::uint64_t i = 0; i < 4096; ++i) batch += snow::dist::FrameWriter(FrameKind::ping).u64(i).finish();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(seconds));
  std::uint64_t sent = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!tls.send(batch).ok()) break;
    if (!send_all(fd, tls.take_ciphertext(), deadline, &cut)) break;
    sent += batch.size();
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("flood sent=%llu seconds=%.2f end=%s\n", static_cast<unsigned long long>(sent), took,
              cut ? "cut" : "deadline");
  ::close(fd);
  return 0;
}
