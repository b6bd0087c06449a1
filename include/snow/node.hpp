// snow/node.hpp: making a runtime a node of a cluster.
//
//     snow::Runtime rt;
//     auto node = snow::Node::start(rt, "alpha@127.0.0.1:9101", {.cookie = "secret"});
//     if (!node.ok()) { ... node.status() says why ... }
//     absl::Status st = (*node)->connect("beta@127.0.0.1:9102");
//
// A node listens on the host and port in its name, talks TLS 1.3 to other nodes and lets
// in only nodes that prove they know the same cookie. Pids from other nodes then work like
// local ones: send, link, monitor. Connecting to one member of a cluster connects this
// node to all of them (a full mesh). See docs/guide.md, "Distribution".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/detail/wire_codec.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"

namespace snow {

class Runtime;
class Self;

/// The port a node listens on when its name gives none.
inline constexpr std::uint16_t kDefaultNodePort = 9000;

/// How nodes secure their connections. Whatever the mode, the cookie decides who is let in.
struct TlsOptions {
  enum class Mode {
    /// A self-signed certificate made at start; peers' certificates are not checked.
    /// Encrypts the traffic; the cookie handshake (bound to this TLS channel) authenticates.
    ephemeral,
    /// Mutual TLS: this node presents cert_file/key_file and accepts only peers whose
    /// certificate is signed by ca_file and carries the peer's node name (name_check).
    mutual,
  };
  Mode mode = Mode::ephemeral;
  std::string cert_file;  // PEM, mutual mode
  std::string key_file;   // PEM, mutual mode
  std::string ca_file;    // PEM, mutual mode

  /// Mutual mode: which node names a peer's certificate entitles it to. A peer whose
  /// hello claims a name its certificate does not carry is refused (PermissionDenied,
  /// counted in NodeStats::handshakes_refused); for a connection this node made, the
  /// name checked is the one it dialled. Only subjectAltName entries count, never the
  /// subject's CN. The port is never part of the identity: a node may listen on port 0
  /// and learn its port at start.
  enum class NameCheck {
    /// The certificate carries the URI `snow://NAME@HOST`, equal to the node name's name
    /// (exactly) and host (ignoring case), with no port. One certificate per node, e.g.
    /// node a@10.0.0.5 (any port), signed by the CA in ca.pem/ca.key:
    ///
    ///     openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
    ///         -subj /CN=a -keyout a.key -out a.csr -addext subjectAltName=URI:snow://a@10.0.0.5
    ///     openssl x509 -req -in a.csr -CA ca.pem -CAkey ca.key -days 365
    ///         -copy_extensions copy -out a.pem
    ///
    /// (each command on one line). A URI with a port, or another scheme, does not match.
    node,
    /// The certificate carries the node name's host: a DNS name equal to it ignoring
    /// case (no wildcards), or, when the host is a numeric IPv4 address, an IP address
    /// equal to it (a numeric host never matches a DNS entry, nor a name an IP entry).
    /// For one node per host, e.g. a Kubernetes StatefulSet whose pods each have a DNS
    /// name: `-addext subjectAltName=DNS:snow-0.snow.prod.svc.cluster.local` or
    /// `-addext subjectAltName=IP:10.0.0.5`. Any node name on that host is accepted.
    host,
    /// Any certificate the CA signed lets in any node name. Unsafe: whoever holds one
    /// node's key (or any certificate from that CA, including one made for another
    /// service) can join as any other node, receive its messages and its global names.
    none,
  };
  NameCheck name_check = NameCheck::node;
};

struct NodeOptions {
  /// The shared secret. Nodes with different cookies never connect. Empty: the one in
  /// `$HOME/.snow.cookie`, made (32 random bytes, mode 0600) if missing. A short or
  /// repetitive cookie is logged as a loud warning at start: the handshake (SPAKE2)
  /// lets no one test guesses offline, but each connection may test one online.
  std::string cookie;
  /// The heartbeat period. A peer from which nothing arrives for `heartbeat_misses`
  /// periods is declared down.
  absl::Duration heartbeat = absl::Milliseconds(500);
  int heartbeat_misses = 4;
  /// A connection that has not finished its handshake by then is closed.
  absl::Duration handshake_timeout = absl::Seconds(5);
  /// Inbound connections that have not yet proved the cookie, at most, in all and from
  /// one IP address. Past either, the newcomer is kept and the least advanced (then
  /// oldest) of the others is closed, so a flood cannot hold out a real peer nor exhaust
  /// the node's descriptors.
  std::size_t max_unauthenticated = 256;
  std::size_t max_unauthenticated_per_address = 32;
  /// An inbound connection that has sent nothing at all this long after it was accepted
  /// is closed.
  absl::Duration silent_timeout = absl::Seconds(1);
  TlsOptions tls;
  /// The largest frame accepted from a peer; a larger one closes the connection.
  std::size_t max_frame_bytes = std::size_t{1} << 20;
  /// Large messages travel in fragments of this size, so small ones are not held behind.
  std::size_t fragment_bytes = std::size_t{64} << 10;
  /// The largest message (its encoding) that may be sent to another node.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  /// What this node's decoder accepts in a message from a peer: longest string, most
  /// elements, deepest nesting, and the memory its Terms may take per byte received
  /// (snow/detail/wire_codec.hpp). Peers learn them at connect (frame node_info) and
  /// refuse, themselves, a message over them; raise them together with max_message_bytes
  /// to take larger values. The memory bound is what keeps a peer from making this node
  /// allocate far more than it sent: raise it knowingly.
  DecodeLimits decode_limits;
  /// Bound on the bytes waiting to go to one peer. A send past it is dropped and
  /// counted (as a send to a full mailbox is), never blocks the sender.
  std::size_t max_outbound_bytes = std::size_t{256} << 20;
  /// Bound on the node's own frames (heartbeats, node names, peer lists) waiting to go
  /// to one peer, each counted with the string that holds it. They pile up only while
  /// the peer takes nothing, so past the bound it is taken for one that does not read
  /// and is disconnected (NodeStats::disconnected_slow_reader; so is one to which nothing
  /// could be written for twice heartbeat x heartbeat_misses). A peer that reads needs a
  /// few KiB here; a full table of 1,024 node names, announced at once, about 600 KiB.
  std::size_t max_control_bytes = std::size_t{1} << 20;
  /// Reconnection to peers connected explicitly (connect()): first retry after
  /// `reconnect_min`, doubling up to `reconnect_max`, for ever, each failure logged.
  absl::Duration reconnect_min = absl::Milliseconds(200);
  absl::Duration reconnect_max = absl::Seconds(10);
  /// Peers connected at start, as connect_async() would ("name@host:port" each), and
  /// kept up the same way. A malformed one fails Node::start (InvalidArgument).
  std::vector<std::string> seeds;
  /// Finding peers in DNS, as a Kubernetes headless Service or SRV records list them.
  struct Discovery {
    /// What to look up; empty: no discovery.
    /// - "a:NAME:PORT": every A and AAAA address of NAME is a node listening on PORT;
    /// - "srv:NAME": each SRV record of NAME is a node at its target and port.
    /// DNS gives addresses, not node names: a node is dialled at its address and the
    /// handshake tells its name (the cookie is proved as for any connection). A name
    /// gone from DNS is not a failure: its connection stays until the normal heartbeat
    /// says the node is down. A malformed value fails Node::start (InvalidArgument).
    std::string source;
    /// How often to look up, each wait jittered by up to a fifth either way so that a
    /// cluster's nodes do not ask the DNS server in step. A lookup still running at the
    /// next poll is waited for, never doubled. At least 100 ms apart, whatever this says.
    absl::Duration interval = absl::Seconds(5);
    /// At most this many records of one answer are used (dialled while not connected);
    /// the rest are counted in NodeStats::discovery.ignored.
    std::size_t max_members = 256;
  } discovery;
};

/// Sent to processes that called `monitor_node` when a connection to the node comes up.
struct NodeUp {
  std::string node;
};
/// Sent to processes that called `monitor_node` when the connection to the node is lost.
struct NodeDown {
  std::string node;
  std::string reason;
};

/// A node's counters since it started (see Node::stats).
struct NodeStats {
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t messages_in = 0, messages_out = 0;
  std::uint64_t dropped_unreachable = 0;  // messages for nodes that were not connected
  std::uint64_t dropped_overflow = 0;     // a peer's outbound queue was over max_outbound_bytes
  std::uint64_t dropped_at_close = 0;     // queued frames lost when a connection closed
  std::uint64_t dropped_incomplete = 0;   // fragmented messages from a peer left unfinished 30 s
  std::uint64_t dropped_mismatched = 0;   // received of a type the two nodes declare differently
  std::uint64_t refused_over_limits = 0;  // sends refused here: over the peer's limits (node_info)
  /// Service requests from other nodes a service here refused: a request it does not
  /// list in remote_requests, or one that does not convert (the caller gets the error).
  std::uint64_t refused_service_requests = 0;
  /// Messages and signals received but not yet delivered when their connection closed: a
  /// large message still decoding and the frames from the same peer waiting behind it.
  std::uint64_t dropped_inbound_at_close = 0;
  /// The longest the network thread was late for its periodic tick (µs): how long it was
  /// kept from serving connections at once, by a decode or anything else.
  std::uint64_t longest_tick_delay_us = 0;
  /// Commands (sends, most of them replies) the network thread took while it lingered
  /// after delivering a message, with no wake-up (docs/DESIGN.md, "Threads").
  std::uint64_t posts_taken_lingering = 0;
  std::uint64_t handshakes_refused = 0;   // every refusal in `refused`, summed
  /// Connections refused before their peer was authenticated, by reason.
  struct Refusals {
    std::uint64_t malformed = 0;    // a frame that does not parse, or out of order
    std::uint64_t version = 0;      // another protocol version
    std::uint64_t name = 0;         // a bad node name, this node's own, or not the one dialled
    std::uint64_t certificate = 0;  // mutual TLS: the certificate does not carry the name
    std::uint64_t proof = 0;        // the cookie proof failed (a wrong cookie, or a guess)
    std::uint64_t duplicate = 0;    // already connected to that node (not an attack)
    std::uint64_t timeout = 0;      // no handshake within handshake_timeout
    std::uint64_t capacity = 0;     // proved, but the table of known nodes is full
  } refused;
  /// Handshakes from an address with recent failures, heard only after a delay.
  std::uint64_t handshakes_delayed = 0;
  /// Connections the transport closed before they authenticated (admission control).
  struct Admission {
    std::uint64_t evicted_total_cap = 0;    // for a newer one, past max_unauthenticated
    std::uint64_t evicted_address_cap = 0;  // the same, past max_unauthenticated_per_address
    std::uint64_t closed_silent = 0;        // not one byte within silent_timeout
    std::uint64_t tls_failed = 0;           // the TLS handshake or a record failed
    std::uint64_t tls_timeout = 0;          // no TLS within handshake_timeout
  } admission;
  std::uint64_t protocol_errors = 0;      // connections closed for a malformed frame
  /// Messages from peers that arrived whole but did not decode under DecodeLimits (a
  /// string over 16 MiB, say): dropped alone, the connection kept, the sender told.
  std::uint64_t dropped_undecodable = 0;
  /// Refusals of plain sends that this node reported to their sender in a per-second
  /// summary instead of one notice each (past 100 a second on a connection).
  std::uint64_t notices_summarized = 0;
  /// Messages this node sent that the receiving node refused, as it reported back (a
  /// plain send's drop is otherwise seen only there; see docs/guide.md, "Overload").
  struct RemoteRefusals {
    std::uint64_t mailbox_full = 0;  // the receiver's bounded mailbox was full
    std::uint64_t no_process = 0;    // no such process (dead Pid) or registered name
    std::uint64_t undecodable = 0;   // over the receiver's DecodeLimits
  } remote_refused;
  /// Of those, connections closed for naming, in node_name frames, more node lives this
  /// node has no connection to than one peer may hold in its table (a flood of made-up nodes).
  std::uint64_t node_names_refused = 0;
  /// Connections closed because the peer did not read what this node wrote: control
  /// frames past max_control_bytes, or nothing written for twice the heartbeat budget.
  std::uint64_t disconnected_slow_reader = 0;
  /// DNS discovery (NodeOptions::discovery).
  struct Discovery {
    std::uint64_t polls = 0;     // lookups made
    std::uint64_t failures = 0;  // lookups that failed (no answer, timeout, unparsable answer)
    std::uint64_t dialed = 0;    // connections opened to an address DNS gave
    /// Records not used: over max_members, unusable (a bad target name, port 0), or
    /// polls skipped because the previous lookup was still running.
    std::uint64_t ignored = 0;
  } discovery;
};

/// One connected peer, as this node sees it (see Node::peers).
struct PeerInfo {
  std::string name;
  std::uint64_t bytes_in = 0, bytes_out = 0;  // over the current connection
  std::size_t queued_bytes = 0;               // waiting in this node's outbound lanes for it
  absl::Duration rtt = absl::ZeroDuration();  // the last heartbeat's round trip; 0: none yet
  std::uint64_t remote_refused = 0;           // messages to it that it refused, as it reported
};

/// A peer coming up or going down, as NodeUp and NodeDown report it (Node::history).
struct NodeEvent {
  absl::Time at;
  std::string node;
  bool up = false;
  std::string reason;  // why it went down; "" for an up
};

namespace detail {
class NodeCore;
}

/// A handle on a runtime's node; the runtime owns the node and stops it when it stops.
class Node {
 public:
  /// Makes `rt` a node named `name` ("name@host" or "name@host:port"; port 0 picks a
  /// free one, and the name then carries the port picked). Errors: InvalidArgument for
  /// a malformed name, FailedPrecondition for an unusable ~/.snow.cookie (when no
  /// cookie is given), AlreadyExists if `rt` is a node already, Unavailable if the port
  /// cannot be listened on.
  static absl::StatusOr<Node> start(Runtime& rt, std::string_view name, NodeOptions options);
  /// The node `rt` is, if it is one.
  static absl::StatusOr<Node> of(Runtime& rt);

  /// This node's name, "name@host:port".
  const std::string& name() const;
  /// Connects to `peer` ("name@host:port") and waits until it is connected and
  /// authenticated, or `timeout`. Already connected: OK at once. The node then keeps the
  /// connection up (reconnecting with backoff if it drops) until `disconnect(peer)`.
  /// An attempt the peer drops before the handshake is done (resets it, as a node does
  /// to the least advanced newcomer when unauthenticated connections flood it, or closes
  /// it before its hello: docs/WIRE.md §5.2) is made again every
  /// `NodeOptions::reconnect_min` while the timeout allows; a refusal is not.
  /// Errors: InvalidArgument (bad name), Unavailable (cannot reach: nothing listens, or
  /// the last attempt was dropped), PermissionDenied (handshake refused: wrong cookie or
  /// name), Cancelled (`disconnect(peer)` meanwhile), DeadlineExceeded.
  absl::Status connect(std::string_view peer, absl::Duration timeout = absl::Seconds(5)) const;
  /// connect() for a process: it waits as in a receive, so its worker runs other
  /// processes meanwhile (the blocking connect() would hold the worker for up to
  /// `timeout`). Same results.
  Task<absl::Status> connect(Self self, std::string peer, absl::Duration timeout = absl::Seconds(5)) const;
  /// Starts connecting to `peer` and returns at once; failures are logged and retried
  /// with backoff (NodeOptions::reconnect_min / reconnect_max) until disconnect(peer).
  void connect_async(std::string_view peer) const;
  /// Closes the connection to `peer` and stops reconnecting to it (DNS discovery, too,
  /// does not dial it again until connect() names it).
  void disconnect(std::string_view peer) const;
  /// The nodes this node is connected to now, sorted.
  std::vector<std::string> list() const;
  /// The node a Pid lives on ("" for the null Pid; this node's name for local Pids).
  std::string node_of(Pid pid) const;

  /// Makes `watcher` receive NodeUp / NodeDown for `peer` ("" for every node) until
  /// `demonitor_node`. Any thread.
  void monitor_node(Pid watcher, std::string_view peer) const;
  void demonitor_node(Pid watcher, std::string_view peer) const;

  /// This node's counters; any thread (snow/observe.hpp exports them).
  NodeStats stats() const;
  /// The connected peers, sorted by name; any thread.
  std::vector<PeerInfo> peers() const;
  /// The last peers up and down (at most kNodeHistory, oldest first); any thread.
  static constexpr std::size_t kNodeHistory = 64;
  std::vector<NodeEvent> history() const;

 private:
  explicit Node(detail::NodeCore* core) : core_(core) {}
  detail::NodeCore* core_;
};

}  // namespace snow
