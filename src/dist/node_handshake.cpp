// src/dist/node_handshake.cpp: the node's side of the handshake — what it answers a
// connection's handshake (src/dist/handshake.hpp runs the exchange itself), which of two
// connections to one node it keeps, the penalty for addresses that keep failing, and
// bringing a connection up once its peer proved the cookie.
//
// Separate from NodeCore's orchestration because everything here happens before a
// connection carries any process traffic, and is the part of the node an attacker
// without the cookie reaches.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/node_connection.hpp"
#include "src/dist/table_frames.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"
#include "src/tls/name_check.hpp"

namespace snow::detail {

namespace {
// Failed handshakes from one address: the first few cost nothing (a restart, a typo in
// a cookie); past them each new handshake from that address waits before it is heard,
// doubling up to a ceiling (2 s, and at most a third of the handshake timeout) that keeps
// a good node behind the same address well inside its handshake. One guess of the cookie per connection, at most one connection
// heard per delay: online guessing slows to a crawl without anyone being locked out.
constexpr int kFreeFailures = 5;
constexpr absl::Duration kFirstPenalty = absl::Milliseconds(50);
constexpr absl::Duration kMaxPenalty = absl::Seconds(2);
constexpr absl::Duration kFailureWindow = absl::Seconds(60);
constexpr std::size_t kMaxFailureEntries = 4096;

// Source address without its port: the unit of failure accounting.
std::string host_of(const std::string& address) { return address.substr(0, address.rfind(':')); }

// Each way a handshake is refused, and the NodeStats counter that counts it.
std::uint64_t NodeStats::Refusals::*refusal_counter(dist::Refusal r) {
  using R = NodeStats::Refusals;
  switch (r) {
    case dist::Refusal::malformed: return &R::malformed;
    case dist::Refusal::version: return &R::version;
    case dist::Refusal::name: return &R::name;
    case dist::Refusal::certificate: return &R::certificate;
    case dist::Refusal::proof: return &R::proof;
    case dist::Refusal::duplicate: return &R::duplicate;
    case dist::Refusal::timeout: return &R::timeout;
    case dist::Refusal::capacity: return &R::capacity;
  }
  return &R::malformed;  // not reached: every Refusal is above
}
}  // namespace

// -- questions before the proof --

/// The node as one connection's handshake sees it: answers only (src/dist/handshake.hpp).
class NodeCore::Gate final : public dist::HandshakeGate {
 public:
  Gate(const NodeCore& node, const Connection& c) : node_(node), c_(c) {}
  std::optional<dist::Refused> check_hello(const dist::PeerHello& hello) const override {
    return node_.check_hello(c_, hello);
  }

 private:
  const NodeCore& node_;
  const Connection& c_;
};

void NodeCore::on_handshake_frame(Connection& c, FrameKind kind, std::string_view body) {
  dist::Handshake::Step step = c.handshake->on_frame(kind, body, transport_->channel_binding(c.id), Gate(*this, c));
  if (!c.dialed_member.empty() && kind == FrameKind::hello) learn_member_name(c);
  for (std::string& frame : step.send) queue_control(c, std::move(frame));
  if (step.refused) return refuse(c, *step.refused);
  if (step.authenticated) return on_authenticated(c);
  pump(c);
}

absl::Status NodeCore::check_peer_certificate(const Connection& c, std::string_view claimed_name) const {
  if (options_.tls.mode != TlsOptions::Mode::mutual) return absl::OkStatus();
  return tls::check_certificate_name(options_.tls.name_check, claimed_name, transport_->peer_certificate_names(c.id));
}

std::optional<dist::Refused> NodeCore::check_hello(const Connection& c, const dist::PeerHello& hello) const {
  // The certificate must name the node the hello claims (for a connection we made, the
  // handshake already checked that the hello names the node we dialled).
  if (absl::Status cert = check_peer_certificate(c, hello.name); !cert.ok()) {
    return dist::Refused{dist::Refusal::certificate, std::move(cert)};
  }
  // Refusing this connection early is all a check may do; it saves the peer a proof
  // that would be refused anyway after it (keep_authenticated decides for real).
  for (const auto& [id, o] : conns_) {
    if (o.get() != &c && o->state == Connection::State::up && o->peer_name == hello.name &&
        o->peer_creation == hello.creation) {
      return dist::Refused{dist::Refusal::duplicate, absl::AlreadyExistsError("already connected")};
    }
  }
  return std::nullopt;
}

// -- decisions after it --

void NodeCore::on_authenticated(Connection& c) {
  const dist::PeerHello& hello = *c.handshake->peer_hello();
  if (c.inbound) {
    c.peer_name = hello.name;
    if (absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(hello.name, kDefaultNodePort); a.ok()) {
      c.peer_address = *a;
    }
  }
  c.peer_creation = hello.creation;
  if (!keep_authenticated(c)) return;
  // The node's entry is made before the acceptor proves itself, so a full table refuses
  // the peer before it thinks itself connected (its connect() then fails, not succeeds).
  c.map.peer_index = intern(c.peer_name, c.peer_creation);
  if (c.map.peer_index == 0) {
    return refuse(c, dist::Refused{dist::Refusal::capacity, absl::ResourceExhaustedError("the table of known nodes is full")});
  }
  {
    std::lock_guard lock(table_mu_);
    KnownNode& life = nodes_[c.map.peer_index];
    ++life.own_connections;  // held until this connection closes (release_entries)
    c.holds_entry = true;
    c.map.peer = {c.map.peer_index, life.generation, static_cast<std::uint8_t>(c.peer_creation)};
  }
  // Every other connection learns the life (again, if its entry was free or reused)
  // before any frame that could carry its Pids.
  for (auto& [id, o] : conns_) {
    if (o.get() != &c && o->state == Connection::State::up) {
      announce(*o, c.map.peer_index);
      pump(*o);
    }
  }
  if (c.inbound) queue_control(c, c.handshake->acceptance());  // only now does the acceptor prove
  connection_up(c);
}

/// Which of several connections to one node to keep, now that `c`'s peer proved the
/// cookie. Both ends must agree without talking, and neither may have sent data on the
/// one dropped. Data flows on a connection once its acceptor is up (the connector waits
/// for the acceptor's proof, sent just after this), so the acceptor decides:
/// - an up connection to the same life of the node wins (`c` is a late duplicate);
/// - an up connection to another life is the peer's previous life: it ends;
/// - our own outbound connection to the node, when it has sent its proof (so the peer
///   may be deciding on it too), is compared by the rule both ends share, "keep the one
///   started by the node whose name sorts first"; when it has not, `c` wins and ours
///   ends before its proof goes out, so the peer never decides on it.
/// A connector that gets here keeps `c`: its acceptor already decided.
bool NodeCore::keep_authenticated(Connection& c) {
  std::vector<std::pair<Connection*, absl::Status>> to_close;
  for (auto& [id, o] : conns_) {
    if (o.get() == &c || o->state == Connection::State::closing || o->peer_name != c.peer_name) continue;
    if (o->state == Connection::State::up) {
      if (o->peer_creation != c.peer_creation) {
        to_close.emplace_back(o.get(), absl::UnavailableError("the peer restarted"));
        continue;
      }
      refuse(c, dist::Refused{dist::Refusal::duplicate, absl::AlreadyExistsError("already connected")});
      return false;
    }
    if (c.inbound && !o->inbound && o->handshake && o->handshake->confirmation_sent() && name_ < c.peer_name) {
      refuse(c, dist::Refused{dist::Refusal::duplicate,
                              absl::AlreadyExistsError("simultaneous connection, the other one is kept")});
      return false;
    }
    to_close.emplace_back(o.get(), absl::AlreadyExistsError("simultaneous connection, the other one is kept"));
  }
  for (auto& [o, why] : to_close) close_conn(*o, why);
  return true;
}

void NodeCore::refuse(Connection& c, const dist::Refused& why) {
  counters_.add(&NodeStats::refused, refusal_counter(why.reason));
  counters_.add(&NodeStats::handshakes_refused);
  // Not penalised: a duplicate (no attack), another version (an upgrade under way), a
  // certificate without the name (its holder has our CA's certificate, so it is no
  // guesser, and a misconfigured node must not get its host's other nodes delayed).
  if (why.reason != dist::Refusal::duplicate && why.reason != dist::Refusal::version &&
      why.reason != dist::Refusal::certificate && why.reason != dist::Refusal::capacity) {
    note_handshake_failure(c);
  }
  const bool duplicate = why.reason == dist::Refusal::duplicate;
  // A DNS member that is this node itself (its name a host name, the record an IP, say):
  // expected once per such member, and never dialled again.
  const bool quiet = duplicate || (c.handshake && c.handshake->dialled_itself());
  // An inbound peer's name is its hello's claim: remote data, so made printable.
  const std::string who = !c.peer_name.empty()                            ? c.peer_name
                          : c.handshake && c.handshake->peer_hello()      ? internal::printable(c.handshake->peer_hello()->name)
                                                                          : std::string("a peer");
  log_connection(duplicate ? "duplicate connection" : "handshake refused", quiet ? LogLevel::debug : LogLevel::warning,
      absl::StrCat(c.inbound ? "refused " : "gave up on ", who, c.inbound ? " from " : " at ", c.address, " (",
                   av(dist::refusal_name(why.reason)), "): ", why.status.message()));
  close_conn(c, why.status);
}

absl::Duration NodeCore::failure_penalty(const std::string& address) const {
  auto it = failures_.find(host_of(address));
  if (it == failures_.end() || transport_->now() - it->second.window_start > kFailureWindow) return absl::ZeroDuration();
  const int over = it->second.count - kFreeFailures;
  if (over < 0) return absl::ZeroDuration();
  // Never so long that the held connection's own handshake timeout would end it.
  const absl::Duration ceiling = std::min(kMaxPenalty, options_.handshake_timeout / 3);
  return std::min(kFirstPenalty * (std::int64_t{1} << std::min(over, 10)), ceiling);
}

void NodeCore::note_handshake_failure(const Connection& c) {
  if (!c.inbound) return;
  const absl::Time now = transport_->now();
  if (failures_.size() >= kMaxFailureEntries) {
    absl::erase_if(failures_, [&](const auto& e) { return now - e.second.window_start > kFailureWindow; });
    if (failures_.size() >= kMaxFailureEntries) return;  // a flood from many addresses: the table stays bounded
  }
  Failures& f = failures_[host_of(c.address)];
  if (now - f.window_start > kFailureWindow) f = Failures{0, now};
  ++f.count;
}

void NodeCore::connection_up(Connection& c) {
  const std::uint16_t index = c.map.peer_index;  // interned by on_authenticated
  transport_->admit(c.id);
  c.state = Connection::State::up;
  c.handshake.reset();
  c.last_received = c.last_ping = c.write_progress_at = transport_->now();
  c.reader.set_limit(options_.max_frame_bytes);
  std::vector<std::string> peers;
  {
    std::lock_guard lock(table_mu_);
    // This life is the node now: its name means this index, and every other life of
    // it is over (a node has one life at a time, and this one just proved itself).
    node_index_[c.peer_name] = index;
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (i != index && nodes_[i].name == c.peer_name) nodes_[i].superseded = true;
    }
    nodes_[index].conn = c.id;
    nodes_[index].stats = PeerInfo{c.peer_name};
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].conn != 0 && i != index) peers.push_back(nodes_[i].name);
    }
  }
  // The lives connected here (this one included). Lives only heard of from peers are not
  // passed on: a peer that made up nodes must not make this node fill every other node's
  // table, or have them cut it off for naming too many. A Pid of a life the peer was not
  // told of reads as a dead Pid there.
  std::vector<std::uint16_t> connected_lives;
  {
    std::lock_guard lock(table_mu_);
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].own_connections > 0) connected_lives.push_back(static_cast<std::uint16_t>(i));
    }
  }
  // node_info first: the peer knows our limits and fingerprint before any process frame.
  for (std::string& f : dist::node_info_frames(receive_limits_, fingerprint(), options_.fragment_bytes)) {
    queue_control(c, std::move(f));
  }
  for (std::uint16_t i : connected_lives) announce(c, i);
  queue_control(c, dist::write_peers({.names = std::vector<std::string_view>(peers.begin(), peers.end())}));
  pump(c);
  if (c.state != Connection::State::up) return;  // a max_control_bytes below this greeting cut it
  log(LogLevel::info, absl::StrCat("connected to ", c.peer_name));
  if (!c.dialed_member.empty()) discovered_connection_up(c);
  if (auto k = kept_.find(c.peer_name); k != kept_.end()) k->second.backoff = options_.reconnect_min;
  finish_waiters(c.peer_name, absl::OkStatus());
  notify_node_watchers(c.peer_name, true, "");
}

}  // namespace snow::detail
