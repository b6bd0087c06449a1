// snow/detail/message_node.hpp: the boxed form of a message.
//
// A message is any movable C++ value. Locally it is moved into one heap node and the node
// is linked into the receiver's mailbox: one allocation per send (from the node pool,
// snow/detail/node_pool.hpp), no serialisation, no copy. The node carries a pointer to a per-type TypeInfo, whose address is the type's
// identity (a variable template has one address per type in the whole program), so
// matching a receive clause is a pointer comparison.
//
// Boxing includes the wire's traits (snow/detail/wire_trait.hpp: which types are wire
// types), not its codec: a TypeInfo has an encoder exactly when its type is a wire type,
// and that is decided the same way in every translation unit (wire_trait.hpp says why).
// The encoder is the codec's (snow/wire.hpp defines BoxedEncoder): a translation unit that
// boxes a wire type includes snow/wire.hpp, as every header that sends does
// (snow/actor.hpp); one that does not gets a compile error that says so. Non-wire types
// box anywhere.
#pragma once

#include <concepts>
#include <cstdint>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "absl/status/status.h"
#include "snow/detail/node_pool.hpp"
#include "snow/detail/wire_trait.hpp"

namespace snow::detail {

struct MessageNode;

struct TypeInfo {
  const std::type_info* std_type;
  void (*destroy)(MessageNode*) noexcept;           // deletes the whole node
  std::string (*print)(const MessageNode*);         // the value, for logs and reasons
  bool is_signal = false;                           // runtime signal, never a user message
  // Appends the value's STF encoding to `out` (how a message leaves for another node);
  // null for types that are not wire types, which cannot be sent to other nodes.
  absl::Status (*encode)(const MessageNode*, std::string& out) = nullptr;
  // The memory a node of this type occupies (node_footprint below): what a queued
  // message adds to its receiver's memory figure (snow/observe.hpp, memory_bytes).
  std::size_t node_bytes = 0;
  // For nodes whose size varies (an encoded message from another node,
  // snow/detail/encoded_message.hpp): their size, in place of node_bytes.
  std::size_t (*bytes_of)(const MessageNode*) = nullptr;
};

struct MessageNode {
  MessageNode* next = nullptr;
  const TypeInfo* type = nullptr;
};

template <class T>
struct Boxed final : MessageNode {
  template <class... A>
  explicit Boxed(A&&... args) : value(std::forward<A>(args)...) {}
  T value;
};

/// The demangled name of a C++ type, for diagnostics.
std::string demangle(const std::type_info& type);

template <class T>
concept Streamable = requires(std::ostream& os, const T& v) { os << v; };

template <class T>
std::string print_value(const T& value) {
  if constexpr (Streamable<T>) {
    std::ostringstream os;
    os << value;
    return os.str();
  } else {
    return "<" + demangle(typeid(T)) + ">";
  }
}

/// The bytes the node pool gives for a request of `size`: its 16-byte size class up to
/// 256 bytes (src/runtime/node_pool.cpp), the request itself past that.
constexpr std::size_t pool_block_bytes(std::size_t size) { return size <= 256 ? (size + 15) / 16 * 16 : size; }

// Nodes come from the node pool (snow/detail/node_pool.hpp), except over-aligned ones,
// which the pool's 16-byte alignment cannot hold.
template <class T>
inline constexpr bool kPooled = alignof(Boxed<T>) <= 16;

/// The bytes a node holding a T occupies: its pool block (the node pool rounds sizes up to
/// 16, for blocks up to 256 bytes: src/runtime/node_pool.cpp), or the node itself for a
/// larger or over-aligned one (malloc's own overhead not counted).
template <class T>
constexpr std::size_t node_footprint() {
  return kPooled<T> ? pool_block_bytes(sizeof(Boxed<T>)) : sizeof(Boxed<T>);
}

/// A new node holding T(args...).
template <class T, class... A>
Boxed<T>* new_boxed(A&&... args) {
  if constexpr (!kPooled<T>) {
    return new Boxed<T>(std::forward<A>(args)...);
  } else {
    void* block = allocate_node(sizeof(Boxed<T>));
    try {
      return ::new (block) Boxed<T>(std::forward<A>(args)...);
    } catch (...) {
      release_node(block, sizeof(Boxed<T>));
      throw;
    }
  }
}

template <class T>
void destroy_boxed(MessageNode* node) noexcept {
  auto* boxed = static_cast<Boxed<T>*>(node);
  if constexpr (!kPooled<T>) {
    delete boxed;
  } else {
    boxed->~Boxed<T>();
    release_node(boxed, sizeof(Boxed<T>));
  }
}
template <class T>
std::string print_boxed(const MessageNode* node) {
  return print_value(static_cast<const Boxed<T>*>(node)->value);
}

// True once snow/wire.hpp, which defines BoxedEncoder, is in view. encoder_for asks it
// for a wire type and stops with an error when it is false, so every TypeInfo that is
// built was built with the encoder in view.
template <class T, class = void>
inline constexpr bool kEncoderInView = false;
template <class T>
inline constexpr bool kEncoderInView<T, std::void_t<decltype(sizeof(BoxedEncoder<T>))>> = true;

template <class T>
constexpr auto encoder_for() -> absl::Status (*)(const MessageNode*, std::string&) {
  if constexpr (!is_wire<T>) {
    return nullptr;
  } else if constexpr (!kEncoderInView<T>) {
    static_assert(kEncoderInView<T>,
                  "snow: boxing a wire type (one that can be sent to another node) needs its encoder: "
                  "include snow/wire.hpp (snow/actor.hpp and every header that sends include it)");
    return nullptr;
  } else {
    return &BoxedEncoder<T>::encode;
  }
}

template <class T>
inline constexpr TypeInfo kTypeInfo{&typeid(T), &destroy_boxed<T>, &print_boxed<T>, false, encoder_for<T>(),
                                    node_footprint<T>()};

template <class T>
constexpr const TypeInfo* type_of() { return &kTypeInfo<T>; }

/// Moves or copies `value` into a new node of its decayed type.
template <class T>
MessageNode* box(T&& value) {
  using V = std::remove_cvref_t<T>;
  auto* node = new_boxed<V>(std::forward<T>(value));
  node->type = type_of<V>();
  return node;
}

template <class T>
T& unbox(MessageNode* node) { return static_cast<Boxed<T>*>(node)->value; }

inline void destroy(MessageNode* node) noexcept { node->type->destroy(node); }

/// The memory `node` occupies (what a queued message adds to its receiver's memory).
inline std::size_t footprint_of(const MessageNode* node) noexcept {
  return node->type->bytes_of == nullptr ? node->type->node_bytes : node->type->bytes_of(node);
}

}  // namespace snow::detail
