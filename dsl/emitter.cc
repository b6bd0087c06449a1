// dsl/emitter.cc: the C++ emitter (see emitter.hpp).
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

namespace snowc {

namespace {

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
std::string cpp_segment(const std::string& seg) {
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
std::string cpp_module_ident(const std::string& key) {
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
std::string cpp_ident(const std::string& n) {
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
std::string derived(const std::string& snow, const char* what) { return cpp_ident(snow) + what; }

/// How a program shows an item: `Circle` for the variant `Shapes.Circle` of module Shapes.
std::string shown_name(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string cpp_string(const std::string& s) {
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

std::string str_value(const std::string& s) {
  if (s.find('\0') != std::string::npos) {
    return "sl::S(std::string(" + cpp_string(s) + ", " + std::to_string(s.size()) + "))";
  }
  return "sl::S(" + cpp_string(s) + ")";
}

std::string int_value(std::int64_t v) {
  if (v == INT64_MIN) return "sl::I(INT64_MIN)";
  return "sl::I(" + std::to_string(v) + ")";
}

std::string float_literal(double d) {
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

  std::string run() {
    Out::debug_where = debug_ ? &where_ : nullptr;
    struct Reset {
      ~Reset() { Out::debug_where = nullptr; }
    } reset;
    std::ostringstream o;
    o << "// Generated by snowc from " << p_.file << ". Do not edit: change the .snow file.\n";
    o << "#include \"snow/lang/lang.hpp\"\n\n";
    o << "namespace prog {\n\n";
    o << "namespace sl = snow::lang;\n";
    // The source files by number, for runtime errors: SNOW_AT(file, line) names a file
    // by its number (the entry module is 0, then the modules, dsl/modules.hpp).
    o << "static const char* const snow_files[] = {" << cpp_string(p_.file);
    for (std::size_t i = 1; i < p_.files.size(); ++i) o << ", " << cpp_string(p_.files[i]);
    o << "};\n\n";
    types_.indent = 0;
    decls_.indent = 0;
    hooks_.indent = 1;
    types_.located = decls_.located = hooks_.located = false;
    emit_types();
    o << types_.text << "\n";
    plain_ = plain_functions(p_, s_, inferred_);  // dsl/may_wait.hpp
    emit_declarations();
    o << decls_.text << "\n";
    for (const Item& it : p_.items) emit_item(it);
    emit_dispatchers();
    o << defs_.text;
    o << "}  // namespace prog\n\n";
    o << "int main() {\n";
    o << "  snow::lang::source_files = prog::snow_files;\n";
    o << hooks_.text;
    o << "  return snow::lang::run_program(&prog::main_);\n}\n";
    return o.str();
  }

 private:
  // ---- names ----
  std::string fn_name(const std::string& snow) const { return cpp_ident(snow); }
  std::string type_var(const std::string& type) const {
    if (type == "Option") return "sl::option_type";
    if (type == "Result") return "sl::result_type";
    if (type == "Ordering") return "sl::ordering_type";
    if (type == "ExitReason") return "sl::exit_reason_type";
    if (type == "Notification") return "sl::notification_type";
    return "prog::" + derived(type, "type");
  }

  std::string fresh(const std::string& base) {
    return "_" + base + std::to_string(++counter_);
  }
  /// A C++ name for a new Snow binding, unique within the current top-level item.
  std::string declare(const std::string& snow) {
    std::string base = cpp_ident(snow);
    std::string name = base;
    for (int n = 2; used_.count(name); ++n) name = base + std::to_string(n);  // `x_2`: ends in a digit, as only these do
    used_.insert(name);
    scopes_.back()[snow] = name;
    return name;
  }
  const std::string* lookup(const std::string& snow) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(snow);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }

  std::size_t file_of(const Span& sp) const {
    return sp.file > 0 && static_cast<std::size_t>(sp.file) < p_.files.size() ? static_cast<std::size_t>(sp.file) : 0;
  }
  std::string line_directive(const Span& sp) const {
    const std::size_t file = file_of(sp);
    const std::string& name = file == 0 ? p_.file : p_.files[file];
    return "#line " + std::to_string(sp.line) + " " + cpp_string(debug_ && !source_dir_.empty() ? source_dir_ + "/" + name : name);
  }
  /// --debug: what follows (a function's header, its entry) is at `sp`.
  void debug_at(const Span& sp) {
    if (debug_ && sp.line > 0) where_ = line_directive(sp);
  }

  void at(const Span& sp) {
    if (sp.line <= 0) return;
    if (debug_) {
      where_ = line_directive(sp);  // Out::line writes it before each line
    } else {
      out_->raw(line_directive(sp));
    }
    out_->line("SNOW_AT(" + std::to_string(file_of(sp)) + ", " + std::to_string(sp.line) + ");");
  }

  std::string aw(const std::string& call) {
    return fn_.sync ? "(" + call + ").run_sync()" : "co_await " + call;
  }

  // ---- types ----
  static bool derives(const std::optional<std::vector<std::pair<std::string, Span>>>& d, const char* name, bool dflt) {
    if (!d) return dflt;
    for (const auto& [n, _] : *d) {
      if (n == name) return true;
    }
    return false;
  }

  void emit_types() {
    for (const Item& it : p_.items) {
      if (it.kind == Item::struct_) {
        const auto& sd = *it.struct_def;
        std::string fields;
        for (const auto& f : sd.fields) fields += (fields.empty() ? "" : ", ") + cpp_string(f);
        types_.line("// struct " + sd.name);
        types_.line("inline sl::TypeInfo* const " + derived(sd.name, "type") + " = sl::make_struct(" + cpp_string(sd.name) +
                    ", {" + fields + "}, " + (derives(sd.deriving, "Display", false) ? "true" : "false") + ", " +
                    (derives(sd.deriving, "Debug", true) ? "true" : "false") + ");");
      } else if (it.kind == Item::sum) {
        const auto& sd = *it.sum_def;
        std::string names, arity;
        for (const auto& v : sd.variants) {
          names += (names.empty() ? "" : ", ") + cpp_string(shown_name(v.name));
          arity += (arity.empty() ? "" : ", ") + std::to_string(v.arity);
        }
        types_.line("// type " + sd.name);
        types_.line("inline sl::TypeInfo* const " + derived(sd.name, "type") + " = sl::make_sum_type(" +
                    cpp_string(sd.name) + ", {" + names + "}, {" + arity + "}, " +
                    (derives(sd.deriving, "Display", false) ? "true" : "false") + ", " +
                    (derives(sd.deriving, "Debug", true) ? "true" : "false") + ");");
      }
    }
  }

  /// A plain function takes its arguments by reference: it runs to completion inside its
  /// caller's statement, and never rebinds a parameter (it has no self tail call loop).
  /// A coroutine copies them into its frame.
  std::string params_decl(std::size_t n, const std::vector<std::string>& names, bool plain = false) {
    std::string s = "snow::Self self";
    const std::string type = plain ? ", const sl::Value& " : ", sl::Value ";
    for (std::size_t i = 0; i < n; ++i) s += type + (i < names.size() ? names[i] : "a" + std::to_string(i));
    return s;
  }

  void emit_declarations() {
    for (const Item& it : p_.items) {
      switch (it.kind) {
        case Item::fn:
          {
            const bool plain = plain_.count(it.fn_group->name) > 0;
            decls_.line((plain ? "sl::Value " : "sl::Co<sl::Value> ") + fn_name(it.fn_group->name) + "(" +
                        params_decl(static_cast<std::size_t>(it.fn_group->arity), {}, plain) + ");");
          }
          break;
        case Item::actor:
          decls_.line("snow::Proc " + cpp_ident(it.actor_def->name) + "(" +
                      actor_params_decl(it.actor_def->params.size(), {}) + ");");
          if (it.actor_def->terminate) decls_.line("void " + derived(it.actor_def->name, "terminate") + "(snow::Self self);");
          break;
        case Item::supervisor:
          decls_.line("sl::Co<sl::Value> " + derived(it.supervisor_def->name, "spawn") + "(snow::Self self);");
          break;
        case Item::service: {
          const auto& sv = *it.service_def;
          if (sv.init) decls_.line("sl::Co<sl::Value> " + derived(sv.name, "init") + "(" + params_decl(sv.init->params.size(), {}) + ");");
          for (const auto& h : sv.handlers) {
            decls_.line("sl::Co<sl::Value> " + handler_fn(sv.name, h.name) + "(" + params_decl(h.params.size() + 1, {}) + ");");
          }
          decls_.line("struct " + derived(sv.name, "service") + ";");
          break;
        }
        case Item::interface:
          for (const auto& m : it.interface_def->methods) {
            if (m.default_body) {
              decls_.line("sl::Co<sl::Value> " + default_fn(it.interface_def->name, m.name) + "(" +
                          params_decl(static_cast<std::size_t>(m.arity), {}) + ");");
            }
          }
          break;
        case Item::impl:
          for (const auto& m : it.impl_def->methods) {
            decls_.line("sl::Co<sl::Value> " + impl_fn(*it.impl_def, m->name) + "(" + params_decl(m->params.size(), {}) + ");");
          }
          break;
        default: break;
      }
    }
    for (const auto& [name, arity] : s_.methods) {
      if (arity == 0) continue;  // `default()`: chosen by type, not dispatched on a receiver
      decls_.line("sl::Co<sl::Value> " + derived(name, "method") + "(snow::Self self, sl::Value recv, sl::Args rest);");
    }
  }

  std::string actor_params_decl(std::size_t n, const std::vector<std::string>& names) {
    std::string s = params_decl(n, names);
    return s.insert(s.find(',') == std::string::npos ? s.size() : s.find(','), ", sl::ActorToken token");
  }

  /// `Point_Describe_describe_impl`: the method `describe` of `impl Describe for Point`.
  std::string impl_fn(const ImplDef& im, const std::string& method) {
    return composite({im.type, im.iface, method}, "impl");
  }
  /// `Describe_shout_default`: the default body of the interface method `shout`.
  std::string default_fn(const std::string& iface, const std::string& method) { return composite({iface, method}, "default"); }
  /// `Bank_Deposit_handler`: the handler `Deposit` of service `Bank`.
  std::string handler_fn(const std::string& service, const std::string& handler) {
    return composite({service, handler}, "handler");
  }
  /// A name derived from several Snow names: their C++ names and a word, as `derived`.
  /// Joining names that contain `_` can make one string of two lists (`A_B` + `C` and `A` +
  /// `B_C`): the second list to want a name then gets a number after the word.
  std::string composite(const std::vector<std::string>& parts, const char* what) {
    auto known = composite_names_.find({parts, what});
    if (known != composite_names_.end()) return known->second;
    std::string base;
    for (const auto& p : parts) base += cpp_ident(p);
    base += what;
    std::string name = base;
    for (int n = 2; composite_taken_.count(name); ++n) name = base + std::to_string(n);
    composite_taken_.insert(name);
    composite_names_[{parts, what}] = name;
    return name;
  }

  // ---- items ----
  void begin_item() {
    used_.clear();
    scopes_.clear();
    scopes_.emplace_back();
    counter_ = 0;
  }

  void emit_item(const Item& it) {
    begin_item();
    switch (it.kind) {
      case Item::fn: emit_fn(*it.fn_group, fn_name(it.fn_group->name)); break;
      case Item::actor:
        emit_actor(*it.actor_def);
        // Every actor and supervisor can be started from another node by name (snow.md#remote-spawn).
        hooks_.line("snow::lang::dist::register_actor(" + cpp_string(it.actor_def->name) + ", &prog::" +
                    cpp_ident(it.actor_def->name) + ", " + terminate_of(it.actor_def->name) + ");");
        break;
      case Item::service: emit_service(*it.service_def); break;
      case Item::supervisor:
        emit_supervisor(*it.supervisor_def);
        hooks_.line("snow::lang::dist::register_supervisor(" + cpp_string(it.supervisor_def->name) + ", &prog::" +
                    derived(it.supervisor_def->name, "spawn") + ");");
        break;
      case Item::interface:
        for (const auto& m : it.interface_def->methods) {
          if (!m.default_body) continue;
          begin_item();
          FnGroup g;
          g.name = m.name;
          g.arity = m.arity;
          g.clauses.push_back(m.default_body);
          emit_fn(g, default_fn(it.interface_def->name, m.name), false);
        }
        break;
      case Item::impl:
        for (const auto& m : it.impl_def->methods) {
          begin_item();
          FnGroup g;
          g.name = m->name;
          g.arity = static_cast<int>(m->params.size());
          g.clauses.push_back(m);
          emit_fn(g, impl_fn(*it.impl_def, m->name), false);
          if (((it.impl_def->iface == "Eq" && m->name == "eq") || (it.impl_def->iface == "Ord" && m->name == "compare")) &&
              (s_.structs.count(it.impl_def->type) || s_.sums.count(it.impl_def->type))) {
            // `==` and `<` (and everything built on them: compare, List.contains, Map
            // keys, comparisons of lists and tuples that hold such values) use the
            // user's implementation for this type.
            const bool eq = m->name == "eq";
            hooks_.line("prog::" + derived(it.impl_def->type, "type") + "->" + (eq ? "eq_impl" : "compare_impl") +
                        " = [](snow::Self s, const snow::lang::Value& a, const snow::lang::Value& b) { return " +
                        (eq ? "snow::lang::truth(" : "snow::lang::ordering_sign(") + "prog::" +
                        impl_fn(*it.impl_def, m->name) + "(s, a, b).run_sync()); };");
          }
          if ((it.impl_def->iface == "Display" && m->name == "to_string") ||
              (it.impl_def->iface == "Debug" && m->name == "inspect")) {
            if (s_.structs.count(it.impl_def->type) || s_.sums.count(it.impl_def->type)) {
              hooks_.line("prog::" + derived(it.impl_def->type, "type") + "->" +
                          (m->name == "to_string" ? "display_impl" : "debug_impl") +
                          " = [](snow::Self s, const snow::lang::Value& v) { return prog::" + impl_fn(*it.impl_def, m->name) +
                          "(s, v).run_sync().as_str(); };");
            }
          }
        }
        break;
      default: break;
    }
  }

  static bool simple_params(const FnDef& f) {
    for (const auto& p : f.params) {
      if (p->kind != PK::var && p->kind != PK::wild) return false;
    }
    return true;
  }

  /// A top-level function (all its clauses) as one coroutine, or as a plain C++ function
  /// when it never waits (dsl/may_wait.hpp).
  void emit_fn(const FnGroup& g, const std::string& cpp_name, bool self_calls = true) {
    const bool plain = plain_.count(g.name) > 0 && self_calls;
    Out body;
    const FnCtx ctx = fn_body(g, self_calls, plain, body);
    defs_.indent = 0;
    if (!g.clauses.empty()) debug_at(g.clauses[0]->span);
    defs_.line("");
    defs_.line("// fn " + g.name);
    defs_.line((plain ? "sl::Value " : "sl::Co<sl::Value> ") + cpp_name + "(" + params_decl(ctx.params.size(), ctx.params, plain) + ") {");
    // Every call of a coroutine function is a reduction, so a recursion (which is always
    // a coroutine, dsl/may_wait.hpp) cannot keep its worker past the turn's budget.
    // A plain function needs none: it neither loops nor recurses, nor calls a function
    // that does, so it ends after a number of steps bounded by the program's text.
    if (!plain) defs_.line("  co_await sl::tick(self);");
    if (ctx.looped) {
      defs_.line("  for (;;) {");
      defs_.text += body.text;
      defs_.line("  }");
    } else {
      defs_.text += dedent(body.text);
      defs_.line(plain ? "  return sl::unit();" : "  co_return sl::unit();");
    }
    defs_.line("}");
  }

  /// Emits the body of `g` into `body`; gives back the context it was emitted in (its
  /// parameters, whether it looped).
  FnCtx fn_body(const FnGroup& g, bool self_calls, bool plain, Out& body) {
    body.indent = 2;
    Out* saved = out_;
    out_ = &body;
    FnCtx ctx;
    ctx.snow_name = self_calls ? g.name : "";
    ctx.plain = plain;
    ctx.sync = plain;  // returns are `return`, and nothing in it may suspend
    std::swap(fn_, ctx);
    std::vector<std::string> params;
    const bool single = g.clauses.size() == 1 && simple_params(*g.clauses[0]) && !g.clauses[0]->guard;
    if (single) {
      for (const auto& p : g.clauses[0]->params) {
        params.push_back(p->kind == PK::var ? declare(p->name) : declare("_unused"));
      }
      fn_.params = params;
      block(g.clauses[0]->body, Dest{Dest::ret, "", true});
    } else {
      for (int i = 0; i < g.arity; ++i) params.push_back(declare("a" + std::to_string(i)));
      fn_.params = params;
      emit_clauses(g, params);
      out_->line("sl::fail(\"no clause of `" + g.name + "` matches the arguments\");");
    }
    std::swap(fn_, ctx);
    out_ = saved;
    return ctx;
  }

  static std::string dedent(const std::string& text) {
    std::string out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("  ", 0) == 0 && l[0] != '#') l = l.substr(2);
      out += l + "\n";
    }
    return out;
  }

  /// Clause by clause: the first whose patterns match and whose guard holds runs.
  void emit_clauses(const FnGroup& g, const std::vector<std::string>& params) {
    for (const auto& c : g.clauses) {
      at(c->span);
      push();
      std::string test;
      for (std::size_t i = 0; i < c->params.size(); ++i) {
        const std::string t = pat_test(*c->params[i], params[i]);
        if (t != "true") test += (test.empty() ? "" : " && ") + t;
      }
      out_->line("if (" + (test.empty() ? std::string("true") : test) + ") {");
      out_->indent++;
      for (std::size_t i = 0; i < c->params.size(); ++i) pat_bind(*c->params[i], params[i], false);
      if (c->guard) {
        const std::string g2 = ex(*c->guard);
        out_->line("if (sl::truth(" + g2 + ")) {");
        out_->indent++;
      }
      block(c->body, Dest{Dest::ret, "", true});
      if (c->guard) {
        out_->indent--;
        out_->line("}");
      }
      out_->indent--;
      out_->line("}");
      pop();
    }
  }

  void emit_actor(const ActorDef& a) {
    Out body;
    body.indent = 2;
    Out* saved = out_;
    out_ = &body;
    FnCtx ctx;
    ctx.snow_name = a.name;
    ctx.actor = true;
    std::swap(fn_, ctx);
    std::vector<std::string> params;
    for (const auto& p : a.params) params.push_back(p->kind == PK::var ? declare(p->name) : declare("_unused"));
    fn_.params = params;
    block(a.body, Dest{Dest::discard, "", true});
    out_->line("co_return;");
    std::swap(fn_, ctx);

    Out term;
    term.indent = 1;
    if (a.terminate) {
      push();
      out_ = &term;
      FnCtx t;
      t.sync = true;
      t.in_lambda = true;
      t.actor = true;
      std::swap(fn_, t);
      term.indent = 2;
      block(*a.terminate, Dest{});
      std::swap(fn_, t);
      pop();
    }
    out_ = saved;
    defs_.indent = 0;
    debug_at(a.span);
    defs_.line("");
    defs_.line("// actor " + a.name);
    if (a.terminate) {
      defs_.line("// actor " + a.name + ": terminate do ... end (runs once when the process ends; see sl::ActorToken)");
      defs_.line("void " + derived(a.name, "terminate") + "(snow::Self self) {");
      defs_.text += dedent(term.text);
      defs_.line("}");
      defs_.line("");
    }
    defs_.line("snow::Proc " + cpp_ident(a.name) + "(" + actor_params_decl(params.size(), params) + ") {");
    defs_.line("  token.attach(self);");
    defs_.line("  for (;;) {");
    defs_.text += body.text;
    defs_.line("  }");
    defs_.line("}");
  }

  void emit_service(const ServiceDef& sv) {
    const std::string n = derived(sv.name, "service");
    if (sv.init) {
      FnGroup g;
      g.name = "init";
      g.arity = static_cast<int>(sv.init->params.size());
      g.clauses.push_back(sv.init);
      emit_fn(g, derived(sv.name, "init"), false);
    }
    for (const auto& h : sv.handlers) {
      begin_item();
      Out body;
      body.indent = 1;
      Out* saved = out_;
      out_ = &body;
      FnCtx ctx;
      std::swap(fn_, ctx);
      std::vector<std::string> params;
      params.push_back(declare(h.state_name.empty() ? "_state" : h.state_name));
      for (const auto& p : h.params) params.push_back(p->kind == PK::var ? declare(p->name) : declare("_unused"));
      at(h.span);
      block(h.body, Dest{Dest::ret, "", false});
      std::swap(fn_, ctx);
      out_ = saved;
      defs_.indent = 0;
      defs_.line("");
      defs_.line("// " + std::string(h.is_call ? "call " : "cast ") + sv.name + "." + h.name);
      defs_.line("sl::Co<sl::Value> " + handler_fn(sv.name, h.name) + "(" + params_decl(params.size(), params) + ") {");
      defs_.text += body.text;
      defs_.line("  co_return sl::unit();");
      defs_.line("}");
    }
    // The state object, and its handlers as one coroutine (see snow/lang/otp.hpp).
    defs_.line("");
    defs_.line("// service " + sv.name + ": its state, and its handlers by request number");
    defs_.line("struct " + n + " : sl::ServiceHandlers<" + n + "> {");
    defs_.line("  explicit " + n + "(sl::Value s) : state(std::move(s)) {}");
    defs_.line("  sl::Value state;");
    // What a request from another node is checked against before serve indexes r.args
    // (sl::service_request_from): each handler's parameter count (-1: no such handler),
    // and whether it is a call.
    std::string arities, calls;
    for (std::size_t i = 0; i < sv.handlers.size(); ++i) {
      arities += "case " + std::to_string(i) + ": return " + std::to_string(sv.handlers[i].params.size()) + "; ";
      if (sv.handlers[i].is_call) calls += "case " + std::to_string(i) + ": ";
    }
    defs_.line("  static constexpr int handler_arity(int h) { switch (h) { " + arities + "} return -1; }");
    defs_.line("  static constexpr bool handler_is_call(int h) { switch (h) { " +
               (calls.empty() ? std::string() : calls + "return true; ") + "} return false; }");
    defs_.line("  sl::Co<sl::Value> serve(snow::Self self, sl::ServiceRequest r) {");
    defs_.line("    switch (r.handler) {");
    int index = 0;
    for (const auto& h : sv.handlers) {
      std::string call = handler_fn(sv.name, h.name) + "(self, state";
      for (std::size_t i = 0; i < h.params.size(); ++i) call += ", r.args[" + std::to_string(i) + "]";
      call += ")";
      defs_.line("      case " + std::to_string(index++) + ": {");
      defs_.line("        sl::Value result = co_await " + call + ";");
      if (h.is_call) {
        defs_.line("        co_return sl::take_call_result(state, result);");
      } else {
        defs_.line("        state = std::move(result);");
        defs_.line("        co_return sl::unit();");
      }
      defs_.line("      }");
    }
    defs_.line("    }");
    defs_.line("    sl::fail(\"a request this service has no handler for\");");
    defs_.line("  }");
    defs_.line("};");
  }

  void emit_supervisor(const SupervisorDef& sd) {
    Out body;
    body.indent = 1;
    Out* saved = out_;
    out_ = &body;
    FnCtx ctx;
    std::swap(fn_, ctx);
    at(sd.span);
    out_->line("snow::SupervisorSpec spec;");
    out_->line("spec.strategy = snow::Strategy::" + sd.strategy + ";");
    out_->line("spec.max_restarts = " + std::to_string(sd.max_restarts) + ";");
    out_->line("spec.max_seconds = " + std::to_string(sd.max_seconds) + ";");
    for (const auto& c : sd.children) {
      at(c.span);
      const std::string start = c.start ? ex(*c.start) : "sl::unit()";
      const std::string shutdown =
          c.brutal_kill ? "snow::Shutdown::brutal_kill()" : "absl::Milliseconds(" + std::to_string(c.shutdown_ms) + ")";
      out_->line("spec.children.push_back(sl::child(" + cpp_string(c.id) + ", " + start + ", snow::Restart::" + c.restart +
                 ", " + shutdown + "));");
    }
    out_->line("co_return sl::spawn_supervisor(self, std::move(spec));");
    std::swap(fn_, ctx);
    out_ = saved;
    defs_.indent = 0;
    defs_.line("");
    defs_.line("// supervisor " + sd.name + ": `spawn(" + sd.name + ")` starts it");
    defs_.line("sl::Co<sl::Value> " + derived(sd.name, "spawn") + "(snow::Self self) {");
    defs_.text += body.text;
    defs_.line("}");
  }

  /// method_<name>(self, recv, rest): static dispatch by the receiver's type (snow.md#interfaces).
  void emit_dispatchers() {
    for (const auto& [name, arity] : s_.methods) {
      if (arity == 0) continue;  // see emit_declarations
      defs_.indent = 0;
      defs_.line("");
      defs_.line("// interface method " + name);
      defs_.line("sl::Co<sl::Value> " + derived(name, "method") + "(snow::Self self, sl::Value recv, sl::Args rest) {");
      defs_.line("  const std::string type = sl::type_name(recv);");
      auto rest = [&](int n) {
        std::string a;
        for (int i = 0; i + 1 < n; ++i) a += ", rest.at(" + std::to_string(i) + ")";
        return a;
      };
      for (const auto& im : s_.impls) {
        for (const auto& m : im->methods) {
          if (m->name != name) continue;
          defs_.line("  if (type == " + cpp_string(im->type) + ") co_return co_await " + impl_fn(*im, name) + "(self, recv" +
                     rest(static_cast<int>(m->params.size())) + ");");
        }
      }
      for (const auto& [iname, iface] : s_.interfaces) {
        for (const auto& m : iface->methods) {
          if (m.name != name || !m.default_body) continue;
          // The default body serves every type that implements the interface.
          for (const auto& im : s_.impls) {
            if (im->iface != iname) continue;
            defs_.line("  if (type == " + cpp_string(im->type) + ") co_return co_await " + default_fn(iname, name) +
                       "(self, recv" + rest(m.arity) + ");");
          }
        }
      }
      defs_.line("  co_return co_await sl::method(self, " + cpp_string(name) + ", recv, rest);");
      defs_.line("}");
    }
  }

  // ---- statements ----
  void block(const Block& b, const Dest& d) {
    push();
    const bool received_before = fn_.received;  // what holds on every path into this block
    if (b.empty()) finish("sl::unit()", d);
    for (std::size_t i = 0; i < b.size(); ++i) {
      const Stmt& st = *b[i];
      const bool last = i + 1 == b.size();
      at(st.span);
      switch (st.kind) {
        case SK::let: {
          const std::string v = ex(*st.expr);
          if (st.pat->kind == PK::var) {
            const std::string n = declare(st.pat->name);
            out_->line("sl::Value " + n + " = " + v + ";");
          } else if (st.pat->kind == PK::wild) {
            out_->line("(void)" + v + ";");
          } else {
            const std::string tmp = fresh("let");
            out_->line("const sl::Value " + tmp + " = " + v + ";");
            out_->line("if (!(" + pat_test(*st.pat, tmp) + ")) sl::fail(\"the value does not match the `let` pattern\");");
            pat_bind(*st.pat, tmp, false);
          }
          if (last) finish("sl::unit()", d);
          break;
        }
        case SK::ret:
          emit_return(st.expr.get());
          break;
        case SK::fn: {
          const std::string n = declare(st.fn->name);
          FnGroup g;
          g.name = st.fn->name;
          g.arity = static_cast<int>(st.fn->params.size());
          g.clauses.push_back(st.fn);
          out_->line("sl::Value " + n + " = " + closure_value(g.name, g.clauses[0]->params.size(), {}, &g, n) + ";");
          if (last) finish("sl::unit()", d);
          break;
        }
        case SK::expr:
          into(*st.expr, last ? d : Dest{});
          break;
      }
      if ((st.kind == SK::let || st.kind == SK::expr) && st.expr->kind == EK::receive && !st.expr->after_ms) {
        fn_.received = true;  // for the rest of this block
      }
    }
    fn_.received = received_before;
    pop();
  }

  void emit_return(const Expr* e) {
    if (fn_.actor && !fn_.in_lambda) {
      if (e) into(*e, Dest{});
      out_->line("co_return;");
      return;
    }
    if (fn_.plain) {
      if (e) {
        into(*e, Dest{Dest::ret, "", false});
      } else {
        out_->line("return sl::unit();");
      }
      return;
    }
    if (fn_.sync) {
      if (e) into(*e, Dest{});
      out_->line("return;");
      return;
    }
    if (!e) {
      out_->line("co_return sl::unit();");
      return;
    }
    into(*e, Dest{Dest::ret, "", false});
  }

  void finish(const std::string& v, const Dest& d) {
    switch (d.kind) {
      case Dest::discard:
        if (v != "sl::unit()" && v.rfind("_", 0) != 0) out_->line("(void)" + v + ";");
        break;
      case Dest::assign: out_->line(d.var + " = " + v + ";"); break;
      case Dest::ret:
        if (fn_.actor && !fn_.in_lambda) {
          out_->line("co_return;");
        } else if (fn_.sync) {
          out_->line("return " + v + ";");
        } else {
          out_->line("co_return " + v + ";");
        }
        break;
    }
  }

  /// Emits `e` as statements delivering its value to `d`.
  void into(const Expr& e, const Dest& d) {
    switch (e.kind) {
      case EK::if_: emit_if(e, d); return;
      case EK::case_: emit_case(e, d); return;
      case EK::receive: emit_receive(e, d); return;
      case EK::call:
        if (d.tail && is_self_call(e)) {
          emit_self_tail_call(e);
          return;
        }
        {
          bool effect = false;
          const std::string c = call(e, effect);
          if (d.kind == Dest::discard) {
            out_->line(c + ";");
          } else {
            finish(c, d);
          }
          return;
        }
      case EK::break_: out_->line("break;"); return;
      case EK::continue_: out_->line("continue;"); return;
      default: break;
    }
    finish(ex(e), d);
  }

  bool is_self_call(const Expr& e) const {
    const Expr& callee = *e.kids[0];
    return callee.kind == EK::ident && !fn_.snow_name.empty() && callee.name == fn_.snow_name && !lookup(callee.name) &&
           !fn_.in_lambda;
  }

  void emit_self_tail_call(const Expr& e) {
    // Every argument is evaluated before any parameter is rebound (snow.md#tail-calls). A parameter
    // passed on unchanged (`loop(state, n + 1)` keeps `state`) is left alone: no copy.
    std::vector<std::string> vals;
    for (std::size_t i = 1; i < e.kids.size(); ++i) {
      const std::string v = ex(*e.kids[i]);
      if (i - 1 < fn_.params.size() && v == fn_.params[i - 1]) {
        vals.push_back("");
        continue;
      }
      const std::string t = fresh("arg");
      out_->line("sl::Value " + t + " = " + v + ";");
      vals.push_back(t);
    }
    for (std::size_t i = 0; i < vals.size() && i < fn_.params.size(); ++i) {
      if (!vals[i].empty()) out_->line(fn_.params[i] + " = std::move(" + vals[i] + ");");
    }
    if (!fn_.received) out_->line("co_await sl::tick(self);");
    out_->line("continue;  // self tail call: loop");
    fn_.looped = true;
  }

  void emit_if(const Expr& e, const Dest& d) {
    const std::string c = ex(*e.cond);
    out_->line("if (sl::truth(" + c + ")) {");
    out_->indent++;
    Dest branch = d;
    if (!e.has_else && d.kind != Dest::discard) branch = Dest{Dest::discard, "", d.tail};
    block(e.then_block, branch);
    out_->indent--;
    if (e.has_else) {
      out_->line("} else {");
      out_->indent++;
      block(e.else_block, d);
      out_->indent--;
      out_->line("}");
    } else {
      out_->line("}");
      if (d.kind != Dest::discard) finish("sl::unit()", d);
    }
  }

  /// The scrutinee as a named variable (patterns read it several times).
  std::string named(const std::string& v, const char* base) {
    if (v.rfind("_", 0) == 0 || (lookup_cpp(v))) return v;
    const std::string t = fresh(base);
    out_->line("const sl::Value " + t + " = " + v + ";");
    return t;
  }
  bool lookup_cpp(const std::string& v) const {
    for (const auto& s : scopes_) {
      for (const auto& [_, c] : s) {
        if (c == v) return true;
      }
    }
    return false;
  }

  void emit_case(const Expr& e, const Dest& d) {
    const std::string v = named(ex(*e.cond), "case");
    bool guards = false;
    for (const auto& a : e.arms) guards = guards || a.guard;
    const std::string matched = fresh("matched");
    if (guards) out_->line("bool " + matched + " = false;");
    for (std::size_t i = 0; i < e.arms.size(); ++i) {
      const Arm& a = e.arms[i];
      push();
      const std::string test = pat_test(*a.pat, v);
      if (guards) {
        out_->line("if (!" + matched + " && " + test + ") {");
      } else {
        out_->line(std::string(i == 0 ? "if (" : "} else if (") + test + ") {");
      }
      out_->indent++;
      at(a.span);
      pat_bind(*a.pat, v, false);
      if (a.guard) {
        const std::string g = ex(*a.guard);
        out_->line("if (sl::truth(" + g + ")) {");
        out_->indent++;
      }
      if (guards) out_->line(matched + " = true;");
      into(*a.body, d);
      if (a.guard) {
        out_->indent--;
        out_->line("}");
      }
      out_->indent--;
      if (guards) out_->line("}");
      pop();
    }
    const std::string fail = "sl::fail(\"no `case` arm matches \" + sl::debug(self, " + v + "));";
    if (guards) {
      out_->line("if (!" + matched + ") " + fail);
    } else if (!e.arms.empty()) {
      out_->line("} else {");
      out_->line("  " + fail);
      out_->line("}");
    } else {
      out_->line(fail);
    }
  }

  /// Which message type a receive arm's pattern takes.
  enum class MsgKind { value, exit, down, node_up, node_down, any };
  MsgKind arm_kind(const Pat& p) const {
    const Pat* q = &p;
    while (q->kind == PK::as) q = q->kids[0].get();
    if (q->kind == PK::wild || q->kind == PK::var) return MsgKind::any;
    if (q->kind == PK::ctor && q->binds) return MsgKind::any;
    if (q->kind == PK::ctor && q->has_args) {
      if (q->name == "Exit") return MsgKind::exit;
      if (q->name == "Down") return MsgKind::down;
      if (q->name == "NodeUp") return MsgKind::node_up;
      if (q->name == "NodeDown") return MsgKind::node_down;
    }
    return MsgKind::value;
  }

  void emit_receive(const Expr& e, const Dest& d) {
    if (fn_.sync) {
      d_->error("E0017", e.span, "receive is not possible here (a guard, a terminate clause or a service handler)");
      return;
    }
    std::string timeout;
    if (e.after_ms) timeout = named(ex(*e.after_ms), "timeout");
    const std::string msg = fresh("msg");
    const std::string arm = fresh("arm");
    out_->line("sl::Value " + msg + ";");
    // A `when` guard runs inside the runtime's mailbox scan, where an error would end the
    // process without unwinding its coroutine (main would never report it and the
    // program would hang). The guard keeps its error and accepts the message; the error
    // is raised again after the receive, in the process's own code, like any other.
    const bool guarded = std::any_of(e.arms.begin(), e.arms.end(), [](const Arm& a) { return a.guard != nullptr; });
    const std::string guard_error = guarded ? fresh("guard_error") : "";
    if (guarded) out_->line("std::exception_ptr " + guard_error + ";");
    std::vector<std::string> clauses;
    for (std::size_t i = 0; i < e.arms.size(); ++i) {
      const Arm& a = e.arms[i];
      const MsgKind k = arm_kind(*a.pat);
      std::vector<std::pair<std::string, std::string>> types;  // C++ type, conversion of `m`
      switch (k) {
        case MsgKind::value: types = {{"sl::Value", "m"}}; break;
        case MsgKind::exit: types = {{"snow::Exit", "sl::exit_value(m)"}}; break;
        case MsgKind::down: types = {{"snow::Down", "sl::take_down(m)"}}; break;
        case MsgKind::node_up: types = {{"snow::NodeUp", "sl::dist::node_up_value(m)"}}; break;
        case MsgKind::node_down: types = {{"snow::NodeDown", "sl::dist::node_down_value(m)"}}; break;
        case MsgKind::any:
          types = {{"sl::Value", "m"}, {"snow::Exit", "sl::exit_value(m)"}, {"snow::Down", "sl::take_down(m)"}};
          break;
      }
      for (const auto& [type, conv] : types) {
        // The guard: pattern test, bindings, guard expression, in a context that cannot wait.
        Out g;
        g.indent = out_->indent + 3;
        Out* saved = out_;
        out_ = &g;
        FnCtx ctx = fn_;
        ctx.sync = true;
        ctx.plain = false;  // a guard lambda returns bool, whatever the function around it is
        ctx.in_lambda = true;
        std::swap(fn_, ctx);
        push();
        const std::string view = conv == "m" ? "m" : fresh("view");
        if (view != "m") {
          std::string peek = conv;
          if (conv == "sl::take_down(m)") peek = "sl::down_value(m)";
          out_->line("const sl::Value " + view + " = " + peek + ";");
        }
        const std::string test = pat_test(*a.pat, view);
        const bool simple = !a.guard && view == "m";
        if (!simple) {
          if (test != "true") out_->line("if (!(" + test + ")) return false;");
          if (a.guard) {
            out_->line("try {");
            out_->indent++;
            pat_bind(*a.pat, view, false);
            const std::string gv = ex(*a.guard);
            out_->line("return sl::truth(" + gv + ");");
            out_->indent--;
            out_->line("} catch (...) {");
            out_->line("  " + guard_error + " = std::current_exception();");
            out_->line("  return true;");
            out_->line("}");
          } else {
            out_->line("return true;");
          }
        }
        pop();
        std::swap(fn_, ctx);
        out_ = saved;
        const std::string idx = std::to_string(i);
        const std::string pad(static_cast<std::size_t>(out_->indent + 2) * 2, ' ');
        std::string guard_fn = "[&](const " + type + "& m) -> bool ";
        guard_fn += simple ? "{ return " + test + "; }" : "{\n" + g.text + pad + "}";
        const std::string handler = "[&](" + type + " m) { " + msg + " = " +
                                    (conv == "m" ? std::string("std::move(m)") : conv) + "; return " + idx + "; }";
        clauses.push_back("snow::on<" + type + ">(" + guard_fn + ",\n" + pad + handler + ")");
      }
    }
    if (e.after_ms) clauses.push_back("snow::after(sl::millis(" + timeout + "), [] { return -1; })");
    std::string callexpr = "int " + arm + " = co_await sl::receive(self, " + (e.after_ms ? "false" : "true");
    out_->line(callexpr + ",");
    for (std::size_t i = 0; i < clauses.size(); ++i) {
      out_->line("    " + clauses[i] + (i + 1 < clauses.size() ? "," : ");"));
    }
    if (clauses.empty()) out_->line("    snow::after(absl::InfiniteDuration(), [] { return -1; }));");
    if (guarded) out_->line("if (" + guard_error + ") std::rethrow_exception(" + guard_error + ");");
    for (std::size_t i = 0; i < e.arms.size(); ++i) {
      const Arm& a = e.arms[i];
      push();
      out_->line(std::string(i == 0 ? "if (" : "} else if (") + arm + " == " + std::to_string(i) + ") {");
      out_->indent++;
      at(a.span);
      pat_bind(*a.pat, msg, false);
      into(*a.body, d);
      out_->indent--;
      pop();
    }
    if (e.after_ms) {
      out_->line(e.arms.empty() ? "{" : "} else {");
      out_->indent++;
      into(*e.after_body, d);
      out_->indent--;
      out_->line("}");
    } else if (!e.arms.empty()) {
      out_->line("}");
    }
  }

  // ---- patterns ----
  bool is_variant_pat(const Pat& p) const {
    return p.kind == PK::ctor && !p.binds;
  }

  std::string pat_test(const Pat& p, const std::string& v) {
    switch (p.kind) {
      case PK::wild: case PK::var: return "true";
      case PK::int_lit: return "sl::match_int(" + v + ", " + (p.int_value == INT64_MIN ? "INT64_MIN" : std::to_string(p.int_value)) + ")";
      case PK::float_lit: return "sl::match_float(" + v + ", " + float_literal(p.float_value) + ")";
      case PK::str_lit: return "sl::match_str(" + v + ", " + cpp_string(p.str_value) + ")";
      case PK::bool_lit: return std::string("sl::match_bool(") + v + ", " + (p.bool_value ? "true" : "false") + ")";
      case PK::unit: return "sl::match_unit(" + v + ")";
      case PK::as: return pat_test(*p.kids[0], v);
      case PK::tuple: {
        std::string t = "sl::is_tuple(" + v + ", " + std::to_string(p.kids.size()) + ")";
        for (std::size_t i = 0; i < p.kids.size(); ++i) {
          const std::string k = pat_test(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")");
          if (k != "true") t += " && " + k;
        }
        return "(" + t + ")";
      }
      case PK::ctor: {
        if (!is_variant_pat(p)) return "true";  // an upper-case name that binds
        auto it = s_.variants.find(p.name);
        if (it == s_.variants.end()) return "false";
        std::string t = "sl::is_variant(" + v + ", " + type_var(it->second.type) + ", " + std::to_string(it->second.tag) + ")";
        for (std::size_t i = 0; i < p.kids.size(); ++i) {
          const std::string k = pat_test(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")");
          if (k != "true") t += " && " + k;
        }
        return "(" + t + ")";
      }
      case PK::cons: {
        std::string t = "sl::is_cons(" + v + ")";
        const std::string h = pat_test(*p.kids[0], "sl::list_head(" + v + ")");
        const std::string tl = pat_test(*p.kids[1], "sl::list_tail(" + v + ")");
        if (h != "true") t += " && " + h;
        if (tl != "true") t += " && " + tl;
        return "(" + t + ")";
      }
      case PK::alt: {
        std::string t;
        for (const auto& k : p.kids) t += (t.empty() ? "" : " || ") + pat_test(*k, v);
        return "(" + t + ")";
      }
    }
    return "false";
  }

  void pattern_names(const Pat& p, std::vector<std::string>& out) const {
    switch (p.kind) {
      case PK::var: out.push_back(p.name); break;
      case PK::ctor:
        if (!is_variant_pat(p)) out.push_back(p.name);
        for (const auto& k : p.kids) pattern_names(*k, out);
        break;
      case PK::as: out.push_back(p.name); pattern_names(*p.kids[0], out); break;
      case PK::alt: pattern_names(*p.kids[0], out); break;
      default:
        for (const auto& k : p.kids) pattern_names(*k, out);
    }
  }

  /// Declares (or, inside an or-pattern, assigns) the names `p` binds from `v`.
  void pat_bind(const Pat& p, const std::string& v, bool assign) {
    auto bind_name = [&](const std::string& snow) {
      if (assign) {
        out_->line(*lookup(snow) + " = " + v + ";");
      } else {
        const std::string n = declare(snow);
        out_->line("const sl::Value " + n + " = " + v + ";");
      }
    };
    switch (p.kind) {
      case PK::var: bind_name(p.name); return;
      case PK::as:
        pat_bind(*p.kids[0], v, assign);
        bind_name(p.name);
        return;
      case PK::tuple:
        for (std::size_t i = 0; i < p.kids.size(); ++i) pat_bind(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")", assign);
        return;
      case PK::ctor:
        if (!is_variant_pat(p)) {
          bind_name(p.name);
          return;
        }
        for (std::size_t i = 0; i < p.kids.size(); ++i) pat_bind(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")", assign);
        return;
      case PK::cons:
        pat_bind(*p.kids[0], "sl::list_head(" + v + ")", assign);
        pat_bind(*p.kids[1], "sl::list_tail(" + v + ")", assign);
        return;
      case PK::alt: {
        std::vector<std::string> names;
        pattern_names(p, names);
        if (names.empty()) return;
        if (!assign) {
          for (const auto& n : names) out_->line("sl::Value " + declare(n) + ";");
        }
        for (std::size_t i = 0; i < p.kids.size(); ++i) {
          out_->line(std::string(i == 0 ? "if (" : "} else if (") + pat_test(*p.kids[i], v) + ") {");
          out_->indent++;
          pat_bind(*p.kids[i], v, true);
          out_->indent--;
        }
        out_->line("}");
        return;
      }
      default: return;
    }
  }

  // ---- expressions ----

  /// Hoists `value` into a fresh temporary (for results of calls with effects).
  std::string temp(const std::string& value, const char* base = "t") {
    const std::string t = fresh(base);
    out_->line("sl::Value " + t + " = " + value + ";");
    return t;
  }

  std::string args_list(const std::vector<std::string>& a) {
    std::string s;
    for (const auto& x : a) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  std::vector<std::string> eval_args(const std::vector<ExprP>& kids, std::size_t from) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < kids.size(); ++i) out.push_back(ex(*kids[i]));
    return out;
  }

  std::string ex(const Expr& e) {
    switch (e.kind) {
      case EK::int_lit: return int_value(e.int_value);
      case EK::float_lit: return "sl::F(" + float_literal(e.float_value) + ")";
      case EK::bool_lit: return e.bool_value ? "sl::B(true)" : "sl::B(false)";
      case EK::unit: return "sl::unit()";
      case EK::str: return string_expr(e);
      case EK::ident: return ident(e);
      case EK::tuple: return "sl::tuple(sl::args(" + args_list(eval_args(e.kids, 0)) + "))";
      case EK::list: return "sl::list(sl::args(" + args_list(eval_args(e.kids, 0)) + "))";
      case EK::map: {
        const auto vals = eval_args(e.kids, 0);
        std::string s;
        for (std::size_t i = 0; i + 1 < vals.size(); i += 2) s += (s.empty() ? "" : ", ") + std::string("{") + vals[i] + ", " + vals[i + 1] + "}";
        return temp("sl::map_literal({" + s + "})", "map");
      }
      case EK::binary: return binary(e);
      case EK::unary: {
        const std::string v = ex(*e.kids[0]);
        return (e.name == "-" ? "sl::neg(" : "sl::not_(") + v + ")";
      }
      case EK::call: {
        bool effect = false;
        const std::string c = call(e, effect);
        return effect ? temp(c) : c;
      }
      case EK::field: return field(e);
      case EK::index: return "sl::unit()";
      case EK::try_: {
        const std::string v = named(ex(*e.kids[0]), "try");
        if (fn_.actor && !fn_.in_lambda) {
          out_->line("if (sl::is_failure(" + v + ")) sl::fail(\"`?` in an actor: \" + sl::debug(self, " + v + "));");
        } else if (fn_.plain) {
          out_->line("if (sl::is_failure(" + v + ")) return " + v + ";");
        } else if (fn_.sync) {
          out_->line("if (sl::is_failure(" + v + ")) sl::fail(\"`?` cannot return here\");");
        } else {
          out_->line("if (sl::is_failure(" + v + ")) co_return " + v + ";");
        }
        return "sl::unwrap(" + v + ")";
      }
      case EK::struct_lit: {
        auto it = s_.structs.find(e.name);
        std::map<std::string, std::string> vals;
        for (const auto& [f, x] : e.fields) vals[f] = ex(*x);
        std::vector<std::string> ordered;
        if (it != s_.structs.end()) {
          for (const auto& f : it->second->fields) ordered.push_back(vals.count(f) ? vals[f] : "sl::unit()");
        }
        return construct("strukt", type_var(e.name), ordered);
      }
      case EK::if_:
      case EK::case_:
      case EK::receive: {
        const std::string t = fresh(e.kind == EK::if_ ? "if" : e.kind == EK::case_ ? "case" : "received");
        out_->line("sl::Value " + t + ";");
        into(e, Dest{Dest::assign, t, false});
        return t;
      }
      case EK::closure: return closure(e);
      case EK::while_: {
        out_->line("for (;;) {");
        out_->indent++;
        tick();  // first, so that `continue` cannot skip it
        const std::string c = ex(*e.cond);
        out_->line("if (!sl::truth(" + c + ")) break;");
        block(e.body, Dest{});
        out_->indent--;
        out_->line("}");
        return "sl::unit()";
      }
      case EK::for_: return for_loop(e);
      case EK::break_: out_->line("break;"); return "sl::unit()";
      case EK::continue_: out_->line("continue;"); return "sl::unit()";
      case EK::spawn: return temp(spawn(e), "pid");
      case EK::send: {
        const auto a = eval_args(e.kids, 0);
        out_->line("sl::send(self, " + a[0] + ", " + a[1] + ");");
        return "sl::unit()";
      }
      case EK::link: {
        const auto a = eval_args(e.kids, 0);
        out_->line("sl::link(self, " + a[0] + ");");
        return "sl::unit()";
      }
      case EK::self_pid: return "sl::self_pid(self)";
    }
    return "sl::unit()";
  }

  void tick() {
    if (!fn_.sync) out_->line("co_await sl::tick(self);");
  }

  std::string string_expr(const Expr& e) {
    if (e.pieces.size() == 1 && !e.pieces[0].is_expr) return str_value(e.pieces[0].text);
    std::vector<std::string> parts;
    for (const auto& p : e.pieces) {
      if (p.is_expr) {
        parts.push_back("sl::display(self, " + ex(*p.expr) + ")");
      } else if (!p.text.empty()) {
        parts.push_back(p.text.find('\0') != std::string::npos
                            ? "std::string(" + cpp_string(p.text) + ", " + std::to_string(p.text.size()) + ")"
                            : "std::string(" + cpp_string(p.text) + ")");
      }
    }
    std::string s;
    for (const auto& x : parts) s += (s.empty() ? "" : " + ") + x;
    return "sl::S(" + s + ")";
  }

  std::string ident(const Expr& e) {
    if (const std::string* n = lookup(e.name)) return *n;
    auto fit = s_.fns.find(e.name);
    if (fit != s_.fns.end()) return fn_value(e.name, fit->second->arity);
    auto vit = s_.variants.find(e.name);
    if (vit != s_.variants.end()) {
      if (vit->second.arity == 0) return "sl::Value::variant(" + type_var(vit->second.type) + ", " + std::to_string(vit->second.tag) + ")";
      return ctor_value(e.name, vit->second);
    }
    if (s_.methods.count(e.name)) {
      return "sl::fun(" + cpp_string(e.name) + ", -1, [](snow::Self self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { "
             "sl::Value recv = a.at(0); a.erase(a.begin()); co_return co_await prog::" + derived(e.name, "method") +
             "(self, recv, std::move(a)); })";
    }
    std::string bname = e.name;
    if (auto imp = s_.imports.find(e.name); imp != s_.imports.end()) bname = imp->second;
    if (const Builtin* b = find_builtin(bname)) return builtin_value(*b);
    return "sl::unit()";
  }

  /// A named function as a value.
  std::string fn_value(const std::string& name, int arity) {
    std::string call = "prog::" + fn_name(name) + "(self";
    for (int i = 0; i < arity; ++i) call += ", a[" + std::to_string(i) + "]";
    return "sl::fun(" + cpp_string(name) + ", " + std::to_string(arity) +
           ", [](snow::Self self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { co_return " +
           (plain_.count(name) ? "" : "co_await ") + call + "); })";
  }
  std::string ctor_value(const std::string& name, const VariantInfo& v) {
    return "sl::fun(" + cpp_string(name) + ", " + std::to_string(v.arity) +
           ", [](snow::Self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { co_return sl::Value::variant(" + type_var(v.type) +
           ", " + std::to_string(v.tag) + ", std::move(a)); })";
  }
  std::string builtin_value(const Builtin& b) {
    std::string call = std::string(b.cpp) + "(";
    bool first = true;
    if (b.flags & kSelf) {
      call += "self";
      first = false;
    }
    for (int i = 0; i < b.arity; ++i) {
      call += (first ? "" : ", ") + std::string("a[") + std::to_string(i) + "]";
      first = false;
    }
    call += ")";
    if (b.flags & kAsync) call = "co_await " + call;
    return "sl::fun(" + cpp_string(b.name) + ", " + std::to_string(b.arity) +
           ", [](snow::Self self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { (void)self; co_return " + call + "; })";
  }

  std::string binary(const Expr& e) {
    const std::string& op = e.name;
    if (op == "and" || op == "or") {
      const std::string a = ex(*e.kids[0]);
      Out sub;
      sub.indent = out_->indent + 1;
      Out* saved = out_;
      out_ = &sub;
      const std::string b = ex(*e.kids[1]);
      out_ = saved;
      if (sub.text.empty()) {
        return "sl::B(sl::truth(" + a + ") " + (op == "and" ? "&&" : "||") + " sl::truth(" + b + "))";
      }
      const std::string t = fresh(op == "and" ? "and" : "or");
      out_->line("sl::Value " + t + " = " + a + ";");
      out_->line("if (" + std::string(op == "and" ? "" : "!") + "sl::truth(" + t + ")) {");
      out_->text += sub.text;
      out_->line("  " + t + " = sl::B(sl::truth(" + b + "));");
      out_->line("}");
      return t;
    }
    const std::string a = ex(*e.kids[0]);
    const std::string b = ex(*e.kids[1]);
    static const std::map<std::string, std::string> fns = {
        {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"%", "rem"}, {"==", "eq"}, {"!=", "ne"},
        {"<", "lt"}, {">", "gt"}, {"<=", "le"}, {">=", "ge"}, {"<>", "concat"}, {"++", "append"}, {"..", "range"}};
    return "sl::" + fns.at(op) + "(" + a + ", " + b + ")";
  }

  std::string field(const Expr& e) {
    const Expr& recv = *e.kids[0];
    if (recv.kind == EK::ident && !lookup(recv.name)) {
      if (recv.name == "Math" && e.name == "pi") return "sl::F(3.141592653589793)";
      auto vit = s_.variants.find(e.name);
      if (vit != s_.variants.end() && (s_.sums.count(recv.name) || vit->second.type == recv.name)) {
        if (vit->second.arity == 0) return "sl::Value::variant(" + type_var(vit->second.type) + ", " + std::to_string(vit->second.tag) + ")";
        return ctor_value(e.name, vit->second);
      }
      if (const Builtin* b = find_builtin(recv.name + "." + e.name)) return builtin_value(*b);
    }
    const std::string r = ex(recv);
    return "sl::get_field(" + r + ", " + cpp_string(e.name) + ")";
  }

  std::string terminate_of(const std::string& actor) const {
    auto it = s_.actors.find(actor);
    return it != s_.actors.end() && it->second->terminate ? "&prog::" + derived(actor, "terminate") + "" : "nullptr";
  }

  std::string spawn(const Expr& e) {
    const Expr& target = *e.kids[0];
    const auto a = eval_args(e.kids, 1);
    if (target.kind == EK::ident && s_.supervisors.count(target.name)) {
      return aw("prog::" + derived(target.name, "spawn") + "(self)");
    }
    std::string s = "sl::spawn(self, &prog::" + cpp_ident(target.name) + ", " + terminate_of(target.name);
    for (const auto& x : a) s += ", " + x;
    return s + ")";
  }

  /// The C++ for a call; `effect` says whether it must be evaluated as its own statement.
  std::string call(const Expr& e, bool& effect) {
    const Expr& callee = *e.kids[0];
    effect = true;
    if (callee.kind == EK::ident) {
      const std::string& n = callee.name;
      if (const std::string* local = lookup(n)) {
        const auto a = eval_args(e.kids, 1);
        return aw("sl::call(self, " + *local + ", sl::args(" + args_list(a) + "))");
      }
      if (s_.fns.count(n)) {
        if (n == fn_.snow_name && fn_.actor) {
          d_->error("E0001", callee.span, "the self-call of actor `" + n + "` must be a tail call",
                   "a self-call restarts the actor with new state; put it last");
        }
        const auto a = eval_args(e.kids, 1);
        const std::string c = "prog::" + fn_name(n) + "(self" + (a.empty() ? "" : ", " + args_list(a)) + ")";
        return plain_.count(n) ? c : aw(c);
      }
      if (s_.actors.count(n)) {
        d_->error("E0001", callee.span, "the self-call of actor `" + n + "` must be a tail call",
                 "a self-call restarts the actor with new state; put it last (snow.md#actors)");
        return "sl::unit()";
      }
      if (auto vit = s_.variants.find(n); vit != s_.variants.end()) {
        effect = false;
        const auto a = eval_args(e.kids, 1);
        return construct("variant", type_var(vit->second.type) + ", " + std::to_string(vit->second.tag), a);
      }
      if (n == "default" && e.kids.size() == 1) return default_value(e);
      if (s_.methods.count(n) && e.kids.size() > 1) {
        const auto a = eval_args(e.kids, 1);
        std::vector<std::string> rest(a.begin() + 1, a.end());
        return aw("prog::" + derived(n, "method") + "(self, " + a[0] + ", sl::args(" + args_list(rest) + "))");
      }
      if (n == "spawn_link") {
        const auto a = eval_args(e.kids, 2);
        std::string s = "sl::spawn_link(self, &prog::" + cpp_ident(e.kids[1]->name) + ", " + terminate_of(e.kids[1]->name);
        for (const auto& x : a) s += ", " + x;
        return s + ")";
      }
      std::string bname = n;
      if (auto imp = s_.imports.find(n); imp != s_.imports.end()) bname = imp->second;
      if (const Builtin* b = find_builtin(bname)) return builtin_call(*b, e, 1, effect);
      return "sl::unit()";
    }
    if (callee.kind == EK::field) {
      const Expr& recv = *callee.kids[0];
      const std::string& member = callee.name;
      if (recv.kind == EK::ident && !lookup(recv.name)) {
        const std::string& mod = recv.name;
        if (s_.services.count(mod)) return service_call(mod, member, e);
        if (auto vit = s_.variants.find(member); vit != s_.variants.end() && (s_.sums.count(mod) || vit->second.type == mod)) {
          effect = false;
          const auto a = eval_args(e.kids, 1);
          return construct("variant", type_var(vit->second.type) + ", " + std::to_string(vit->second.tag), a);
        }
        if (mod == "Node" && (member == "spawn" || member == "spawn_link")) {
          const std::string node = ex(*e.kids[1]);
          const auto a = eval_args(e.kids, 3);
          return aw("sl::dist::Node_" + member + "(self, " + node + ", " + cpp_string(e.kids[2]->name) + ", sl::args(" +
                    args_list(a) + "))");
        }
        if (is_std_module(mod)) {
          if (const Builtin* b = find_builtin(mod + "." + member)) return builtin_call(*b, e, 1, effect);
        }
      }
      // A method call on a value: an interface method, or the standard module of its type.
      const std::string r = ex(recv);
      const auto a = eval_args(e.kids, 1);
      if (s_.methods.count(member)) {
        return aw("prog::" + derived(member, "method") + "(self, " + r + ", sl::args(" + args_list(a) + "))");
      }
      return aw("sl::method(self, " + cpp_string(member) + ", " + r + ", sl::args(" + args_list(a) + "))");
    }
    // Calling the value of an expression (a closure literal, a call's result, ...).
    const std::string f = ex(callee);
    const auto a = eval_args(e.kids, 1);
    return aw("sl::call(self, " + f + ", sl::args(" + args_list(a) + "))");
  }

  /// A struct (`what` = "strukt") or variant value. Up to sl::Fields::kInline fields are
  /// passed one by one, which costs one allocation; more go in a vector.
  /// `default()` (snow.md#interfaces, snow.md#prelude): the default of the type the context gives the call, as
  /// inferred by the type checker. The built-in types have theirs; a struct or sum type
  /// needs an `impl Default`.
  std::string default_value(const Expr& call) {
    Type* t = inferred_.type_of(call);
    if (t == nullptr || !TypeStore::known(t)) {
      d_->error("E0006", call.span, "cannot tell which type's `default()` is meant here",
                "give the binding a type: `let x :: Int = default()`");
      return "sl::unit()";
    }
    const std::string shown = inferred_.store->show(t);
    if (t->kind == TK::con) {
      const std::string& n = t->name;
      if (n == "Int") return "sl::I(0)";
      if (n == "Float") return "sl::F(0.0)";
      if (n == "Bool") return "sl::B(false)";
      if (n == "String") return str_value("");
      if (n == "()") return "sl::unit()";
      if (n == "List") return "sl::list({})";
      if (n == "Map") return "sl::Map_new()";
      if (n == "Set") return "sl::Set_new()";
      if (n == "Option") return "sl::None()";
      for (const auto& im : s_.impls) {
        if (im->iface == "Default" && im->type == n) return aw("prog::" + impl_fn(*im, "default") + "(self)");
      }
    }
    d_->error("E0006", call.span, "type `" + shown + "` has no default value",
              "add `impl Default for " + shown + " do fn default() -> " + shown + " do ... end end`");
    return "sl::unit()";
  }

  std::string construct(const std::string& what, const std::string& head, const std::vector<std::string>& fields) {
    constexpr std::size_t kInlineFields = 3;  // sl::Fields::kInline
    if (fields.size() <= kInlineFields) return "sl::Value::" + what + "_of(" + head + (fields.empty() ? "" : ", " + args_list(fields)) + ")";
    return "sl::Value::" + what + "(" + head + ", sl::args(" + args_list(fields) + "))";
  }

  std::string builtin_call(const Builtin& b, const Expr& e, std::size_t from, bool& effect) {
    const auto a = eval_args(e.kids, from);
    std::string s = std::string(b.cpp) + "(";
    bool first = true;
    if (b.flags & kSelf) {
      s += "self";
      first = false;
    }
    for (const auto& x : a) {
      s += (first ? "" : ", ") + x;
      first = false;
    }
    s += ")";
    effect = (b.flags & (kEffect | kAsync)) != 0;
    if (b.flags & kAsync) return aw(s);
    return s;
  }

  std::string service_call(const std::string& svc, const std::string& member, const Expr& e) {
    const std::string n = "prog::" + derived(svc, "service");
    const auto a = eval_args(e.kids, 1);
    if (member == "start") {
      const std::string init = "prog::" + derived(svc, "init");
      const std::string state = temp(aw(init + "(self" + (a.empty() ? "" : ", " + args_list(a)) + ")"), "state");
      return "sl::service_start<" + n + ">(self, " + state + ")";
    }
    const auto& api = s_.service_api.at(svc);
    const auto it = api.find(member);
    if (it == api.end() || a.empty()) return "sl::unit()";
    std::vector<std::string> rest(a.begin() + 1, a.end());
    const std::string targs = n + ", " + std::to_string(it->second.index);
    if (it->second.handler->is_call) {
      return aw("sl::service_call<" + targs + ">(self, " + a[0] + ", sl::args(" + args_list(rest) + "))");
    }
    return "sl::service_cast<" + targs + ">(self, " + a[0] + ", sl::args(" + args_list(rest) + "))";
  }

  std::string for_loop(const Expr& e) {
    const std::string src = ex(*e.iter);
    const std::string result = fresh("for");
    const std::string acc = fresh("collected");
    const std::string it = fresh("iter");
    const std::string item = fresh("item");
    out_->line("sl::Value " + result + ";");
    out_->line("{");
    out_->indent++;
    out_->line("std::vector<sl::Value> " + acc + ";");
    out_->line("sl::Iter " + it + "(" + src + ");");
    out_->line("for (sl::Value " + item + "; " + it + ".next(" + item + ");) {");
    out_->indent++;
    tick();  // first, so that neither the filter nor `continue` can skip it
    push();
    if (e.loop_var) {
      if (e.loop_var->kind == PK::var) out_->line("const sl::Value " + declare(e.loop_var->name) + " = " + item + ";");
    } else {
      out_->line("const sl::Value " + declare(e.key_var) + " = sl::field(" + item + ", 0);");
      out_->line("const sl::Value " + declare(e.value_var) + " = sl::field(" + item + ", 1);");
    }
    if (e.cond) {
      const std::string c = ex(*e.cond);
      out_->line("if (!sl::truth(" + c + ")) continue;");
    }
    const std::string v = fresh("value");
    out_->line("sl::Value " + v + ";");
    block(e.body, Dest{Dest::assign, v, false});
    out_->line(acc + ".push_back(std::move(" + v + "));");
    pop();
    out_->indent--;
    out_->line("}");
    out_->line(result + " = sl::list(std::move(" + acc + "));");
    out_->indent--;
    out_->line("}");
    return result;
  }

  std::string closure(const Expr& e) {
    FnGroup g;
    g.name = "fn";
    std::vector<FnDefP> clauses;
    for (const auto& c : e.clauses) {
      auto f = std::make_shared<FnDef>();
      f->params = c.params;
      f->guard = c.guard;
      f->body = c.body;
      f->span = c.span;
      g.clauses.push_back(f);
    }
    g.arity = g.clauses.empty() ? 0 : static_cast<int>(g.clauses[0]->params.size());
    return closure_value("fn", static_cast<std::size_t>(g.arity), e.span, &g, "");
  }

  /// A closure (or local named function) as a Value: a coroutine lambda capturing by value.
  std::string closure_value(const std::string& name, std::size_t arity, Span sp, const FnGroup* g, const std::string& self_name) {
    const std::string enclosing = where_;
    debug_at(sp);
    Out body;
    body.indent = out_->indent + 1;
    Out* saved = out_;
    out_ = &body;
    FnCtx ctx;
    ctx.in_lambda = true;
    std::swap(fn_, ctx);
    push();
    std::string me = "me";
    if (!self_name.empty()) {
      me = declare(name);  // the function itself, for recursion
    }
    std::vector<std::string> params;
    const bool single = g->clauses.size() == 1 && simple_params(*g->clauses[0]) && !g->clauses[0]->guard;
    if (single) {
      for (std::size_t i = 0; i < g->clauses[0]->params.size(); ++i) {
        const auto& p = g->clauses[0]->params[i];
        if (p->kind == PK::var) out_->line("sl::Value " + declare(p->name) + " = args[" + std::to_string(i) + "];");
      }
      block(g->clauses[0]->body, Dest{Dest::ret, "", false});
    } else {
      for (std::size_t i = 0; i < arity; ++i) {
        const std::string a = declare("a" + std::to_string(i));
        out_->line("sl::Value " + a + " = args[" + std::to_string(i) + "];");
        params.push_back(a);
      }
      emit_clauses(*g, params);
      out_->line("sl::fail(\"no clause of the closure matches the arguments\");");
    }
    out_->line("co_return sl::unit();");
    pop();
    std::swap(fn_, ctx);
    out_ = saved;
    where_ = enclosing;
    const std::string pad(static_cast<std::size_t>(out_->indent) * 2, ' ');
    return "sl::fun(" + cpp_string(name) + ", " + std::to_string(arity) + ", [=](snow::Self self, sl::Value " + me +
           ", sl::Args args) -> sl::Co<sl::Value> {\n" + body.text + pad + "})";
  }

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
  std::map<std::pair<std::vector<std::string>, std::string>, std::string> composite_names_;
  std::set<std::string> composite_taken_;
  int counter_ = 0;
};

}  // namespace

std::string emit_cpp(const Program& program, const Symbols& symbols, const TypeTable& types, Diagnostics& diags,
                     const EmitOptions& options) {
  return Emitter(program, symbols, types, diags, options).run();
}

}  // namespace snowc
