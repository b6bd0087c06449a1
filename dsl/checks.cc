// dsl/checks.cc: what snowc verifies before types (see checks.hpp): declarations and the
// symbol tables, deriving, impls and interface arities, function clause rules,
// supervisors (checks_internal.hpp lists the other checker files).
#include "checks_internal.hpp"

namespace snowc::checking {

Symbols Checker::run() {
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

// ---- declarations ----
void Checker::builtin_variants() {
  std::map<std::string, int> next_tag;
  for (const BuiltinVariant& v : snowc::builtin_variants()) {
    s_.variants[v.name] = VariantInfo{v.type, next_tag[v.type]++, v.arity, true};
  }
}

bool Checker::name_taken(const std::string& n) const {
  return s_.fns.count(n) || s_.actors.count(n) || s_.services.count(n) || s_.supervisors.count(n) ||
         s_.structs.count(n) || s_.sums.count(n);
}

void Checker::declare_and_check(const Item& it) {
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

void Checker::check_deriving(const std::optional<std::vector<std::pair<std::string, Span>>>& d) {
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
void Checker::check_ambiguous_methods(const ImplDef& im, const InterfaceDef* iface) {
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

bool Checker::catch_all(const Pat& p) {
  switch (p.kind) {
    case PK::wild: case PK::var: return true;
    case PK::as: return catch_all(*p.kids[0]);
    default: return false;
  }
}

/// E0008: an impl method that its interface does not declare, or declares with another
/// number of parameters. The built-in interfaces' methods are fixed by snow.md#interfaces. (Result
/// types are compared by the type checker, which knows what the annotations mean.)
void Checker::check_impl_arities(const ImplDef& im, const InterfaceDef* iface) {
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

void Checker::check_fn_group(const FnGroup& g, bool top_level) {
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
void Checker::check_clauses_exhaustive(const FnGroup& g) {
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

bool Checker::catch_all_param(const Pat& p) const {
  if (p.kind == PK::ctor && p.binds) return true;
  return catch_all(p);
}

void Checker::check_supervisor(const std::shared_ptr<SupervisorDef>& sd) {
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

bool Checker::contains_spawn(const Expr& e) {
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

}  // namespace snowc::checking

namespace snowc {

Symbols check(const Program& program, Diagnostics& diags) { return checking::Checker(program, diags).run(); }

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
