// dsl/emit_internal.hpp: the emitter's shared state and the list of what emits what, for
// the files that emit the constructs (not part of snowc's interface: emitter.hpp is).
//
// One Emitter object walks the checked program; its member functions are defined in the
// file of the construct they emit:
//   emitter.cc          the translation unit: types, declarations, items, names, #line
//   emit_functions.cc   functions, clauses, blocks, statements, if and case, tail calls
//   emit_expressions.cc expressions, operators, loops, closures
//   emit_calls.cc       calls: functions, builtins, methods, constructors, default()
//   emit_patterns.cc    pattern tests and bindings
//   emit_processes.cc   actors, receive, spawn
//   emit_services.cc    services and their calls, supervisors
// Which functions are plain C++ rather than coroutines is decided before emission, by
// dsl/may_wait.hpp.
#pragma once

#include "emitter.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "may_wait.hpp"
#include "parser.hpp"
#include "stdlib.hpp"

namespace snowc::emit {

// ---- C++ names ----
//
// Every Snow name becomes a C++ name that ends in `_`: `total` is `total_`, `tally` is
// `tally_`. The generated code's own names never end in `_` (lambda and parameter names
// such as `m`, `self`, `token`, temporaries `_t3`, the namespace `sl`), nor do C++
// keywords, the namespaces the code refers to or the C library's macros, so no Snow name
// can capture or shadow them, whatever it is. Names the emitter derives from an item end
// in a word of their own (`Point_type`, `tally_terminate`, `Bank_service`,
// `describe_method`; see `derived`), so they meet neither each other nor a Snow name.
// A suffix (not a prefix the lexer would refuse) keeps every Snow program valid and
// leaves the C++ names, and so debugger views and stack traces, reading as the Snow ones.

/// A name segment in C++ characters: itself when ASCII, else `0u` and the bytes in hex
/// (`_` written `__`, a byte `_hh`), which no Snow identifier can spell (it starts with a
/// digit) and which reads back unambiguously.
inline std::string cpp_segment(const std::string& seg) {
  if (std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return c < 0x80; })) return seg;
  static const char* const hex = "0123456789abcdef";
  std::string out = "0u";
  for (unsigned char c : seg) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else if (c == '_') {
      out += "__";
    } else {
      out += '_';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The C++ name of an item of a module other than the entry one: its key (`Geo.Vector.dot`,
/// dsl/resolve.hpp) with each segment length-prefixed, `_3Geo6Vector3dot_`. It starts
/// with `_` and a non-zero digit, which no entry-module name does (cpp_ident below), and
/// the lengths keep `A.BC` and `AB.C` apart, so items of different modules, or of a module
/// and the entry module, never share a C++ name.
inline std::string cpp_module_ident(const std::string& key) {
  std::string out = "_";
  std::size_t b = 0;
  for (;;) {
    const std::size_t dot = key.find('.', b);
    const std::string seg = cpp_segment(key.substr(b, dot == std::string::npos ? std::string::npos : dot - b));
    out += std::to_string(seg.size()) + seg;
    if (dot == std::string::npos) break;
    b = dot + 1;
  }
  return out + "_";
}

/// The C++ name of a Snow name: the name and `_`. A name that starts with `_` and a digit
/// gets `_0` in place of its `_` (`_3d` is `_03d_`), and a non-ASCII one is `_` and its
/// cpp_segment (`_0u...`), so neither can look like a module item's name.
inline std::string cpp_ident(const std::string& n) {
  if (n.find('.') != std::string::npos) return cpp_module_ident(n);
  const std::string seg = cpp_segment(n);
  if (seg != n) return "_" + seg + "_";
  if (n.size() > 1 && n[0] == '_' && std::isdigit(static_cast<unsigned char>(n[1]))) return "_0" + n.substr(1) + "_";
  return n + "_";
}

/// A name the emitter derives from a Snow item: its C++ name followed by a word saying
/// what it is (`type`, `terminate`, `spawn`, `init`, `service`, `method`). No word is the
/// end of another, so a derived name is never a Snow name's (those end in `_`), nor
/// another item's derived name.
/// The C++ `bool` of a Snow condition `c` (an emitted Value expression). A comparison
/// tests its operands directly (`sl::lt_b(a, b)`, not a Bool Value made then tested), and
/// `sl::B(x)` is x; anything else is `sl::truth(c)` (snow.md#truthiness: Bool or an error).
std::string condition(const std::string& c);

inline std::string derived(const std::string& snow, const char* what) { return cpp_ident(snow) + what; }

/// How a program shows an item: `Circle` for the variant `Shapes.Circle` of module Shapes.
inline std::string shown_name(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

inline std::string cpp_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '?': out += "\\?"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

inline std::string str_value(const std::string& s) {
  if (s.find('\0') != std::string::npos) {
    return "sl::S(std::string(" + cpp_string(s) + ", " + std::to_string(s.size()) + "))";
  }
  return "sl::S(" + cpp_string(s) + ")";
}

inline std::string int_value(std::int64_t v) {
  if (v == INT64_MIN) return "sl::I(INT64_MIN)";
  return "sl::I(" + std::to_string(v) + ")";
}

inline std::string float_literal(double d) {
  if (std::isinf(d)) return d > 0 ? "HUGE_VAL" : "-HUGE_VAL";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

/// A buffer of C++ statements at some indentation.
struct Out {
  /// --debug: the `#line` directive of the Snow code being emitted, written before every
  /// line. A directive numbers the lines after it consecutively, so with one per
  /// statement the second C++ line of a statement (a call's `co_await` after the
  /// evaluation of its arguments) was debug information for the next .snow line, and the
  /// caller's frame in a backtrace showed the wrong line.
  static inline const std::string* debug_where = nullptr;
  std::string text;
  int indent = 1;
  bool located = true;  // false: declarations and C++ main, which are at no .snow line
  void line(const std::string& s) {
    if (located && debug_where != nullptr && !debug_where->empty()) {
      text += *debug_where;
      text += '\n';
    }
    text.append(static_cast<std::size_t>(indent) * 2, ' ');
    text += s;
    text += '\n';
  }
  void raw(const std::string& s) { text += s + "\n"; }
};

/// Where the value of an expression goes.
struct Dest {
  enum Kind { discard, assign, ret } kind = discard;
  std::string var;   // assign
  bool tail = false; // a self-call here may loop
};

/// What the code being emitted belongs to.
struct FnCtx {
  std::string snow_name;            // for self tail calls ("" in closures)
  bool actor = false;
  bool sync = false;                // a context that cannot suspend (guards, handlers' sync wrappers)
  bool in_lambda = false;           // a closure or guard (return means return from it)
  bool plain = false;               // a plain (non-coroutine) function (dsl/may_wait.hpp)
  std::vector<std::string> params;  // C++ names to rebind on a self tail call
  bool looped = false;              // a self tail call was emitted
  // A receive without `after` runs on every path from the function's start to here. It
  // is a preemption point of its own (it spends the process's budget or suspends), so a
  // self tail call after it needs no tick.
  bool received = false;
};

class Emitter {
 public:
  Emitter(const Program& p, const Symbols& s, const TypeTable& t, Diagnostics& d, const EmitOptions& options)
      : p_(p), s_(s), inferred_(t), d_(&d), debug_(options.debug), source_dir_(options.source_dir) {}

  std::string run();

 private:
  // ---- names ----
  std::string fn_name(const std::string& snow) const { return cpp_ident(snow); }
  std::string type_var(const std::string& type) const;
  std::string fresh(const std::string& base);
  std::string declare(const std::string& snow);
  std::string reserve(const std::string& snow);
  const std::string* lookup(const std::string& snow) const;
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }

  std::size_t file_of(const Span& sp) const;
  std::string line_directive(const Span& sp) const;
  void debug_at(const Span& sp);
  void at(const Span& sp);
  std::string aw(const std::string& call);
  static bool derives(const std::optional<std::vector<std::pair<std::string, Span>>>& d, const char* name, bool dflt);
  void emit_types();
  std::string params_decl(std::size_t n, const std::vector<std::string>& names, bool plain = false);
  void emit_declarations();
  std::string actor_params_decl(std::size_t n, const std::vector<std::string>& names);
  std::string impl_fn(const ImplDef& im, const std::string& method);
  /// `Describe_shout_default`: the default body of the interface method `shout`.
  std::string default_fn(const std::string& iface, const std::string& method) { return composite({iface, method}, "default"); }
  std::string handler_fn(const std::string& service, const std::string& handler);
  std::string composite(const std::vector<std::string>& parts, const char* what);
  void begin_item();
  void emit_item(const Item& it);
  static bool simple_params(const FnDef& f);
  void emit_fn(const FnGroup& g, const std::string& cpp_name, bool self_calls = true);
  FnCtx fn_body(const FnGroup& g, bool self_calls, bool plain, Out& body);
  static std::string dedent(const std::string& text);
  void emit_clauses(const FnGroup& g, const std::vector<std::string>& params);
  void emit_actor(const ActorDef& a);
  void emit_service(const ServiceDef& sv);
  void emit_supervisor(const SupervisorDef& sd);
  void emit_dispatchers();
  void block(const Block& b, const Dest& d);
  void emit_return(const Expr* e);
  void finish(const std::string& v, const Dest& d);
  void into(const Expr& e, const Dest& d);
  bool is_self_call(const Expr& e) const;
  void emit_self_tail_call(const Expr& e);
  void emit_if(const Expr& e, const Dest& d);
  std::string named(const std::string& v, const char* base);
  bool lookup_cpp(const std::string& v) const;
  void emit_case(const Expr& e, const Dest& d);

  /// Which message type a receive arm's pattern takes.
  enum class MsgKind { value, exit, down, node_up, node_down, any };
  MsgKind arm_kind(const Pat& p) const;
  void emit_receive(const Expr& e, const Dest& d);
  bool is_variant_pat(const Pat& p) const;
  std::string pat_test(const Pat& p, const std::string& v);
  void pattern_names(const Pat& p, std::vector<std::string>& out) const;
  void pat_bind(const Pat& p, const std::string& v, bool assign);
  std::string arm_result_name(const Arm& a, const Dest& d) const;
  void arm_value(const Arm& a, const std::string& moved, const Dest& d);

  // ---- expressions ----

  std::string temp(const std::string& value, const char* base = "t");
  std::string taken(const std::string& v) const;  // `std::move(v)` for a single-use temporary, else v
  std::string args_list(const std::vector<std::string>& a);
  std::vector<std::string> eval_args(const std::vector<ExprP>& kids, std::size_t from);
  std::string ex(const Expr& e);
  void tick();
  std::string string_expr(const Expr& e);
  std::string ident(const Expr& e);
  std::string fn_value(const std::string& name, int arity);
  std::string ctor_value(const std::string& name, const VariantInfo& v);
  std::string builtin_value(const Builtin& b);
  std::string binary(const Expr& e);
  std::string field(const Expr& e);
  std::string terminate_of(const std::string& actor) const;
  std::string spawn(const Expr& e);
  std::string call(const Expr& e, bool& effect);
  std::string default_value(const Expr& call);
  std::string construct(const std::string& what, const std::string& head, const std::vector<std::string>& fields);
  std::string builtin_call(const Builtin& b, const Expr& e, std::size_t from, bool& effect);
  std::string service_call(const std::string& svc, const std::string& member, const Expr& e);
  std::string for_loop(const Expr& e);
  std::string closure(const Expr& e);
  std::string closure_value(const std::string& name, std::size_t arity, Span sp, const FnGroup* g, const std::string& self_name);
  const Program& p_;
  const Symbols& s_;
  const TypeTable& inferred_;  // the type checker's types, for `default()`
  Diagnostics* d_;
  bool debug_;       // --debug: a `#line` before every line (Out::debug_where)
  std::string source_dir_;  // --debug: where the .snow files are (EmitOptions)
  std::string where_;  // --debug: the current `#line` directive
  std::set<std::string> plain_;  // top-level functions emitted as plain C++ functions
  Out types_, decls_, defs_, hooks_;
  Out* out_ = nullptr;
  FnCtx fn_;
  std::vector<std::map<std::string, std::string>> scopes_;
  std::set<std::string> used_;
  std::string moved_binding_;  // a pattern name that is its arm's value (arm_result_name)
  std::string moved_into_;     // ... and the variable pat_bind assigns it to (else declared non-const)
  std::set<std::string> single_use_;  // temporaries the emitter reads once: a `let` may move them
  std::map<std::pair<std::vector<std::string>, std::string>, std::string> composite_names_;
  std::set<std::string> composite_taken_;
  int counter_ = 0;
};

}  // namespace snowc::emit
