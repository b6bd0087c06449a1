// dsl/resolve.hpp: names across the modules of a program (snow.md#visibility, snow.md#imports).
//
// The later passes (checks, types, emitter) see one Program and look top-level items up by
// name, so every module-level name is made program-wide here: an item of module
// `Geo.Vector` called `dot` becomes `Geo.Vector.dot` (its key), both where it is defined
// and everywhere it is used — through the module's own scope, `from Geo.Vector import
// dot`, or `Vector.dot` after `import Geo.Vector`. The entry module's items keep their
// names, so a program's `main`, its actors' remote-spawn names and its diagnostics are
// the same as in a single-file program. Locals shadow top-level names as in the checker.
//
// Reported here: a name not found in an imported module (E0034), a private item used from
// another module (E0035: "item is private; add `pub`"), a from-imported name that the
// importing module also defines (E0004). Anything else unresolved is left as written for
// the checker (an unbound name, an unknown module qualifier).
//
// Patterns: whether a bare capitalised name (`Red`, `Other`) is a variant or binds like a
// variable is decided here, once, with the scope in view (a variant of another module is
// one only where it is imported), and recorded in Pat::binds for every later pass. A
// single-file program goes through resolution for this alone.
//
// Import items are consumed, except the entry module's imports of standard modules, which
// the checker binds as in a single-file program; another module's `from String import
// length` makes its `length` the builtin `String.length` directly.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "modules.hpp"

namespace snowc {

/// `modules`: as dsl/modules.cc loads them, dependencies first, the entry module last.
void resolve_names(std::vector<Module>& modules, Diagnostics& diags);
/// Appends the names `p` binds, in the order they are written: variables, `as` names and
/// bare capitalised names that bind (Pat::binds, so after resolution); the alternatives
/// of an or-pattern bind the same names (checked), so only the first is read.
void bound_names(const Pat& p, std::vector<std::string>& out);

/// The local names of nested scopes (blocks, clauses, arms), innermost last: what a
/// pass that walks bodies needs to tell a local from a top-level name.
class LocalScopes {
 public:
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void add(const std::string& n) { scopes_.back().insert(n); }
  bool has(const std::string& n) const {
    for (const auto& s : scopes_) {
      if (s.count(n)) return true;
    }
    return false;
  }

 private:
  std::vector<std::set<std::string>> scopes_;
};

/// A single-file program: its names are already program-wide, and resolution only
/// settles what its patterns' bare capitalised names are (Pat::binds).
void resolve_names(Program& program, Diagnostics& diags);

}  // namespace snowc
