// snow/detail/wire_builtin.hpp: the wire traits of the types snow knows itself (the
// scalars, std::string, Pid, Ref, Atom, Unit, Term, and the standard containers, optional,
// tuple, pair and variant), and the shared shapes they are made of (a sequence, a set, a
// map, a tuple). Included by snow/wire.hpp, which says what each encodes to.
//
// Which types are built-in wire types is decided by detail::is_builtin_wire
// (detail/wire_trait.hpp, which boxing includes without this file): the partial
// specialisations here are constrained by it and the full ones assert it, so this file
// can only implement that list, never widen it behind boxing's back.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "snow/detail/wire_codec.hpp"
#include "snow/detail/wire_trait.hpp"
#include "snow/pid.hpp"
#include "snow/term.hpp"

namespace snow {
namespace detail {

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

template <detail::WireFloat F>
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

// The full specialisations above are on boxing's list (detail/wire_trait.hpp).
static_assert(detail::is_builtin_wire<bool> && detail::is_builtin_wire<std::string> && detail::is_builtin_wire<Unit> &&
              detail::is_builtin_wire<Atom> && detail::is_builtin_wire<Pid> && detail::is_builtin_wire<Ref> &&
              detail::is_builtin_wire<Term>);

// -- containers ------------------------------------------------------------------------

template <class E, class A>
  requires detail::is_builtin_wire<std::vector<E, A>>
struct Wire<std::vector<E, A>> : detail::SequenceWire<std::vector<E, A>> {};
template <class E, class A>
  requires detail::is_builtin_wire<std::list<E, A>>
struct Wire<std::list<E, A>> : detail::SequenceWire<std::list<E, A>> {};
template <class E, class A>
  requires detail::is_builtin_wire<std::deque<E, A>>
struct Wire<std::deque<E, A>> : detail::SequenceWire<std::deque<E, A>> {};
template <class E, class C, class A>
  requires detail::is_builtin_wire<std::set<E, C, A>>
struct Wire<std::set<E, C, A>> : detail::SetWire<std::set<E, C, A>> {};
template <class E, class H, class Q, class A>
  requires detail::is_builtin_wire<std::unordered_set<E, H, Q, A>>
struct Wire<std::unordered_set<E, H, Q, A>> : detail::SetWire<std::unordered_set<E, H, Q, A>> {};
template <class K, class V, class C, class A>
  requires detail::is_builtin_wire<std::map<K, V, C, A>>
struct Wire<std::map<K, V, C, A>> : detail::MapWire<std::map<K, V, C, A>> {};
template <class K, class V, class H, class Q, class A>
  requires detail::is_builtin_wire<std::unordered_map<K, V, H, Q, A>>
struct Wire<std::unordered_map<K, V, H, Q, A>> : detail::MapWire<std::unordered_map<K, V, H, Q, A>> {};
template <class... E>
  requires detail::is_builtin_wire<std::tuple<E...>>
struct Wire<std::tuple<E...>> : detail::TupleWire<std::tuple<E...>> {};
template <class A, class B>
  requires detail::is_builtin_wire<std::pair<A, B>>
struct Wire<std::pair<A, B>> : detail::TupleWire<std::pair<A, B>> {};

template <class E>
  requires detail::is_builtin_wire<std::optional<E>>
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
template <class... A>
  requires detail::is_builtin_wire<std::variant<A...>>
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

}  // namespace snow
