// dsl/checks.cc: snowc's checks (see checks.hpp).
#include "checks.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "parser.hpp"
#include "stdlib.hpp"

namespace snowc {

namespace {

/// Edit distance, for "did you mean" hints.
int distance(const std::string& a, const std::string& b) {
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

  Symbols run() {
    builtin_variants();
    for (const Item& it : p_.items) {
      if (it.kind == Item::fn) all_top_level_.insert(it.fn_group->name);
      if (it.kind == Item::actor) all_top_level_.insert(it.actor_def->name);
    }
    for (const Item& it : p_.items) declare_and_check(it);
    if (!s_.fns.count("main")) {
      if (d_.has_errors()) return std::move(s_);  // main may be the item that failed to parse
      d_.error("E0004", Span{1, 1, 0, 1}, "the program has no `fn main()`", "add `fn main() do ... end` after the other items");
    } else if (s_.fns["main"]->arity != 0) {
      d_.error("E0003", s_.fns["main"]->span, "`main` takes no parameters");
    }
    return std::move(s_);
  }

 private:
  // ---- declarations ----
  void builtin_variants() {
    std::map<std::string, int> next_tag;
    for (const BuiltinVariant& v : snowc::builtin_variants()) {
      s_.variants[v.name] = VariantInfo{v.type, next_tag[v.type]++, v.arity, true};
    }
  }

  bool name_taken(const std::string& n) const {
    return s_.fns.count(n) || s_.actors.count(n) || s_.services.count(n) || s_.supervisors.count(n) ||
           s_.structs.count(n) || s_.sums.count(n);
  }

  void declare_and_check(const Item& it) {
    switch (it.kind) {
      case Item::fn: {
        const auto& g = it.fn_group;
        if (s_.fns.count(g->name)) {
          const auto& prev = s_.fns[g->name];
          if (prev->arity != g->arity && last_fn_ == g->name) {
            d_.error("E0024", g->span, "clauses of `" + g->name + "` have different arities (" +
                                           std::to_string(prev->arity) + " and " + std::to_string(g->arity) + ")");
          } else {
            d_.error("E0023", g->span, "clauses of `" + g->name + "` are not consecutive",
                     "put every clause of a function together");
          }
          return;
        }
        if (name_taken(g->name)) d_.error("E0004", g->span, "`" + g->name + "` is already defined");
        s_.fns[g->name] = g;
        check_fn_group(*g, true);
        last_fn_ = g->name;
        return;
      }
      case Item::struct_: {
        const auto& sd = it.struct_def;
        if (name_taken(sd->name)) d_.error("E0004", sd->span, "`" + sd->name + "` is already defined");
        s_.structs[sd->name] = sd;
        check_deriving(sd->deriving);
        break;
      }
      case Item::sum: {
        const auto& sd = it.sum_def;
        if (name_taken(sd->name)) d_.error("E0004", sd->span, "`" + sd->name + "` is already defined");
        s_.sums[sd->name] = sd;
        int tag = 0;
        for (const auto& v : sd->variants) {
          if (v.name == "Exit" || v.name == "Down" || v.name == "NodeUp" || v.name == "NodeDown") {
            d_.error("E0010", v.span, "`" + v.name + "` is a built-in notification pattern and cannot be a variant name");
          }
          s_.variants[v.name] = VariantInfo{sd->name, tag++, v.arity, false};
        }
        check_deriving(sd->deriving);
        break;
      }
      case Item::interface: {
        s_.interfaces[it.interface_def->name] = it.interface_def;
        for (const auto& m : it.interface_def->methods) {
          s_.methods[m.name] = m.arity;
          if (m.default_body) {
            FnGroup g;
            g.name = m.name;
            g.arity = m.arity;
            g.clauses.push_back(m.default_body);
            check_fn_group(g, true);
          }
        }
        break;
      }
      case Item::impl: {
        const auto& im = it.impl_def;
        auto iface = s_.interfaces.find(im->iface);
        if (iface == s_.interfaces.end() && find_builtin_interface(im->iface) == nullptr && !lost(im->iface)) {
          d_.error("E0004", im->span, "unknown interface `" + im->iface + "`");
        }
        for (const auto& other : s_.impls) {
          if (other->iface == im->iface && other->type == im->type) {
            d_.error("E0026", im->span, "duplicate `impl " + im->iface + " for " + im->type + "`");
          }
        }
        if (iface != s_.interfaces.end()) {
          for (const auto& m : iface->second->methods) {
            const bool given = std::any_of(im->methods.begin(), im->methods.end(), [&](const FnDefP& f) { return f->name == m.name; });
            if (!given && !m.default_body) {
              d_.error("E0007", im->span, "`impl " + im->iface + " for " + im->type + "` is missing the method `" + m.name + "`");
            }
          }
        }
        check_impl_arities(*im, iface == s_.interfaces.end() ? nullptr : iface->second.get());
        check_ambiguous_methods(*im, iface == s_.interfaces.end() ? nullptr : iface->second.get());
        s_.impls.push_back(im);
        for (const auto& m : im->methods) {
          if (!s_.methods.count(m->name)) s_.methods[m->name] = static_cast<int>(m->params.size());
          FnGroup g;
          g.name = m->name;
          g.arity = static_cast<int>(m->params.size());
          g.clauses.push_back(m);
          check_fn_group(g, true);
        }
        break;
      }
      case Item::actor: {
        const auto& a = it.actor_def;
        if (name_taken(a->name)) d_.error("E0004", a->span, "`" + a->name + "` is already defined");
        s_.actors[a->name] = a;
        current_actor_ = a->name;
        push();
        for (const auto& p : a->params) bind_pattern(*p);
        check_block(a->body);
        if (a->terminate) {
          push();
          scopes_.front().clear();  // the terminate clause sees no parameters (snow.md#actors)
          check_block(*a->terminate);
          pop();
        }
        pop();
        current_actor_.clear();
        break;
      }
      case Item::service: {
        const auto& sv = it.service_def;
        if (name_taken(sv->name)) d_.error("E0004", sv->span, "`" + sv->name + "` is already defined");
        s_.services[sv->name] = sv;
        auto& api = s_.service_api[sv->name];
        if (!sv->init) d_.error("E0004", sv->span, "service `" + sv->name + "` has no `fn init`");
        int index = 0;
        for (const auto& h : sv->handlers) {
          const std::string api_name = snake_case(h.name);
          if (api.count(api_name) || api_name == "start") {
            d_.error("E0004", h.span, "service `" + sv->name + "` already has a handler named `" + api_name + "`");
          }
          api[api_name] = HandlerInfo{index++, &h};
        }
        if (sv->init) {
          FnGroup g;
          g.name = "init";
          g.arity = static_cast<int>(sv->init->params.size());
          g.clauses.push_back(sv->init);
          check_fn_group(g, false);
        }
        for (const auto& h : sv->handlers) {
          push();
          if (!h.state_name.empty()) bind(h.state_name);
          for (const auto& p : h.params) bind_pattern(*p);
          check_block(h.body);
          pop();
        }
        break;
      }
      case Item::supervisor: check_supervisor(it.supervisor_def); break;
      case Item::import: {
        // Imports of user modules were resolved by dsl/resolve.cc and are gone; what
        // remains imports a standard module (or, for a program parsed without
        // load_program, a module nobody looked for).
        const auto& im = *it.import_def;
        if (!is_std_module(im.path.front()) || im.path.size() != 1) {
          std::string name;
          for (const auto& seg : im.path) name += (name.empty() ? "" : ".") + seg;
          d_.error("E0031", im.path_span, "module `" + name + "` not found");
        } else if (im.from) {
          for (const auto& [n, sp] : im.names) {
            if (!find_builtin(im.path.front() + "." + n)) {
              d_.error("E0034", sp, "`" + n + "` not found in module `" + im.path.front() + "`");
            } else {
              imported_.insert(n);
              s_.imports[n] = im.path.front() + "." + n;
            }
          }
        }
        break;
      }
      case Item::alias: break;
      case Item::stmt:
        d_.error("syntax", it.span, "expected an item (fn, actor, service, supervisor, struct, type, ...) at the top level",
                 "put statements inside `fn main() do ... end`");
        break;
    }
    last_fn_.clear();
  }

  void check_deriving(const std::optional<std::vector<std::pair<std::string, Span>>>& d) {
    if (!d) return;
    bool eq = false, ord = false;
    Span ord_span;
    for (const auto& [n, sp] : *d) {
      if (n == "Eq") eq = true;
      else if (n == "Ord") { ord = true; ord_span = sp; }
      else if (n != "Display" && n != "Debug" && n != "Hash" && n != "Json" && n != "Row") {
        d_.error("E0028", sp, "cannot derive `" + n + "`", "derivable: Eq, Ord, Display, Debug, Hash");
      }
    }
    if (ord && !eq) d_.error("E0029", ord_span, "deriving `Ord` requires `Eq` in the same list");
  }

  /// E0027 (snow.md#calls-pipes-and-methods): two interfaces supplying one method name to one type. A call
  /// `value.name()` (or `name(value)`) is dispatched on the value's type at run time, so it
  /// could mean either; the second `impl` that supplies the name is reported.
  void check_ambiguous_methods(const ImplDef& im, const InterfaceDef* iface) {
    std::vector<std::string> supplied;
    for (const auto& m : im.methods) supplied.push_back(m->name);
    if (iface != nullptr) {
      for (const auto& m : iface->methods) {  // default methods count too
        if (m.default_body && std::find(supplied.begin(), supplied.end(), m.name) == supplied.end()) supplied.push_back(m.name);
      }
    } else if (const BuiltinInterface* b = find_builtin_interface(im.iface); b != nullptr && b->method != nullptr &&
               std::find(supplied.begin(), supplied.end(), b->method) == supplied.end()) {
      supplied.push_back(b->method);
    }
    for (const std::string& name : supplied) {
      auto [it, fresh] = method_suppliers_.try_emplace({im.type, name}, im.iface);
      if (fresh || it->second == im.iface) continue;
      d_.error("E0027", im.span,
               "ambiguous method `" + name + "` for `" + im.type + "`: both `" + it->second + "` and `" + im.iface +
                   "` supply it",
               "a call `" + name + "(value)` on a `" + im.type +
                   "` could mean either; rename the method in one of the interfaces");
    }
  }
  /// (type, method name) -> the interface whose impl first supplied it.
  std::map<std::pair<std::string, std::string>, std::string> method_suppliers_;

  static bool catch_all(const Pat& p) {
    switch (p.kind) {
      case PK::wild: case PK::var: return true;
      case PK::as: return catch_all(*p.kids[0]);
      default: return false;
    }
  }

  /// E0008: an impl method that its interface does not declare, or declares with another
  /// number of parameters. The built-in interfaces' methods are fixed by snow.md#interfaces. (Result
  /// types are compared by the type checker, which knows what the annotations mean.)
  void check_impl_arities(const ImplDef& im, const InterfaceDef* iface) {
    const BuiltinInterface* builtin = iface == nullptr ? find_builtin_interface(im.iface) : nullptr;
    // An unknown interface is E0004 already; Hash has no method to check.
    if (iface == nullptr && (builtin == nullptr || builtin->method == nullptr)) return;
    for (const auto& f : im.methods) {
      int expected = -1;
      if (iface != nullptr) {
        for (const auto& m : iface->methods) {
          if (m.name == f->name) expected = m.arity;
        }
      } else if (f->name == builtin->method) {
        expected = builtin->arity;
      }
      const int given = static_cast<int>(f->params.size());
      if (expected < 0) {
        d_.error("E0008", f->name_span, "interface `" + im.iface + "` has no method `" + f->name + "`",
                 iface ? "an impl provides the methods its interface declares"
                       : "`" + im.iface + "` has `" + builtin->method + "`");
      } else if (expected != given) {
        auto params = [](int n) { return std::to_string(n) + (n == 1 ? " parameter" : " parameters"); };
        d_.error("E0008", f->name_span,
                 "method `" + f->name + "` takes " + params(expected) + " in interface `" + im.iface + "`, " +
                     params(given) + " here",
                 "the parameters must match the interface's signature");
      }
    }
  }

  void check_fn_group(const FnGroup& g, bool top_level) {
    (void)top_level;
    for (std::size_t i = 0; i < g.clauses.size(); ++i) {
      const auto& c = g.clauses[i];
      if (i > 0 && c->has_annotations) {
        d_.warning("W0002", c->span, "annotations on a later clause of `" + g.name + "` are ignored",
                   "annotate the first clause: it gives the function its type");
      }
      const bool all_catch = std::all_of(c->params.begin(), c->params.end(), [this](const PatP& p) { return catch_all_param(*p); });
      if (all_catch && !c->guard && i + 1 < g.clauses.size()) {
        d_.error("E0022", g.clauses[i + 1]->span, "clause of `" + g.name + "` after a catch-all clause is unreachable",
                 "the catch-all clause must be the last one");
      }
      push();
      for (const auto& p : c->params) bind_pattern(*p);
      if (c->guard) check_expr(*c->guard);
      const int saved_loop = loop_depth_;
      loop_depth_ = 0;
      check_block(c->body);
      loop_depth_ = saved_loop;
      pop();
    }
    check_clauses_exhaustive(g);
  }

  /// Warns (W0001) when the unguarded clauses of a function leave some arguments
  /// unmatched: such a call is a runtime error. A warning, not an error as for `case`
  /// (E0012): guards are not analysed, and clauses like `fact(0)` next to
  /// `fact(n) when n > 0` are a common, deliberate partial function.
  void check_clauses_exhaustive(const FnGroup& g) {
    const std::size_t width = g.clauses.front()->params.size();
    if (width == 0) return;
    std::vector<Row> rows;
    for (const auto& c : g.clauses) {
      if (c->guard || c->params.size() != width) continue;  // guarded clauses do not count
      Row r;
      for (const auto& p : c->params) r.push_back(p.get());
      rows.push_back(std::move(r));
    }
    gave_up_ = false;
    steps_ = 0;
    const std::vector<Witness> ws = rest_missing(rows, width, kMaxMissing + 1);
    if (gave_up_ || ws.empty()) return;
    std::string list;
    for (std::size_t i = 0; i < ws.size() && i < kMaxMissing; ++i) {
      std::string args;
      for (const std::string& a : ws[i]) args += (args.empty() ? "" : ", ") + a;
      list += (list.empty() ? "" : ", ") + g.name + "(" + args + ")";
    }
    if (ws.size() > kMaxMissing) list += ", ...";
    d_.warning("W0001", g.span, "the clauses of `" + g.name + "` do not match every call: missing " + list,
               "a call no clause matches is a runtime error; add a clause (or a catch-all clause last)");
  }
  bool catch_all_param(const Pat& p) const {
    if (p.kind == PK::ctor && p.binds) return true;
    return catch_all(p);
  }

  void check_supervisor(const std::shared_ptr<SupervisorDef>& sd) {
    if (name_taken(sd->name)) d_.error("E0004", sd->span, "`" + sd->name + "` is already defined");
    static const std::set<std::string> strategies = {"one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one"};
    if (!strategies.count(sd->strategy)) {
      d_.error("E0019", sd->strategy_span, "unknown supervisor strategy `" + sd->strategy + "`",
               "valid strategies: one_for_one, one_for_all, rest_for_one, simple_one_for_one");
    }
    if (sd->max_seconds <= 0) d_.error("E0019", sd->span, "`max_seconds` must be positive");
    std::set<std::string> ids;
    for (const auto& c : sd->children) {
      if (!ids.insert(c.id).second) d_.error("E0019", c.span, "duplicate child name `" + c.id + "` in supervisor `" + sd->name + "`");
      if (!c.start) {
        d_.error("E0018", c.span, "child `" + c.id + "` has no `start`", "add `start: fn -> spawn(actor) end`");
      } else {
        if (!contains_spawn(*c.start)) {
          d_.error("E0018", c.start_span, "child start must return a `Pid`: `" + c.id + "`'s start does not spawn a process",
                   "write `start: fn -> spawn(actor, args...) end`");
        }
        push();
        check_expr(*c.start);
        pop();
      }
      if (c.restart != "permanent" && c.restart != "transient" && c.restart != "temporary") {
        d_.error("E0020", c.restart_span, "invalid restart type `" + c.restart + "`", "use permanent, transient or temporary");
      }
      if (!c.shutdown_ok) {
        d_.error("E0021", c.shutdown_span, "invalid shutdown value `" + c.shutdown_text + "`",
                 "use a positive number of milliseconds or `brutal_kill`");
      }
    }
    s_.supervisors[sd->name] = sd;
  }

  static bool contains_spawn(const Expr& e) {
    if (e.kind == EK::spawn) return true;
    if (e.kind == EK::call && e.kids[0]->kind == EK::field &&
        (e.kids[0]->name == "spawn" || e.kids[0]->name == "spawn_link")) {
      return true;
    }
    if (e.kind == EK::call && e.kids[0]->kind == EK::ident && e.kids[0]->name == "spawn_link") return true;
    for (const auto& k : e.kids) {
      if (k && contains_spawn(*k)) return true;
    }
    for (const auto& c : e.clauses) {
      for (const auto& s : c.body) {
        if (s->expr && contains_spawn(*s->expr)) return true;
      }
    }
    auto in_block = [](const Block& b) {
      for (const auto& s : b) {
        if (s->expr && contains_spawn(*s->expr)) return true;
      }
      return false;
    };
    if (in_block(e.then_block) || in_block(e.else_block) || in_block(e.body)) return true;
    for (const auto& a : e.arms) {
      if (a.body && contains_spawn(*a.body)) return true;
    }
    return false;
  }

  // ---- scopes ----
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void bind(const std::string& n) {
    if (!scopes_.empty()) scopes_.back().insert(n);
  }
  bool is_local(const std::string& n) const {
    for (const auto& s : scopes_) {
      if (s.count(n)) return true;
    }
    return false;
  }

  bool gave_up_ = false;  // exhaustiveness: a column that cannot be analysed
  long steps_ = 0;

  void pattern_names(const Pat& p, std::set<std::string>& out) {
    switch (p.kind) {
      case PK::var: out.insert(p.name); break;
      case PK::ctor:
        if (p.binds) out.insert(p.name);
        for (const auto& k : p.kids) pattern_names(*k, out);
        break;
      case PK::as: out.insert(p.name); pattern_names(*p.kids[0], out); break;
      case PK::alt: pattern_names(*p.kids[0], out); break;
      default:
        for (const auto& k : p.kids) pattern_names(*k, out);
    }
  }

  void check_pattern(const Pat& p) {
    if (p.kind == PK::ctor && (p.has_args || !p.qualifier.empty())) {
      auto it = s_.variants.find(p.name);
      if (it == s_.variants.end() || (!p.qualifier.empty() && it->second.type != p.qualifier && !s_.sums.count(p.qualifier) &&
                                      !it->second.builtin)) {
        if (lost(p.name) || lost(p.qualifier)) return;
        d_.error("E0010", p.span, "unknown variant `" + (p.qualifier.empty() ? "" : p.qualifier + ".") + p.name + "`",
                 hint_for(p.name, true));
      } else if (it->second.arity != static_cast<int>(p.kids.size()) && p.has_args) {
        d_.error("E0003", p.span, "variant `" + p.name + "` has " + std::to_string(it->second.arity) +
                                      " field(s), the pattern gives " + std::to_string(p.kids.size()));
      }
    }
    if (p.kind == PK::alt) {
      std::set<std::string> first;
      pattern_names(*p.kids[0], first);
      for (std::size_t i = 1; i < p.kids.size(); ++i) {
        std::set<std::string> other;
        pattern_names(*p.kids[i], other);
        if (other != first) {
          d_.error("E0011", p.kids[i]->span, "alternatives of an or-pattern bind different names");
        }
      }
    }
    for (const auto& k : p.kids) check_pattern(*k);
  }

  void bind_pattern(const Pat& p) {
    check_pattern(p);
    std::set<std::string> names;
    pattern_names(p, names);
    for (const auto& n : names) bind(n);
  }

  std::string hint_for(const std::string& name, bool variants_only = false) const {
    std::string best;
    int best_d = 3;
    auto consider = [&](const std::string& c) {
      const int dd = distance(name, c);
      if (dd < best_d) {
        best_d = dd;
        best = c;
      }
    };
    if (!variants_only) {
      for (const auto& s : scopes_) {
        for (const auto& n : s) consider(n);
      }
      for (const auto& [n, _] : s_.fns) consider(n);
    }
    for (const auto& [n, _] : s_.variants) consider(n);
    return best.empty() ? "" : "did you mean `" + best + "`?";
  }

  // ---- blocks and expressions ----
  void check_block(const Block& b) {
    push();
    for (const auto& st : b) {
      switch (st->kind) {
        case SK::let:
          check_expr(*st->expr);
          bind_pattern(*st->pat);
          break;
        case SK::ret:
          if (st->expr) check_expr(*st->expr);
          break;
        case SK::expr: check_expr(*st->expr); break;
        case SK::fn: {
          bind(st->fn->name);
          FnGroup g;
          g.name = st->fn->name;
          g.arity = static_cast<int>(st->fn->params.size());
          g.clauses.push_back(st->fn);
          check_fn_group(g, false);
          break;
        }
      }
    }
    pop();
  }

  void check_args(const std::vector<ExprP>& kids, std::size_t from) {
    for (std::size_t i = from; i < kids.size(); ++i) check_expr(*kids[i]);
  }

  void arity(Span sp, const std::string& what, int expected, std::size_t found) {
    if (expected >= 0 && static_cast<std::size_t>(expected) != found) {
      d_.error("E0003", sp, "wrong number of arguments to " + what + ": expected " + std::to_string(expected) +
                                ", found " + std::to_string(found));
    }
  }

  /// A name that an item dropped by a syntax error would have defined (parser.hpp).
  bool lost(const std::string& name) const { return p_.lost_names.count(name) > 0; }

  void unbound(const Expr& e) {
    if (lost(e.name)) return;  // the syntax error explains it
    if (s_.actors.count(e.name)) {
      d_.error("E0004", e.span, "actor `" + e.name + "` can only be spawned or self-called",
               "write `spawn(" + e.name + ", ...)`");
      return;
    }
    if (e.name == "self") {
      d_.error("E0004", e.span, "`self` is not bound here", "the current process is `self()`");
      return;
    }
    if (all_top_level_.count(e.name)) {
      d_.error("E0004", e.span, "`" + e.name + "` is used before it is declared",
               "declarations are checked in source order: move `" + e.name + "` above this use (snow.md#declaration-order)");
      return;
    }
    d_.error("E0004", e.span, "unbound name `" + e.name + "`", hint_for(e.name));
  }

  void check_call(const Expr& e) {
    const Expr& callee = *e.kids[0];
    const std::size_t nargs = e.kids.size() - 1;
    if (callee.kind == EK::ident) {
      const std::string& n = callee.name;
      if (is_local(n)) {
      } else if (s_.fns.count(n)) {
        arity(callee.span, "`" + n + "`", s_.fns[n]->arity, nargs);
      } else if (s_.actors.count(n) && n == current_actor_) {
        arity(callee.span, "the self-call of `" + n + "`", static_cast<int>(s_.actors[n]->params.size()), nargs);
      } else if (s_.variants.count(n)) {
        arity(callee.span, "variant `" + n + "`", s_.variants[n].arity, nargs);
      } else if (s_.methods.count(n)) {
        arity(callee.span, "method `" + n + "`", s_.methods[n], nargs);
      } else if (n == "spawn_link") {
        if (nargs == 0) d_.error("E0003", callee.span, "`spawn_link` needs an actor to start");
        else check_spawn_target(*e.kids[1], nargs - 1);
        check_args(e.kids, 2);
        return;
      } else if (n == "default") {
      } else if (const Builtin* b = find_builtin(imported_.count(n) ? s_.imports[n] : n)) {
        arity(callee.span, "`" + n + "`", b->arity, nargs);
      } else {
        unbound(callee);
      }
      check_args(e.kids, 1);
      return;
    }
    if (callee.kind == EK::field && callee.kids[0]->kind == EK::ident && !is_local(callee.kids[0]->name)) {
      const std::string& mod = callee.kids[0]->name;
      const std::string full = mod + "." + callee.name;
      if (s_.services.count(mod)) {
        const auto& api = s_.service_api[mod];
        if (callee.name == "start") {
          arity(callee.span, "`" + full + "`",
                s_.services[mod]->init ? static_cast<int>(s_.services[mod]->init->params.size()) : 0, nargs);
        } else if (auto it = api.find(callee.name); it != api.end()) {
          arity(callee.span, "`" + full + "`", 1 + static_cast<int>(it->second.handler->params.size()), nargs);
        } else {
          d_.error("E0004", callee.span, "service `" + mod + "` has no handler `" + callee.name + "`");
        }
        check_args(e.kids, 1);
        return;
      }
      if (s_.sums.count(mod) || (s_.variants.count(callee.name) && (mod == "Option" || mod == "Result" || mod == "Ordering" || mod == "ExitReason"))) {
        auto it = s_.variants.find(callee.name);
        if (it == s_.variants.end() && !lost(callee.name)) d_.error("E0010", callee.span, "unknown variant `" + full + "`", hint_for(callee.name, true));
        else arity(callee.span, "variant `" + full + "`", it->second.arity, nargs);
        check_args(e.kids, 1);
        return;
      }
      if (full == "Node.spawn" || full == "Node.spawn_link") {
        if (nargs < 2) d_.error("E0003", callee.span, "`" + full + "` needs a node and an actor");
        else check_spawn_target(*e.kids[2], nargs - 2);
        check_expr(*e.kids[1]);
        check_args(e.kids, 3);
        return;
      }
      if (is_std_module(mod)) {
        if (const Builtin* b = find_builtin(full)) {
          arity(callee.span, "`" + full + "`", b->arity, nargs);
        } else {
          d_.error("E0004", callee.span, "`" + full + "` is not in the standard library", hint_for(callee.name));
        }
        check_args(e.kids, 1);
        return;
      }
      if (std::isupper(static_cast<unsigned char>(mod[0])) && !s_.structs.count(mod)) {
        if (!lost(mod)) d_.error("E0031", callee.kids[0]->span, "module `" + mod + "` not found");
        check_args(e.kids, 1);
        return;
      }
    }
    if (callee.kind == EK::field) {
      // a method call: the receiver is an expression
      check_expr(*callee.kids[0]);
      check_args(e.kids, 1);
      return;
    }
    check_expr(callee);
    check_args(e.kids, 1);
  }

  void check_spawn_target(const Expr& target, std::size_t nargs) {
    if (target.kind == EK::ident && s_.actors.count(target.name)) {
      arity(target.span, "actor `" + target.name + "`", static_cast<int>(s_.actors[target.name]->params.size()), nargs);
    } else if (target.kind == EK::ident && s_.supervisors.count(target.name)) {
      arity(target.span, "supervisor `" + target.name + "`", 0, nargs);
    } else if (target.kind == EK::ident && s_.fns.count(target.name)) {
      d_.error("E0001", target.span, "type mismatch: `" + target.name + "` is a function, not an actor",
               "declare it with `actor " + target.name + "(...) do ... end`");
    } else if (target.kind == EK::ident && !is_local(target.name)) {
      if (!lost(target.name)) d_.error("E0004", target.span, "unbound name `" + target.name + "`", hint_for(target.name));
    } else {
      d_.error("E0016", target.span, "cannot spawn a non-function", "the first argument of spawn names an actor or supervisor");
    }
  }

  void check_guard_restricted(const Expr& g) {
    switch (g.kind) {
      case EK::int_lit: case EK::float_lit: case EK::bool_lit: case EK::unit: case EK::ident: return;
      case EK::str:
        for (const auto& p : g.pieces) {
          if (p.is_expr) d_.error("E0013", g.span, "interpolation is not allowed in a `case` guard");
        }
        return;
      case EK::unary:
        if (g.name == "not") return check_guard_restricted(*g.kids[0]);
        break;
      case EK::binary: {
        static const std::set<std::string> ok = {"==", "!=", "<", ">", "<=", ">=", "and", "or"};
        if (ok.count(g.name)) {
          check_guard_restricted(*g.kids[0]);
          check_guard_restricted(*g.kids[1]);
          return;
        }
        break;
      }
      case EK::call:
        if (g.kids[0]->kind == EK::ident) {
          for (std::size_t i = 1; i < g.kids.size(); ++i) check_guard_restricted(*g.kids[i]);
          return;
        }
        break;
      default: break;
    }
    d_.error("E0013", g.span, "this is not allowed in a `case` guard",
             "guards use literals, names, comparisons, and/or/not and calls of named functions; move the rest into a helper function");
  }

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

  /// A pattern with its `as` wrappers removed, or nullptr when it matches anything.
  const Pat* strip(const Pat* p) const {
    while (p != nullptr && p->kind == PK::as) p = p->kids[0].get();
    if (p == nullptr || catch_all(*p)) return nullptr;
    if (p->kind == PK::ctor && p->binds) return nullptr;  // binds a name
    return p;
  }

  std::optional<Head> head_of(const Pat& p) const {
    switch (p.kind) {
      case PK::ctor: {
        auto it = s_.variants.find(p.name);
        if (it == s_.variants.end()) return std::nullopt;
        const int given = p.has_args ? static_cast<int>(p.kids.size()) : 0;
        if (given != it->second.arity) return std::nullopt;  // an arity error, reported elsewhere
        return Head{Head::variant, p.name, "variant " + it->second.type, it->second.arity};
      }
      case PK::tuple: return Head{Head::tuple, "", "tuple " + std::to_string(p.kids.size()), static_cast<int>(p.kids.size())};
      case PK::cons: return Head{Head::cons, "", "list", 2};
      case PK::bool_lit: return Head{Head::boolean, p.bool_value ? "true" : "false", "bool", 0};
      case PK::unit: return Head{Head::unit, "()", "unit", 0};
      case PK::int_lit: return Head{Head::literal, std::to_string(p.int_value), "int", 0};
      case PK::float_lit: return Head{Head::literal, std::to_string(p.float_value), "float", 0};
      case PK::str_lit: return Head{Head::literal, p.str_value, "string", 0};
      default: return std::nullopt;
    }
  }

  /// Every constructor of a family, in declaration order; empty for the literal families.
  std::vector<Head> all_heads(const std::string& family) const {
    if (family == "bool") return {Head{Head::boolean, "true", family, 0}, Head{Head::boolean, "false", family, 0}};
    if (family == "unit") return {Head{Head::unit, "()", family, 0}};
    if (family == "list") return {Head{Head::nil, "[]", family, 0}, Head{Head::cons, "", family, 2}};
    if (family.rfind("tuple ", 0) == 0) {
      const int n = std::stoi(family.substr(6));
      return {Head{Head::tuple, "", family, n}};
    }
    std::vector<Head> out;
    if (family.rfind("variant ", 0) == 0) {
      const std::string type = family.substr(8);
      std::vector<std::pair<int, Head>> vs;
      for (const auto& [n, v] : s_.variants) {
        if (v.type == type) vs.push_back({v.tag, Head{Head::variant, n, family, v.arity}});
      }
      std::sort(vs.begin(), vs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [_, h] : vs) out.push_back(std::move(h));
    }
    return out;
  }

  static bool same_head(const Head& a, const Head& b) { return a.kind == b.kind && a.name == b.name && a.arity == b.arity; }

  /// `head` applied to the first `head.arity` parts of a witness, then the rest.
  static Witness compose(const Head& h, const Witness& w) {
    std::vector<std::string> args(w.begin(), w.begin() + h.arity);
    std::string shown;
    auto join = [&] {
      std::string j;
      for (const auto& a : args) j += (j.empty() ? "" : ", ") + a;
      return j;
    };
    switch (h.kind) {
      case Head::variant: shown = h.arity == 0 ? h.name : h.name + "(" + join() + ")"; break;
      case Head::tuple: shown = "(" + join() + ")"; break;
      case Head::cons:
        shown = (args[0].find(" :: ") != std::string::npos ? "(" + args[0] + ")" : args[0]) + " :: " + args[1];
        break;
      default: shown = h.name; break;
    }
    Witness out{shown};
    out.insert(out.end(), w.begin() + h.arity, w.end());
    return out;
  }

  /// Rows with a first pattern of alternatives split into one row per alternative.
  std::vector<Row> expand_first(const std::vector<Row>& rows) const {
    std::vector<Row> out;
    for (const Row& r : rows) {
      const Pat* p = strip(r[0]);
      if (p != nullptr && p->kind == PK::alt) {
        for (const auto& k : p->kids) {
          Row alt = r;
          alt[0] = k.get();
          for (Row& e : expand_first({alt})) out.push_back(std::move(e));
        }
      } else {
        Row s = r;
        s[0] = p;
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  /// Up to `cap` value shapes (one pattern per column) that no row matches; `gave_up_`
  /// when a column cannot be analysed.
  std::vector<Witness> missing(const std::vector<Row>& in, std::size_t cap) {
    if (gave_up_ || ++steps_ > 100000) {
      gave_up_ = true;
      return {};
    }
    if (in.empty()) {
      // Nothing matches any value here: the whole remaining row is missing.
      return {};  // handled by the caller through `width`
    }
    const std::size_t width = in[0].size();
    if (width == 0) return {};  // a row matches every value
    const std::vector<Row> rows = expand_first(in);
    std::vector<Head> seen;
    std::string family;
    for (const Row& r : rows) {
      if (r[0] == nullptr) continue;
      std::optional<Head> h = head_of(*r[0]);
      if (!h || (!family.empty() && h->family != family)) {
        gave_up_ = true;
        return {};
      }
      family = h->family;
      if (std::none_of(seen.begin(), seen.end(), [&](const Head& s) { return same_head(s, *h); })) seen.push_back(*h);
    }
    const std::vector<Head> all = all_heads(family);
    std::vector<Head> absent;
    for (const Head& h : all) {
      if (std::none_of(seen.begin(), seen.end(), [&](const Head& s) { return same_head(s, h); })) absent.push_back(h);
    }
    std::vector<Witness> out;
    if (!seen.empty() && !all.empty() && absent.empty()) {
      // Every constructor appears: a missing value is missing under one of them.
      for (const Head& h : all) {
        std::vector<Row> spec;
        for (const Row& r : rows) {
          Row s;
          if (r[0] == nullptr) {
            s.assign(static_cast<std::size_t>(h.arity), nullptr);
          } else if (same_head(*head_of(*r[0]), h)) {
            for (const auto& k : r[0]->kids) s.push_back(k.get());
            if (h.kind == Head::variant && !r[0]->has_args) s.clear();
          } else {
            continue;
          }
          s.insert(s.end(), r.begin() + 1, r.end());
          spec.push_back(std::move(s));
        }
        for (const Witness& w : rest_missing(spec, static_cast<std::size_t>(h.arity) + width - 1, cap - out.size())) {
          out.push_back(compose(h, w));
        }
        if (out.size() >= cap || gave_up_) break;
      }
      return out;
    }
    // Some constructor (or, for literals, some value) appears in no row: a value built with
    // it is matched only by the rows that start with a wildcard.
    std::vector<Row> defaults;
    for (const Row& r : rows) {
      if (r[0] == nullptr) defaults.emplace_back(r.begin() + 1, r.end());
    }
    const std::vector<Witness> rest = rest_missing(defaults, width - 1, cap);
    if (rest.empty()) return {};
    std::vector<std::string> firsts;
    if (seen.empty() || all.empty()) {
      firsts.push_back("_");
    } else {
      for (const Head& h : absent) firsts.push_back(compose(h, Witness(static_cast<std::size_t>(h.arity), "_"))[0]);
    }
    for (const std::string& f : firsts) {
      for (const Witness& w : rest) {
        if (out.size() >= cap) return out;
        Witness x{f};
        x.insert(x.end(), w.begin(), w.end());
        out.push_back(std::move(x));
      }
    }
    return out;
  }
  /// `missing` for a matrix of `width` columns that may have no rows.
  std::vector<Witness> rest_missing(const std::vector<Row>& rows, std::size_t width, std::size_t cap) {
    if (rows.empty()) return {Witness(width, "_")};
    return missing(rows, cap);
  }

  void check_exhaustive(const Expr& e) {
    std::vector<Row> rows;
    for (const auto& a : e.arms) {
      if (!a.guard) rows.push_back({a.pat.get()});  // guarded arms do not count (snow.md#case)
    }
    gave_up_ = false;
    steps_ = 0;
    const std::vector<Witness> ws = rest_missing(rows, 1, kMaxMissing + 1);
    if (gave_up_ || ws.empty()) return;
    std::string list;
    for (std::size_t i = 0; i < ws.size() && i < kMaxMissing; ++i) list += (list.empty() ? "" : ", ") + ws[i][0];
    if (ws.size() > kMaxMissing) list += ", ...";
    d_.error("E0012", e.span, "non-exhaustive `case`: missing " + list, "add the missing arms or a `_ ->` arm");
  }

  void check_expr(const Expr& e) {
    switch (e.kind) {
      case EK::int_lit: case EK::float_lit: case EK::bool_lit: case EK::unit: case EK::self_pid: return;
      case EK::str:
        for (const auto& p : e.pieces) {
          if (p.is_expr && p.expr) check_expr(*p.expr);
        }
        return;
      case EK::ident:
        if (is_local(e.name) || s_.fns.count(e.name) || imported_.count(e.name) || find_builtin(e.name) ||
            s_.methods.count(e.name)) {
          return;
        }
        if (s_.variants.count(e.name)) {
          if (s_.variants[e.name].arity != 0) {
            // A constructor used as a value is fine only for nullary ones.
            d_.error("E0003", e.span, "variant `" + e.name + "` needs " + std::to_string(s_.variants[e.name].arity) + " argument(s)");
          }
          return;
        }
        unbound(e);
        return;
      case EK::tuple: case EK::list: case EK::map: check_args(e.kids, 0); return;
      case EK::binary:
      case EK::unary:
      case EK::index:
      case EK::try_:
        if (e.kind == EK::index) d_.error("syntax", e.span, "index expressions have no meaning", "use `List.get(xs, i)`");
        check_args(e.kids, 0);
        return;
      case EK::call: check_call(e); return;
      case EK::field: {
        const Expr& recv = *e.kids[0];
        if (recv.kind == EK::ident && !is_local(recv.name) && std::isupper(static_cast<unsigned char>(recv.name[0]))) {
          const std::string full = recv.name + "." + e.name;
          if (full == "Math.pi") return;
          if (s_.sums.count(recv.name) || recv.name == "Option" || recv.name == "Result" || recv.name == "Ordering" ||
              recv.name == "ExitReason") {
            if (!s_.variants.count(e.name) && !lost(e.name)) d_.error("E0010", e.span, "unknown variant `" + full + "`", hint_for(e.name, true));
            return;
          }
          if (is_std_module(recv.name)) {
            if (!find_builtin(full)) d_.error("E0004", e.span, "`" + full + "` is not in the standard library");
            return;
          }
          if (s_.services.count(recv.name)) return;
        }
        check_expr(recv);
        return;
      }
      case EK::struct_lit: {
        auto it = s_.structs.find(e.name);
        if (it == s_.structs.end()) {
          if (!lost(e.name)) d_.error("E0004", e.span, "unknown struct `" + e.name + "`");
        } else {
          std::set<std::string> given;
          for (std::size_t i = 0; i < e.fields.size(); ++i) {
            const auto& f = e.fields[i].first;
            if (std::find(it->second->fields.begin(), it->second->fields.end(), f) == it->second->fields.end()) {
              d_.error("E0009", e.field_spans[i], "struct `" + e.name + "` has no field `" + f + "`");
            } else if (!given.insert(f).second) {
              d_.error("E0009", e.field_spans[i], "field `" + f + "` is given twice");
            }
          }
          for (const auto& f : it->second->fields) {
            if (!given.count(f)) d_.error("E0009", e.span, "struct literal of `" + e.name + "` is missing the field `" + f + "`");
          }
        }
        for (const auto& [_, v] : e.fields) check_expr(*v);
        return;
      }
      case EK::if_:
        check_expr(*e.cond);
        check_block(e.then_block);
        check_block(e.else_block);
        return;
      case EK::case_:
      case EK::receive:
        if (e.cond) check_expr(*e.cond);
        for (const auto& a : e.arms) {
          push();
          bind_pattern(*a.pat);
          if (a.guard) {
            if (e.kind == EK::case_) check_guard_restricted(*a.guard);
            check_expr(*a.guard);
          }
          check_expr(*a.body);
          pop();
        }
        if (e.kind == EK::case_) check_exhaustive(e);
        if (e.after_ms) check_expr(*e.after_ms);
        if (e.after_body) check_expr(*e.after_body);
        return;
      case EK::closure: {
        const int saved = loop_depth_;
        loop_depth_ = 0;
        in_closure_++;
        for (const auto& c : e.clauses) {
          push();
          for (const auto& p : c.params) bind_pattern(*p);
          if (c.guard) check_expr(*c.guard);
          check_block(c.body);
          pop();
        }
        in_closure_--;
        loop_depth_ = saved;
        return;
      }
      case EK::while_:
        check_expr(*e.cond);
        loop_depth_++;
        check_block(e.body);
        loop_depth_--;
        return;
      case EK::for_:
        check_expr(*e.iter);
        push();
        if (e.loop_var) bind_pattern(*e.loop_var);
        if (!e.key_var.empty()) {
          bind(e.key_var);
          bind(e.value_var);
        }
        if (e.cond) check_expr(*e.cond);
        loop_depth_++;
        check_block(e.body);
        loop_depth_--;
        pop();
        return;
      case EK::break_:
      case EK::continue_:
        if (loop_depth_ == 0) {
          const bool brk = e.kind == EK::break_;
          d_.error(brk ? "E0032" : "E0033", e.span,
                   std::string("`") + (brk ? "break" : "continue") + "` outside a loop" +
                       (in_closure_ ? " (a closure cannot leave the loop around it)" : ""));
        }
        return;
      case EK::spawn:
        check_spawn_target(*e.kids[0], e.kids.size() - 1);
        check_args(e.kids, 1);
        return;
      case EK::send:
      case EK::link: check_args(e.kids, 0); return;
    }
  }

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

}  // namespace

Symbols check(const Program& program, Diagnostics& diags) { return Checker(program, diags).run(); }

const BuiltinInterface* find_builtin_interface(const std::string& name) {
  static const BuiltinInterface interfaces[] = {
      {"Display", "to_string", 1, "String"}, {"Debug", "inspect", 1, "String"}, {"Eq", "eq", 2, "Bool"},
      {"Ord", "compare", 2, "Ordering"},      {"Default", "default", 0, nullptr}, {"Hash", nullptr, 0, nullptr}};
  for (const BuiltinInterface& i : interfaces) {
    if (name == i.name) return &i;
  }
  return nullptr;
}

}  // namespace snowc
