// dsl/type_items.cc: the types of items and of what binds: functions (generalised after
// their definition), actors and their mailbox, services, impls' results, patterns,
// blocks, and branches that must agree.
#include "typecheck_internal.hpp"

namespace snowc::inference {

// ---- items ----
void Inferrer::infer_item(const Item& it) {
  if (!pending_types_.empty()) read_field_types();
  ctx_ = Ctx{};
  scopes_.clear();
  generics_.clear();
  switch (it.kind) {
    case Item::fn: {
      const FnGroup& g = *it.fn_group;
      Scheme sc = infer_fn(g.name, g.clauses, true);
      fns_[g.name] = sc;
      break;
    }
    case Item::interface:
      for (const auto& m : it.interface_def->methods) {
        if (m.default_body) infer_fn(m.name, {m.default_body}, false, ts_.var());
      }
      break;
    case Item::impl: {
      const ImplDef& im = *it.impl_def;
      Type* self_t = ts_.var();
      if (auto st = structs_.find(im.type); st != structs_.end() && st->second.params.empty()) self_t = ts_.con(im.type);
      if (auto su = sums_.find(im.type); su != sums_.end() && su->second.params.empty()) self_t = ts_.con(im.type);
      if (im.type == "Int" || im.type == "Float" || im.type == "String" || im.type == "Bool") self_t = ts_.con(im.type);
      for (const auto& m : im.methods) check_impl_result(im, *m, infer_fn(m->name, {m}, false, self_t), self_t);
      break;
    }
    case Item::actor: infer_actor(*it.actor_def); break;
    case Item::service: infer_service(*it.service_def); break;
    case Item::supervisor:
      for (const auto& c : it.supervisor_def->children) {
        if (!c.start) continue;
        push();
        infer(*c.start);
        pop();
      }
      break;
    default: break;
  }
}

/// E0008: an impl method whose result type differs from its interface's (the fixed
/// signatures of the built-in interfaces, snow.md#interfaces, or the user interface's annotation).
/// Only a known type on both sides is compared: the checker stays gradual.
void Inferrer::check_impl_result(const ImplDef& im, const FnDef& m, const Scheme& sc, Type* self_t) {
  Type* expected = nullptr;
  if (auto it = s_.interfaces.find(im.iface); it != s_.interfaces.end()) {
    for (const auto& im_m : it->second->methods) {
      if (im_m.name == m.name && im_m.ret) expected = annotation(*im_m.ret);
    }
  } else if (const BuiltinInterface* b = find_builtin_interface(im.iface); b && b->method && m.name == b->method) {
    expected = b->result ? ts_.con(b->result) : self_t;
  }
  Type* fn = TypeStore::resolve(sc.type);
  if (expected == nullptr || fn->kind != TK::fun || fn->args.empty()) return;
  Type* found = TypeStore::resolve(fn->args.back());
  if (!TypeStore::known(expected) || !TypeStore::known(found)) return;
  const std::size_t undo_to = ts_.mark();
  const bool same = ts_.unify(expected, found) == Unified::ok;
  ts_.undo(undo_to);
  if (!same) {
    error("E0008", m.ret ? m.ret->span : m.name_span,
          "method `" + m.name + "` of `impl " + im.iface + " for " + im.type + "` returns " + q(found) +
              ", but the interface says " + q(expected),
          "the result type must match the interface's signature");
  }
}

Span Inferrer::last_span(const Block& b, Span fallback) {
  if (!b.empty() && b.back()->kind == SK::expr && b.back()->expr) return b.back()->expr->span;
  return fallback;
}

/// Infers a function from its clauses (annotations from the first). Top-level functions
/// are bound in `fns_` while their body is inferred, local ones in the current scope.
/// `self_t`: the type of the first parameter of an impl method.
Scheme Inferrer::infer_fn(const std::string& name, const std::vector<FnDefP>& clauses, bool top, Type* self_t,
                          bool bind_local) {
  const FnDef& first = *clauses.front();
  std::map<std::string, Type*> gm;
  for (const auto& g : first.generics) gm[g] = ts_.var();
  generics_.push_back(gm);
  std::vector<Type*> params;
  for (std::size_t i = 0; i < first.params.size(); ++i) params.push_back(ts_.var());
  if (self_t && !params.empty()) ts_.unify(params[0], self_t);
  Type* ret = ts_.var();
  if (first.ret) ts_.unify(ret, annotation(*first.ret));
  Type* fn_t = ts_.fun(params, ret);
  const bool is_main = top && name == "main";
  if (top && !self_t) fns_[name] = Scheme{{}, fn_t, {}};
  const std::set<Type*> fixed = top ? std::set<Type*>{} : env_vars();
  if (bind_local) bind(name, fn_t);  // monomorphic inside its own body

  const Ctx saved = ctx_;
  ctx_ = Ctx{};
  ctx_.ret = ret;
  ctx_.check_try = !is_main;
  if (is_main) ctx_.msg = mailbox(first.body);
  for (std::size_t k = 0; k < clauses.size(); ++k) {
    const FnDef& c = *clauses[k];
    push();
    for (std::size_t i = 0; i < c.params.size() && i < params.size(); ++i) infer_pat(*c.params[i], params[i], k == 0);
    if (c.guard) guard(*c.guard);
    Type* body = block(c.body, !is_main);
    if (!is_main) expect(ret, body, last_span(c.body, c.span));
    pop();
  }
  ctx_ = saved;
  generics_.pop_back();

  Scheme sc = ts_.generalize(fn_t, fixed);
  for (const auto& [g, iface] : first.bounds) {
    auto it = gm.find(g);
    if (it == gm.end()) continue;
    Type* v = TypeStore::resolve(it->second);
    if (std::find(sc.vars.begin(), sc.vars.end(), v) != sc.vars.end()) sc.bounds.emplace_back(v, iface);
  }
  return sc;
}

void Inferrer::infer_actor(const ActorDef& a) {
  std::vector<Type*> params;
  for (std::size_t i = 0; i < a.params.size(); ++i) params.push_back(ts_.var());
  Type* msg = mailbox(a.body);
  Type* fn_t = ts_.fun(params, ts_.con("Pid", {msg}));
  actors_[a.name] = Scheme{{}, fn_t, {}};
  ctx_ = Ctx{};
  ctx_.msg = msg;
  ctx_.actor = a.name;
  ctx_.actor_params = params;
  push();
  for (std::size_t i = 0; i < a.params.size(); ++i) infer_pat(*a.params[i], params[i], true);
  block(a.body, true);
  pop();
  if (a.terminate) {
    ctx_ = Ctx{};
    push();
    block(*a.terminate, false);
    pop();
  }
  ctx_ = Ctx{};
  actors_[a.name] = ts_.generalize(fn_t, {});
}

void Inferrer::infer_service(const ServiceDef& sv) {
  ServiceT& st = services_[sv.name];
  Type* state = ts_.var();
  if (sv.init) {
    Scheme init = infer_fn("init", {sv.init}, false);
    Type* f = TypeStore::resolve(init.type);
    ts_.unify(state, f->args.back());
    st.init_params.assign(f->args.begin(), f->args.end() - 1);
  }
  for (const Handler& h : sv.handlers) {
    HandlerT ht;
    ht.is_call = h.is_call;
    ht.reply = h.reply ? annotation(*h.reply) : ts_.var();
    ctx_ = Ctx{};
    push();
    if (!h.state_name.empty()) bind(h.state_name, state);
    for (const auto& p : h.params) {
      ht.params.push_back(ts_.var());
      infer_pat(*p, ht.params.back(), true);
    }
    Type* body = block(h.body, true);
    const Span sp = last_span(h.body, h.span);
    if (h.is_call) {
      expect(ts_.tuple({state, ht.reply}), body, sp, "a `call` handler gives `(new_state, reply)`");
    } else {
      expect(state, body, sp, "a `cast` handler gives the new state");
    }
    pop();
    ctx_ = Ctx{};
    st.api[snake_case(h.name)] = ht;
  }
}

// ---- patterns ----
void Inferrer::infer_pat(const Pat& p, Type* t, bool use_annotation) {
  auto lit = [&](const char* name) {
    expect(t, ts_.con(name), p.span, "the pattern's type differs from the value matched");
  };
  switch (p.kind) {
    case PK::wild: return;
    case PK::var:
      if (p.type && use_annotation) expect(annotation(*p.type), t, p.span);
      bind(p.name, t);
      return;
    case PK::int_lit: lit("Int"); return;
    case PK::float_lit: lit("Float"); return;
    case PK::str_lit: lit("String"); return;
    case PK::bool_lit: lit("Bool"); return;
    case PK::unit: lit("()"); return;
    case PK::tuple: {
      std::vector<Type*> items;
      for (std::size_t i = 0; i < p.kids.size(); ++i) items.push_back(ts_.var());
      expect(t, ts_.tuple(items), p.span, "the pattern's type differs from the value matched");
      for (std::size_t i = 0; i < p.kids.size(); ++i) infer_pat(*p.kids[i], items[i], use_annotation);
      return;
    }
    case PK::ctor: {
      if (p.binds) {
        bind(p.name, t);  // a capitalised name that is no variant binds like a variable
        return;
      }
      if (is_notification(p.name) && !sums_.count(p.qualifier)) {
        // Built-in notification patterns match in any receive, whatever the message type.
        std::vector<Type*> fs;
        if (p.name == "Exit") fs = {ts_.con("Pid", {ts_.dyn()}), ts_.con("ExitReason")};
        if (p.name == "Down") fs = {ts_.con("Int"), ts_.con("Pid", {ts_.dyn()}), ts_.con("ExitReason")};
        if (p.name == "NodeUp" || p.name == "NodeDown") fs = {ts_.con("String")};
        for (std::size_t i = 0; i < p.kids.size(); ++i) infer_pat(*p.kids[i], i < fs.size() ? fs[i] : ts_.dyn(), use_annotation);
        return;
      }
      if (!known_variant(p.name)) {
        for (const auto& k : p.kids) infer_pat(*k, ts_.dyn(), use_annotation);
        return;
      }
      std::vector<Type*> fields;
      Type* st = instantiate_variant(p.name, fields);
      expect(t, st, p.span, "the pattern's type differs from the value matched");
      for (std::size_t i = 0; i < p.kids.size(); ++i) {
        infer_pat(*p.kids[i], p.kids.size() == fields.size() ? fields[i] : ts_.dyn(), use_annotation);
      }
      return;
    }
    case PK::cons: {
      Type* elem = ts_.var();
      Type* list = ts_.con("List", {elem});
      expect(t, list, p.span, "the pattern's type differs from the value matched");
      infer_pat(*p.kids[0], elem, use_annotation);
      infer_pat(*p.kids[1], list, use_annotation);
      return;
    }
    case PK::alt: {
      infer_pat(*p.kids[0], t, use_annotation);
      for (std::size_t i = 1; i < p.kids.size(); ++i) {
        push();
        infer_pat(*p.kids[i], t, use_annotation);
        Scope alt = std::move(scopes_.back());
        pop();
        for (const auto& [n, sc] : alt) {
          if (const Scheme* first = local(n)) expect(first->type, sc.type, p.kids[i]->span);
        }
      }
      return;
    }
    case PK::as:
      infer_pat(*p.kids[0], t, use_annotation);
      bind(p.name, t);
      return;
  }
}

// ---- blocks ----
Type* Inferrer::block(const Block& b, bool used) {
  push();
  Type* value = ts_.unit();
  for (std::size_t i = 0; i < b.size(); ++i) {
    const Stmt& st = *b[i];
    const bool last = i + 1 == b.size();
    switch (st.kind) {
      case SK::let: {
        Type* t = infer(*st.expr);
        if (st.type) {
          Type* a = annotation(*st.type);
          expect(a, t, st.expr->span);
          t = a;
        }
        infer_pat(*st.pat, t, true);
        value = ts_.unit();
        break;
      }
      case SK::ret: {
        Type* t = st.expr ? infer(*st.expr) : ts_.unit();
        if (ctx_.ret) expect(ctx_.ret, t, st.expr ? st.expr->span : st.span);
        value = ts_.var();
        break;
      }
      case SK::expr: value = infer(*st.expr, used && last); break;
      case SK::fn: {
        Scheme sc = infer_fn(st.fn->name, {st.fn}, false, nullptr, true);
        scopes_.back()[st.fn->name] = sc;
        value = ts_.unit();
        break;
      }
    }
  }
  pop();
  return value;
}

void Inferrer::guard(const Expr& g) {
  Type* t = infer(g);
  if (ts_.unify(ts_.con("Bool"), t) != Unified::ok) {
    error("E0025", g.span, "guard is not `Bool`: found " + q(t), "a `when` guard is a condition");
  }
}

std::string Inferrer::branch_hint(Type* a, Type* b) const {
  if (!ctx_.actor.empty() && (TypeStore::is(a, "Pid") || TypeStore::is(b, "Pid"))) {
    return "a branch that stops the actor must give a `Pid` like the self-call: end it with `self()` (snow.md#actors)";
  }
  return "all branches must have the same type";
}

/// Unifies the type of one more branch into `result` (null for the first branch).
void Inferrer::branch(Type*& result, Type* t, Span sp) {
  if (!result) {
    result = t;
    return;
  }
  if (!ctx_.actor.empty()) {
    // A branch that stops the actor with `()` (a `send`, a `println`) next to a
    // self-call is accepted, as snowc always did; other non-Pid values are errors.
    const bool pid_a = TypeStore::is(result, "Pid"), pid_b = TypeStore::is(t, "Pid");
    if ((pid_a && TypeStore::is(t, "()")) || (pid_b && TypeStore::is(result, "()"))) {
      if (pid_b) result = t;
      return;
    }
  }
  expect(result, t, sp, branch_hint(result, t));
}

/// The type of the items of a list or map literal: their common type, or unknown when
/// they have none (snowc has always built heterogeneous literals; they stay dynamic).
Type* Inferrer::common(const std::vector<const Expr*>& items) {
  std::vector<Type*> ts;
  for (const Expr* x : items) ts.push_back(infer(*x));
  Type* t = ts_.var();
  const std::size_t m = ts_.mark();
  for (Type* x : ts) {
    if (ts_.unify(t, x) != Unified::ok) {
      ts_.undo(m);
      return ts_.dyn();
    }
  }
  return t;
}

/// The receive expressions of a process body (not those of its closures and local
/// functions, which may run elsewhere or are typed on their own).
void Inferrer::receives(const Block& b, std::vector<const Expr*>& out) {
  for (const auto& st : b) {
    if (st->kind != SK::fn && st->expr) receives(*st->expr, out);
  }
}

void Inferrer::receives(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == EK::closure) return;
  if (e.kind == EK::receive) out.push_back(&e);
  for (const auto& k : e.kids) {
    if (k) receives(*k, out);
  }
  for (const auto& p : e.pieces) {
    if (p.expr) receives(*p.expr, out);
  }
  for (const auto& f : e.fields) receives(*f.second, out);
  receives(e.then_block, out);
  receives(e.else_block, out);
  receives(e.body, out);
  for (const auto& a : e.arms) {
    if (a.guard) receives(*a.guard, out);
    receives(*a.body, out);
  }
  for (const ExprP& x : {e.after_ms, e.after_body, e.cond, e.iter}) {
    if (x) receives(*x, out);
  }
}

/// The mailbox type of a process whose body is `body`: a variable the receive patterns
/// fix, or unknown when the patterns disagree (a process that takes several message
/// shapes, which snowc has always built).
Type* Inferrer::mailbox(const Block& body) {
  std::vector<const Expr*> rs;
  receives(body, rs);
  Type* m = ts_.var();
  const bool was_quiet = quiet_;
  quiet_ = true;
  bool uniform = true;
  push();
  for (const Expr* r : rs) {
    for (const Arm& a : r->arms) {
      Type* pt = ts_.var();
      infer_pat(*a.pat, pt, true);
      if (ts_.unify(m, pt) != Unified::ok) uniform = false;
    }
  }
  pop();
  quiet_ = was_quiet;
  return uniform ? ts_.var() : ts_.dyn();
}

}  // namespace snowc::inference
