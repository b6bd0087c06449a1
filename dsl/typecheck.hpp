// dsl/typecheck.hpp: snowc's type inference (snow.md#generics) and the diagnostics of snow.md#diagnostics that need
// types.
//
// Hindley–Milner over the checked program (run only when dsl/checks.hpp found nothing, so
// names, arities and patterns are known to be sound): top-level functions and actors are
// generalised after their definition (a function is monomorphic inside its own body;
// top-level mutual recursion cannot be written, snow.md#declaration-order), local functions are generalised
// over what their scope does not fix, annotations are unified with what is inferred.
//
// The checker is gradual: whatever it cannot type with confidence is `dyn` (types.hpp)
// and is never reported, so it never rejects a program the runtime would run correctly.
// `default()` is a fresh variable that its context fixes; the emitter reads the result
// back from the TypeTable to pick the type's default. Unknown: interface methods,
// `Tuple.first/second/nth`, `Node.*`, `Process.exit`, qualified type names and fields of
// a value whose struct is not yet known; an `if`, `case` or `receive` whose value is discarded may have
// branches of different types; a send is checked only against a message type the target
// actor fixed; `Pid<A>` and `Pid<B>` meeting (a list of pids of several actors) both
// become the untyped `Pid`.
//
// Reported: E0001 (mismatch, including the snow.md#error-codes cases: receive arms and `after`, `call`
// and `cast` handler results, `Timer.send_after`, an actor branch that stops with a
// non-Pid value while another self-calls), E0002 (infinite type), E0005 (calling a
// non-function), E0006 (arithmetic on a non-number, `<` on a type without Ord, `==` on
// a type without Eq, an unmet `where` bound), E0009 (no such field on a known type),
// E0014 (message type of `send`), E0025 (guard not Bool), E0030 (no such method),
// E0036/E0037 (`?`).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "ast.hpp"
#include "checks.hpp"
#include "diagnostics.hpp"
#include "types.hpp"

namespace snowc {

/// The inferred type of every expression the checker visited (for a typed emitter).
class TypeTable {
 public:
  /// The type of `e`, resolved as far as inference went (variables left unbound and
  /// unknown parts are `TK::var` / `TK::dyn`); null when `e` was not visited.
  Type* type_of(const Expr& e) const;
  /// The type of `e` as Snow writes it (`List<Int>`, `_` for unknown); "" if not visited.
  std::string show(const Expr& e) const;

  std::shared_ptr<TypeStore> store = std::make_shared<TypeStore>();
  std::unordered_map<const Expr*, Type*> types;
};

/// Infers the types of `program` (already checked by `check`) and reports type errors
/// into `diags`.
TypeTable check_types(const Program& program, const Symbols& symbols, Diagnostics& diags);

}  // namespace snowc
