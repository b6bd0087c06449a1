// snow/detail/wire_macros.hpp: SNOW_WIRE and SNOW_WIRE_SUM, the one-line declarations
// that make a user struct or sum type a wire type (see snow/wire.hpp).
//
// SNOW_WIRE(Type, f1, f2, ...) defines, in the namespace where it is written, a constexpr
// function `snow_wire_struct(snow::detail::TypeTag<Type>)` that returns the type's name
// and a pointer to each field; snow finds it by argument-dependent lookup, so the macro
// works in any namespace (write it next to the struct, outside the struct body). A type
// whose name contains a comma (a template) needs an alias first.
#pragma once

// A C++20 FOR_EACH: applies m(ctx, x) to each argument, separated by commas. Each
// SNOW_EXPAND_ level rescans 4x, so 4^4 = 256 arguments are handled.
#define SNOW_PARENS_ ()
#define SNOW_EXPAND_(...) SNOW_EXPAND3_(SNOW_EXPAND3_(SNOW_EXPAND3_(SNOW_EXPAND3_(__VA_ARGS__))))
#define SNOW_EXPAND3_(...) SNOW_EXPAND2_(SNOW_EXPAND2_(SNOW_EXPAND2_(SNOW_EXPAND2_(__VA_ARGS__))))
#define SNOW_EXPAND2_(...) SNOW_EXPAND1_(SNOW_EXPAND1_(SNOW_EXPAND1_(SNOW_EXPAND1_(__VA_ARGS__))))
#define SNOW_EXPAND1_(...) __VA_ARGS__
#define SNOW_FOR_EACH_(m, ctx, ...) __VA_OPT__(SNOW_EXPAND_(SNOW_FOR_EACH_HELPER_(m, ctx, __VA_ARGS__)))
#define SNOW_FOR_EACH_HELPER_(m, ctx, a, ...) m(ctx, a) __VA_OPT__(, SNOW_FOR_EACH_AGAIN_ SNOW_PARENS_(m, ctx, __VA_ARGS__))
#define SNOW_FOR_EACH_AGAIN_() SNOW_FOR_EACH_HELPER_

#define SNOW_WIRE_FIELD_(Type, f) ::snow::detail::field_desc(#f, &Type::f)

#define SNOW_CAT2_(a, b) a##b
#define SNOW_CAT_(a, b) SNOW_CAT2_(a, b)

/// Makes struct `Type` a wire type with the listed fields, in this order (the order on
/// the wire and in the Term). Every field must itself be a wire type. It also records the
/// type's layout at start-up, for the fingerprint nodes compare when they connect.
#define SNOW_WIRE(Type, ...)                                                                       \
  [[maybe_unused]] constexpr auto snow_wire_struct(::snow::detail::TypeTag<Type>) {               \
    return ::snow::detail::struct_desc(#Type __VA_OPT__(, SNOW_FOR_EACH_(SNOW_WIRE_FIELD_, Type, __VA_ARGS__))); \
  }                                                                                                \
  [[maybe_unused]] static const bool SNOW_CAT_(snow_wire_registered_, __COUNTER__) =              \
      ::snow::detail::register_wire_type<Type>();

/// Makes `Type`, a struct deriving from std::variant<A, B, ...> whose alternatives are
/// SNOW_WIRE structs, a sum type: each alternative is a variant named after its struct.
#define SNOW_WIRE_SUM(Type)                                                                     \
  [[maybe_unused]] constexpr ::std::string_view snow_wire_sum(::snow::detail::TypeTag<Type>) { \
    return #Type;                                                                               \
  }
