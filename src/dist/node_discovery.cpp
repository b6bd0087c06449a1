// src/dist/node_discovery.cpp: a node's side of DNS discovery (NodeOptions::discovery): the
// polls, and the connections they open.
//
// Each poll (on_tick, every `interval` jittered by a fifth either way) starts a lookup on
// its own thread (src/discovery/dns_lookup.hpp) and a later tick collects the answer, so
// neither a slow resolver nor a huge answer holds the network thread. The answer is
// turned into dials by plan_membership (src/discovery/membership.hpp, which states the
// rules); a member is dialled by address, and the node there says its name in the
// handshake (src/dist/handshake.hpp), after which it is a peer like any other: kept up
// (reconnected with backoff) while DNS lists it. A member DNS stops listing is only
// forgotten; its connection ends, if ever, by the heartbeat, as any peer's would.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/discovery/membership.hpp"
#include "src/dist/node_connection.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
// Dials one answer may start at once; the members past them are dialled at the next
// polls (they stay listed and unconnected), so an answer of thousands never opens
// thousands of connections in one go.
constexpr std::size_t kMaxDialsPerPoll = 32;
// Polls never come closer than this, whatever the interval asks: each starts a thread
// and asks the DNS server.
constexpr absl::Duration kMinInterval = absl::Milliseconds(100);

}  // namespace

void NodeCore::poll_discovery(absl::Time now) {
  if (!discovery_) return;
  discovery::DiscoveryState& d = *discovery_;
  if (std::optional<absl::StatusOr<discovery::DnsAnswer>> answer = d.worker.take()) apply_discovery(*std::move(answer));
  if (now < d.next_poll) return;
  std::uniform_real_distribution<double> spread(0.8, 1.2);
  d.next_poll = now + std::max(options_.discovery.interval, kMinInterval) * spread(d.jitter);
  if (!d.worker.start(d.source, options_.discovery.max_members)) {
    counters_.add(&NodeStats::discovery, &NodeStats::Discovery::ignored);
    log_connection("discovery", LogLevel::warning,
                   absl::StrCat("discovery: the lookup of ", d.source.text(),
                                " is still running after an interval; this poll is skipped"));
    return;
  }
  counters_.add(&NodeStats::discovery, &NodeStats::Discovery::polls);
}

void NodeCore::apply_discovery(absl::StatusOr<discovery::DnsAnswer> answer) {
  discovery::DiscoveryState& d = *discovery_;
  if (!answer.ok()) {
    // Not even the members listed before are forgotten: a DNS outage is no news of them.
    counters_.add(&NodeStats::discovery, &NodeStats::Discovery::failures);
    log_connection("discovery", LogLevel::warning,
                   absl::StrCat("discovery: looking up ", d.source.text(), " failed: ", answer.status().message()));
    return;
  }
  discovery::MembershipPlan plan = discovery::plan_membership(
      answer->members, d.listed,
      discovery::MemberState{[this](const discovery::DnsMember& m) { return member_is_self(m); },
                             [this](const discovery::DnsMember& m) { return member_connected_or_dialling(m); }},
      options_.discovery.max_members);
  const std::size_t ignored = answer->ignored + plan.ignored;
  if (ignored > 0) counters_.add(&NodeStats::discovery, &NodeStats::Discovery::ignored, ignored);
  for (const std::string& key : plan.gone) {
    auto it = d.learned.find(key);
    if (it == d.learned.end()) continue;
    if (auto k = kept_.find(it->second); k != kept_.end() && k->second.by_discovery) kept_.erase(k);
    d.learned.erase(it);
  }
  if (plan.listed.size() != d.last_listed || !plan.gone.empty() || ignored > 0) {
    log_connection("discovery", LogLevel::info,
                   absl::StrCat("discovery: ", d.source.text(), " lists ", plan.listed.size(), " member(s), ",
                                plan.gone.size(), " gone, ", ignored, " ignored"));
  }
  d.last_listed = plan.listed.size();
  d.listed = std::move(plan.listed);
  std::size_t started = 0;
  for (const discovery::DnsMember& m : plan.dial) {
    if (started == kMaxDialsPerPoll) break;
    if (auto it = d.learned.find(m.key()); it != d.learned.end() && d.disconnected.contains(it->second)) continue;
    start_address_attempt(m);
    ++started;
  }
}

bool NodeCore::member_is_self(const discovery::DnsMember& member) const {
  if (member.key() == discovery::DnsMember{address_.host, address_.port}.key()) return true;
  auto it = discovery_->learned.find(member.key());
  return it != discovery_->learned.end() && it->second == name_;
}

void NodeCore::discovery_answer_for_testing(discovery::DnsAnswer answer) {
  if (!discovery_) return;
  discovery_->next_poll = absl::InfiniteFuture();
  apply_discovery(std::move(answer));
}

// -- the connections DNS discovery opens --

void NodeCore::start_address_attempt(const discovery::DnsMember& member) {
  auto conn = std::make_unique<Connection>();
  conn->inbound = false;
  conn->dialed_member = member.key();
  conn->opened_at = transport_->now();
  conn->reader.set_limit(dist::kHandshakeFrameLimit);
  conn->id = transport_->connect(member.host, member.port);
  conn->address = member.key();
  conns_[conn->id] = std::move(conn);
  counters_.add(&NodeStats::discovery, &NodeStats::Discovery::dialed);
}

bool NodeCore::member_connected_or_dialling(const discovery::DnsMember& member) const {
  const std::string key = member.key();
  auto learned = discovery_->learned.find(key);
  for (const auto& [id, c] : conns_) {
    if (c->state == Connection::State::closing) continue;
    if (c->dialed_member == key) return true;  // never two dials to one member at once
    if (!c->peer_name.empty() && discovery::DnsMember{c->peer_address.host, c->peer_address.port}.key() == key) return true;
    if (learned != discovery_->learned.end() && c->peer_name == learned->second) return true;
  }
  return false;
}

void NodeCore::learn_member_name(Connection& c) {
  if (!discovery_ || !c.handshake) return;
  discovery::DiscoveryState& d = *discovery_;
  const bool listed = d.listed.contains(c.dialed_member);
  if (c.handshake->dialled_itself()) {
    if (listed) d.learned[c.dialed_member] = name_;
    log_connection("discovery self", LogLevel::debug,
                   absl::StrCat("discovery: ", c.dialed_member, " is this node; not dialled again"));
    return;
  }
  const std::optional<dist::PeerHello>& hello = c.handshake->peer_hello();
  if (!hello || !c.peer_name.empty()) return;
  // From here the connection is a dial to that name (a claim until the proof, as a
  // named dial's is): one in flight to it is enough (start_attempt), and the rule for
  // simultaneous connections (keep_authenticated) applies to it.
  c.peer_name = hello->name;
  if (absl::StatusOr<dist::NodeAddress> a = dist::parse_node_address(hello->name, kDefaultNodePort); a.ok()) {
    c.peer_address = *a;
  }
  if (listed) d.learned[c.dialed_member] = hello->name;
}

void NodeCore::discovered_connection_up(Connection& c) {
  if (!discovery_ || !discovery_->listed.contains(c.dialed_member)) return;
  discovery_->learned[c.dialed_member] = c.peer_name;
  // Reconnected like a peer connect() named, while DNS lists it.
  kept_.try_emplace(c.peer_name, KeptPeer{c.peer_address, options_.reconnect_min, absl::InfinitePast(), true});
}

}  // namespace snow::detail
