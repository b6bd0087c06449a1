// snow/detail/wire_trait.hpp: the wire traits without the codec: the trait `snow::Wire<T>`,
// which types have one (`snow::is_wire<T>`, `snow::WireType`), and the entry point that
// encodes a boxed message, declared. This is what boxing a message needs
// (snow/detail/message_node.hpp), and all it includes of the wire.
//
// Which header is the manual for what:
//   snow/wire.hpp                 the wire for users: wire types, SNOW_WIRE, encode/decode
//   snow/detail/wire_trait.hpp    this file: which types are wire types (traits only)
//   snow/detail/wire_codec.hpp    the STF byte writer and reader (Encoder, Decoder)
//   snow/detail/wire_builtin.hpp  the codec of the built-in types (Wire<T> specialisations)
//   snow/detail/wire_struct.hpp   the codec of SNOW_WIRE structs and SNOW_WIRE_SUM types
//
// Why boxing without the codec is sound. A message's TypeInfo (kTypeInfo<T>) carries an
// encoder exactly when is_wire<T>, so is_wire<T> must have one value in every translation
// unit, or two units would define kTypeInfo<T> differently (an ODR violation: which one
// the linker keeps decides whether T can leave the node). So is_wire is decided here, from
// facts every unit that names T sees: the built-in types are listed below (is_builtin_wire,
// not the codec's specialisations), a SNOW_WIRE/SNOW_WIRE_SUM declaration sits by its
// type, and a hand-written Wire<T> by its type. The encoder itself (BoxedEncoder<T>) is
// only declared here and defined in snow/wire.hpp; boxing a wire type where it is not in
// view is a compile error (message_node.hpp), never a TypeInfo without an encoder.
#pragma once

#include <concepts>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace snow {

class Pid;
class Ref;
class Atom;
struct Unit;
class Term;

/// The wire trait. A specialisation provides, for a T:
///
///   static bool accepts(Term::Kind kind, std::string_view type_name);  // head match
///   static void encode(detail::Encoder&, const T&);
///   static bool decode(detail::Decoder&, T&);
///   static Term to_term(const T&);
///   static bool from_term(detail::Converter&, const Term&, T&);
///
/// Users rarely specialise it by hand: SNOW_WIRE and SNOW_WIRE_SUM do it for them. A
/// hand-written specialisation belongs next to its type (in the header that defines T),
/// so that every translation unit that sees T sees it: is_wire<T> must agree everywhere.
template <class T>
struct Wire;

namespace detail {
template <class T>
struct TypeTag {};
template <class T>
concept DescribedStruct = requires { snow_wire_struct(TypeTag<T>{}); };
template <class T>
concept DescribedSum = requires { snow_wire_sum(TypeTag<T>{}); };

/// The integer types the wire carries: signed up to 64 bits, unsigned up to 32 (Snow's
/// Int is signed 64-bit), not bool nor the character types.
template <class I>
concept WireInteger = std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char> &&
                      !std::is_same_v<I, wchar_t> && !std::is_same_v<I, char8_t> && !std::is_same_v<I, char16_t> &&
                      !std::is_same_v<I, char32_t> && (std::is_signed_v<I> || sizeof(I) < 8);
template <class F>
concept WireFloat = std::floating_point<F> && !std::is_same_v<F, long double>;

/// True for the types snow's own codec carries. detail/wire_builtin.hpp implements exactly
/// these: its partial specialisations are constrained by this list, so none applies to a
/// type the list leaves out, and its full specialisations assert that the list names
/// them (a new one must be added here and to that assertion).
template <class T>
inline constexpr bool is_builtin_wire = WireInteger<T> || WireFloat<T>;

template <class T>
concept WireSpecialised = requires { &Wire<T>::encode; };
// A disjunction of constraints stops at the first one satisfied, so a built-in type is
// never asked whether its (codec-side) Wire<T> is complete: that answer would depend on
// the headers a translation unit included; the list above does not.
template <class T>
concept WireValue = is_builtin_wire<T> || DescribedStruct<T> || DescribedSum<T> || WireSpecialised<T>;
}  // namespace detail

/// True when T (cv-ref stripped) is a wire type. A declared struct or sum type counts
/// from its declaration on, without looking into its fields, so that recursive types
/// (a Tree holding a std::vector<Tree>) are wire types; their fields are checked where
/// they are encoded or decoded.
template <class T>
inline constexpr bool is_wire = detail::WireValue<std::remove_cvref_t<T>>;

template <class T>
concept WireType = is_wire<T>;

namespace detail {
// The built-in wire types (see snow/wire.hpp for what each encodes to).
template <> inline constexpr bool is_builtin_wire<bool> = true;
template <> inline constexpr bool is_builtin_wire<std::string> = true;
template <> inline constexpr bool is_builtin_wire<Unit> = true;
template <> inline constexpr bool is_builtin_wire<Atom> = true;
template <> inline constexpr bool is_builtin_wire<Pid> = true;
template <> inline constexpr bool is_builtin_wire<Ref> = true;
template <> inline constexpr bool is_builtin_wire<Term> = true;
template <class E, class A>
inline constexpr bool is_builtin_wire<std::vector<E, A>> = is_wire<E>;
template <class E, class A>
inline constexpr bool is_builtin_wire<std::list<E, A>> = is_wire<E>;
template <class E, class A>
inline constexpr bool is_builtin_wire<std::deque<E, A>> = is_wire<E>;
template <class E, class C, class A>
inline constexpr bool is_builtin_wire<std::set<E, C, A>> = is_wire<E>;
template <class E, class H, class Q, class A>
inline constexpr bool is_builtin_wire<std::unordered_set<E, H, Q, A>> = is_wire<E>;
template <class K, class V, class C, class A>
inline constexpr bool is_builtin_wire<std::map<K, V, C, A>> = is_wire<K> && is_wire<V>;
template <class K, class V, class H, class Q, class A>
inline constexpr bool is_builtin_wire<std::unordered_map<K, V, H, Q, A>> = is_wire<K> && is_wire<V>;
template <class... E>
inline constexpr bool is_builtin_wire<std::tuple<E...>> = (is_wire<E> && ...);
template <class A, class B>
inline constexpr bool is_builtin_wire<std::pair<A, B>> = is_wire<A> && is_wire<B>;
template <class E>
inline constexpr bool is_builtin_wire<std::optional<E>> = is_wire<E>;
template <class... A>
inline constexpr bool is_builtin_wire<std::variant<A...>> = (is_wire<A> && ...);

struct MessageNode;
/// Encodes a boxed T (a wire type) as STF: TypeInfo::encode of T's messages. Declared
/// here, defined in snow/wire.hpp (with the codec it instantiates).
template <class T>
struct BoxedEncoder;

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
}  // namespace detail
}  // namespace snow
