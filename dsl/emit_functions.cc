// dsl/emit_functions.cc: functions and what their bodies are made of: a function's
// clauses (as one coroutine or plain C++ function), blocks and statements, `return`,
// where a value goes (Dest), `if`, `case`, and self tail calls as loops.
#include "emit_internal.hpp"

namespace snowc::emit {

bool Emitter::simple_params(const FnDef& f) {
  for (const auto& p : f.params) {
    if (p->kind != PK::var && p->kind != PK::wild) return false;
  }
  return true;
}

/// A top-level function (all its clauses) as one coroutine, or as a plain C++ function
/// when it never waits (dsl/may_wait.hpp).
void Emitter::emit_fn(const FnGroup& g, const std::string& cpp_name, bool self_calls) {
  const bool plain = plain_.count(g.name) > 0 && self_calls;
  Out body;
  const FnCtx ctx = fn_body(g, self_calls, plain, body);
  defs_.indent = 0;
  if (!g.clauses.empty()) debug_at(g.clauses[0]->span);
  defs_.line("");
  defs_.line("// fn " + g.name);
  // A plain function is `inline`: GCC then weighs inlining it where it is called (one
  // translation unit holds the whole program), as a hand-written helper would be.
  defs_.line((plain ? "inline sl::Value " : "sl::Co<sl::Value> ") + cpp_name + "(" + params_decl(ctx.params.size(), ctx.params, plain) + ") {");
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
FnCtx Emitter::fn_body(const FnGroup& g, bool self_calls, bool plain, Out& body) {
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

std::string Emitter::dedent(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("  ", 0) == 0 && l[0] != '#') l = l.substr(2);
    out += l + "\n";
  }
  return out;
}

/// Clause by clause: the first whose patterns match and whose guard holds runs.
void Emitter::emit_clauses(const FnGroup& g, const std::vector<std::string>& params) {
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
      out_->line("if (" + condition(g2) + ") {");
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

// ---- statements ----
void Emitter::block(const Block& b, const Dest& d) {
  push();
  const bool received_before = fn_.received;  // what holds on every path into this block
  if (b.empty()) finish("sl::unit()", d);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const Stmt& st = *b[i];
    const bool last = i + 1 == b.size();
    at(st.span);
    switch (st.kind) {
      case SK::let: {
        if (st.pat->kind == PK::var &&
            (st.expr->kind == EK::if_ || st.expr->kind == EK::case_ || st.expr->kind == EK::receive)) {
          // Built in the variable itself, not in a temporary moved into it. The name is
          // bound after the expression, which still sees an outer binding of the name.
          const std::string n = reserve(st.pat->name);
          out_->line("sl::Value " + n + ";");
          into(*st.expr, Dest{Dest::assign, n, false});
          scopes_.back()[st.pat->name] = n;
          if (last) finish("sl::unit()", d);
          break;
        }
        const std::string v = ex(*st.expr);
        if (st.pat->kind == PK::var) {
          const std::string n = declare(st.pat->name);
          out_->line("sl::Value " + n + " = " + taken(v) + ";");
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

void Emitter::emit_return(const Expr* e) {
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

void Emitter::finish(const std::string& v, const Dest& d) {
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
void Emitter::into(const Expr& e, const Dest& d) {
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

bool Emitter::is_self_call(const Expr& e) const {
  const Expr& callee = *e.kids[0];
  return callee.kind == EK::ident && !fn_.snow_name.empty() && callee.name == fn_.snow_name && !lookup(callee.name) &&
         !fn_.in_lambda;
}

void Emitter::emit_self_tail_call(const Expr& e) {
  // Every argument is evaluated before any parameter is rebound (snow.md#tail-calls). A parameter
  // passed on unchanged (`loop(state, n + 1)` keeps `state`) is left alone: no copy.
  std::vector<std::string> vals;
  for (std::size_t i = 1; i < e.kids.size(); ++i) {
    const std::string v = ex(*e.kids[i]);
    vals.push_back(i - 1 < fn_.params.size() && v == fn_.params[i - 1] ? "" : v);
  }
  // One parameter changes (`loop(i + 1, n)`): it is assigned its new value directly, as
  // no other argument is left to read the old one.
  const bool one = std::count_if(vals.begin(), vals.end(), [](const std::string& v) { return !v.empty(); }) == 1;
  for (auto& v : vals) {
    if (v.empty() || one || single_use_.count(v)) continue;  // a temporary of its own is moved in
    const std::string t = fresh("arg");
    out_->line("sl::Value " + t + " = " + v + ";");
    v = t;
    single_use_.insert(t);
  }
  for (std::size_t i = 0; i < vals.size() && i < fn_.params.size(); ++i) {
    if (!vals[i].empty()) out_->line(fn_.params[i] + " = " + taken(vals[i]) + ";");
  }
  if (!fn_.received) out_->line("co_await sl::tick(self);");
  out_->line("continue;  // self tail call: loop");
  fn_.looped = true;
}

void Emitter::emit_if(const Expr& e, const Dest& d) {
  const std::string c = ex(*e.cond);
  out_->line("if (" + condition(c) + ") {");
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
std::string Emitter::named(const std::string& v, const char* base) {
  if (v.rfind("_", 0) == 0 || (lookup_cpp(v))) return v;
  const std::string t = fresh(base);
  out_->line("const sl::Value " + t + " = " + v + ";");
  return t;
}

bool Emitter::lookup_cpp(const std::string& v) const {
  for (const auto& s : scopes_) {
    for (const auto& [_, c] : s) {
      if (c == v) return true;
    }
  }
  return false;
}

void Emitter::emit_case(const Expr& e, const Dest& d) {
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
    const std::string moved = arm_result_name(a, d);
    moved_binding_ = moved;
    moved_into_ = d.kind == Dest::assign && !a.guard ? d.var : "";  // a guard may still refuse the arm
    pat_bind(*a.pat, v, false);
    moved_binding_.clear();
    moved_into_.clear();
    if (a.guard) {
      const std::string g = ex(*a.guard);
      out_->line("if (" + condition(g) + ") {");
      out_->indent++;
    }
    if (guards) out_->line(matched + " = true;");
    arm_value(a, moved, d);
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

}  // namespace snowc::emit
