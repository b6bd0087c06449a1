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
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "snow/detail/wire_codec.hpp"
#include "snow/detail/wire_macros.hpp"
#include "snow/pid.hpp"
#include "snow/status.hpp"
#include "snow/term.hpp"

namespace snow {

/// The wire trait. A specialisation provides, for a T:
///
///   static bool accepts(Term::Kind kind, std::string_view type_name);  // head match
///   static void encode(detail::Encoder&, const T&);
///   static bool decode(detail::Decoder&, T&);
///   static Term to_term(const T&);
///   static bool from_term(detail::Converter&, const Term&, T&);
///
/// Users rarely specialise it by hand: SNOW_WIRE and SNOW_WIRE_SUM do it for them.
template <class T>
struct Wire;

namespace detail {
template <class T>
struct TypeTag {};
template <class T>
concept DescribedStruct = requires { snow_wire_struct(TypeTag<T>{}); };
template <class T>
concept DescribedSum = requires { snow_wire_sum(TypeTag<T>{}); };
}  // namespace detail

/// True when T (cv-ref stripped) is a wire type. A declared struct or sum type counts
/// from its declaration on, without looking into its fields, so that recursive types
/// (a Tree holding a std::vector<Tree>) are wire types; their fields are checked where
/// they are encoded or decoded.
template <class T>
inline constexpr bool is_wire = detail::DescribedStruct<std::remove_cvref_t<T>> ||
                                detail::DescribedSum<std::remove_cvref_t<T>> ||
                                requires { &Wire<std::remove_cvref_t<T>>::encode; };

template <class T>
concept WireType = is_wire<T>;

namespace detail {

/// Something that can be called: a function, a function pointer or reference, a closure
/// or function object with one operator(), std::function.
template <class T>
inline constexpr bool is_callable_like =
    std::is_function_v<std::remove_pointer_t<T>> || std::is_member_function_pointer_v<T> ||
    requires { &T::operator(); };

/// The compile-time gate of every public entry point: a clear message instead of a
/// wall of template errors.
template <class T>
constexpr void require_wire() {
  using V = std::remove_cvref_t<T>;
  static_assert(!is_callable_like<V>,
                "snow: functions and closures never cross nodes; send the data they would "
                "compute, or register the function by name");
  static_assert(is_callable_like<V> || is_wire<V>,
                "snow: this type is not a wire type; declare its fields with "
                "SNOW_WIRE(Type, field, ...) (or SNOW_WIRE_SUM for a sum type), or check that "
                "each of its element types is a wire type");
}

// -- user structs ----------------------------------------------------------------------

template <class C, class M>
struct FieldDesc {
  std::string_view name;
  M C::*member;
};
template <class C, class M>
constexpr FieldDesc<C, M> field_desc(std::string_view name, M C::*member) {
  return {name, member};
}
template <class... F>
struct StructDesc {
  std::string_view name;
  std::tuple<F...> fields;
};
template <class... F>
constexpr StructDesc<F...> struct_desc(std::string_view name, F... fields) {
  return {name, std::tuple<F...>(fields...)};
}

/// The last `::`-separated part of a qualified name: a sum type's variant name.
constexpr std::string_view unqualified(std::string_view name) {
  const auto at = name.rfind("::");
  return at == std::string_view::npos ? name : name.substr(at + 2);
}

template <class T>
constexpr auto struct_of() { return snow_wire_struct(TypeTag<T>{}); }

template <class T, class... F>
constexpr bool all_fields_wire(const std::tuple<F...>*) {
  return (is_wire<std::remove_cvref_t<decltype(std::declval<const T&>().*(std::declval<F>().member))>> && ...);
}

template <class... A>
std::variant<A...> variant_base_of(const std::variant<A...>&);
template <class T>
using variant_base_t = decltype(variant_base_of(std::declval<const T&>()));

// Field encoding shared by structs and sum values: u32 count, then (name, value) pairs.
// Checked here, not where the struct is declared: a recursive type's fields are only
// known to be wire types once the type itself is.
template <class T>
constexpr bool fields_ok() {
  return all_fields_wire<T>(static_cast<const decltype(struct_of<T>().fields)*>(nullptr));
}
template <class T>
constexpr void check_fields() {
  static_assert(fields_ok<T>(),
                "snow: a field named in SNOW_WIRE is not a wire type (functions and closures never "
                "cross nodes; other types need SNOW_WIRE of their own)");
}

template <class T>
void encode_fields_impl(Encoder& e, const T& v) {
  constexpr auto desc = struct_of<T>();
  e.put_le(static_cast<std::uint32_t>(std::tuple_size_v<decltype(desc.fields)>));
  std::apply(
      [&](const auto&... f) {
        ((e.put_name(f.name), Wire<std::remove_cvref_t<decltype(v.*(f.member))>>::encode(e, v.*(f.member))), ...);
      },
      desc.fields);
}

template <class T>
bool decode_fields_impl(Decoder& d, T& out) {
  constexpr auto desc = struct_of<T>();
  constexpr std::size_t n = std::tuple_size_v<decltype(desc.fields)>;
  std::uint32_t count;
  if (!d.get_le(count)) return false;
  if (count != n) [[unlikely]]
    return d.fail(absl::StrCat("struct ", av(desc.name), " has ", n, " fields, the input has ", count));
  return std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& field) {
          using M = std::remove_cvref_t<decltype(out.*(field.member))>;
          if (!d.expect_name(field.name, "field")) return d.trail().in_field(field.name);
          if (!Wire<M>::decode(d, out.*(field.member))) return d.trail().in_field(field.name);
          return true;
        };
        (void)one;  // unused for a struct with no fields
        return (one(f) && ...);
      },
      desc.fields);
}

template <class T>
std::vector<Term::Field> fields_to_term_impl(const T& v) {
  constexpr auto desc = struct_of<T>();
  std::vector<Term::Field> fields;
  fields.reserve(std::tuple_size_v<decltype(desc.fields)>);
  std::apply(
      [&](const auto&... f) {
        (fields.emplace_back(std::string(f.name), Wire<std::remove_cvref_t<decltype(v.*(f.member))>>::to_term(v.*(f.member))), ...);
      },
      desc.fields);
  return fields;
}

template <class T>
bool fields_from_term_impl(Converter& c, const Term& t, T& out) {
  constexpr auto desc = struct_of<T>();
  constexpr std::size_t n = std::tuple_size_v<decltype(desc.fields)>;
  if (t.size() != n) [[unlikely]]
    return c.fail(absl::StrCat(av(desc.name), " has ", n, " fields, the Term has ", t.size()));
  std::size_t i = 0;
  return std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& field) {
          using M = std::remove_cvref_t<decltype(out.*(field.member))>;
          const std::size_t at = i++;
          if (t.field_names()[at] != field.name) [[unlikely]] {
            c.fail(absl::StrCat("expected field ", av(field.name), ", found ", t.field_names()[at]));
            return c.trail().in_field(field.name);
          }
          if (!Wire<M>::from_term(c, t.elements()[at], out.*(field.member))) return c.trail().in_field(field.name);
          return true;
        };
        (void)one;
        (void)i;
        return (one(f) && ...);
      },
      desc.fields);
}

// The entry points: with a non-wire field, one static_assert and nothing else (the
// bodies that would add pages of errors are never instantiated).
template <class T>
void encode_fields(Encoder& e, const T& v) {
  if constexpr (fields_ok<T>()) encode_fields_impl(e, v); else check_fields<T>();
}
template <class T>
bool decode_fields(Decoder& d, T& out) {
  if constexpr (fields_ok<T>()) return decode_fields_impl(d, out); else return check_fields<T>(), false;
}
template <class T>
std::vector<Term::Field> fields_to_term(const T& v) {
  if constexpr (fields_ok<T>()) return fields_to_term_impl(v); else return check_fields<T>(), std::vector<Term::Field>{};
}
template <class T>
bool fields_from_term(Converter& c, const Term& t, T& out) {
  if constexpr (fields_ok<T>()) return fields_from_term_impl(c, t, out); else return check_fields<T>(), false;
}

// -- sequences and sets ----------------------------------------------------------------

template <class C>
struct SequenceWire {
  using E = typename C::value_type;
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::list; }
  static void encode(Encoder& e, const C& v) {
    if (!e.check_count(v.size()) || !e.enter()) return;
    e.put_header(Tag::list, v.size());
    for (const E& x : v) Wire<E>::encode(e, x);
    e.leave();
  }
  static bool decode(Decoder& d, C& out) {
    std::uint32_t n;
    if (!d.get_header(Tag::list, "List", n, 1) || !d.enter()) return false;
    out.clear();
    if constexpr (requires { out.reserve(n); }) out.reserve(n);  // n is bounded by the input
    for (std::uint32_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<E, bool>) {  // vector<bool> hands out proxies, not bool&
        bool x;
        if (!Wire<E>::decode(d, x)) return d.trail().in_index(i);
        out.push_back(x);
      } else {
        if (!Wire<E>::decode(d, out.emplace_back())) return d.trail().in_index(i);
      }
    }
    d.leave();
    return true;
  }
  static Term to_term(const C& v) {
    std::vector<Term> items;
    items.reserve(v.size());
    for (const E& x : v) items.push_back(Wire<E>::to_term(x));
    return Term::list(std::move(items));
  }
  static bool from_term(Converter& c, const Term& t, C& out) {
    if (!t.is_list()) return c.fail_mismatch("List", t);
    out.clear();
    std::size_t i = 0;
    for (const Term& x : t.elements()) {
      E v{};
      if (!Wire<E>::from_term(c, x, v)) return c.trail().in_index(i);
      out.push_back(std::move(v));
      ++i;
    }
    return true;
  }
};

template <class C>
struct SetWire {
  using E = typename C::value_type;
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::set; }
  static void encode(Encoder& e, const C& v) {
    if (!e.check_count(v.size()) || !e.enter()) return;
    e.put_header(Tag::set, v.size());
    for (const E& x : v) Wire<E>::encode(e, x);
    e.leave();
  }
  static bool decode(Decoder& d, C& out) {
    std::uint32_t n;
    if (!d.get_header(Tag::set, "Set", n, 1) || !d.enter()) return false;
    out.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
      E x{};
      if (!Wire<E>::decode(d, x)) return d.trail().in_index(i);
      if (!out.insert(std::move(x)).second) [[unlikely]] {
        d.fail_duplicate("set element");
        return d.trail().in_index(i);
      }
    }
    d.leave();
    return true;
  }
  static Term to_term(const C& v) {
    std::vector<Term> items;
    items.reserve(v.size());
    for (const E& x : v) items.push_back(Wire<E>::to_term(x));
    return Term::set(std::move(items));
  }
  static bool from_term(Converter& c, const Term& t, C& out) {
    if (!t.is_set()) return c.fail_mismatch("Set", t);
    out.clear();
    std::size_t i = 0;
    for (const Term& x : t.elements()) {
      E v{};
      if (!Wire<E>::from_term(c, x, v)) return c.trail().in_index(i);
      out.insert(std::move(v));
      ++i;
    }
    return true;
  }
};

template <class C>
struct MapWire {
  using K = typename C::key_type;
  using V = typename C::mapped_type;
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::map; }
  static void encode(Encoder& e, const C& v) {
    if (!e.check_count(v.size()) || !e.enter()) return;
    e.put_header(Tag::map, v.size());
    for (const auto& [k, x] : v) {
      Wire<K>::encode(e, k);
      Wire<V>::encode(e, x);
    }
    e.leave();
  }
  static bool decode(Decoder& d, C& out) {
    std::uint32_t n;
    if (!d.get_header(Tag::map, "Map", n, 2) || !d.enter()) return false;
    out.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
      K k{};
      if (!Wire<K>::decode(d, k)) return d.trail().in_entry(i, true);
      auto [it, fresh] = out.try_emplace(std::move(k));
      if (!fresh) [[unlikely]] {
        d.fail_duplicate("map key");
        return d.trail().in_entry(i, true);
      }
      if (!Wire<V>::decode(d, it->second)) return d.trail().in_entry(i, false);
    }
    d.leave();
    return true;
  }
  static Term to_term(const C& v) {
    std::vector<Term::Entry> entries;
    entries.reserve(v.size());
    for (const auto& [k, x] : v) entries.emplace_back(Wire<K>::to_term(k), Wire<V>::to_term(x));
    return Term::map(std::move(entries));
  }
  static bool from_term(Converter& c, const Term& t, C& out) {
    if (!t.is_map()) return c.fail_mismatch("Map", t);
    out.clear();
    std::size_t i = 0;
    for (const auto& [tk, tv] : t.entries()) {
      K k{};
      if (!Wire<K>::from_term(c, tk, k)) return c.trail().in_entry(i, true);
      if (!Wire<V>::from_term(c, tv, out[std::move(k)])) return c.trail().in_entry(i, false);
      ++i;
    }
    return true;
  }
};

template <class T>
struct TupleWire {
  static constexpr std::size_t N = std::tuple_size_v<T>;
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::tuple; }
  static void encode(Encoder& e, const T& v) {
    if (!e.enter()) return;
    e.put_header(Tag::tuple, N);
    std::apply([&](const auto&... x) { (Wire<std::remove_cvref_t<decltype(x)>>::encode(e, x), ...); }, v);
    e.leave();
  }
  static bool decode(Decoder& d, T& out) {
    std::uint32_t n;
    if (!d.get_header(Tag::tuple, "Tuple", n, 1) || !d.enter()) return false;
    if (n != N) [[unlikely]]
      return d.fail(absl::StrCat("expected a tuple of ", N, " elements, found ", n));
    std::size_t i = 0;
    const bool ok = std::apply(
        [&](auto&... x) {
          return ((Wire<std::remove_cvref_t<decltype(x)>>::decode(d, x) ? (++i, true) : d.trail().in_index(i)) && ...);
        },
        out);
    if (ok) d.leave();
    return ok;
  }
  static Term to_term(const T& v) {
    return std::apply([](const auto&... x) { return Term::tuple({Wire<std::remove_cvref_t<decltype(x)>>::to_term(x)...}); }, v);
  }
  static bool from_term(Converter& c, const Term& t, T& out) {
    if (!t.is_tuple()) return c.fail_mismatch("Tuple", t);
    if (t.size() != N) return c.fail(absl::StrCat("expected a tuple of ", N, " elements, found ", t.size()));
    std::size_t i = 0;
    return std::apply(
        [&](auto&... x) {
          return ((Wire<std::remove_cvref_t<decltype(x)>>::from_term(c, t.elements()[i], x) ? (++i, true)
                                                                                             : c.trail().in_index(i)) &&
                  ...);
        },
        out);
  }
};

template <class I>
concept WireInteger = std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char> &&
                      !std::is_same_v<I, wchar_t> && !std::is_same_v<I, char8_t> && !std::is_same_v<I, char16_t> &&
                      !std::is_same_v<I, char32_t> && (std::is_signed_v<I> || sizeof(I) < 8);

template <class V, std::size_t I = 0>
bool decode_alternative(Decoder& d, V& out, Term::Kind kind, std::string_view name) {
  if constexpr (I == std::variant_size_v<V>) {
    return d.fail(absl::StrCat("no alternative of the variant accepts a ", av(kind_name(kind)),
                               name.empty() ? "" : " ", av(name)));
  } else {
    using A = std::variant_alternative_t<I, V>;
    if (Wire<A>::accepts(kind, name)) return Wire<A>::decode(d, out.template emplace<I>());
    return decode_alternative<V, I + 1>(d, out, kind, name);
  }
}

template <class V, std::size_t I = 0>
bool convert_alternative(Converter& c, const Term& t, V& out, std::string_view name) {
  if constexpr (I == std::variant_size_v<V>) {
    return c.fail(absl::StrCat("no alternative of the variant accepts a ", av(kind_name(t.kind())),
                               name.empty() ? "" : " ", av(name)));
  } else {
    using A = std::variant_alternative_t<I, V>;
    if (Wire<A>::accepts(t.kind(), name)) return Wire<A>::from_term(c, t, out.template emplace<I>());
    return convert_alternative<V, I + 1>(c, t, out, name);
  }
}

// A sum type's alternative whose (unqualified) struct name is `variant`.
template <class V, std::size_t I = 0>
bool decode_variant_named(Decoder& d, V& out, std::string_view variant, std::string_view type) {
  if constexpr (I == std::variant_size_v<V>) {
    return d.fail(absl::StrCat("sum type ", av(type), " has no variant ", av(variant)));
  } else {
    using A = std::variant_alternative_t<I, V>;
    if (unqualified(struct_of<A>().name) == variant) {
      if (!decode_fields(d, out.template emplace<I>())) return d.trail().in_field(variant);
      return true;
    }
    return decode_variant_named<V, I + 1>(d, out, variant, type);
  }
}

template <class V, std::size_t I = 0>
bool convert_variant_named(Converter& c, const Term& t, V& out, std::string_view type) {
  if constexpr (I == std::variant_size_v<V>) {
    return c.fail(absl::StrCat("sum type ", av(type), " has no variant ", t.variant()));
  } else {
    using A = std::variant_alternative_t<I, V>;
    if (unqualified(struct_of<A>().name) == t.variant()) {
      if (!fields_from_term(c, t, out.template emplace<I>())) return c.trail().in_field(t.variant());
      return true;
    }
    return convert_variant_named<V, I + 1>(c, t, out, type);
  }
}

}  // namespace detail

// -- scalars ---------------------------------------------------------------------------

template <>
struct Wire<bool> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::boolean; }
  static void encode(detail::Encoder& e, bool v) { e.put_tag(v ? detail::Tag::true_ : detail::Tag::false_); }
  static bool decode(detail::Decoder& d, bool& out) {
    std::uint8_t tag;
    if (!d.peek_tag(tag)) return false;
    if (tag != static_cast<std::uint8_t>(detail::Tag::true_) && tag != static_cast<std::uint8_t>(detail::Tag::false_))
      return d.fail_mismatch("Bool", tag);
    d.get_tag(tag);
    out = tag == static_cast<std::uint8_t>(detail::Tag::true_);
    return true;
  }
  static Term to_term(bool v) { return Term(v); }
  static bool from_term(detail::Converter& c, const Term& t, bool& out) {
    if (!t.is_bool()) return c.fail_mismatch("Bool", t);
    out = t.as_bool();
    return true;
  }
};

template <detail::WireInteger I>
struct Wire<I> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::integer; }
  static void encode(detail::Encoder& e, I v) { e.put_int(static_cast<std::int64_t>(v)); }
  static bool in_range(std::int64_t v) {
    if constexpr (sizeof(I) == 8) {
      return true;
    } else {
      return v >= static_cast<std::int64_t>(std::numeric_limits<I>::min()) &&
             v <= static_cast<std::int64_t>(std::numeric_limits<I>::max());
    }
  }
  static bool decode(detail::Decoder& d, I& out) {
    std::int64_t v;
    if (!d.get_int(v)) return false;
    if (!in_range(v)) [[unlikely]]
      return d.fail_out_of_range(v, typeid(I));
    out = static_cast<I>(v);
    return true;
  }
  static Term to_term(I v) { return Term(static_cast<std::int64_t>(v)); }
  static bool from_term(detail::Converter& c, const Term& t, I& out) {
    if (!t.is_int()) return c.fail_mismatch("Int", t);
    if (!in_range(t.as_int())) return c.fail(absl::StrCat(t.as_int(), " is out of range of the target integer type"));
    out = static_cast<I>(t.as_int());
    return true;
  }
};

template <std::floating_point F>
  requires(!std::is_same_v<F, long double>)
struct Wire<F> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::floating; }
  static void encode(detail::Encoder& e, F v) { e.put_double(static_cast<double>(v)); }
  static bool decode(detail::Decoder& d, F& out) {
    double v;
    if (!d.get_double(v)) return false;
    out = static_cast<F>(v);
    return true;
  }
  static Term to_term(F v) { return Term(static_cast<double>(v)); }
  static bool from_term(detail::Converter& c, const Term& t, F& out) {
    if (!t.is_float()) return c.fail_mismatch("Float", t);
    out = static_cast<F>(t.as_float());
    return true;
  }
};

template <>
struct Wire<std::string> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::string; }
  static void encode(detail::Encoder& e, const std::string& v) { e.put_string(v); }
  static bool decode(detail::Decoder& d, std::string& out) {
    std::string_view s;
    if (!d.get_string(s)) return false;
    out.assign(s.data(), s.size());
    return true;
  }
  static Term to_term(const std::string& v) { return Term(v); }
  static bool from_term(detail::Converter& c, const Term& t, std::string& out) {
    if (!t.is_string()) return c.fail_mismatch("String", t);
    out = t.as_string();
    return true;
  }
};

template <>
struct Wire<Unit> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::unit; }
  static void encode(detail::Encoder& e, Unit) { e.put_tag(detail::Tag::unit); }
  static bool decode(detail::Decoder& d, Unit&) { return d.expect(detail::Tag::unit, "Unit"); }
  static Term to_term(Unit) { return Term(); }
  static bool from_term(detail::Converter& c, const Term& t, Unit&) {
    return t.is_unit() ? true : c.fail_mismatch("Unit", t);
  }
};

template <>
struct Wire<Atom> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::atom; }
  static void encode(detail::Encoder& e, Atom v) {
    e.put_tag(detail::Tag::atom);
    e.put_name(v.name());
  }
  static bool decode(detail::Decoder& d, Atom& out) {
    std::string_view s;
    if (!d.expect(detail::Tag::atom, "Atom") || !d.get_name(s, true)) return false;
    // Never interned: names from another node must not fill this process's table.
    absl::StatusOr<Atom> a = Atom::from_outside(s);
    if (!a.ok()) return d.fail(std::string(a.status().message()));
    out = *a;
    return true;
  }
  static Term to_term(Atom v) { return Term(v); }
  static bool from_term(detail::Converter& c, const Term& t, Atom& out) {
    if (!t.is_atom()) return c.fail_mismatch("Atom", t);
    out = t.as_atom();
    return true;
  }
};

template <>
struct Wire<Pid> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::pid; }
  static void encode(detail::Encoder& e, Pid v) {
    e.put_tag(detail::Tag::pid);
    e.put_le(v.raw());
  }
  static bool decode(detail::Decoder& d, Pid& out) {
    std::uint64_t raw;
    return d.expect(detail::Tag::pid, "Pid") && d.get_le(raw) && d.local_pid(Pid::from_raw(raw), out);
  }
  static Term to_term(Pid v) { return Term(v); }
  static bool from_term(detail::Converter& c, const Term& t, Pid& out) {
    if (!t.is_pid()) return c.fail_mismatch("Pid", t);
    out = t.as_pid();
    return true;
  }
};

template <>
struct Wire<Ref> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::ref; }
  static void encode(detail::Encoder& e, Ref v) {
    e.put_tag(detail::Tag::ref);
    e.put_le(v.raw());
  }
  static bool decode(detail::Decoder& d, Ref& out) {
    std::uint64_t raw;
    std::uint16_t node;
    if (!d.expect(detail::Tag::ref, "Ref") || !d.get_le(raw)) return false;
    out = Ref::from_raw(raw);
    if (!d.local_node_index(out.node(), node)) return false;
    out = Ref::make(node, out.number());
    return true;
  }
  static Term to_term(Ref v) { return Term(v); }
  static bool from_term(detail::Converter& c, const Term& t, Ref& out) {
    if (!t.is_ref()) return c.fail_mismatch("Ref", t);
    out = t.as_ref();
    return true;
  }
};

/// A Term is a wire type: it is written as whatever it holds.
template <>
struct Wire<Term> {
  static bool accepts(Term::Kind, std::string_view) { return true; }
  static void encode(detail::Encoder& e, const Term& v) { detail::encode_term(e, v); }
  static bool decode(detail::Decoder& d, Term& out) { return detail::decode_term(d, out); }
  static Term to_term(const Term& v) { return v; }
  static bool from_term(detail::Converter&, const Term& t, Term& out) {
    out = t;
    return true;
  }
};

// -- containers ------------------------------------------------------------------------

template <WireType E, class A>
struct Wire<std::vector<E, A>> : detail::SequenceWire<std::vector<E, A>> {};
template <WireType E, class A>
struct Wire<std::list<E, A>> : detail::SequenceWire<std::list<E, A>> {};
template <WireType E, class A>
struct Wire<std::deque<E, A>> : detail::SequenceWire<std::deque<E, A>> {};
template <WireType E, class C, class A>
struct Wire<std::set<E, C, A>> : detail::SetWire<std::set<E, C, A>> {};
template <WireType E, class H, class Q, class A>
struct Wire<std::unordered_set<E, H, Q, A>> : detail::SetWire<std::unordered_set<E, H, Q, A>> {};
template <WireType K, WireType V, class C, class A>
struct Wire<std::map<K, V, C, A>> : detail::MapWire<std::map<K, V, C, A>> {};
template <WireType K, WireType V, class H, class Q, class A>
struct Wire<std::unordered_map<K, V, H, Q, A>> : detail::MapWire<std::unordered_map<K, V, H, Q, A>> {};
template <WireType... E>
struct Wire<std::tuple<E...>> : detail::TupleWire<std::tuple<E...>> {};
template <WireType A, WireType B>
struct Wire<std::pair<A, B>> : detail::TupleWire<std::pair<A, B>> {};

template <WireType E>
struct Wire<std::optional<E>> {
  static bool accepts(Term::Kind k, std::string_view) { return k == Term::Kind::option; }
  static void encode(detail::Encoder& e, const std::optional<E>& v) {
    if (!v) {
      e.put_tag(detail::Tag::none);
      return;
    }
    if (!e.enter()) return;
    e.put_tag(detail::Tag::some);
    Wire<E>::encode(e, *v);
    e.leave();
  }
  static bool decode(detail::Decoder& d, std::optional<E>& out) {
    std::uint8_t tag;
    if (!d.get_tag(tag)) return false;
    if (tag == static_cast<std::uint8_t>(detail::Tag::none)) {
      out.reset();
      return true;
    }
    if (tag != static_cast<std::uint8_t>(detail::Tag::some)) return d.fail_mismatch("Option", tag);
    if (!d.enter() || !Wire<E>::decode(d, out.emplace())) return false;
    d.leave();
    return true;
  }
  static Term to_term(const std::optional<E>& v) { return v ? Term::some(Wire<E>::to_term(*v)) : Term::none(); }
  static bool from_term(detail::Converter& c, const Term& t, std::optional<E>& out) {
    if (!t.is_option()) return c.fail_mismatch("Option", t);
    if (!t.is_some()) {
      out.reset();
      return true;
    }
    return Wire<E>::from_term(c, t.elements()[0], out.emplace());
  }
};

/// A plain variant travels as the alternative it holds.
template <WireType... A>
struct Wire<std::variant<A...>> {
  using V = std::variant<A...>;
  static bool accepts(Term::Kind k, std::string_view name) { return (Wire<A>::accepts(k, name) || ...); }
  static void encode(detail::Encoder& e, const V& v) {
    std::visit([&](const auto& x) { Wire<std::remove_cvref_t<decltype(x)>>::encode(e, x); }, v);
  }
  static bool decode(detail::Decoder& d, V& out) {
    Term::Kind kind;
    std::string_view name;
    if (!d.peek_head(kind, name)) return false;
    return detail::decode_alternative(d, out, kind, name);
  }
  static Term to_term(const V& v) {
    return std::visit([](const auto& x) { return Wire<std::remove_cvref_t<decltype(x)>>::to_term(x); }, v);
  }
  static bool from_term(detail::Converter& c, const Term& t, V& out) {
    std::string_view name = (t.is_struct() || t.is_sum()) ? std::string_view(t.type_name()) : std::string_view();
    return detail::convert_alternative(c, t, out, name);
  }
};

// -- user structs and sum types --------------------------------------------------------

/// A struct declared with SNOW_WIRE.
template <detail::DescribedStruct T>
struct Wire<T> {
  static constexpr std::string_view kName = detail::struct_of<T>().name;
  static bool accepts(Term::Kind k, std::string_view name) { return k == Term::Kind::structure && name == kName; }
  static void encode(detail::Encoder& e, const T& v) {
    if (!e.enter()) return;
    e.put_tag(detail::Tag::structure);
    e.put_name(kName);
    detail::encode_fields(e, v);
    e.leave();
  }
  static bool decode(detail::Decoder& d, T& out) {
    if (!d.expect(detail::Tag::structure, "Struct") || !d.expect_name(kName, "struct") || !d.enter()) return false;
    if (!detail::decode_fields(d, out)) return false;
    d.leave();
    return true;
  }
  static Term to_term(const T& v) { return Term::structure(std::string(kName), detail::fields_to_term(v)); }
  static bool from_term(detail::Converter& c, const Term& t, T& out) {
    if (!t.is_struct()) return c.fail_mismatch(kName, t);
    if (t.type_name() != kName) return c.fail(absl::StrCat("expected struct ", detail::av(kName), ", found ", t.type_name()));
    return detail::fields_from_term(c, t, out);
  }
};

/// A sum type declared with SNOW_WIRE_SUM: a struct deriving from a variant of structs.
template <detail::DescribedSum T>
struct Wire<T> {
  using Base = detail::variant_base_t<T>;
  static constexpr std::string_view kName = snow_wire_sum(detail::TypeTag<T>{});
  static bool accepts(Term::Kind k, std::string_view name) { return k == Term::Kind::sum && name == kName; }
  static void encode(detail::Encoder& e, const T& v) {
    if (!e.enter()) return;
    std::visit(
        [&](const auto& alt) {
          using A = std::remove_cvref_t<decltype(alt)>;
          e.put_tag(detail::Tag::sum);
          e.put_name(kName);
          e.put_name(detail::unqualified(detail::struct_of<A>().name));
          detail::encode_fields(e, alt);
        },
        static_cast<const Base&>(v));
    e.leave();
  }
  static bool decode(detail::Decoder& d, T& out) {
    std::string_view variant;
    if (!d.expect(detail::Tag::sum, "Sum") || !d.expect_name(kName, "sum type") || !d.get_name(variant, false) ||
        !d.enter())
      return false;
    if (!detail::decode_variant_named(d, static_cast<Base&>(out), variant, kName)) return false;
    d.leave();
    return true;
  }
  static Term to_term(const T& v) {
    return std::visit(
        [](const auto& alt) {
          using A = std::remove_cvref_t<decltype(alt)>;
          return Term::sum(std::string(kName), std::string(detail::unqualified(detail::struct_of<A>().name)),
                           detail::fields_to_term(alt));
        },
        static_cast<const Base&>(v));
  }
  static bool from_term(detail::Converter& c, const Term& t, T& out) {
    if (!t.is_sum()) return c.fail_mismatch(kName, t);
    if (t.type_name() != kName) return c.fail(absl::StrCat("expected sum type ", detail::av(kName), ", found ", t.type_name()));
    return detail::convert_variant_named(c, t, static_cast<Base&>(out), kName);
  }
};

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

/// The STF encoding of `value`.
template <class T>
absl::StatusOr<std::string> encode(const T& value, const EncodeLimits& limits = {}) {
  std::string out;
  SNOW_RETURN_IF_ERROR(encode_append(out, value, limits));
  return out;
}

namespace detail {
// -- the layouts nodes compare when they connect (src/wire/type_registry.cpp) --
std::string demangle(const std::type_info& type);  // src/runtime/format.cpp
/// Records that the wire type called `name` has `layout` (its fields and their types).
void register_wire_layout(std::string_view name, const std::type_info& type, std::string layout);
/// Records a layout that has no C++ type of its own (a spawnable function's parameters).
void register_layout(std::string name, std::string layout);
/// The SNOW_WIRE name of a registered C++ type, or "" if it has none.
std::string wire_name_of(const std::type_info& type);
/// Every registered name with a stable 64-bit digest of its layout and of the layouts of
/// the wire types it uses (nested, in containers, transitively), sorted by name.
std::vector<std::pair<std::string, std::uint64_t>> wire_fingerprint();

/// `Name{field:type,...}` with the C++ types of the fields, demangled.
template <class T>
std::string struct_layout() {
  constexpr auto desc = struct_of<T>();
  std::string out(desc.name);
  out += '{';
  std::apply(
      [&](const auto&... f) {
        ((out += std::string(f.name) + ":" +
                 demangle(typeid(std::remove_cvref_t<decltype(std::declval<const T&>().*(f.member))>)) + ","),
         ...);
      },
      desc.fields);
  out += '}';
  return out;
}
template <class T>
bool register_wire_type() {
  register_wire_layout(struct_of<T>().name, typeid(T), struct_layout<T>());
  return true;
}
}  // namespace detail

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
