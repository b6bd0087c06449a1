// dsl/check_bodies.cc: the bodies of functions, actors and handlers: names in scope and
// declared before use, patterns (variants, or-pattern bindings), calls and arities,
// spawn targets, break/continue placement, guards, every expression.
#include "checks_internal.hpp"
#include "resolve.hpp"

namespace snowc::checking {

void Checker::bind(const std::string& n) {
  if (!scopes_.empty()) scopes_.back().insert(n);
}

bool Checker::is_local(const std::string& n) const {
  for (const auto& s : scopes_) {
    if (s.count(n)) return true;
  }
  return false;
}

void Checker::pattern_names(const Pat& p, std::set<std::string>& out) {
  std::vector<std::string> names;
  bound_names(p, names);
  out.insert(names.begin(), names.end());
}

void Checker::check_pattern(const Pat& p) {
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

void Checker::bind_pattern(const Pat& p) {
  check_pattern(p);
  std::set<std::string> names;
  pattern_names(p, names);
  for (const auto& n : names) bind(n);
}

std::string Checker::hint_for(const std::string& name, bool variants_only) const {
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
void Checker::check_block(const Block& b) {
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

void Checker::check_args(const std::vector<ExprP>& kids, std::size_t from) {
  for (std::size_t i = from; i < kids.size(); ++i) check_expr(*kids[i]);
}

void Checker::arity(Span sp, const std::string& what, int expected, std::size_t found) {
  if (expected >= 0 && static_cast<std::size_t>(expected) != found) {
    d_.error("E0003", sp, "wrong number of arguments to " + what + ": expected " + std::to_string(expected) +
                              ", found " + std::to_string(found));
  }
}

void Checker::unbound(const Expr& e) {
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

void Checker::check_call(const Expr& e) {
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

void Checker::check_spawn_target(const Expr& target, std::size_t nargs) {
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

void Checker::check_guard_restricted(const Expr& g) {
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

void Checker::check_expr(const Expr& e) {
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

}  // namespace snowc::checking
