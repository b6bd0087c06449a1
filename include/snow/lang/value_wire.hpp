// snow/lang/value_wire.hpp: Snow values crossing nodes (snow.md#remote-send), as snow::Term.
//
// A Value becomes the Term a C++ node would send for the same data, so a Snow node and a
// C++ node can talk: Int, Float, Bool, String, (), lists, tuples, Pids, Option and Result
// as themselves; a struct as a Term struct (type name, named fields); a sum-type value as
// a Term sum (type name, variant name, positional fields). The Queue and Range of the
// standard library, which have no Term kind, travel as structs named "Queue" (field
// items) and "Range" (fields lo, hi). Maps and sets travel as structs too, because a Snow
// map or set iterates in insertion order (snow.md#built-in-types) and a Term map or set is sorted by key:
// "Map" (field entries: a list of (key, value) tuples) and "Set" (field items: a list),
// both in insertion order, so a nested map arrives as it was built. A C++ node reads them
// as those structs; a Term map or set a C++ node sends arrives as a Snow map or set in key
// order.
//
// Back from a Term: a struct or sum value names its type, found in this program's
// TypeRegistry; a variant the program declares differently (unknown name, another arity)
// does not convert, with a message that says so. A type this program does not declare
// at all is declared on the fly, so the value can still be bound to a variable, printed
// and passed on. An atom (only a C++ node sends one) becomes a String, a Ref an Int (Snow's
// monitor references are Ints). A "Map" or "Set" struct with a repeated key is refused
// (no encoder writes one, and keys are unique in a Snow map).
//
// Functions and closures never cross nodes: converting one is a Snow runtime error in
// the sender, as is a Job (its result is local to the node that awaits it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "snow/lang/value.hpp"
#include "snow/term.hpp"
#include "snow/wire.hpp"

namespace snow::lang {

/// The Term form of `v`; a Snow runtime error for a function or a Job anywhere inside it.
Term to_term(const Value& v);

namespace terms {  // the conversion from Term, step by step

/// A Term that does not convert: why, for the receive clause or decoder that asked.
struct NotConvertible {
  std::string why;
};

/// The TypeInfo for a struct another node named that this program does not declare: made
/// from the first value that arrives (its field names).
const TypeInfo* foreign_struct(const Term& t);

/// A variant of a sum type this program does not declare: one TypeInfo per variant (so
/// no TypeInfo ever changes once made), registered as "Type.Variant" and named "Type".
const TypeInfo* foreign_variant(const Term& t);

/// The tag of `t`'s variant in `type`, which this program declares.
int variant_tag(const TypeInfo* type, const Term& t);

/// The Value `t` stands for; throws NotConvertible when it stands for none.
Value from_term_or_throw(const Term& t);

/// Each Term converted, in order.
std::vector<Value> values_of(std::span<const Term> ts);

/// A Snow map from the entries of a "Map" struct, in their order.
Value map_in_order(const Term& entries);

/// A Snow set from the items of a "Set" struct, in their order.
Value set_in_order(const Term& items);

}  // namespace terms

/// The Value a Term stands for, or why it cannot be one.
absl::StatusOr<Value> from_term(const Term& t);

}  // namespace snow::lang

namespace snow {

/// Values cross nodes as the Terms above. Encoding runs on the sending worker inside the
/// runtime (it must not throw): a value that cannot cross fails the encoding, which the
/// runtime logs and drops. snow::lang::send converts remote messages first, so a Snow
/// program sees that as a runtime error in the sender instead.
template <>
struct Wire<lang::Value> {
  static bool accepts(Term::Kind, std::string_view) { return true; }
  // Compiled in src/lang/terms.cpp, with the conversions they call.
  static void encode(detail::Encoder& e, const lang::Value& v);
  static bool decode(detail::Decoder& d, lang::Value& out);
  static Term to_term(const lang::Value& v) { return lang::to_term(v); }
  static bool from_term(detail::Converter& c, const Term& t, lang::Value& out);
};

}  // namespace snow
