// snow/wire.hpp: wire types, and the Snow Term Format (STF) that carries them.
//
// A message that crosses nodes must be a *wire type*: a type snow knows how to write as
// bytes and read back, and to turn into a Term and back. The customisation point is the
// trait `snow::Wire<T>`; `snow::is_wire<T>` (and the concept `snow::WireType`) says
// whether T has one. Built in: bool, the integer types up to 32 bits unsigned and 64 bits
// signed, float and double, std::string, std::vector, std::list, std::deque, std::map,
// std::unordered_map, std::set, std::unordered_set, std::optional, std::tuple, std::pair,
// std::variant, Pid, Ref, Atom, Unit and Term, nested in any way.
//
// A user struct declares its fields once, at namespace scope in its own namespace:
//
//   struct Point { std::int64_t x; std::int64_t y; };
//   SNOW_WIRE(Point, x, y)
//
// and a sum type is a struct deriving from a std::variant of such structs (each
// alternative is one variant; a field-less struct is a nullary variant):
//
//   struct Circle { double r; };  SNOW_WIRE(Circle, r)
//   struct Dot {};                SNOW_WIRE(Dot)
//   struct Shape : std::variant<Circle, Dot> { using variant::variant; };
//   SNOW_WIRE_SUM(Shape)
//
// A plain std::variant is not a sum type: it travels as whichever alternative it holds
// (as DESIGN.md §2 says typed messages do), and decoding picks the first alternative whose
// head (kind, and type name for structs and sum types) matches; alternatives with the
// same head (vector<int> and vector<string>) cannot be told apart.
//
// Functions and closures never cross nodes: encoding one is a compile-time error that
// says so. Unsigned 64-bit integers are not wire types (Snow's Int is signed 64-bit; a
// value above INT64_MAX has no Term), nor is plain `char`.
//
// Encoding writes a typed value straight to bytes (no Term in between); decoding reads
// bytes straight into a T, or into a Term when the type is not known. The decoder treats
// its input as hostile: see DecodeLimits and docs/WIRE.md. Every function here is
// reentrant; none touches shared state except the atom table (read, under its lock).
//
// Boxing a message (snow/detail/message_node.hpp) needs only the traits of this header
// (snow/detail/wire_trait.hpp says which header holds what, and why that split is sound),
// plus, for a wire type, the encoder defined here (detail::BoxedEncoder).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "snow/detail/wire_builtin.hpp"
#include "snow/detail/wire_codec.hpp"
#include "snow/detail/wire_macros.hpp"
#include "snow/detail/wire_struct.hpp"
#include "snow/detail/wire_trait.hpp"
#include "snow/pid.hpp"
#include "snow/status.hpp"
#include "snow/term.hpp"

namespace snow {

// -- the API ---------------------------------------------------------------------------

namespace detail {
std::string type_name_for_errors(const std::type_info& type);  // src/wire/codec.cpp
void begin_encoding(std::string& out);                         // appends the version byte
bool check_version(Decoder& d);
bool check_end(Decoder& d);
}  // namespace detail

/// Appends the STF encoding of `value` (version byte, then the value) to `out`. On
/// failure (a string that is not UTF-8, nesting past `limits.max_depth`) `out` is left
/// as it was and the status names the field path.
template <class T>
absl::Status encode_append(std::string& out, const T& value, const EncodeLimits& limits = {}) {
  using V = std::remove_cvref_t<T>;
  if constexpr (!is_wire<V>) {
    detail::require_wire<V>();  // the one diagnostic a user sees
    return absl::OkStatus();
  } else {
    const std::size_t start = out.size();
    detail::begin_encoding(out);
    detail::Encoder e(out, limits);
    Wire<V>::encode(e, value);
    e.finish();
    if (!e.ok()) [[unlikely]] {
      out.resize(start);
      std::string path = e.trail().path();
      return absl::InvalidArgumentError(absl::StrCat("STF: cannot encode ", detail::type_name_for_errors(typeid(V)),
                                                     path.empty() ? "" : ", at ", path, ": ", e.trail().message()));
    }
    return absl::OkStatus();
  }
}

namespace detail {
struct MessageNode;
template <class T>
struct Boxed;
/// The encoder of a boxed message of wire type T (declared in detail/wire_trait.hpp, so
/// that boxing names it without this header; TypeInfo::encode of T's messages).
template <class T>
struct BoxedEncoder {
  static absl::Status encode(const MessageNode* node, std::string& out) {
    return encode_append(out, static_cast<const Boxed<T>*>(node)->value);
  }
};
}  // namespace detail

/// The STF encoding of `value`.
template <class T>
absl::StatusOr<std::string> encode(const T& value, const EncodeLimits& limits = {}) {
  std::string out;
  SNOW_RETURN_IF_ERROR(encode_append(out, value, limits));
  return out;
}


/// Decodes `bytes` (one whole encoding: version byte, one value, nothing after it) into
/// `out`, reusing its storage. On failure `out` holds a partly decoded value and the
/// status says what was wrong, at which byte offset, and in which field.
template <class T>
absl::Status decode_into(std::string_view bytes, T& out, const DecodeLimits& limits = {}) {
  if constexpr (!is_wire<T>) {
    detail::require_wire<T>();
    return absl::OkStatus();
  } else {
    detail::Decoder d(bytes, limits);
    if (detail::check_version(d) && Wire<T>::decode(d, out) && detail::check_end(d)) [[likely]]
      return absl::OkStatus();
    return d.status(detail::type_name_for_errors(typeid(T)));
  }
}

namespace detail {
/// decode_into for the distribution layer: Pids and Refs are translated through `map`.
template <WireType T>
absl::Status decode_into_with(std::string_view bytes, T& out, const DecodeLimits& limits, const NodeIndexMap& map) {
  Decoder d(bytes, limits);
  d.set_node_map(&map);
  if (check_version(d) && Wire<T>::decode(d, out) && check_end(d)) [[likely]]
    return absl::OkStatus();
  return d.status(type_name_for_errors(typeid(T)));
}
}  // namespace detail

/// Decodes `bytes` into a new T (T must be default-constructible).
template <class T>
absl::StatusOr<T> decode(std::string_view bytes, const DecodeLimits& limits = {}) {
  if constexpr (!is_wire<T>) {
    detail::require_wire<T>();
    return absl::UnimplementedError("not a wire type");
  } else {
    T out{};
    SNOW_RETURN_IF_ERROR(decode_into(bytes, out, limits));
    return out;
  }
}

/// Decodes `bytes` into a Term, whatever it holds.
absl::StatusOr<Term> decode_term(std::string_view bytes, const DecodeLimits& limits = {});

/// The Term form of `value`.
template <class T>
Term to_term(const T& value) {
  if constexpr (!is_wire<T>) {
    detail::require_wire<T>();
    return Term();
  } else {
    return Wire<std::remove_cvref_t<T>>::to_term(value);
  }
}

/// Converts a Term to T; a mismatch names the type and the field path that failed.
template <class T>
absl::StatusOr<T> from_term(const Term& term) {
  if constexpr (!is_wire<T>) {
    detail::require_wire<T>();
    return absl::UnimplementedError("not a wire type");
  } else {
    T out{};
    detail::Converter c;
    if (!Wire<T>::from_term(c, term, out)) return c.status(detail::type_name_for_errors(typeid(T)));
    return out;
  }
}

}  // namespace snow
