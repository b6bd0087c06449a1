// dsl/checks_internal.hpp: the checker's shared state, for the files that check each
// part of a program (not part of snowc's interface: checks.hpp is).
//
// One Checker walks the program in declaration order; its member functions are defined in:
//   checks.cc           declarations and the symbol tables, deriving, impls, function
//                       clauses, supervisors
//   check_bodies.cc     names in scope, patterns, blocks, calls and their arities,
//                       spawn targets, guards, every expression
//   check_exhaustive.cc exhaustiveness of `case` and of function clauses, at every depth
#pragma once

#include "checks.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "parser.hpp"
#include "stdlib.hpp"

namespace snowc::checking {

/// Edit distance, for "did you mean" hints.
inline int distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

class Checker {
 public:
  Checker(const Program& p, Diagnostics& d) : p_(p), d_(d) {}

  Symbols run();

 private:
  void builtin_variants();
  bool name_taken(const std::string& n) const;
  void declare_and_check(const Item& it);
  void check_deriving(const std::optional<std::vector<std::pair<std::string, Span>>>& d);
  void check_ambiguous_methods(const ImplDef& im, const InterfaceDef* iface);
  /// (type, method name) -> the interface whose impl first supplied it.
  std::map<std::pair<std::string, std::string>, std::string> method_suppliers_;
  static bool catch_all(const Pat& p);
  void check_impl_arities(const ImplDef& im, const InterfaceDef* iface);
  void check_fn_group(const FnGroup& g, bool top_level);
  void check_clauses_exhaustive(const FnGroup& g);
  bool catch_all_param(const Pat& p) const;
  void check_supervisor(const std::shared_ptr<SupervisorDef>& sd);
  static bool contains_spawn(const Expr& e);

  // ---- scopes ----
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void bind(const std::string& n);
  bool is_local(const std::string& n) const;
  bool gave_up_ = false;  // exhaustiveness: a column that cannot be analysed
  long steps_ = 0;
  void pattern_names(const Pat& p, std::set<std::string>& out);
  void check_pattern(const Pat& p);
  void bind_pattern(const Pat& p);
  std::string hint_for(const std::string& name, bool variants_only = false) const;
  void check_block(const Block& b);
  void check_args(const std::vector<ExprP>& kids, std::size_t from);
  void arity(Span sp, const std::string& what, int expected, std::size_t found);

  /// A name that an item dropped by a syntax error would have defined (parser.hpp).
  bool lost(const std::string& name) const { return p_.lost_names.count(name) > 0; }

  void unbound(const Expr& e);
  void check_call(const Expr& e);
  void check_spawn_target(const Expr& target, std::size_t nargs);
  void check_guard_restricted(const Expr& g);

  // ---- exhaustiveness (snow.md#case, snow.md#patterns) ----
  //
  // The usefulness algorithm over a pattern matrix (one row per unguarded arm, one column
  // per value still to be matched): a value no row matches is built one constructor at a
  // time, so what is missing is reported as an example pattern at any depth
  // (`Some(B)`, `(_, false)`, `_ :: []`). Constructors are the variants of a sum type,
  // tuples of one size, lists as `[]` and `::`, `true`/`false` and `()`; int, float and
  // string literals never cover their type. A column whose patterns disagree about their
  // type (a type error, reported later) or name an unknown variant is not analysed: the
  // check reports only what is certainly missing.

  /// A pattern's outermost constructor.
  struct Head {
    enum Kind { variant, tuple, cons, nil, boolean, unit, literal } kind;
    std::string name;    // variant name; literal key
    std::string family;  // which type: constructors of one family are checked together
    int arity = 0;
  };
  using Row = std::vector<const Pat*>;  // nullptr: a wildcard
  using Witness = std::vector<std::string>;
  static constexpr std::size_t kMaxMissing = 4;
  const Pat* strip(const Pat* p) const;
  std::optional<Head> head_of(const Pat& p) const;
  std::vector<Head> all_heads(const std::string& family) const;
  static bool same_head(const Head& a, const Head& b) { return a.kind == b.kind && a.name == b.name && a.arity == b.arity; }

  static Witness compose(const Head& h, const Witness& w);
  std::vector<Row> expand_first(const std::vector<Row>& rows) const;
  std::vector<Witness> missing(const std::vector<Row>& in, std::size_t cap);
  std::vector<Witness> rest_missing(const std::vector<Row>& rows, std::size_t width, std::size_t cap);
  void check_exhaustive(const Expr& e);
  void check_expr(const Expr& e);
  const Program& p_;
  Diagnostics& d_;
  Symbols s_;
  std::vector<std::set<std::string>> scopes_;
  std::set<std::string> imported_;
  std::set<std::string> all_top_level_;
  std::string current_actor_;
  std::string last_fn_;
  int loop_depth_ = 0;
  int in_closure_ = 0;
};

}  // namespace snowc::checking
