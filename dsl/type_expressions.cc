// dsl/type_expressions.cc: the types of expressions: literals, names, operators (and
// the interfaces they need), fields, loops, closures and `?`.
#include "typecheck_internal.hpp"

namespace snowc::inference {

// ---- expressions ----
Type* Inferrer::infer(const Expr& e, bool used, Type* hint) {
  Type* t = infer_inner(e, used, hint);
  table_.types[&e] = t;
  return t;
}

Type* Inferrer::builtin_type(const Builtin& b) {
  const char* sig = builtin_signature(b);
  if (!sig) return ts_.dyn();
  std::map<std::string, Type*> vars;
  TypeNameLookup lk = [&](const std::string& n, std::vector<Type*>, bool) -> Type* {
    if (n.size() == 1 && std::islower(static_cast<unsigned char>(n[0]))) {
      Type*& v = vars[n];
      if (!v) v = ts_.var();
      return v;
    }
    return nullptr;
  };
  return parse_type(ts_, sig, lk);
}

/// Applies function type `f` to the arguments `e.kids[from..]` (after `pre`, already
/// inferred: a method's receiver).
Type* Inferrer::apply(Type* f, const Expr& e, std::size_t from, const std::string& callee, Span callee_span,
                      std::vector<std::pair<Type*, Span>> pre) {
  f = TypeStore::resolve(f);
  const std::size_t nargs = pre.size() + (e.kids.size() - from);
  if (f->kind == TK::var) {
    std::vector<Type*> ps;
    for (std::size_t i = 0; i < nargs; ++i) ps.push_back(ts_.var());
    ts_.unify(f, ts_.fun(ps, ts_.var()));
    f = TypeStore::resolve(f);
  }
  if (f->kind != TK::fun || f->args.size() != nargs + 1) {
    if (f->kind != TK::fun && f->kind != TK::dyn) {
      error("E0005", callee_span, "calling something that is not a function: " + callee + " has type " + q(f));
    }
    for (std::size_t i = from; i < e.kids.size(); ++i) infer(*e.kids[i]);
    return ts_.dyn();
  }
  for (std::size_t i = 0; i < pre.size(); ++i) expect(f->args[i], pre[i].first, pre[i].second);
  for (std::size_t i = from; i < e.kids.size(); ++i) {
    Type* param = f->args[pre.size() + i - from];
    Type* a = infer(*e.kids[i], true, param);
    const bool to_text = TypeStore::is(param, "String") && TypeStore::known(a) && !TypeStore::is(a, "String");
    expect(param, a, e.kids[i]->span, to_text ? "make it a string: \"${...}\" or `.to_string()`" : "", "E0001", true);
  }
  return f->args.back();
}

void Inferrer::infer_args(const Expr& e, std::size_t from) {
  for (std::size_t i = from; i < e.kids.size(); ++i) infer(*e.kids[i]);
}

Type* Inferrer::instantiate_fn(const Scheme& sc, Span sp, const std::string& name) {
  std::vector<std::pair<Type*, std::string>> bounds;
  Type* t = ts_.instantiate(sc, &bounds);
  for (const auto& [v, iface] : bounds) deferred_.push_back({Deferred::bound, v, sp, name, iface});
  return t;
}

Type* Inferrer::field(const Expr& e) {
  const Expr& recv = *e.kids[0];
  if (recv.kind == EK::ident && !local(recv.name) && std::isupper(static_cast<unsigned char>(recv.name[0]))) {
    if (recv.name == "Math" && e.name == "pi") return ts_.con("Float");
    auto vit = s_.variants.find(e.name);
    if (vit != s_.variants.end() && (s_.sums.count(recv.name) || vit->second.type == recv.name)) {
      if (!known_variant(e.name)) return ts_.dyn();
      std::vector<Type*> fields;
      Type* st = instantiate_variant(e.name, fields);
      return fields.empty() ? st : ts_.fun(fields, st);
    }
    if (is_std_module(recv.name)) {
      const Builtin* b = find_builtin(recv.name + "." + e.name);
      return b ? builtin_type(*b) : ts_.dyn();
    }
    return ts_.dyn();  // a service, a struct name, a module checks.cc reported
  }
  Type* rt = infer(recv);
  Type* r = TypeStore::resolve(rt);
  if (!TypeStore::known(r)) return ts_.dyn();
  if (r->kind == TK::con) {
    if (auto st = structs_.find(r->name); st != structs_.end()) {
      auto f = st->second.fields.find(e.name);
      if (f == st->second.fields.end()) {
        error("E0009", e.span, "no such field: `" + r->name + "` has no field `" + e.name + "`");
        return ts_.dyn();
      }
      std::map<Type*, Type*> m;
      for (std::size_t i = 0; i < st->second.params.size() && i < r->args.size(); ++i) m[st->second.params[i]] = r->args[i];
      return ts_.substitute(f->second, m);
    }
  }
  error("E0009", e.span, "no such field: type " + q(r) + " has no field `" + e.name + "`",
        "only structs have fields; a method call needs parentheses: `." + e.name + "()`");
  return ts_.dyn();
}

Type* Inferrer::binary(const Expr& e) {
  const std::string& op = e.name;
  Type* a = infer(*e.kids[0]);
  Type* b = infer(*e.kids[1]);
  const Span rs = e.kids[1]->span;
  if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
    if (!expect(a, b, rs, "both operands of `" + op + "` have one type (no implicit conversions: use `Int.to_float`)")) {
      return ts_.dyn();
    }
    deferred_.push_back({Deferred::numeric, a, e.span, op, ""});
    return a;
  }
  if (op == "<>") {
    expect(ts_.con("String"), a, e.kids[0]->span, "`<>` joins strings; interpolate other values: \"${x}\"");
    expect(ts_.con("String"), b, rs, "`<>` joins strings; interpolate other values: \"${x}\"");
    return ts_.con("String");
  }
  if (op == "++") {
    if (expect(a, b, rs) && !TypeStore::is(a, "String")) {
      expect(ts_.con("List", {ts_.var()}), a, e.kids[0]->span, "`++` joins lists");
    }
    return a;
  }
  if (op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=") {
    const bool eq = op == "==" || op == "!=";
    // The null pid compares equal to 0 (snow.md#decisions item 5).
    const bool pid_int = (TypeStore::is(a, "Pid") && TypeStore::is(b, "Int")) || (TypeStore::is(a, "Int") && TypeStore::is(b, "Pid"));
    if (!(eq && pid_int) && expect(a, b, rs, "both sides of `" + op + "` have one type")) {
      deferred_.push_back({eq ? Deferred::eq : Deferred::ord, a, e.span, op, ""});
    }
    return ts_.con("Bool");
  }
  if (op == "and" || op == "or") {
    expect(ts_.con("Bool"), a, e.kids[0]->span, "`" + op + "` combines `Bool` values");
    expect(ts_.con("Bool"), b, rs, "`" + op + "` combines `Bool` values");
    return ts_.con("Bool");
  }
  if (op == "..") {
    expect(ts_.con("Int"), a, e.kids[0]->span, "a range has `Int` bounds");
    expect(ts_.con("Int"), b, rs, "a range has `Int` bounds");
    return ts_.con("Range");
  }
  return ts_.dyn();
}

Type* Inferrer::ident(const Expr& e) {
  const std::string& n = e.name;
  if (const Scheme* sc = local(n)) return ts_.instantiate(*sc);
  if (auto f = fns_.find(n); f != fns_.end()) return instantiate_fn(f->second, e.span, n);
  auto imp = s_.imports.find(n);
  if (const Builtin* b = find_builtin(imp != s_.imports.end() ? imp->second : n)) return builtin_type(*b);
  if (s_.methods.count(n)) return ts_.dyn();
  if (known_variant(n)) {
    std::vector<Type*> fields;
    Type* st = instantiate_variant(n, fields);
    return fields.empty() ? st : ts_.fun(fields, st);
  }
  return ts_.dyn();
}

Type* Inferrer::for_loop(const Expr& e, bool used) {
  Type* src = TypeStore::resolve(infer(*e.iter));
  Type* elem = ts_.dyn();
  if (src->kind == TK::con) {
    if (src->name == "List") elem = src->args[0];
    else if (src->name == "Range" || src->name == "Set") elem = ts_.con("Int");
    else if (src->name == "Map") elem = ts_.tuple({src->args[0], src->args[1]});
  }
  push();
  if (e.loop_var) infer_pat(*e.loop_var, elem, true);
  if (!e.key_var.empty()) {
    Type* r = TypeStore::resolve(elem);
    const bool pair = r->kind == TK::tuple && r->args.size() == 2;
    bind(e.key_var, pair ? r->args[0] : ts_.dyn());
    bind(e.value_var, pair ? r->args[1] : ts_.dyn());
  }
  if (e.cond) guard(*e.cond);
  Type* body = block(e.body, used);
  pop();
  return ts_.con("List", {body});
}

Type* Inferrer::closure(const Expr& e, Type* hint) {
  const std::size_t n = e.clauses.empty() ? 0 : e.clauses[0].params.size();
  std::vector<Type*> params;
  for (std::size_t i = 0; i < n; ++i) params.push_back(ts_.var());
  Type* ret = ts_.var();
  Type* fn_t = ts_.fun(params, ret);
  if (hint) {
    Type* h = TypeStore::resolve(hint);
    if (h->kind == TK::fun && h->args.size() == n + 1) {
      for (std::size_t i = 0; i < n; ++i) ts_.unify(params[i], h->args[i]);
    }
  }
  const Ctx saved = ctx_;
  ctx_ = Ctx{};
  ctx_.ret = ret;
  ctx_.check_try = true;
  for (const Clause& c : e.clauses) {
    push();
    for (std::size_t i = 0; i < c.params.size() && i < n; ++i) infer_pat(*c.params[i], params[i], true);
    if (c.guard) guard(*c.guard);
    Type* body = block(c.body, true);
    expect(ret, body, last_span(c.body, c.span));
    pop();
  }
  ctx_ = saved;
  return fn_t;
}

Type* Inferrer::try_op(const Expr& e) {
  Type* t = TypeStore::resolve(infer(*e.kids[0]));
  if (!TypeStore::known(t)) return ts_.dyn();
  const bool result = TypeStore::is(t, "Result"), option = TypeStore::is(t, "Option");
  if (!result && !option) {
    error("E0037", e.span, "`?` needs a `Result` or an `Option`, found " + q(t),
          "`?` unwraps `Ok(x)` / `Some(x)` and returns early on `Err` / `None`");
    return ts_.dyn();
  }
  if (ctx_.ret && ctx_.check_try) {
    Type* want = result ? ts_.con("Result", {ts_.var(), t->args[1]}) : ts_.con("Option", {ts_.var()});
    if (ts_.unify(ctx_.ret, want) != Unified::ok) {
      error("E0036", e.span, std::string("`?` on ") + (result ? "a `Result`" : "an `Option`") +
                                 " requires the function to return " +
                                 (result ? "`Result<_, " + ts_.show(t->args[1]) + ">`" : std::string("an `Option`")) +
                                 ", but it returns " + q(ctx_.ret),
            "change the return type, or handle the value with `case`");
    }
  }
  return t->args[0];
}

Type* Inferrer::infer_inner(const Expr& e, bool used, Type* hint) {
  switch (e.kind) {
    case EK::int_lit: return ts_.con("Int");
    case EK::float_lit: return ts_.con("Float");
    case EK::bool_lit: return ts_.con("Bool");
    case EK::unit: return ts_.unit();
    case EK::str:
      for (const auto& p : e.pieces) {
        if (p.is_expr && p.expr) infer(*p.expr);
      }
      return ts_.con("String");
    case EK::ident: return ident(e);
    case EK::tuple: {
      std::vector<Type*> items;
      for (const auto& k : e.kids) items.push_back(infer(*k));
      return ts_.tuple(items);
    }
    case EK::list: {
      std::vector<const Expr*> items;
      for (const auto& k : e.kids) items.push_back(k.get());
      return ts_.con("List", {common(items)});
    }
    case EK::map: {
      std::vector<const Expr*> keys, values;
      for (std::size_t i = 0; i + 1 < e.kids.size(); i += 2) {
        keys.push_back(e.kids[i].get());
        values.push_back(e.kids[i + 1].get());
      }
      Type* k = common(keys);
      return ts_.con("Map", {k, common(values)});
    }
    case EK::binary: return binary(e);
    case EK::unary: {
      Type* t = infer(*e.kids[0]);
      if (e.name == "not") {
        expect(ts_.con("Bool"), t, e.kids[0]->span, "`not` negates a `Bool`");
        return ts_.con("Bool");
      }
      deferred_.push_back({Deferred::numeric, t, e.span, e.name, ""});
      return t;
    }
    case EK::call: return call(e);
    case EK::field: return field(e);
    case EK::index:
      infer_args(e, 0);
      return ts_.dyn();
    case EK::try_: return try_op(e);
    case EK::struct_lit: {
      auto it = structs_.find(e.name);
      if (it == structs_.end()) {
        for (const auto& [_, v] : e.fields) infer(*v);
        return ts_.dyn();
      }
      std::map<Type*, Type*> m;
      std::vector<Type*> args;
      for (Type* p : it->second.params) {
        m[p] = ts_.var();
        args.push_back(m[p]);
      }
      for (const auto& [name, v] : e.fields) {
        auto f = it->second.fields.find(name);
        Type* want = f == it->second.fields.end() ? ts_.dyn() : ts_.substitute(f->second, m);
        Type* got = infer(*v, true, want);
        expect(want, got, v->span, "field `" + name + "` of `" + e.name + "`", "E0001", true);
      }
      return ts_.con(e.name, std::move(args));
    }
    case EK::if_: {
      condition(*e.cond);
      const bool both = used && e.has_else;
      Type* a = block(e.then_block, both);
      Type* b = block(e.else_block, both);
      if (!e.has_else) return ts_.unit();
      if (both) branch(a, b, last_span(e.else_block, e.span));
      return a;
    }
    case EK::case_:
    case EK::receive: {
      Type* scrut = nullptr;
      if (e.kind == EK::case_) scrut = e.cond ? infer(*e.cond) : ts_.dyn();
      else scrut = ctx_.msg ? ctx_.msg : ts_.var();
      Type* result = nullptr;
      for (const Arm& a : e.arms) {
        push();
        infer_pat(*a.pat, scrut, true);
        if (a.guard) guard(*a.guard);
        Type* t = infer(*a.body, used);
        if (used) branch(result, t, a.body->span);
        pop();
      }
      if (e.after_ms) expect(ts_.con("Int"), infer(*e.after_ms), e.after_ms->span, "`after` takes milliseconds");
      if (e.after_body) {
        Type* t = infer(*e.after_body, used);
        if (used) branch(result, t, e.after_body->span);
      }
      return result ? result : ts_.var();
    }
    case EK::closure: return closure(e, hint);
    case EK::while_:
      condition(*e.cond);
      block(e.body, false);
      return ts_.unit();
    case EK::for_: return for_loop(e, used);
    case EK::break_:
    case EK::continue_: return ts_.var();
    case EK::spawn: return spawn(*e.kids[0], e, 1);
    case EK::send: {
      Type* pid = infer(*e.kids[0]);
      Type* msg = infer(*e.kids[1]);
      if (Type* m = message_type(pid)) {
        if (ts_.unify(m, msg) != Unified::ok) {
          error("E0014", e.kids[1]->span, "message type mismatch: expected " + q(m) + ", found " + q(msg),
                "the receiving process accepts `" + ts_.show(m) + "` messages");
        }
      }
      return ts_.unit();
    }
    case EK::link:
      infer_args(e, 0);
      return ts_.unit();
    case EK::self_pid: return ts_.con("Pid", {ctx_.msg ? ctx_.msg : ts_.dyn()});
  }
  return ts_.dyn();
}

}  // namespace snowc::inference
