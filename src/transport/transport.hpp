// src/transport/transport.hpp: how the distribution layer moves bytes between nodes.
//
// A Transport carries ordered, reliable byte streams between this node and others. The
// distribution layer (src/dist/) frames, authenticates and routes on top of it and never
// knows whether the bytes go through libuv + TLS (tcp_transport.hpp) or through the
// simulated network of tests (sim_transport.hpp).
//
// Threads. A transport has one thread of its own (the libuv loop, or the simulation's
// driver). Every TransportHandler callback runs on it, and every Transport method except
// `wake()` and `stop()` must be called on it, that is from inside a callback. Other
// threads hand work to the node through its own queue and call `wake()`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/node.hpp"

namespace snow::transport {

/// Names one connection for its whole life; never reused by a transport.
using ConnId = std::uint64_t;

/// What a transport did to hostile or failing connections, since it started (see
/// tcp_transport.hpp and admission.hpp for the events). Each field only grows. The node
/// reports them as they are, so they are declared once, where the node's counters are.
using TransportCounters = NodeStats::Admission;

/// The reason `on_closed` gives for a connection `connect()` asked for that the peer
/// accepted and then reset (at any stage), or closed before TLS was done: Unavailable,
/// marked so that `dropped_by_peer` tells it from a refusal ("connection refused": nobody
/// listens; a peer that closes after its hello: it refused the handshake) or a failure of
/// ours (TLS, a timeout). A node at its limits on unauthenticated connections resets the
/// least advanced one to make room (admission.hpp): when a flood shares our address, that
/// can be ours, and a new attempt a moment later may well get through.
absl::Status dropped_by_peer_error(std::string_view message);
bool dropped_by_peer(const absl::Status& why);

/// The node's side of a transport. All calls on the transport's thread.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  /// A connection is ready to carry bytes: an accepted one (`inbound`) or one that
  /// `connect()` asked for. For TLS this is after the TLS handshake, so
  /// `channel_binding(id)` is available.
  virtual void on_open(ConnId id, bool inbound) = 0;
  /// Bytes arrived, in order. `bytes` is valid only during the call.
  virtual void on_data(ConnId id, std::string_view bytes) = 0;
  /// The connection is gone (closed by either side, refused, failed, or TLS failed).
  /// Called exactly once per ConnId that `connect()` returned or `on_open` announced,
  /// and nothing is called for `id` afterwards.
  virtual void on_closed(ConnId id, const absl::Status& why) = 0;
  /// The transport's write buffer for `id` fell to zero bytes after having held some:
  /// the node may write more of a large message.
  virtual void on_drained(ConnId id) = 0;
  /// `wake()` was called (several calls may be folded into one).
  virtual void on_wake() = 0;
  /// The periodic tick set in `start()` (heartbeats, timeouts, reconnects).
  virtual void on_tick() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  /// Starts listening on host:port (port 0 picks a free port) and returns the port.
  /// Called before `start()`, on the thread that owns the transport.
  virtual absl::StatusOr<std::uint16_t> listen(const std::string& host, std::uint16_t port) = 0;
  /// Starts delivering callbacks to `handler`, with `on_tick` every `tick`.
  virtual void start(TransportHandler* handler, absl::Duration tick) = 0;
  /// Stops: closes every connection (no callbacks for them) and joins the thread.
  /// Any thread except the transport's own; idempotent.
  virtual void stop() = 0;

  /// Opens a connection; `on_open` or `on_closed` follows for the returned id.
  virtual ConnId connect(const std::string& host, std::uint16_t port) = 0;
  /// Queues bytes for `id`, written in call order. Writing to a closed or unknown id
  /// does nothing.
  virtual void write(ConnId id, std::string bytes) = 0;
  /// Bytes queued for `id` and not yet handed to the network.
  virtual std::size_t pending_bytes(ConnId id) const = 0;
  /// Closes `id`; `on_closed(id, reason)` follows (asynchronously).
  virtual void close(ConnId id, const absl::Status& reason) = 0;
  /// Stops (`paused`) or restarts reading from `id`: while paused no `on_data` comes for
  /// it and the peer's bytes wait in the network (TCP's window then holds the peer back),
  /// as does its close, which is heard after the bytes sent before it. How the node
  /// bounds what it holds of one connection. Unknown or closing ids are ignored.
  virtual void pause_reading(ConnId id, bool paused) = 0;
  /// 32 bytes that both ends of an open connection compute identically and that a
  /// relay between two separate channels cannot make equal (the TLS exporter). The
  /// handshake's HMAC covers them.
  virtual std::string channel_binding(ConnId id) const = 0;
  /// The peer's address ("ip" or "ip:port"), for logs and rate limiting.
  virtual std::string peer_address(ConnId id) const = 0;

  // ---- the peer's certificate (mutual TLS) ----
  /// The subjectAltName entries of the certificate the peer of an open connection
  /// presented ("DNS:host", "IP:127.0.0.1", "URI:snow://a@host"; see
  /// tls::TlsSession::peer_names()), for checking it against the node name it claims.
  /// Empty when there is no peer certificate (no TLS, ephemeral mode on the accepting
  /// side) or `id` is unknown.
  virtual std::vector<std::string> peer_certificate_names(ConnId id) const = 0;

  /// The node authenticated this connection: it stops counting against the limits on
  /// unauthenticated connections (and can no longer be evicted to make room under them).
  /// Inbound connections count from their accept until this call; an id that is not
  /// counted (outbound, closed, unknown, admitted already) is ignored.
  virtual void admit(ConnId id) = 0;
  /// The transport's counters. Any thread.
  virtual TransportCounters counters() const = 0;

  /// Makes the transport call `on_wake()` soon. Any thread.
  virtual void wake() = 0;
  /// The transport's clock (the virtual clock for the simulated network).
  virtual absl::Time now() const = 0;
  /// True when events wait for the transport's thread (a socket readable, a doorbell
  /// rung, a connection to accept, any other peer's traffic). Transport thread. The
  /// node's lingering (NodeCore::linger_for_posts) stops at once when it is, so that
  /// waiting for one peer's reply never holds up another peer. Default: none known.
  virtual bool io_waiting() const { return false; }
};

}  // namespace snow::transport
