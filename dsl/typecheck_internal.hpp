// dsl/typecheck_internal.hpp: the type checker's shared state, for the files that infer
// the types of each kind of construct (not part of snowc's interface: typecheck.hpp is).
//
// One Inferrer walks the checked program; its member functions are defined in:
//   typecheck.cc        declarations' types, interfaces a type lacks, deferred checks,
//                       scopes, reporting
//   type_items.cc       functions, actors, services, impls, patterns, blocks, branches,
//                       an actor's mailbox type
//   type_expressions.cc expressions: names, operators, fields, loops, closures, `?`
//   type_calls.cc       calls: functions, builtins, methods, services, spawn, send_after
#pragma once

#include "typecheck.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "parser.hpp"
#include "stdlib.hpp"

namespace snowc::inference {

/// The methods the runtime dispatches on a value of a standard type (snow/lang/methods.hpp):
/// `s.length()` is `String.length(s)`, `xs.join(sep)` is `String.join(xs, sep)`.
inline const std::map<std::string, std::set<std::string>>& std_methods() {
  static const auto* m = new std::map<std::string, std::set<std::string>>{
      {"String", {"length", "slice", "contains", "starts_with", "ends_with", "trim", "to_upper", "to_lower", "replace",
                  "split", "to_int", "to_float"}},
      {"List", {"length", "append", "head", "tail", "last", "get", "nth", "concat", "reverse", "contains", "zip",
                "flatten", "enumerate", "take", "drop", "join", "map", "filter", "reduce", "find", "any", "all",
                "flat_map", "sort"}},
      {"Map", {"put", "get", "has_key", "delete", "size", "keys", "values", "merge", "to_list"}},
      {"Set", {"add", "remove", "contains", "size", "union", "intersection", "difference", "to_list"}},
      {"Range", {"to_list", "length", "map", "filter"}},
  };
  return *m;
}

inline bool is_notification(const std::string& n) { return n == "Exit" || n == "Down" || n == "NodeUp" || n == "NodeDown"; }

struct StructInfo {
  const StructDef* def = nullptr;
  std::vector<Type*> params;
  std::map<std::string, Type*> fields;
};

struct SumInfo {
  const SumDef* def = nullptr;  // null for Option, Result, Ordering, ExitReason
  std::vector<Type*> params;
};

struct VariantInfoT {
  std::string sum;
  std::vector<Type*> fields;
};

struct HandlerT {
  bool is_call = true;
  std::vector<Type*> params;
  Type* reply = nullptr;
};

struct ServiceT {
  std::vector<Type*> init_params;
  std::map<std::string, HandlerT> api;
};

/// What the code being inferred runs in.
struct Ctx {
  Type* ret = nullptr;     // what `return` gives and what `?` may return early; null: unchecked
  bool check_try = false;  // `?` constrains `ret` (a function or closure, not `main` or an actor)
  Type* msg = nullptr;     // the mailbox type of the running process; null: not known here
  std::string actor;       // the actor whose body this is (for self-calls)
  std::vector<Type*> actor_params;
};

/// A check that needs the final type of a subexpression, done at the end of the item.
struct Deferred {
  enum Kind { numeric, eq, ord, bound } kind;
  Type* type;
  Span span;
  std::string what;  // the operator, or the bound's function
  std::string iface;
};

using Scope = std::map<std::string, Scheme>;

class Inferrer {
 public:
  Inferrer(const Program& p, const Symbols& s, Diagnostics& d, TypeTable& table)
      : p_(p), s_(s), d_(d), table_(table), ts_(*table.store) {}

  void run();

 private:
  void error(const std::string& code, Span sp, const std::string& msg, const std::string& hint = "");
  std::string q(Type* t) { return "`" + ts_.show(t) + "`"; }

  bool expect(Type* expected, Type* found, Span sp, const std::string& hint = "", const char* code = "E0001",
              bool pid_int = false);
  void builtin_types();
  TypeNameLookup lookup();
  Type* annotation(const TypeRef& r) { return parse_type(ts_, r.text, lookup()); }

  void declare_type(const Item& it);
  void read_field_types();
  Type* instantiate_variant(const std::string& variant, std::vector<Type*>& fields);
  bool known_variant(const std::string& n) const;
  bool user_type(const std::string& n) const;
  bool lacks(Type* t, const std::string& iface);
  void run_deferred();

  // ---- scopes ----
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void bind(const std::string& n, Type* t) { scopes_.back()[n] = Scheme{{}, t, {}}; }
  const Scheme* local(const std::string& n) const;
  std::set<Type*> env_vars();
  void infer_item(const Item& it);
  void check_impl_result(const ImplDef& im, const FnDef& m, const Scheme& sc, Type* self_t);
  static Span last_span(const Block& b, Span fallback);
  Scheme infer_fn(const std::string& name, const std::vector<FnDefP>& clauses, bool top, Type* self_t = nullptr,
                  bool bind_local = false);
  void infer_actor(const ActorDef& a);
  void infer_service(const ServiceDef& sv);
  void infer_pat(const Pat& p, Type* t, bool use_annotation);
  Type* block(const Block& b, bool used);
  void guard(const Expr& g);
  void condition(const Expr& c) { expect(ts_.con("Bool"), infer(c), c.span, "a condition is a `Bool` (there is no truthiness)"); }

  std::string branch_hint(Type* a, Type* b) const;
  void branch(Type*& result, Type* t, Span sp);
  Type* common(const std::vector<const Expr*>& items);
  static void receives(const Block& b, std::vector<const Expr*>& out);
  static void receives(const Expr& e, std::vector<const Expr*>& out);
  Type* mailbox(const Block& body);
  Type* infer(const Expr& e, bool used = true, Type* hint = nullptr);
  Type* builtin_type(const Builtin& b);
  Type* apply(Type* f, const Expr& e, std::size_t from, const std::string& callee, Span callee_span,
              std::vector<std::pair<Type*, Span>> pre = {});
  void infer_args(const Expr& e, std::size_t from);
  Type* instantiate_fn(const Scheme& sc, Span sp, const std::string& name);
  Type* spawn(const Expr& target, const Expr& e, std::size_t from);
  Type* call(const Expr& e);
  Type* method_call(const Expr& e);
  Type* service_call(const std::string& svc, const std::string& member, const Expr& e);
  Type* message_type(Type* pid);
  Type* send_after(const Expr& e);
  Type* field(const Expr& e);
  Type* binary(const Expr& e);
  Type* ident(const Expr& e);
  Type* for_loop(const Expr& e, bool used);
  Type* closure(const Expr& e, Type* hint);
  Type* try_op(const Expr& e);
  Type* infer_inner(const Expr& e, bool used, Type* hint);
  const Program& p_;
  const Symbols& s_;
  Diagnostics& d_;
  TypeTable& table_;
  TypeStore& ts_;
  std::map<std::string, StructInfo> structs_;
  std::map<std::string, SumInfo> sums_;
  std::map<std::string, VariantInfoT> variants_;
  std::map<std::string, const AliasDef*> aliases_;
  std::set<std::pair<std::string, std::string>> impls_;  // (interface, type name)
  std::map<std::string, Scheme> fns_;
  std::map<std::string, Scheme> actors_;
  std::map<std::string, ServiceT> services_;
  std::vector<const Item*> pending_types_;
  int alias_depth_ = 0;
  std::vector<Scope> scopes_;
  std::vector<std::map<std::string, Type*>> generics_;
  Ctx ctx_;
  std::vector<Deferred> deferred_;
  std::set<std::pair<int, std::string>> reported_;
  bool quiet_ = false;  // inferring in a sandbox: report nothing
};

}  // namespace snowc::inference
