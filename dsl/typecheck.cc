// dsl/typecheck.cc: type inference and the type diagnostics (see typecheck.hpp).
#include "typecheck.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "parser.hpp"
#include "stdlib.hpp"

namespace snowc {

Type* TypeTable::type_of(const Expr& e) const {
  auto it = types.find(&e);
  return it == types.end() ? nullptr : TypeStore::resolve(it->second);
}

std::string TypeTable::show(const Expr& e) const {
  auto it = types.find(&e);
  return it == types.end() ? "" : store->show(it->second);
}

namespace {

/// The methods the runtime dispatches on a value of a standard type (snow/lang/methods.hpp):
/// `s.length()` is `String.length(s)`, `xs.join(sep)` is `String.join(xs, sep)`.
const std::map<std::string, std::set<std::string>>& std_methods() {
  static const auto* m = new std::map<std::string, std::set<std::string>>{
      {"String", {"length", "slice", "contains", "starts_with", "ends_with", "trim", "to_upper", "to_lower", "replace",
                  "split", "to_int", "to_float"}},
      {"List", {"length", "append", "head", "tail", "last", "get", "nth", "concat", "reverse", "contains", "zip",
                "flatten", "enumerate", "take", "drop", "join", "map", "filter", "reduce", "find", "any", "all",
                "flat_map", "sort"}},
      {"Map", {"put", "get", "has_key", "delete", "size", "keys", "values", "merge", "to_list"}},
      {"Set", {"add", "remove", "contains", "size", "union", "intersection", "difference", "to_list"}},
      {"Range", {"to_list", "length", "map", "filter"}},
  };
  return *m;
}

bool is_notification(const std::string& n) { return n == "Exit" || n == "Down" || n == "NodeUp" || n == "NodeDown"; }

struct StructInfo {
  const StructDef* def = nullptr;
  std::vector<Type*> params;
  std::map<std::string, Type*> fields;
};

struct SumInfo {
  const SumDef* def = nullptr;  // null for Option, Result, Ordering, ExitReason
  std::vector<Type*> params;
};

struct VariantInfoT {
  std::string sum;
  std::vector<Type*> fields;
};

struct HandlerT {
  bool is_call = true;
  std::vector<Type*> params;
  Type* reply = nullptr;
};

struct ServiceT {
  std::vector<Type*> init_params;
  std::map<std::string, HandlerT> api;
};

/// What the code being inferred runs in.
struct Ctx {
  Type* ret = nullptr;     // what `return` gives and what `?` may return early; null: unchecked
  bool check_try = false;  // `?` constrains `ret` (a function or closure, not `main` or an actor)
  Type* msg = nullptr;     // the mailbox type of the running process; null: not known here
  std::string actor;       // the actor whose body this is (for self-calls)
  std::vector<Type*> actor_params;
};

/// A check that needs the final type of a subexpression, done at the end of the item.
struct Deferred {
  enum Kind { numeric, eq, ord, bound } kind;
  Type* type;
  Span span;
  std::string what;  // the operator, or the bound's function
  std::string iface;
};

using Scope = std::map<std::string, Scheme>;

class Inferrer {
 public:
  Inferrer(const Program& p, const Symbols& s, Diagnostics& d, TypeTable& table)
      : p_(p), s_(s), d_(d), table_(table), ts_(*table.store) {}

  void run() {
    builtin_types();
    for (const Item& it : p_.items) declare_type(it);
    for (const Item& it : p_.items) {
      infer_item(it);
      run_deferred();
    }
  }

 private:
  // ---- reporting ----
  void error(const std::string& code, Span sp, const std::string& msg, const std::string& hint = "") {
    if (quiet_) return;
    if (!reported_.insert({sp.offset, code}).second) return;
    d_.error(code, sp, msg, hint);
  }

  std::string q(Type* t) { return "`" + ts_.show(t) + "`"; }

  /// Unifies `expected` with `found`, reporting a failure at `sp`.
  bool expect(Type* expected, Type* found, Span sp, const std::string& hint = "", const char* code = "E0001",
              bool pid_int = false) {
    const Unified r = ts_.unify(expected, found, pid_int);
    if (r == Unified::ok) return true;
    if (r == Unified::infinite) {
      error("E0002", sp, "infinite type: " + q(expected) + " would have to equal " + q(found) + ", which contains it",
            "a value cannot contain itself; check the recursive call's arguments");
    } else {
      error(code, sp, "type mismatch: expected " + q(expected) + ", found " + q(found), hint);
    }
    return false;
  }

  // ---- types of declarations ----
  void builtin_types() {
    auto sum = [&](const std::string& name, int nparams, std::vector<std::pair<std::string, std::vector<int>>> vs) {
      SumInfo& si = sums_[name];
      for (int i = 0; i < nparams; ++i) si.params.push_back(ts_.var());
      for (auto& [vn, fields] : vs) {
        VariantInfoT& v = variants_[vn];
        v.sum = name;
        for (int f : fields) v.fields.push_back(si.params[f]);
      }
    };
    sum("Option", 1, {{"Some", {0}}, {"None", {}}});
    sum("Result", 2, {{"Ok", {0}}, {"Err", {1}}});
    sum("Ordering", 0, {{"Less", {}}, {"Equal", {}}, {"Greater", {}}});
    sum("ExitReason", 0, {{"Normal", {}}, {"Shutdown", {}}, {"Killed", {}}, {"Noproc", {}}, {"Noconnection", {}},
                          {"Error", {}}, {"Custom", {}}, {"Linked", {}}});
    variants_["Error"].fields = {ts_.con("String")};
    variants_["Custom"].fields = {ts_.con("String")};
    variants_["Linked"].fields = {ts_.con("Pid", {ts_.dyn()}), ts_.con("ExitReason")};
  }

  /// The lookup for annotations: user structs, sum types, aliases and the generic
  /// parameters in scope.
  TypeNameLookup lookup() {
    return [this](const std::string& n, std::vector<Type*> args, bool has_args) -> Type* {
      for (auto g = generics_.rbegin(); g != generics_.rend(); ++g) {
        auto it = g->find(n);
        if (it != g->end()) return has_args ? ts_.dyn() : it->second;
      }
      std::size_t nparams = 0;
      if (auto st = structs_.find(n); st != structs_.end()) nparams = st->second.params.size();
      else if (auto su = sums_.find(n); su != sums_.end()) nparams = su->second.params.size();
      else if (auto al = aliases_.find(n); al != aliases_.end()) {
        if (alias_depth_ > 16) return ts_.dyn();
        const AliasDef& a = *al->second;
        std::map<std::string, Type*> params;
        for (std::size_t i = 0; i < a.generics.size(); ++i) {
          params[a.generics[i]] = i < args.size() && args.size() == a.generics.size() ? args[i] : ts_.dyn();
        }
        auto saved = std::move(generics_);
        generics_ = {params};
        ++alias_depth_;
        Type* t = parse_type(ts_, a.target.text, lookup());
        --alias_depth_;
        generics_ = std::move(saved);
        return t;
      } else {
        return nullptr;
      }
      if (args.size() != nparams) {
        args.clear();
        for (std::size_t i = 0; i < nparams; ++i) args.push_back(ts_.dyn());
      }
      return ts_.con(n, std::move(args));
    };
  }

  Type* annotation(const TypeRef& r) { return parse_type(ts_, r.text, lookup()); }

  void declare_type(const Item& it) {
    if (it.kind == Item::struct_) {
      StructInfo& si = structs_[it.struct_def->name];
      si.def = it.struct_def.get();
      for (std::size_t i = 0; i < si.def->generics.size(); ++i) si.params.push_back(ts_.var());
    } else if (it.kind == Item::sum) {
      SumInfo& si = sums_[it.sum_def->name];
      si.def = it.sum_def.get();
      for (std::size_t i = 0; i < si.def->generics.size(); ++i) si.params.push_back(ts_.var());
    } else if (it.kind == Item::alias && it.alias_def) {
      aliases_[it.alias_def->name] = it.alias_def.get();
    } else if (it.kind == Item::impl) {
      impls_.insert({it.impl_def->iface, it.impl_def->type});
    }
    // Field types are read once every type name is known (a type may refer to a later one).
    if (it.kind == Item::struct_ || it.kind == Item::sum) pending_types_.push_back(&it);
  }

  void read_field_types() {
    for (const Item* it : pending_types_) {
      if (it->kind == Item::struct_) {
        StructInfo& si = structs_[it->struct_def->name];
        std::map<std::string, Type*> g;
        for (std::size_t i = 0; i < si.def->generics.size(); ++i) g[si.def->generics[i]] = si.params[i];
        generics_ = {g};
        for (std::size_t i = 0; i < si.def->fields.size(); ++i) {
          si.fields[si.def->fields[i]] = i < si.def->field_types.size() ? annotation(si.def->field_types[i]) : ts_.dyn();
        }
      } else {
        const SumDef& sd = *it->sum_def;
        SumInfo& si = sums_[sd.name];
        std::map<std::string, Type*> g;
        for (std::size_t i = 0; i < sd.generics.size(); ++i) g[sd.generics[i]] = si.params[i];
        generics_ = {g};
        for (const Variant& v : sd.variants) {
          if (is_notification(v.name)) continue;
          VariantInfoT& vi = variants_[v.name];
          vi.sum = sd.name;
          vi.fields.clear();
          for (int i = 0; i < v.arity; ++i) {
            vi.fields.push_back(i < static_cast<int>(v.field_types.size()) ? annotation(v.field_types[i]) : ts_.dyn());
          }
        }
      }
    }
    generics_.clear();
    pending_types_.clear();
  }

  /// A fresh instance of sum type `sum` and the field types of `variant` in it.
  Type* instantiate_variant(const std::string& variant, std::vector<Type*>& fields) {
    const VariantInfoT& v = variants_.at(variant);
    const SumInfo& si = sums_.at(v.sum);
    std::map<Type*, Type*> m;
    std::vector<Type*> args;
    for (Type* p : si.params) {
      m[p] = ts_.var();
      args.push_back(m[p]);
    }
    fields.clear();
    for (Type* f : v.fields) fields.push_back(ts_.substitute(f, m));
    return ts_.con(v.sum, std::move(args));
  }

  bool known_variant(const std::string& n) const {
    auto it = variants_.find(n);
    return it != variants_.end() && sums_.count(it->second.sum);
  }

  // ---- interfaces (E0006) ----
  bool user_type(const std::string& n) const {
    auto st = structs_.find(n);
    if (st != structs_.end()) return true;
    auto su = sums_.find(n);
    return su != sums_.end() && su->second.def;
  }

  /// True only when `t` certainly lacks `iface`.
  bool lacks(Type* t, const std::string& iface) {
    t = TypeStore::resolve(t);
    if (!TypeStore::known(t)) return false;
    if (iface == "Num") {
      if (t->kind != TK::con) return true;
      return !(t->name == "Int" || t->name == "Float" || user_type(t->name));
    }
    if (t->kind == TK::fun) return iface == "Eq" || iface == "Ord";
    if (t->kind != TK::con) return false;
    const std::string& n = t->name;
    if (iface == "Eq" || iface == "Ord" || iface == "Display" || iface == "Debug" || iface == "Hash") {
      if (!user_type(n)) return false;
      if (impls_.count({iface, n})) return false;
      const auto* der = structs_.count(n) ? &structs_.at(n).def->deriving : &sums_.at(n).def->deriving;
      if (!der->has_value()) return iface == "Display";
      return std::none_of((*der)->begin(), (*der)->end(), [&](const auto& d) { return d.first == iface; });
    }
    if (s_.interfaces.count(iface)) return !impls_.count({iface, n});
    return false;
  }

  void run_deferred() {
    for (const Deferred& d : deferred_) {
      switch (d.kind) {
        case Deferred::numeric:
          if (lacks(d.type, "Num")) {
            const bool str = TypeStore::is(d.type, "String");
            error("E0006", d.span, "`" + d.what + "` needs a number (`Int` or `Float`): type " + q(d.type) +
                                       " lacks the arithmetic interface",
                  str && d.what == "+" ? "concatenate strings with `<>`" : "");
          }
          break;
        case Deferred::eq:
          if (lacks(d.type, "Eq")) {
            error("E0006", d.span, "`" + d.what + "` needs `Eq`, which type " + q(d.type) + " lacks",
                  TypeStore::resolve(d.type)->kind == TK::fun ? "functions cannot be compared"
                                                             : "add `Eq` to its `deriving(...)` list");
          }
          break;
        case Deferred::ord:
          if (lacks(d.type, "Ord")) {
            error("E0006", d.span, "`" + d.what + "` needs `Ord`, which type " + q(d.type) + " lacks",
                  TypeStore::resolve(d.type)->kind == TK::fun ? "functions cannot be ordered"
                                                             : "add `Eq, Ord` to its `deriving(...)` list");
          }
          break;
        case Deferred::bound:
          if (lacks(d.type, d.iface)) {
            error("E0006", d.span, "type " + q(d.type) + " lacks the interface `" + d.iface + "` that `" + d.what +
                                       "` requires (`where` bound)",
                  "implement it: `impl " + d.iface + " for " + ts_.show(d.type) + " do ... end`");
          }
          break;
      }
    }
    deferred_.clear();
  }

  // ---- scopes ----
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  void bind(const std::string& n, Type* t) { scopes_.back()[n] = Scheme{{}, t, {}}; }
  const Scheme* local(const std::string& n) const {
    for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s) {
      auto it = s->find(n);
      if (it != s->end()) return &it->second;
    }
    return nullptr;
  }
  /// The variables the environment fixes (not generalisable in a local function).
  std::set<Type*> env_vars() {
    std::set<Type*> out;
    for (const Scope& s : scopes_) {
      for (const auto& [_, sc] : s) {
        std::set<Type*> vs;
        ts_.free_vars(sc.type, vs);
        for (Type* v : sc.vars) vs.erase(v);
        out.insert(vs.begin(), vs.end());
      }
    }
    if (ctx_.ret) ts_.free_vars(ctx_.ret, out);
    if (ctx_.msg) ts_.free_vars(ctx_.msg, out);
    for (Type* p : ctx_.actor_params) ts_.free_vars(p, out);
    return out;
  }

  // ---- items ----
  void infer_item(const Item& it) {
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
  void check_impl_result(const ImplDef& im, const FnDef& m, const Scheme& sc, Type* self_t) {
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

  static Span last_span(const Block& b, Span fallback) {
    if (!b.empty() && b.back()->kind == SK::expr && b.back()->expr) return b.back()->expr->span;
    return fallback;
  }

  /// Infers a function from its clauses (annotations from the first). Top-level functions
  /// are bound in `fns_` while their body is inferred, local ones in the current scope.
  /// `self_t`: the type of the first parameter of an impl method.
  Scheme infer_fn(const std::string& name, const std::vector<FnDefP>& clauses, bool top, Type* self_t = nullptr,
                  bool bind_local = false) {
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

  void infer_actor(const ActorDef& a) {
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

  void infer_service(const ServiceDef& sv) {
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
  void infer_pat(const Pat& p, Type* t, bool use_annotation) {
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
  Type* block(const Block& b, bool used) {
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

  void guard(const Expr& g) {
    Type* t = infer(g);
    if (ts_.unify(ts_.con("Bool"), t) != Unified::ok) {
      error("E0025", g.span, "guard is not `Bool`: found " + q(t), "a `when` guard is a condition");
    }
  }

  void condition(const Expr& c) { expect(ts_.con("Bool"), infer(c), c.span, "a condition is a `Bool` (there is no truthiness)"); }

  std::string branch_hint(Type* a, Type* b) const {
    if (!ctx_.actor.empty() && (TypeStore::is(a, "Pid") || TypeStore::is(b, "Pid"))) {
      return "a branch that stops the actor must give a `Pid` like the self-call: end it with `self()` (snow.md#actors)";
    }
    return "all branches must have the same type";
  }

  /// Unifies the type of one more branch into `result` (null for the first branch).
  void branch(Type*& result, Type* t, Span sp) {
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
  Type* common(const std::vector<const Expr*>& items) {
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
  static void receives(const Block& b, std::vector<const Expr*>& out) {
    for (const auto& st : b) {
      if (st->kind != SK::fn && st->expr) receives(*st->expr, out);
    }
  }
  static void receives(const Expr& e, std::vector<const Expr*>& out) {
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
  Type* mailbox(const Block& body) {
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

  // ---- expressions ----
  Type* infer(const Expr& e, bool used = true, Type* hint = nullptr) {
    Type* t = infer_inner(e, used, hint);
    table_.types[&e] = t;
    return t;
  }

  Type* builtin_type(const Builtin& b) {
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
  Type* apply(Type* f, const Expr& e, std::size_t from, const std::string& callee, Span callee_span,
              std::vector<std::pair<Type*, Span>> pre = {}) {
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

  void infer_args(const Expr& e, std::size_t from) {
    for (std::size_t i = from; i < e.kids.size(); ++i) infer(*e.kids[i]);
  }

  Type* instantiate_fn(const Scheme& sc, Span sp, const std::string& name) {
    std::vector<std::pair<Type*, std::string>> bounds;
    Type* t = ts_.instantiate(sc, &bounds);
    for (const auto& [v, iface] : bounds) deferred_.push_back({Deferred::bound, v, sp, name, iface});
    return t;
  }

  Type* spawn(const Expr& target, const Expr& e, std::size_t from) {
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

  Type* call(const Expr& e) {
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

  Type* method_call(const Expr& e) {
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

  Type* service_call(const std::string& svc, const std::string& member, const Expr& e) {
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
  Type* message_type(Type* pid) {
    Type* r = TypeStore::resolve(pid);
    if (r->kind != TK::con || r->name != "Pid" || r->args.size() != 1) return nullptr;
    return TypeStore::known(r->args[0]) ? r->args[0] : nullptr;
  }

  Type* send_after(const Expr& e) {
    Type* pid = infer(*e.kids[1]);
    expect(ts_.con("Int"), infer(*e.kids[2]), e.kids[2]->span);
    Type* msg = infer(*e.kids[3]);
    if (Type* m = message_type(pid)) {
      expect(m, msg, e.kids[3]->span, "`Timer.send_after` sends a message of the target's message type");
    }
    return ts_.unit();
  }

  Type* field(const Expr& e) {
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

  Type* binary(const Expr& e) {
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

  Type* ident(const Expr& e) {
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

  Type* for_loop(const Expr& e, bool used) {
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

  Type* closure(const Expr& e, Type* hint) {
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

  Type* try_op(const Expr& e) {
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

  Type* infer_inner(const Expr& e, bool used, Type* hint) {
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

  const Program& p_;
  const Symbols& s_;
  Diagnostics& d_;
  TypeTable& table_;
  TypeStore& ts_;

  std::map<std::string, StructInfo> structs_;
  std::map<std::string, SumInfo> sums_;
  std::map<std::string, VariantInfoT> variants_;
  std::map<std::string, const AliasDef*> aliases_;
  std::set<std::pair<std::string, std::string>> impls_;  // (interface, type name)
  std::map<std::string, Scheme> fns_;
  std::map<std::string, Scheme> actors_;
  std::map<std::string, ServiceT> services_;
  std::vector<const Item*> pending_types_;
  int alias_depth_ = 0;

  std::vector<Scope> scopes_;
  std::vector<std::map<std::string, Type*>> generics_;
  Ctx ctx_;
  std::vector<Deferred> deferred_;
  std::set<std::pair<int, std::string>> reported_;
  bool quiet_ = false;  // inferring in a sandbox: report nothing
};

}  // namespace

TypeTable check_types(const Program& program, const Symbols& symbols, Diagnostics& diags) {
  TypeTable table;
  Inferrer(program, symbols, diags, table).run();
  return table;
}

}  // namespace snowc
