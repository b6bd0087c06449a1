// snow/detail/wire_struct.hpp: how SNOW_WIRE and SNOW_WIRE_SUM types travel. The macros
// (detail/wire_macros.hpp) describe a struct's name and fields at compile time; this file
// turns the description into the struct's wire trait (a field count, then named fields)
// and a sum type's (its name, the variant's name, then its fields), and records each
// struct's layout for the fingerprint nodes compare when they connect (DESIGN.md §6).
// Included by snow/wire.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "snow/detail/wire_codec.hpp"
#include "snow/detail/wire_trait.hpp"
#include "snow/term.hpp"

namespace snow {
namespace detail {

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

}  // namespace snow
