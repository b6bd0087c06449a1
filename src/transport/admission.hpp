// src/transport/admission.hpp: which unauthenticated inbound connections a node keeps.
//
// Every accepted connection costs a descriptor and memory (a TLS session) before the
// node knows who is on the other end. A flood of such connections, silent or stopping
// after TLS, must not take the node to its descriptor limit nor lock out the legitimate
// peers that arrive during the flood. This class is the policy; TcpTransport feeds it
// events and carries out its decisions. It is pure bookkeeping (no sockets, no timers: the
// caller passes the clock), so the policy is tested on its own.
//
// Counted. An inbound connection counts from accept until the node says it authenticated
// it (`admitted`), or until it closes. The TLS handshake and the cookie handshake after it
// are counted together: a connection that finished TLS and then says nothing holds as much
// as one that never started, and counting only the first (as the transport once did) let
// 1,012 TLS-only connections exhaust a 1,024-descriptor node. Admitted connections are
// never counted nor evicted: an attacker without the cookie cannot displace a peer.
//
// Limits. `max_total` over all addresses, and `max_per_address` per source IP (without
// the port), so that one host cannot take every slot while others still get some.
//
// When a limit is reached, the NEW connection is kept and an OLD one is evicted. Refusing
// the newest (the old policy) handed the node to whoever filled the slots first: 270
// silent connections kept every legitimate join out for as long as the attacker held
// them. Evicting the old instead means each newcomer gets its turn, and a legitimate peer,
// which finishes its handshake within a round trip or two, is past the counted stages
// long before an attacker's churn reaches it.
//
// The victim is the connection that has made the least progress. In order:
//
//   1. Stalled connections: those that have not advanced (see `Stage`) for
//      `stalled_after`. Least progress first (a silent socket, then one in TLS, then one
//      that finished TLS, then one that sent plaintext), oldest first within a stage (the
//      one longest in it: it has had the most time to advance and has not).
//   2. Silent connections (not one byte yet), oldest first.
//   3. Connections in TLS, under way or done, with no plaintext yet: the one longest
//      since its last step (its first byte, or the end of TLS) first.
//   4. Connections that sent the node plaintext (a hello: probably a real peer, about to
//      be admitted), oldest first.
//
// Who pays. When the per-address limit is reached, the victim comes from that address
// (its own connections pay for it, not another host's). When the total limit is reached,
// it is the least advanced connection, in the order above, of the addresses that hold
// more than one; only when every address holds one does it come from anywhere.
//
// Choosing from anywhere, as the first designs did, let one address evict everyone: a
// loop that connects and closes at once from one host (the flood test's churn, thousands
// a second) holds almost nothing itself, yet each of its accepts evicted a slot
// elsewhere, so every connection stayed younger than `stalled_after`, nothing ever
// stalled, and a newcomer in its first round trip was soon the oldest silent one (the
// flood test failed to join in one run of six). So a newcomer from an address of its own
// is never the victim while any address holds two.
//
// Choosing from the address that holds the most, the next design, let an attacker aim
// the whole flood at one host: with more connections from the newcomer's own address
// than any other address holds, every eviction the flood caused anywhere (thousands a
// second) fell on that address, and a newcomer there was evicted within its first round
// trip, while hundreds of silent and stalled connections elsewhere stayed (the flood
// test's join from 127.0.0.1 failed on a loaded CI machine, and every time when the
// newcomer was made slow). Ranking across the sharing addresses, the newcomer goes only
// after every connection there that made less progress than it did.
// Why not stages alone (silent < TLS under way < TLS done < plaintext, oldest first in
// each), the first design: the flood test's attacker beat it. Its TLS-only connections
// finish TLS and then say nothing, so they outranked every newcomer (a real peer is
// silent for the moment before its ClientHello arrives, then in TLS for a round trip),
// filled every slot, and the newcomers rotated among themselves, each evicted within a
// millisecond as "the oldest silent one" or "the oldest in TLS": no join got through,
// from any address. Hence (1): a real peer advances every round trip until it is
// admitted and is never stalled, while an attacker's connection that stops is evictable
// `stalled_after` later. And hence (3): an attacker from one address reopening faster
// than max_per_address / stalled_after (128 a second by default) keeps its connections
// fresh, and "TLS done" still outranked the newcomer "in TLS" from that address; ranked
// by their last step, the attacker's connections that finished TLS before the newcomer
// began go first, and the newcomer is only at risk if max_per_address of them finish TLS
// during its one round trip. Silent connections still go first of the fresh ones (2):
// an idle flood, the cheapest, never displaces a handshake under way, however fast.
//
// What no order can do: an attacker holding one connection from each of max_total
// addresses (256 by default), all of them advancing (each reaching TLS faster than
// max_total / stalled_after a second, 1,024 by default), makes every slot as good as a
// newcomer's, and a newcomer then competes with it on equal terms. So does a newcomer
// whose address another connection shares, against a flood whose every connection is
// advancing: they are ranked by their last step. The limits
// bound what the flood costs the node (descriptors, memory, log lines), and admitted
// peers are never touched.
//
// Silent deadline. A connection that has not sent one byte within `silent_timeout` of
// its accept is closed (`expire_silent`): a real client sends its ClientHello at once, so
// a short deadline costs it nothing and takes the cheapest attack (connect and wait) off
// the table long before the whole handshake timeout would.
//
//     Admission admission({.max_total = 256, .max_per_address = 32, .silent_timeout = absl::Seconds(1)});
//     for (const Admission::Eviction& e : admission.accept(id, "10.0.0.7", now)) close(e.id);
//     admission.progress(id, Admission::Stage::tls_under_way, now);  // the first bytes came
//     admission.admit(id);                                      // the node authenticated it
//     for (ConnId silent : admission.expire_silent(now)) close(silent);
//     admission.forget(id);                                     // it closed
//
// Not thread-safe: one owner (the transport's loop thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "src/transport/transport.hpp"

namespace snow::transport {

class Admission {
 public:
  /// How far an unauthenticated connection got; only ever goes up. Each step up is
  /// progress, which keeps a connection from being stalled (see the ranks above).
  enum class Stage : int {
    silent = 0,              // accepted, not one byte received
    tls_under_way = 1,       // bytes received, TLS not finished
    tls_done = 2,            // TLS finished, no plaintext received yet
    plaintext_received = 3,  // the peer sent the node something (its hello)
  };

  struct Limits {
    /// Unauthenticated connections at most, over all addresses. At least 1.
    std::size_t max_total = 256;
    /// Unauthenticated connections at most from one source IP. At least 1.
    std::size_t max_per_address = 32;
    /// A connection still `silent` this long after its accept is expired. Zero or
    /// infinite: no deadline.
    absl::Duration silent_timeout = absl::Seconds(1);
    /// A connection this long in one stage is stalled: evicted before any that is still
    /// advancing. Longer than a real peer's round trip; zero or infinite: never stalled.
    absl::Duration stalled_after = absl::Milliseconds(250);
  };

  /// Which limit an eviction made room under (the transport counts them apart).
  enum class Cap { per_address, total };
  struct Eviction {
    ConnId id;
    Cap cap;
  };

  explicit Admission(Limits limits);

  /// An inbound connection from `address` (the IP, without port) was accepted at `now`.
  /// Returns the connections the caller must close to make room (usually none, at most
  /// one per limit); never `id` itself. `id` must be new.
  std::vector<Eviction> accept(ConnId id, std::string_view address, absl::Time now);
  /// `id` got as far as `stage` at `now`. A stage not above the one reached already, or
  /// an id not counted (admitted, forgotten, never accepted), is ignored.
  void progress(ConnId id, Stage stage, absl::Time now);
  /// The node authenticated `id`: it stops counting and can no longer be evicted.
  void admit(ConnId id) { forget(id); }
  /// `id` closed (or was admitted): it stops counting. Unknown ids are ignored.
  void forget(ConnId id);
  /// The connections still silent `silent_timeout` after their accept; they are forgotten
  /// here, and the caller closes them.
  std::vector<ConnId> expire_silent(absl::Time now);

  /// Unauthenticated connections counted now, in all and from one address.
  std::size_t count() const { return entries_.size(); }
  std::size_t count_from(std::string_view address) const;
  /// Whether `id` counts now (accepted, and neither admitted nor forgotten).
  bool counted(ConnId id) const { return entries_.contains(id); }

 private:
  // Where a connection ranks for eviction, rank 0 first: the stalled ones by stage
  // (0-3), then the advancing ones: silent (4), in TLS whether done or not (5), plaintext
  // received (6).
  static constexpr int kRanks = 7;
  static int rank(Stage stage, bool stalled) {
    if (stalled) return static_cast<int>(stage);
    switch (stage) {
      case Stage::silent: return 4;
      case Stage::tls_under_way:
      case Stage::tls_done: return 5;
      case Stage::plaintext_received: return 6;
    }
    return 6;
  }

  // Age is the order in which connections entered their stage, i.e. made their last step
  // (a sequence number, so that equal clock readings still give a strict order): in a
  // rank, the smallest key is the one longest since its last step.
  using Key = std::pair<std::uint64_t, ConnId>;
  // One ordered set per rank: the victim is the first element of the first non-empty one,
  // found in O(log n), and the advancing connections that became stalled are a prefix of
  // each advancing rank.
  using Ranks = std::array<std::set<Key>, kRanks>;

  struct Entry {
    std::uint64_t seq;  // when it entered its stage, as an order
    Stage stage;
    bool stalled;
    absl::Time stage_since;
    absl::Time accepted_at;
    std::string address;
  };
  struct AddressGroup {
    Ranks ranks;
    std::size_t count = 0;
  };

  // The first connection in rank order in `ranks`, other than `spare`.
  static ConnId victim(const Ranks& ranks, ConnId spare);
  void index(ConnId id, const Entry& e);
  void unindex(ConnId id, const Entry& e);
  // Moves the advancing connections that have been `stalled_after` in their stage to the
  // stalled ranks (ranks only change with time here, so victims are chosen after this).
  void mark_stalled(absl::Time now);
  // Puts `group`'s connections into shared_, or takes them out (its address came to hold
  // two, or went back to one).
  void set_shared(const AddressGroup& group, bool shared);

  Limits limits_;
  std::uint64_t next_seq_ = 0;
  absl::flat_hash_map<ConnId, Entry> entries_;
  Ranks all_;
  // Addresses with at least one counted connection: bounded by max_total entries.
  absl::flat_hash_map<std::string, AddressGroup> by_address_;
  // The connections of the addresses that hold more than one, ranked as all_: who pays
  // when the total limit is reached.
  Ranks shared_;
};

}  // namespace snow::transport
