// dsl/type_calls.cc: the types of calls: of functions and function values, builtins,
// methods, services' APIs, `spawn` (a typed Pid) and `Timer.send_after`.
#include "typecheck_internal.hpp"

namespace snowc::inference {

Type* Inferrer::spawn(const Expr& target, const Expr& e, std::size_t from) {
  if (target.kind == EK::ident) {
    if (auto it = actors_.find(target.name); it != actors_.end()) {
      return apply(ts_.instantiate(it->second), e, from, "`" + target.name + "`", target.span);
    }
    if (s_.supervisors.count(target.name)) {
      infer_args(e, from);
      return ts_.con("Pid", {ts_.dyn()});
    }
  }
  infer_args(e, from);
  return ts_.dyn();
}

Type* Inferrer::call(const Expr& e) {
  const Expr& callee = *e.kids[0];
  if (callee.kind == EK::ident) {
    const std::string& n = callee.name;
    const std::string shown = "`" + n + "`";
    Type* t = nullptr;
    if (const Scheme* sc = local(n)) {
      t = ts_.instantiate(*sc);
    } else if (auto f = fns_.find(n); f != fns_.end()) {
      t = instantiate_fn(f->second, callee.span, n);
    } else if (n == ctx_.actor && !n.empty()) {
      std::vector<Type*> ps = ctx_.actor_params;
      return apply(ts_.fun(ps, ts_.con("Pid", {ctx_.msg})), e, 1, shown, callee.span);
    } else if (known_variant(n)) {
      std::vector<Type*> fields;
      Type* st = instantiate_variant(n, fields);
      return apply(ts_.fun(fields, st), e, 1, shown, callee.span);
    } else if (n == "default" && e.kids.size() == 1) {
      return ts_.var();  // the type the context gives it (the emitter reads it back)
    } else if (s_.variants.count(n) || s_.methods.count(n) || n == "default") {
      infer_args(e, 1);
      return ts_.dyn();
    } else if (n == "spawn_link") {
      if (e.kids.size() < 2) return ts_.dyn();
      return spawn(*e.kids[1], e, 2);
    } else {
      auto imp = s_.imports.find(n);
      if (const Builtin* b = find_builtin(imp != s_.imports.end() ? imp->second : n)) t = builtin_type(*b);
    }
    if (!t) {
      infer_args(e, 1);
      return ts_.dyn();
    }
    table_.types[&callee] = t;
    return apply(t, e, 1, shown, callee.span);
  }
  if (callee.kind == EK::field && callee.kids[0]->kind == EK::ident && !local(callee.kids[0]->name)) {
    const std::string& mod = callee.kids[0]->name;
    const std::string& member = callee.name;
    const std::string full = mod + "." + member;
    if (s_.services.count(mod)) return service_call(mod, member, e);
    if (auto vit = s_.variants.find(member); vit != s_.variants.end() && (s_.sums.count(mod) || vit->second.type == mod)) {
      if (!known_variant(member)) {
        infer_args(e, 1);
        return ts_.dyn();
      }
      std::vector<Type*> fields;
      Type* st = instantiate_variant(member, fields);
      return apply(ts_.fun(fields, st), e, 1, "`" + full + "`", callee.span);
    }
    if (mod == "Node" && (member == "spawn" || member == "spawn_link")) {
      if (e.kids.size() > 1) infer(*e.kids[1]);
      infer_args(e, 3);
      return ts_.dyn();
    }
    if (full == "Timer.send_after" && e.kids.size() == 4) return send_after(e);
    if (is_std_module(mod)) {
      const Builtin* b = find_builtin(full);
      if (!b) {
        infer_args(e, 1);
        return ts_.dyn();
      }
      Type* t = builtin_type(*b);
      table_.types[&callee] = t;
      return apply(t, e, 1, "`" + full + "`", callee.span);
    }
    if (std::isupper(static_cast<unsigned char>(mod[0])) && !s_.structs.count(mod)) {
      infer_args(e, 1);
      return ts_.dyn();
    }
  }
  if (callee.kind == EK::field) return method_call(e);
  Type* f = infer(callee);
  return apply(f, e, 1, "this expression", callee.span);
}

Type* Inferrer::method_call(const Expr& e) {
  const Expr& callee = *e.kids[0];
  const Expr& recv = *callee.kids[0];
  const std::string& m = callee.name;
  Type* rt = infer(recv);
  if (s_.methods.count(m)) {
    infer_args(e, 1);
    return ts_.dyn();
  }
  Type* r = TypeStore::resolve(rt);
  if ((m == "to_string" || m == "inspect") && e.kids.size() == 1) return ts_.con("String");
  if (!TypeStore::known(r)) {
    infer_args(e, 1);
    return ts_.dyn();
  }
  if (r->kind == TK::con) {
    auto sm = std_methods().find(r->name);
    if (sm != std_methods().end() && sm->second.count(m)) {
      const std::string full = r->name == "List" && m == "join" ? "String.join" : r->name + "." + m;
      const Builtin* b = find_builtin(full);
      if (!b || !builtin_signature(*b)) {
        infer_args(e, 1);
        return ts_.dyn();
      }
      return apply(builtin_type(*b), e, 1, "`" + full + "`", callee.span, {{rt, recv.span}});
    }
  }
  std::string have;
  if (r->kind == TK::con) {
    if (auto sm = std_methods().find(r->name); sm != std_methods().end()) {
      for (const auto& x : sm->second) have += (have.empty() ? "" : ", ") + x;
    }
  }
  error("E0030", callee.span, "no such method `" + m + "` on type " + q(r),
        have.empty() ? "methods come from `impl` blocks; every value has `to_string()`" : "its methods: " + have + ", to_string");
  infer_args(e, 1);
  return ts_.dyn();
}

Type* Inferrer::service_call(const std::string& svc, const std::string& member, const Expr& e) {
  auto it = services_.find(svc);
  if (it == services_.end()) {
    infer_args(e, 1);
    return ts_.dyn();
  }
  const ServiceT& st = it->second;
  if (member == "start") {
    if (st.init_params.size() + 1 != e.kids.size()) {
      infer_args(e, 1);
    } else {
      for (std::size_t i = 1; i < e.kids.size(); ++i) {
        expect(st.init_params[i - 1], infer(*e.kids[i]), e.kids[i]->span, "", "E0001", true);
      }
    }
    return ts_.con("Pid", {ts_.dyn()});
  }
  auto h = st.api.find(member);
  if (h == st.api.end() || h->second.params.size() + 2 != e.kids.size()) {
    infer_args(e, 1);
    return ts_.dyn();
  }
  infer(*e.kids[1]);
  for (std::size_t i = 2; i < e.kids.size(); ++i) {
    expect(h->second.params[i - 2], infer(*e.kids[i]), e.kids[i]->span, "", "E0001", true);
  }
  return h->second.is_call ? h->second.reply : ts_.unit();
}

/// The message type of `pid`'s type when it is fixed (a `Pid<M>` whose M is known).
Type* Inferrer::message_type(Type* pid) {
  Type* r = TypeStore::resolve(pid);
  if (r->kind != TK::con || r->name != "Pid" || r->args.size() != 1) return nullptr;
  return TypeStore::known(r->args[0]) ? r->args[0] : nullptr;
}

Type* Inferrer::send_after(const Expr& e) {
  Type* pid = infer(*e.kids[1]);
  expect(ts_.con("Int"), infer(*e.kids[2]), e.kids[2]->span);
  Type* msg = infer(*e.kids[3]);
  if (Type* m = message_type(pid)) {
    expect(m, msg, e.kids[3]->span, "`Timer.send_after` sends a message of the target's message type");
  }
  return ts_.unit();
}

}  // namespace snowc::inference
