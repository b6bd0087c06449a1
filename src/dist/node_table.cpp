// src/dist/node_table.cpp: the node table — one entry per node life this node knows,
// the index every remote Pid carries — its reuse (DESIGN.md, "the node table"), the
// node_name frames that tell a peer which life an index names, and the readers other
// threads use under table_mu_.
//
// Separate because it is the largest state other threads read (senders and the public
// API, under table_mu_), and its bounds are what keep a peer from filling this node's
// memory with made-up nodes.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/node_connection.hpp"
#include "src/dist/table_frames.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

// -- readers: any thread --

std::vector<std::string> NodeCore::connected() const {
  std::vector<std::string> out;
  std::lock_guard lock(table_mu_);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].conn != 0) out.push_back(nodes_[i].name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string NodeCore::node_of(Pid pid) const {
  if (pid.is_null()) return "";
  std::lock_guard lock(table_mu_);
  if (pid.node() == 0) return name_;
  if (pid.node() >= nodes_.size() || nodes_[pid.node()].generation != pid.creation()) return "";
  return nodes_[pid.node()].name;
}

std::string NodeCore::node_name_at(std::uint16_t index) const {
  std::lock_guard lock(table_mu_);
  return index < nodes_.size() ? nodes_[index].name : "";
}

Pid NodeCore::remote_pid(std::string_view node_name, std::uint64_t serial) const {
  std::lock_guard lock(table_mu_);
  auto it = node_index_.find(std::string(node_name));
  if (it == node_index_.end() || it->second == 0) return Pid();
  return Pid::make(it->second, nodes_[it->second].generation, serial);
}

std::uint16_t NodeCore::node_index(std::string_view node_name) const {
  std::lock_guard lock(table_mu_);
  auto it = node_index_.find(std::string(node_name));
  return it == node_index_.end() ? 0 : it->second;
}

NodeCore::NodeTableSize NodeCore::node_table_size() const {
  std::lock_guard lock(table_mu_);
  NodeTableSize out;
  out.entries = nodes_.size();
  out.bytes = nodes_.capacity() * sizeof(KnownNode);
  for (const KnownNode& n : nodes_) {
    out.held += !is_free(n);
    if (n.name.capacity() > 15) out.bytes += n.name.capacity() + 1;  // beyond the inline buffer
  }
  // The lookups: a slot (and a control byte) each, and the names that do not fit inline.
  out.bytes += node_index_.capacity() * (sizeof(std::pair<std::string, std::uint16_t>) + 1) +
               lives_.capacity() * (sizeof(std::pair<std::pair<std::string, std::uint32_t>, std::uint16_t>) + 1);
  for (const auto& [name, index] : node_index_) {
    if (name.capacity() > 15) out.bytes += name.capacity() + 1;
  }
  for (const auto& [key, index] : lives_) {
    if (key.first.capacity() > 15) out.bytes += key.first.capacity() + 1;
  }
  return out;
}

std::vector<PeerInfo> NodeCore::peers() const {
  std::vector<PeerInfo> out;
  std::lock_guard lock(table_mu_);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].conn != 0) out.push_back(nodes_[i].stats);
  }
  std::sort(out.begin(), out.end(), [](const PeerInfo& a, const PeerInfo& b) { return a.name < b.name; });
  return out;
}

// -- the transport thread: entries made, held and freed --

void NodeCore::on_node_name(Connection& c, std::string_view body) {
  // The layout is read by its reader (src/dist/table_frames.hpp); the name must also be a
  // node address, written as parse_node_address writes it back.
  const std::optional<dist::NodeNameFrame> f = dist::read_node_name(body);
  absl::StatusOr<dist::NodeAddress> a =
      f ? dist::parse_node_address(f->name, kDefaultNodePort) : absl::InvalidArgumentError("malformed");
  if (!f || !a.ok() || a->full() != f->name) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed node_name frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed node_name frame"));
  }
  const std::uint16_t wire = f->index;
  const std::uint8_t generation = f->generation;
  const std::uint32_t creation = f->creation;
  const std::string name(f->name);
  const bool me = name == name_ && creation == core_.creation();
  std::uint16_t local = 0;
  if (!me) {
    bool over_cap;
    {
      std::lock_guard lock(table_mu_);
      // A life not in the table, or in a free entry (perhaps one this peer named on an
      // earlier connection), is one more this connection would hold.
      auto it = lives_.find(std::make_pair(name, creation));
      const bool adds = it == lives_.end() || (is_free(nodes_[it->second]) && !nodes_[it->second].superseded);
      over_cap = adds && introduced_unconnected(c.id) >= kMaxIntroducedUnconnected;
    }
    if (over_cap) {
      // No node needs to tell another of this many nodes it is not connected to: made-up
      // nodes, to fill the table. What it named is freed when the connection closes.
      counters_.add(&NodeStats::protocol_errors);
      counters_.add(&NodeStats::node_names_refused);
      log_connection("bad frame", LogLevel::warning,
                     absl::StrCat("closing connection to ", c.peer_name, ": it named over ", kMaxIntroducedUnconnected,
                                  " node lives this node has no connection to"));
      return close_conn(c, absl::ResourceExhaustedError("too many node lives without a connection"));
    }
    local = intern(name, creation, c.id);
    if (local == 0) {
      log(LogLevel::error, absl::StrCat("closing connection to ", c.peer_name, ": the table of known nodes is full"));
      return close_conn(c, absl::ResourceExhaustedError("too many nodes"));
    }
  }
  std::lock_guard lock(table_mu_);
  auto [it, fresh] = c.map.table.try_emplace(wire);
  if (!fresh) release_mapping(it->second.local, it->second.local_generation);  // the peer reused its index
  // My own name maps to 0: my Pids come home as local ones.
  it->second = {local, nodes_[local].generation, generation};
  if (local != 0) ++nodes_[local].mappings;
}

bool NodeCore::is_free(const KnownNode& n) {
  // A life known to be over is not held by announcements: its Pids are dead whatever its
  // entry says, and two peers that each announced it to the other must not keep it forever.
  return n.own_connections == 0 && n.conn == 0 && (n.mappings == 0 || n.superseded);
}

std::size_t NodeCore::introduced_unconnected(ConnId id) const {
  std::size_t n = 0;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const KnownNode& life = nodes_[i];
    n += life.introduced_by == id && life.own_connections == 0 && !is_free(life);
  }
  return n;
}

void NodeCore::release_mapping(std::uint16_t local, std::uint8_t local_generation) {
  if (local == 0 || local >= nodes_.size()) return;
  KnownNode& life = nodes_[local];
  if (life.generation != local_generation || life.mappings == 0) return;  // reused since: not its mapping
  --life.mappings;
  life.last_used = ++use_clock_;
}

void NodeCore::release_entries(Connection& c) {
  std::lock_guard lock(table_mu_);
  if (c.holds_entry) {
    KnownNode& life = nodes_[c.map.peer_index];
    --life.own_connections;
    life.last_used = ++use_clock_;
    c.holds_entry = false;
  }
  for (auto& [wire, m] : c.map.table) release_mapping(m.local, m.local_generation);
  c.map.table.clear();
}

std::uint16_t NodeCore::reclaim_slot() {
  std::uint16_t oldest = 0;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (is_free(nodes_[i]) && (oldest == 0 || nodes_[i].last_used < nodes_[oldest].last_used)) {
      oldest = static_cast<std::uint16_t>(i);
    }
  }
  if (oldest == 0) return 0;
  KnownNode& old = nodes_[oldest];
  lives_.erase(std::make_pair(old.name, old.creation));
  if (auto it = node_index_.find(old.name); it != node_index_.end() && it->second == oldest) node_index_.erase(it);
  // Every Pid of the index made until now carries the old generation: dead from here on,
  // until the generation comes round again (pid.hpp says when).
  const std::uint8_t next = static_cast<std::uint8_t>(old.generation + 1);
  old = KnownNode{};
  old.generation = next;
  // The limits that life said (node_info) are not the next one's.
  always_within_[oldest].store(sends_always_within_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  return oldest;
}

std::uint16_t NodeCore::intern(const std::string& name, std::uint32_t creation, ConnId introduced_by) {
  std::uint16_t index;
  {
    std::lock_guard lock(table_mu_);
    if (auto it = lives_.find(std::make_pair(name, creation)); it != lives_.end()) {
      index = it->second;
      KnownNode& life = nodes_[index];
      if (is_free(life)) life.introduced_by = introduced_by;  // held again: by whoever names it now
      life.last_used = ++use_clock_;
    } else {
      if (nodes_.size() < kMaxKnownNodes) {
        index = static_cast<std::uint16_t>(nodes_.size());
        nodes_.emplace_back();
        // An index's first life: its Pids carry the creation's low 8 bits, as on the node itself.
        nodes_[index].generation = static_cast<std::uint8_t>(creation);
      } else {
        index = reclaim_slot();
        if (index == 0) return 0;
      }
      KnownNode& life = nodes_[index];
      life.name = name;
      life.creation = creation;
      life.introduced_by = introduced_by;
      life.last_used = ++use_clock_;
      // Another life of this very node is an earlier one (this one is running). An older
      // life of a node connected now is over too (creations grow with time, compared
      // across the 32-bit wrap); a newer one is its next life, not connected yet.
      if (name == name_) {
        life.superseded = true;
      } else if (auto cur = node_index_.find(name); cur != node_index_.end() && nodes_[cur->second].conn != 0 &&
                 static_cast<std::int32_t>(nodes_[cur->second].creation - creation) > 0) {
        life.superseded = true;
      }
      lives_.emplace(std::make_pair(name, creation), index);
      node_index_.try_emplace(name, index);  // the first life heard of names the node until one connects
    }
  }
  return index;
}

void NodeCore::announce(Connection& c, std::uint16_t index) {
  std::string name;
  std::uint32_t creation;
  std::uint8_t generation;
  {
    std::lock_guard lock(table_mu_);
    name = nodes_[index].name;
    creation = nodes_[index].creation;
    generation = nodes_[index].generation;
  }
  auto [it, fresh] = c.announced.try_emplace(index, generation);
  if (!fresh && it->second == generation) return;
  it->second = generation;
  queue_control(c,
                dist::write_node_name({.index = index, .generation = generation, .creation = creation, .name = name}));
}

}  // namespace snow::detail
