// src/dist/fingerprint.cpp: what a peer's node_info frames tell this node (src/dist/
// node_info.hpp: its receive limits and the digest of each wire type's layout), and the
// checks every send to it passes against them: within its limits, of a type both nodes
// declare alike.
//
// Separate because these checks run on any thread (the sender's), against state the
// transport thread fills in once per connection.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "snow/wire.hpp"
#include "src/dist/node_connection.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow::detail {

void NodeCore::set_mismatches(const std::string& node, std::vector<std::string> names) {
  std::lock_guard lock(fingerprint_mu_);
  if (names.empty()) {
    mismatches_.erase(node);
  } else {
    mismatches_[node] = absl::flat_hash_set<std::string>(names.begin(), names.end());
  }
  has_mismatches_.store(!mismatches_.empty(), std::memory_order_relaxed);
}

bool NodeCore::mismatched(const std::string& node, std::string_view name) const {
  std::lock_guard lock(fingerprint_mu_);
  auto it = mismatches_.find(node);
  return it != mismatches_.end() && it->second.contains(std::string(name));
}

std::vector<std::pair<std::string, std::uint64_t>> NodeCore::fingerprint() const {
  std::vector<std::pair<std::string, std::uint64_t>> out = wire_fingerprint();
  std::lock_guard lock(fingerprint_mu_);
  for (auto& [name, digest] : out) {
    if (auto it = fingerprint_overrides_.find(name); it != fingerprint_overrides_.end()) digest = it->second;
  }
  return out;
}

void NodeCore::override_fingerprint_for_testing(std::string name, std::uint64_t digest) {
  std::lock_guard lock(fingerprint_mu_);
  fingerprint_overrides_[std::move(name)] = digest;
}

absl::Status NodeCore::check_send(std::uint16_t index, const std::string& node, std::string_view type_name,
                                  std::string_view stf) const {
  // The common case (no fingerprint differs anywhere, a message smaller than every
  // node's limits) costs two relaxed loads; only the rest looks at the node table.
  const bool check_type = !type_name.empty() && has_mismatches_.load(std::memory_order_relaxed);
  const bool check_size = stf.size() > sends_always_within_.load(std::memory_order_relaxed);
  if (!check_type && !check_size) [[likely]] return absl::OkStatus();
  std::string peer = node;
  if (index == 0 && !peer.empty()) index = node_index(peer);
  if (peer.empty()) peer = node_name_at(index);
  if (check_type && mismatched(peer, type_name)) {
    return absl::FailedPreconditionError("the type is declared differently there (protocol fingerprint)");
  }
  if (!check_size ||
      (index != 0 && index < kMaxKnownNodes && stf.size() <= always_within_[index].load(std::memory_order_relaxed))) {
    return absl::OkStatus();
  }
  dist::ReceiveLimits limits = receive_limits_;
  std::string whose = absl::StrCat("this node (", peer, " has not said its own limits yet)");
  {
    std::lock_guard lock(table_mu_);
    if (index != 0 && index < nodes_.size() && nodes_[index].limits) {
      limits = *nodes_[index].limits;
      // Our own max_message_bytes bounds what we send, whatever the peer takes.
      limits.max_message_bytes = std::min(limits.max_message_bytes, options_.max_message_bytes);
      whose = peer;
    }
  }
  return dist::check_message_for(limits, whose, stf);
}

void NodeCore::on_node_info(Connection& c, FrameKind kind, std::string_view body) {
  absl::StatusOr<dist::NodeInfoPiece> piece =
      kind == FrameKind::node_info
          ? dist::parse_node_info(body)
          : absl::InvalidArgumentError(absl::StrCat("a ", av(kind_name(kind)), " frame before node_info"));
  if (!piece.ok()) {
    counters_.add(&NodeStats::protocol_errors);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": ", piece.status().message()));
    return close_conn(c, piece.status());
  }
  // Only names this node knows are kept: what a peer sends costs no memory here.
  if (!c.my_fingerprint) {
    const dist::Fingerprint mine = fingerprint();
    c.my_fingerprint.emplace(mine.begin(), mine.end());
  }
  for (const auto& [name, digest] : piece->entries) {
    if (auto it = c.my_fingerprint->find(av(name)); it != c.my_fingerprint->end() && it->second != digest) {
      c.mismatched.insert(it->first);
    }
  }
  if (!piece->last) return;
  c.peer_info_done = true;
  c.my_fingerprint.reset();
  const std::uint16_t index = c.map.peer_index;
  {
    std::lock_guard lock(table_mu_);
    nodes_[index].limits = piece->limits;
  }
  dist::ReceiveLimits limits = piece->limits;
  limits.max_message_bytes = std::min(limits.max_message_bytes, options_.max_message_bytes);
  const std::size_t within = dist::size_always_within(limits);
  always_within_[index].store(within, std::memory_order_relaxed);
  for (std::size_t least = sends_always_within_.load(); within < least;) {
    if (sends_always_within_.compare_exchange_weak(least, within)) break;
  }
  std::vector<std::string> differ(c.mismatched.begin(), c.mismatched.end());
  std::sort(differ.begin(), differ.end());
  if (!differ.empty()) {
    log(LogLevel::warning, absl::StrCat("protocol mismatch with ", c.peer_name, ": ", absl::StrJoin(differ, ", "),
                                        " declared differently there; those are refused between the two"));
  }
  set_mismatches(c.peer_name, std::move(differ));
}

bool NodeCore::drop_mismatched(Connection& c, const Term& message) {
  if (!message.is_struct() && !message.is_sum()) return false;
  if (!c.mismatched.contains(message.type_name())) return false;
  counters_.add(&NodeStats::dropped_mismatched);
  core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  log_connection("type declared differently", LogLevel::warning,
                 absl::StrCat("dropped a ", message.type_name(), " from ", c.peer_name,
                              ": the type is declared differently on the two nodes (protocol fingerprint)"));
  return true;
}

}  // namespace snow::detail
