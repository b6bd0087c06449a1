// src/dist/node_counters.hpp: a node's counters as the node bumps them.
//
// A counter is declared once, as a field of the public NodeStats (include/snow/node.hpp,
// where its meaning is written), and nowhere else: NodeCounterWords keeps one atomic word
// for each of NodeStats's words, and a snapshot is those words loaded and read back as a
// NodeStats. So adding a counter is one line there (and its metric, if it has one, in
// src/observe/metrics.cpp); nothing here changes.
//
// Memory order: relaxed everywhere. Each counter is a tally only ever added to (or, for a
// high-water mark, raised) by the transport thread or a sender's thread, and read by
// whoever asks for a snapshot. No other memory is published through a counter, so there
// is nothing for an acquire to pair with; a snapshot's fields may come from slightly
// different moments, which every reader of NodeStats already accepts (a counter is a
// figure to watch, not a state to act on).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "snow/node.hpp"

namespace snow::detail {

class NodeCounterWords {
 public:
  /// A top-level counter (&NodeStats::frames_in).
  using Field = std::uint64_t NodeStats::*;

  void add(Field field, std::uint64_t n = 1) { words_[index_of(field)].fetch_add(n, std::memory_order_relaxed); }
  /// A counter in one of NodeStats's groups (&NodeStats::discovery, &NodeStats::Discovery::polls).
  template <typename Group>
  void add(Group NodeStats::*group, std::uint64_t Group::*field, std::uint64_t n = 1) {
    words_[index_of(group, field)].fetch_add(n, std::memory_order_relaxed);
  }
  /// A high-water mark: the field becomes `value` if that is more than it holds.
  void raise_to(Field field, std::uint64_t value) {
    std::atomic<std::uint64_t>& word = words_[index_of(field)];
    for (std::uint64_t seen = word.load(std::memory_order_relaxed); value > seen;) {
      if (word.compare_exchange_weak(seen, value, std::memory_order_relaxed)) break;
    }
  }

  /// Every counter now, as the public struct.
  NodeStats snapshot() const {
    std::array<std::uint64_t, kWords> values;
    for (std::size_t i = 0; i < kWords; ++i) values[i] = words_[i].load(std::memory_order_relaxed);
    return std::bit_cast<NodeStats>(values);
  }

 private:
  static constexpr std::size_t kWords = sizeof(NodeStats) / sizeof(std::uint64_t);
  // What makes the words and the struct the same thing: NodeStats is std::uint64_t
  // fields and groups of them, with no padding and nothing else (a double or a bool
  // would fail the unique-representation test, a pointer the size test's intent).
  static_assert(sizeof(NodeStats) == kWords * sizeof(std::uint64_t));
  static_assert(std::is_trivially_copyable_v<NodeStats> && std::has_unique_object_representations_v<NodeStats>,
                "NodeStats must hold std::uint64_t counters only: NodeCounterWords keeps them as words");

  // The word a member pointer names: its offset in a NodeStats, in words. (A member
  // pointer is that offset; the arithmetic folds away.)
  static std::size_t index_of(Field field) { return word_of(&(kLayout.*field)); }
  template <typename Group>
  static std::size_t index_of(Group NodeStats::*group, std::uint64_t Group::*field) {
    return word_of(&(kLayout.*group.*field));
  }
  static std::size_t word_of(const std::uint64_t* in_layout) {
    return static_cast<std::size_t>(reinterpret_cast<const char*>(in_layout) - reinterpret_cast<const char*>(&kLayout)) /
           sizeof(std::uint64_t);
  }
  static constexpr NodeStats kLayout{};

  std::array<std::atomic<std::uint64_t>, kWords> words_{};
};

}  // namespace snow::detail
