// snow/detail/wire_trait.hpp: the wire trait itself, `snow::Wire<T>`, and the test
// `snow::is_wire<T>`, apart from the specialisations (detail/wire_builtin.hpp,
// detail/wire_struct.hpp) and the API (snow/wire.hpp, which is the manual: include that).
// Kept apart so that the specialisations can all see the one declaration, in any order.
#pragma once

#include <type_traits>

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
}  // namespace detail
}  // namespace snow
