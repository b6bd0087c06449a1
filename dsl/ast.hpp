// dsl/ast.hpp: the syntax tree snowc's parser builds and its checks and emitter walk.
//
// Expressions, patterns and statements are each one struct with a kind tag, not a class
// hierarchy: Snow's expression forms are many and small, and the emitter switches over
// them in one place. Top-level items are separate structs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "diagnostics.hpp"

namespace snowc {

struct Expr;
struct Pat;
struct Stmt;
struct FnDef;
using ExprP = std::shared_ptr<Expr>;
using PatP = std::shared_ptr<Pat>;
using StmtP = std::shared_ptr<Stmt>;
using FnDefP = std::shared_ptr<FnDef>;
using Block = std::vector<StmtP>;

/// A type annotation, kept as written (the emitter does not need types; checks may).
struct TypeRef {
  std::string text;
  Span span;
};

enum class PK { wild, var, int_lit, float_lit, str_lit, bool_lit, unit, tuple, ctor, cons, alt, as };

struct Pat {
  PK kind = PK::wild;
  Span span;
  std::string name;       // var name; constructor name; `as` name
  std::string qualifier;  // `Shape` in Shape.Circle(r)
  bool has_args = false;  // Circle(...) rather than Circle
  /// PK::ctor: a bare capitalised name (no qualifier, no arguments) that names no variant
  /// in scope, so it binds like a variable (snow.md#patterns). Settled once, by name
  /// resolution (dsl/resolve.cc); every later pass reads it instead of deciding again.
  bool binds = false;
  std::int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::string str_value;
  std::vector<PatP> kids;  // tuple items, ctor args, cons head/tail, alternatives, as-inner
  std::optional<TypeRef> type;  // `name :: Type` in parameters
};

enum class EK {
  int_lit, float_lit, str, bool_lit, unit, ident, tuple, list, map, binary, unary, call, field, index, try_,
  struct_lit, if_, case_, receive, closure, while_, for_, break_, continue_, spawn, send, link, self_pid,
};

struct Arm {
  PatP pat;
  ExprP guard;
  ExprP body;
  Span span;
};

/// One clause of a closure: parameters, optional guard, body.
struct Clause {
  std::vector<PatP> params;
  ExprP guard;
  Block body;
  Span span;
};

struct StrPiece {
  bool is_expr = false;
  std::string text;
  ExprP expr;
};

struct Expr {
  EK kind = EK::unit;
  Span span;
  std::string name;  // identifier; operator; field/member name
  std::int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::vector<StrPiece> pieces;   // strings
  std::vector<ExprP> kids;        // operands, call callee + args, elements, map k,v,k,v..., spawn args
  std::vector<std::pair<std::string, ExprP>> fields;  // struct literal
  std::string qualifier;          // struct literal `Geometry.Point { ... }`: "Geometry"
  std::vector<Span> field_spans;
  Block then_block, else_block;   // if (else_block may hold a single `if` expression statement)
  bool has_else = false;
  std::vector<Arm> arms;          // case / receive
  ExprP after_ms, after_body;     // receive ... after
  std::vector<Clause> clauses;    // closure
  bool arrow_block = false;       // closure written `fn -> block end`
  PatP loop_var;                  // for x in ...
  std::string key_var, value_var; // for {k, v} in ...
  Span key_span, value_span;
  Block body;                     // while / for
  ExprP cond;                     // while cond; for filter
  ExprP iter;                     // for source
};

enum class SK { let, ret, expr, fn };

struct Stmt {
  SK kind = SK::expr;
  Span span;
  PatP pat;                      // let
  std::optional<TypeRef> type;   // let x :: T
  ExprP expr;                    // let value, return value (may be null), expression
  FnDefP fn;                     // local function definition
};

struct Param {
  PatP pat;
};

struct FnDef {
  std::string name;
  Span span, name_span;
  bool pub = false;
  std::vector<std::string> generics;  // fn first<T>(...)
  std::vector<std::pair<std::string, std::string>> bounds;  // where T: Display
  std::vector<PatP> params;
  std::optional<TypeRef> ret;
  ExprP guard;
  Block body;
  bool has_annotations = false;
};

/// Consecutive clauses of one function.
struct FnGroup {
  std::string name;
  Span span;
  int arity = 0;
  std::vector<FnDefP> clauses;
};

struct Variant {
  std::string name;
  Span span;
  int arity = 0;
  std::vector<std::string> field_names;
  std::vector<TypeRef> field_types;
};

struct StructDef {
  std::string name;
  Span span;
  std::vector<std::string> generics;
  std::vector<std::string> fields;
  std::vector<TypeRef> field_types;
  std::vector<Span> field_spans;
  std::optional<std::vector<std::pair<std::string, Span>>> deriving;
};

struct SumDef {
  std::string name;
  Span span;
  std::vector<std::string> generics;
  std::vector<Variant> variants;
  std::optional<std::vector<std::pair<std::string, Span>>> deriving;
};

/// `type Name<T> = Type`.
struct AliasDef {
  std::string name;
  Span span;
  std::vector<std::string> generics;
  TypeRef target;
};

struct InterfaceMethod {
  std::string name;
  Span span;
  int arity = 0;       // including self
  std::optional<TypeRef> ret;  // the declared result type, if any
  FnDefP default_body;  // null when required
};

struct InterfaceDef {
  std::string name;
  Span span;
  std::vector<InterfaceMethod> methods;
};

struct ImplDef {
  std::string iface;
  std::string type;
  Span span;
  std::vector<FnDefP> methods;
};

struct ActorDef {
  std::string name;
  Span span;
  std::vector<PatP> params;
  Block body;
  std::optional<Block> terminate;
  Span terminate_span;
};

struct Handler {
  bool is_call = true;
  std::string name;  // variant name, e.g. GetCount
  Span span;
  std::vector<PatP> params;
  std::optional<TypeRef> reply;  // call Name(...) :: Reply
  std::string state_name;  // empty: state not bound
  Block body;
};

struct ServiceDef {
  std::string name;
  Span span;
  FnDefP init;
  std::vector<Handler> handlers;
};

struct ChildDef {
  std::string id;
  Span span;
  ExprP start;
  Span start_span;
  std::string restart = "permanent";
  Span restart_span;
  std::int64_t shutdown_ms = 5000;
  bool brutal_kill = false;
  std::string shutdown_text;  // as written, for diagnostics
  Span shutdown_span;
  bool shutdown_ok = true;
};

struct SupervisorDef {
  std::string name;
  Span span;
  std::string strategy = "one_for_one";
  Span strategy_span;
  std::int64_t max_restarts = 3;
  std::int64_t max_seconds = 5;
  std::vector<ChildDef> children;
};

struct ImportDef {
  std::vector<std::string> path;
  std::vector<std::pair<std::string, Span>> names;  // from M import a, b
  bool from = false;
  Span span;
  Span path_span;  // the module path, `Geo.Vector`
};

/// One top-level item, in source order (declaration order matters, snow.md#declaration-order).
struct Item {
  enum Kind { fn, struct_, sum, alias, interface, impl, actor, service, supervisor, import, stmt } kind;
  std::shared_ptr<FnGroup> fn_group;
  std::shared_ptr<StructDef> struct_def;
  std::shared_ptr<SumDef> sum_def;
  std::shared_ptr<AliasDef> alias_def;
  std::shared_ptr<InterfaceDef> interface_def;
  std::shared_ptr<ImplDef> impl_def;
  std::shared_ptr<ActorDef> actor_def;
  std::shared_ptr<ServiceDef> service_def;
  std::shared_ptr<SupervisorDef> supervisor_def;
  std::shared_ptr<ImportDef> import_def;
  StmtP statement;
  Span span;
  bool pub = false;  // `pub` (snow.md#visibility); for a function, its first clause's
};

struct Program {
  std::string file;  // the entry module's file, as shown in diagnostics and #line
  /// Every source file by Span::file (files[0] is `file`); modules are in dsl/modules.hpp.
  std::vector<std::string> files;
  std::vector<Item> items;
  /// Names that items dropped by a syntax error would have defined (see parser.hpp): the
  /// checker does not call them unbound, since the error already explains their absence.
  std::set<std::string> lost_names;
};

}  // namespace snowc
