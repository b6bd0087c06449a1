// src/transport/tcp_transport.hpp: the real network: TCP through libuv, TLS 1.3 on top.
//
//     auto t = TcpTransport::create(tls_options, [](std::string_view line) { log(line); });
//     if (!t.ok()) { ... t.status() says why (a bad certificate file, ...) ... }
//     absl::StatusOr<std::uint16_t> port = (*t)->listen("127.0.0.1", 0);
//     (*t)->start(&handler, absl::Milliseconds(100));
//     ...
//     (*t)->stop();  // or let the destructor do it
//
// One I/O thread runs a libuv loop; each connection is a uv_tcp_t (TCP_NODELAY) with a
// tls::TlsSession over memory buffers. A connection is announced (`on_open`) only once its
// TLS handshake is done, so `channel_binding()` is always there for the cookie handshake.
//
// What comes from the network is hostile: a connection that sends garbage, speaks plain
// text, sends nothing, stalls its handshake, or resets, is closed with one log line (rate
// limited per kind of event, so a flood of them cannot flood the log) and disturbs
// nothing else. Inbound connections the node has not authenticated yet (`admit()`) are
// bounded in number, in all and per source address; a new one past a bound evicts the
// least advanced old one (admission.hpp), with a TCP reset, so that its peer can tell it
// from a refusal (transport.hpp, `dropped_by_peer`). An evicted connection the node knows
// (after on_open) gets `on_closed` with ResourceExhausted; one it never heard of is just closed.
// An accepted connection that fails before `on_open` makes no
// callback at all (the node never heard of it); a `connect()` that fails gets `on_closed`
// with the reason: Unavailable ("connection refused", an unresolvable name, a TLS protocol
// failure; marked `dropped_by_peer` when the peer reset the connection or closed it
// before TLS was done), PermissionDenied (a certificate refused, by us or by the peer) or
// DeadlineExceeded (no TLS within the handshake timeout).
//
// In TLS 1.3 a client finishes its handshake before the server has judged the client's
// certificate, so in mutual mode a refused client may see `on_open` and then `on_closed`
// (PermissionDenied, from the server's alert) at once. The cookie handshake above never
// gets that far.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/node.hpp"
#include "src/transport/transport.hpp"

namespace snow::transport {

struct TcpTransportOptions {
  /// A connection whose TLS handshake has not completed this long after it was accepted
  /// (or after `connect()`, which includes name resolution and the TCP connect) is
  /// closed: DeadlineExceeded. Zero or infinite: no limit (not advisable).
  absl::Duration handshake_timeout = absl::Seconds(5);
  /// After `close(id)`, how long queued bytes may take to reach the network before the
  /// connection is cut anyway. Zero or infinite: no limit.
  absl::Duration close_linger = absl::Seconds(2);
  /// Ciphertext handed to libuv and not yet written, per connection. Beyond it plaintext
  /// waits in the connection's queue (so a 100 MiB write is not a 100 MiB extra copy).
  std::size_t max_in_flight_bytes = std::size_t{256} << 10;
  /// Inbound connections not yet authenticated by the node (`admit()`), at most, in all
  /// and from one source IP. Past either, the new connection is kept and the one that
  /// made the least progress is evicted: see admission.hpp for the order and why.
  /// Bounds the descriptors and TLS sessions a flood of connections can hold.
  std::size_t max_unauthenticated = 256;
  std::size_t max_unauthenticated_per_address = 32;
  /// An accepted connection that has not sent one byte this long after its accept is
  /// closed (a real client sends its ClientHello at once). Zero or infinite: no limit
  /// (the handshake timeout still applies).
  absl::Duration silent_timeout = absl::Seconds(1);
  /// An unauthenticated connection that has not advanced (a byte, TLS done, plaintext)
  /// for this long is stalled: evicted before any that is still advancing (admission.hpp).
  absl::Duration stalled_after = absl::Milliseconds(250);
  /// Log lines about single connections, per kind of event (a TLS failure, a timeout,
  /// an eviction): at most this many a second; the rest are counted and summed up in one
  /// line per kind per `log_summary_period` (see log_limiter.hpp).
  int log_lines_per_second = 5;
  absl::Duration log_summary_period = absl::Seconds(10);
};

class TcpTransport final : public Transport {
 public:
  /// Warnings about single connections (a TLS failure, a handshake timeout), one line
  /// each within the rate limit, and the summaries of what the limit left out. Called on
  /// the transport's thread.
  using LogFn = std::function<void(std::string_view line)>;

  /// Builds the TLS context (so a bad certificate file is reported here) and the loop;
  /// starts no thread yet. Errors: InvalidArgument (TLS files), Internal.
  static absl::StatusOr<std::unique_ptr<TcpTransport>> create(const TlsOptions& tls, LogFn log,
                                                              TcpTransportOptions options = {});
  /// Stops if still running.
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  /// `host` is a numeric IPv4/IPv6 address or a name ("localhost"); port 0 picks a free
  /// one. Errors: InvalidArgument (unresolvable host), Unavailable (the OS refused, e.g.
  /// the port is in use; with libuv's words), FailedPrecondition (stopped, or called
  /// from another thread after `start()`). May be called more than once.
  absl::StatusOr<std::uint16_t> listen(const std::string& host, std::uint16_t port) override;
  /// Starts the I/O thread. A zero or infinite `tick` means no `on_tick`. Once only.
  void start(TransportHandler* handler, absl::Duration tick) override;
  /// Closes every connection and listener without callbacks and joins the I/O thread.
  /// Idempotent; the destructor calls it. Must not run on the I/O thread (the transport
  /// cannot join itself; there it only closes everything and the join waits for the
  /// destructor).
  void stop() override;

  /// Names are resolved on libuv's thread pool (IPv4 addresses tried before IPv6, and
  /// only the first is tried). Bytes written before `on_open` wait for it.
  ConnId connect(const std::string& host, std::uint16_t port) override;
  void write(ConnId id, std::string bytes) override;
  /// Plaintext bytes not yet written to the socket (queued, or in libuv's hands).
  std::size_t pending_bytes(ConnId id) const override;
  /// Graceful for an open connection: what was written before still goes out (within
  /// `close_linger`), then a TLS close_notify; `on_closed(id, reason)` follows.
  void close(ConnId id, const absl::Status& reason) override;
  /// uv_read_stop / uv_read_start: what one read already brought in is still delivered.
  void pause_reading(ConnId id, bool paused) override;
  std::string channel_binding(ConnId id) const override;
  std::string peer_address(ConnId id) const override;
  void admit(ConnId id) override;
  TransportCounters counters() const override;
  /// Read from the connection's TLS session while it is open.
  std::vector<std::string> peer_certificate_names(ConnId id) const override;

  void wake() override;
  absl::Time now() const override;
  bool io_waiting() const override;

  /// Connections not yet fully closed (for tests: no leak after a storm of bad clients).
  std::size_t connection_count() const;

  // The implementation (tcp_transport.cpp); public only so that file's helpers can name it.
  class Impl;

 private:
  explicit TcpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace snow::transport
