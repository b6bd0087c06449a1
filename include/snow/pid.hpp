// snow/pid.hpp: process identifiers.
//
// A Pid names one process for its whole life: serials are not reused within a node's
// creation, and a restarted node gets a new creation, so a Pid from an earlier life is
// simply dead. It is 64 bits:
//
//   | node index (16) | creation (8) | serial (40) |
//
// Node index 0 is "this node", so the local send path needs no node lookup; its 8-bit
// field is the low 8 bits of this node's creation. Another index is an entry of this
// node's table of node lives, and there the 8 bits are the entry's *generation*: entries
// of lives that are over are reused for new ones (DESIGN.md, "the node table"), and each
// reuse bumps the generation, so a Pid kept from the entry's earlier life no longer
// matches and is dead (noproc), and Pids from peers are translated with the generations
// they announced. The remaining risk: a Pid kept while its entry is reused 256 times
// matches again and names a process of the life that has the entry then. Free entries
// are reused least recently used first and only when the table (1,024 lives) is full, so
// with F entries free that takes 256 x F new node lives while the Pid is held (some
// 250,000 when few nodes are connected). (Refs
// carry no generation: a Ref of a forgotten life can equal one of the life that reuses
// its index.) A local Pid prints as `<0.N>`, a remote one as `<node.N.generation>`. The
// default Pid is the null Pid: it names no process, and sending to it is a no-op.
//
// `TypedPid<Msg>` narrows what may be sent at compile time (the design's `Pid<Msg>`; C++
// cannot give a class and a class template one name). `Msg` is one message type or a
// std::variant of the accepted types; a typed Pid converts to Pid implicitly, a Pid to a
// typed one only through `TypedPid<Msg>::unchecked(pid)`.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>
#include <string>
#include <type_traits>
#include <variant>

#include "snow/status.hpp"

namespace snow {

class Pid {
 public:
  static constexpr int kSerialBits = 40;
  static constexpr int kCreationBits = 8;
  static constexpr int kNodeBits = 16;
  static constexpr std::uint64_t kMaxSerial = (std::uint64_t{1} << kSerialBits) - 1;

  /// The null Pid.
  constexpr Pid() = default;

  /// Builds a Pid from its fields. A serial that does not fit in 40 bits is a
  /// programming error (it would silently become another node's Pid), so it aborts.
  static Pid make(std::uint16_t node, std::uint8_t creation, std::uint64_t serial) {
    SNOW_CHECK(serial <= kMaxSerial, "Pid serial overflows its 40 bits");
    return Pid((std::uint64_t{node} << (kSerialBits + kCreationBits)) |
               (std::uint64_t{creation} << kSerialBits) | serial);
  }
  static constexpr Pid from_raw(std::uint64_t raw) { return Pid(raw); }

  constexpr std::uint16_t node() const { return static_cast<std::uint16_t>(raw_ >> (kSerialBits + kCreationBits)); }
  /// The 8-bit field: the creation's low 8 bits for a local Pid, the generation of its
  /// node index on this node for a remote one.
  constexpr std::uint8_t creation() const { return static_cast<std::uint8_t>(raw_ >> kSerialBits); }
  constexpr std::uint64_t serial() const { return raw_ & kMaxSerial; }
  constexpr std::uint64_t raw() const { return raw_; }
  constexpr bool is_local() const { return node() == 0; }
  constexpr bool is_null() const { return raw_ == 0; }
  constexpr explicit operator bool() const { return raw_ != 0; }

  friend constexpr bool operator==(Pid, Pid) = default;
  friend constexpr auto operator<=>(Pid, Pid) = default;
  template <class H>
  friend H AbslHashValue(H h, Pid p) { return H::combine(std::move(h), p.raw_); }

  /// `<0.N>` for a local process, `<node.N.generation>` for a remote one.
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, Pid p) { return os << p.to_string(); }

 private:
  constexpr explicit Pid(std::uint64_t raw) : raw_(raw) {}
  std::uint64_t raw_ = 0;
};

namespace detail {
template <class T, class Msg>
struct accepts : std::is_same<std::remove_cvref_t<T>, Msg> {};
template <class T, class... Alts>
struct accepts<T, std::variant<Alts...>>
    : std::disjunction<std::is_same<std::remove_cvref_t<T>, Alts>...> {};
}  // namespace detail

/// True when a `TypedPid<Msg>` accepts a value of type `T`.
template <class Msg, class T>
concept Accepts = detail::accepts<T, Msg>::value;

/// A Pid whose process accepts only `Msg` (one type, or the alternatives of a variant).
/// Messages travel as their own type, so the receiver matches `on<Alt>` as usual.
template <class Msg>
class TypedPid {
 public:
  using message_type = Msg;
  constexpr TypedPid() = default;
  /// Asserts, without checking, that `pid`'s process accepts `Msg`.
  static constexpr TypedPid unchecked(Pid pid) { return TypedPid(pid); }

  constexpr Pid pid() const { return pid_; }
  constexpr operator Pid() const { return pid_; }  // NOLINT: widening is always safe
  constexpr explicit operator bool() const { return static_cast<bool>(pid_); }
  friend constexpr bool operator==(TypedPid, TypedPid) = default;
  template <class H>
  friend H AbslHashValue(H h, TypedPid p) { return H::combine(std::move(h), p.pid_); }
  friend std::ostream& operator<<(std::ostream& os, TypedPid p) { return os << p.pid_; }

 private:
  constexpr explicit TypedPid(Pid pid) : pid_(pid) {}
  Pid pid_;
};

/// A reference: a value unique within a node's life, used to tag requests and to name
/// monitors. Like a Pid it carries a node index (16 bits, 0 for "made on this node")
/// above a 48-bit number, so refs made on different nodes never compare equal. Printed
/// `#Ref<node.N>`.
class Ref {
 public:
  static constexpr int kNumberBits = 48;
  static constexpr std::uint64_t kMaxNumber = (std::uint64_t{1} << kNumberBits) - 1;
  constexpr Ref() = default;
  static constexpr Ref from_raw(std::uint64_t raw) { return Ref(raw); }
  static constexpr Ref make(std::uint16_t node, std::uint64_t number) {
    return Ref((std::uint64_t{node} << kNumberBits) | (number & kMaxNumber));
  }
  constexpr std::uint64_t raw() const { return raw_; }
  constexpr std::uint16_t node() const { return static_cast<std::uint16_t>(raw_ >> kNumberBits); }
  constexpr std::uint64_t number() const { return raw_ & kMaxNumber; }
  constexpr explicit operator bool() const { return raw_ != 0; }
  friend constexpr bool operator==(Ref, Ref) = default;
  friend constexpr auto operator<=>(Ref, Ref) = default;
  template <class H>
  friend H AbslHashValue(H h, Ref r) { return H::combine(std::move(h), r.raw_); }
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, Ref r) { return os << r.to_string(); }

 private:
  constexpr explicit Ref(std::uint64_t raw) : raw_(raw) {}
  std::uint64_t raw_ = 0;
};

}  // namespace snow
