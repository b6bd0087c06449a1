// src/dist/handshake.hpp: the node handshake, one connection's way from "TLS is up" to
// "this peer proved it knows the cookie" (docs/WIRE.md §5.2).
//
//     connector (dialled out)                 acceptor (was dialled)
//     hello(version, creation, name)  ──▶     ◀── hello(version, creation, name)
//     pake(SPAKE2 message)            ──▶
//                                     ◀──     pake(SPAKE2 message)
//     confirm(connector)              ──▶     authenticated: NodeCore decides
//                                     ◀──     confirm(acceptor), up
//     authenticated, up
//
// The connector proves first and the acceptor answers with its own proof only after
// checking it and deciding to keep the connection, so (1) a party without the cookie
// tests one guess per connection and learns nothing more, and (2) a connector is up
// only once its acceptor is: neither end ever sends data on a connection the other
// end will drop (how NodeCore keeps that true for simultaneous connects is in
// node_handshake.cpp, `keep_authenticated`).
//
// The rule this class exists to make visible: before a verified proof, nothing the peer
// sends may change the node. A Handshake owns only its own connection's state; the one
// thing it asks of the node, whether a hello may go on, it asks through HandshakeGate,
// whose methods are const: they can read the node (is that name already connected? does
// the certificate carry that name?) and refuse this connection, never act on another
// one. Everything that changes the node (dedupe against other connections, the node
// table, NodeUp) happens in NodeCore after `authenticated` comes back.
//
// Frames that arrive in an order other than the one above, a second hello, or anything
// else before authentication are refused here with a reason that NodeCore counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "src/dist/cookie_proof.hpp"
#include "src/dist/protocol.hpp"

namespace snow::dist {

/// Why a handshake was refused: each has its counter (NodeStats) and decides whether the
/// source address is penalised.
enum class Refusal : std::uint8_t {
  malformed,    // a frame that does not parse, or one out of order
  version,      // another protocol version
  name,         // a bad node name, our own name, or not the node we dialled
  certificate,  // mutual TLS: the certificate does not carry the node name
  proof,        // the cookie proof failed or was never finished
  duplicate,    // already connected to that life of that node
  timeout,      // no handshake within the handshake timeout
  capacity,     // proved, but the table of known nodes is full
};
inline constexpr int kRefusalKinds = 8;
std::string_view refusal_name(Refusal r);

/// What a peer says in its hello, kept (src/dist/handshake_frames.hpp reads it).
struct PeerHello {
  std::uint8_t version = 0;
  std::uint32_t creation = 0;
  std::string name;
};

/// A refusal: why (for counters and penalties) and what to tell the node's log.
struct Refused {
  Refusal reason;
  absl::Status status;
};

/// The node's answers to a handshake's questions. Const: see the file comment.
class HandshakeGate {
 public:
  virtual ~HandshakeGate() = default;
  /// May this connection go on with a peer whose hello says `hello`? Called once the
  /// hello is well formed, of our version, names a valid node other than this one and,
  /// when we dialled, the node we dialled. A gate is made for one connection.
  virtual std::optional<Refused> check_hello(const PeerHello& hello) const = 0;
};

class Handshake {
 public:
  enum class Role { connector, acceptor };

  /// `peer`: for a connector, the name dialled (the peer's hello must say it); empty for
  /// an acceptor, and for a connector that dialled an address without knowing the node
  /// there (DNS discovery): it learns the name from the peer's hello, and sends its
  /// SPAKE2 message only then, since the proof binds both names. The acceptor cannot
  /// tell the difference (it waits for the connector's pake after the hellos anyway), so
  /// the wire is unchanged. `cookie` must outlive the handshake.
  Handshake(Role role, std::string my_name, std::uint32_t my_creation, std::string peer, std::string_view cookie);

  /// The frames to send as the connection opens.
  std::vector<std::string> opening();

  struct Step {
    std::vector<std::string> send;     // frames to send, in order, before anything else
    bool authenticated = false;        // the peer proved the cookie: hand over to NodeCore
    std::optional<Refused> refused;    // close the connection
  };
  /// One frame from the peer. `channel_binding` is the TLS exporter of this connection.
  Step on_frame(FrameKind kind, std::string_view body, std::string_view channel_binding, const HandshakeGate& gate);

  Role role() const { return role_; }
  /// The peer's hello, once it came (its name is a claim until `authenticated`).
  const std::optional<PeerHello>& peer_hello() const { return peer_hello_; }
  /// A connector that dialled an address: the node there said this node's own name (the
  /// address is this node's, under another name or IP). Refused as Refusal::name.
  bool dialled_itself() const { return dialled_itself_; }
  /// The connector sent its confirmation: its peer may now decide to keep the connection.
  bool confirmation_sent() const { return confirmation_sent_; }
  /// The acceptor's confirmation, sent once NodeCore keeps the connection (after
  /// `authenticated`).
  std::string acceptance();

 private:
  enum class Stage { await_hello, await_pake, await_confirm, done };
  Step on_hello(std::string_view body, const HandshakeGate& gate);
  Step on_pake(std::string_view body, std::string_view channel_binding);
  Step on_confirm(std::string_view body);
  std::string transcript(std::string_view connector_pake, std::string_view acceptor_pake) const;

  Role role_;
  std::string my_name_;
  std::uint32_t my_creation_;
  std::string expected_peer_;
  std::string_view cookie_;
  Stage stage_ = Stage::await_hello;
  std::string my_hello_body_, peer_hello_body_;
  std::optional<PeerHello> peer_hello_;
  std::optional<CookieProof> proof_;
  bool confirmation_sent_ = false;
  bool dialled_itself_ = false;
};

}  // namespace snow::dist
