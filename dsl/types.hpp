// dsl/types.hpp: the type terms of snowc's type checker (dsl/typecheck.hpp) and their
// unification.
//
// A type is a tree of `Type` nodes owned by a `TypeStore`: a constructor (`Int`,
// `List<T>`, `Point`, `Pid<M>`, `()`), a function, a tuple, a type variable, or `dyn`.
// `dyn` is the checker's "don't know": it unifies with everything and binds nothing. It
// stands for whatever snowc cannot type with confidence (an unusual builtin, a method
// dispatched at run time, a type name it does not know), so that such code is never
// reported: a false error is worse than a missed one.
//
// Unification binds variables in place (union-find links) and keeps a trail, so a failed
// unification is undone completely and the message shows the types as they were.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace snowc {

enum class TK { var, dyn, con, fun, tuple };

struct Type {
  TK kind = TK::dyn;
  int id = 0;               // var: its number
  Type* link = nullptr;     // var: the type it was unified with
  std::string name;         // con: "Int", "List", "()", "Point", ...
  std::vector<Type*> args;  // con: type arguments; fun: parameters, then the result; tuple: items
};

/// A polymorphic type: `type` with `vars` quantified (a top-level function, an actor).
/// `bounds` are the `where T: Iface` clauses on quantified variables.
struct Scheme {
  std::vector<Type*> vars;
  Type* type = nullptr;
  std::vector<std::pair<Type*, std::string>> bounds;
};

enum class Unified { ok, mismatch, infinite };

class TypeStore {
 public:
  Type* var();
  Type* dyn();
  Type* con(const std::string& name, std::vector<Type*> args = {});
  Type* fun(std::vector<Type*> params, Type* result);
  Type* tuple(std::vector<Type*> items);
  Type* unit() { return con("()"); }

  /// Follows variable links: the representative of `t`.
  static Type* resolve(Type* t);
  /// True when `t` resolves to a constructor, function or tuple (not a variable, not dyn).
  static bool known(Type* t);
  /// True when the head of `t` is the constructor `name`.
  static bool is(Type* t, const std::string& name);

  /// Makes `a` and `b` equal. On failure nothing is changed. Two `Pid<M>` with message
  /// types that do not unify both become the untyped `Pid` (the reference lets any
  /// `Pid<M>` convert to `Pid`), which is never an error. With `pid_int`, a `Pid` also
  /// meets an `Int` without complaint: an argument may be a raw process identifier or
  /// the null pid `0` (snow.md#decisions, snow.md#send-and-self).
  Unified unify(Type* a, Type* b, bool pid_int = false);
  /// Undo points: `undo(mark())` reverts every binding made after `mark()`.
  std::size_t mark() const { return trail_.size(); }
  void undo(std::size_t mark) { rollback(mark); }

  /// `t` with every variable of `vars` replaced by a fresh one (and fresh nodes for every
  /// constructor, so that widening a `Pid` never reaches another use).
  Type* instantiate(const Scheme& s, std::vector<std::pair<Type*, std::string>>* bounds = nullptr);
  /// A copy of `t` with the variables in `map` replaced.
  Type* substitute(Type* t, const std::map<Type*, Type*>& map);
  /// Quantifies the variables of `t` that are not in `fixed`.
  Scheme generalize(Type* t, const std::set<Type*>& fixed);
  void free_vars(Type* t, std::set<Type*>& out);

  /// How Snow writes `t`: `List<Int>`, `(Int, String)`, `Fun(Int) -> Bool`, `Pid`; an
  /// unknown part is `_`.
  std::string show(Type* t) const;

 private:
  Unified unify_inner(Type* a, Type* b);
  bool occurs(Type* v, Type* t);
  void rollback(std::size_t mark);

  std::vector<std::unique_ptr<Type>> arena_;
  std::vector<Type*> trail_;
  int next_var_ = 0;
  bool pid_int_ = false;
};

/// Resolves a named type in an annotation: `name` with `args` (`has_args` false when no
/// `<...>` was written); null when the name is unknown (the annotation part becomes dyn).
using TypeNameLookup = std::function<Type*(const std::string& name, std::vector<Type*> args, bool has_args)>;

/// Reads a type annotation as the parser kept it (`Map<String,List<Int>>`, `Int?`,
/// `Int!String`, `Fun(Int)->Bool`, `(Int,String)`). Built-in names are known; others go
/// to `lookup`. Anything it cannot read is dyn, never an error.
Type* parse_type(TypeStore& store, const std::string& text, const TypeNameLookup& lookup);

}  // namespace snowc
