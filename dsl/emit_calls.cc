// dsl/emit_calls.cc: calls: of top-level functions (awaited unless plain), of function
// values, of constructors, builtins, interface and value methods; functions, constructors
// and builtins as values; `default()` from the inferred type.
#include "emit_internal.hpp"

namespace snowc::emit {

/// A named function as a value.
std::string Emitter::fn_value(const std::string& name, int arity) {
  std::string call = "prog::" + fn_name(name) + "(self";
  for (int i = 0; i < arity; ++i) call += ", a[" + std::to_string(i) + "]";
  return "sl::fun(" + cpp_string(name) + ", " + std::to_string(arity) +
         ", [](snow::Self self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { co_return " +
         (plain_.count(name) ? "" : "co_await ") + call + "); })";
}

std::string Emitter::ctor_value(const std::string& name, const VariantInfo& v) {
  return "sl::fun(" + cpp_string(name) + ", " + std::to_string(v.arity) +
         ", [](snow::Self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { co_return sl::Value::variant(" + type_var(v.type) +
         ", " + std::to_string(v.tag) + ", std::move(a)); })";
}

std::string Emitter::builtin_value(const Builtin& b) {
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

/// The C++ for a call; `effect` says whether it must be evaluated as its own statement.
std::string Emitter::call(const Expr& e, bool& effect) {
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
std::string Emitter::default_value(const Expr& call) {
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

std::string Emitter::builtin_call(const Builtin& b, const Expr& e, std::size_t from, bool& effect) {
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

}  // namespace snowc::emit
