// dsl/stdlib.hpp: the standard library as snowc sees it (snow.md#standard-library): for each Snow name, the
// C++ function in include/snow/lang/ that implements it, its arity, and how to call it.
#pragma once

#include <string>
#include <vector>

namespace snowc {

struct Builtin {
  const char* name;  // "String.length", or a prelude name such as "println"
  const char* cpp;   // "sl::String_length"
  int arity;         // -1: any
  unsigned flags;
};

enum BuiltinFlags : unsigned {
  kSelf = 1,    // takes the Self first
  kAsync = 2,   // returns Co<Value>: co_await it
  kEffect = 4,  // has an effect: evaluate it in order, as a statement of its own
};

/// The builtin called `name`, or null.
const Builtin* find_builtin(const std::string& name);

/// The type of builtin `b` for the type checker (dsl/typecheck.hpp), written as a Snow
/// function type whose lower-case names (`a`, `b`, ...) are type variables and `_` is
/// "unknown": "Fun(List<a>, Fun(a) -> b) -> List<b>". Null when the builtin is untyped
/// (its calls are not checked).
const char* builtin_signature(const Builtin& b);

/// A variant of a built-in sum type (Option, Result, Ordering, ExitReason) or a
/// notification pattern (Exit, Down, NodeUp, NodeDown), in tag order within its type.
struct BuiltinVariant {
  const char* type;
  const char* name;
  int arity;
};
const std::vector<BuiltinVariant>& builtin_variants();
bool is_builtin_variant(const std::string& name);

/// True for String, List, ... (always available, snow.md#imports).
bool is_std_module(const std::string& name);

}  // namespace snowc
