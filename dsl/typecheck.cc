// dsl/typecheck.cc: type inference (see typecheck.hpp): the types of declarations
// (structs, sum types, builtins), which interfaces a type lacks, the checks deferred
// until types are known, scopes and reporting (typecheck_internal.hpp lists the others).
#include "typecheck_internal.hpp"

namespace snowc {

Type* TypeTable::type_of(const Expr& e) const {
  auto it = types.find(&e);
  return it == types.end() ? nullptr : TypeStore::resolve(it->second);
}

std::string TypeTable::show(const Expr& e) const {
  auto it = types.find(&e);
  return it == types.end() ? "" : store->show(it->second);
}

}  // namespace snowc

namespace snowc::inference {

void Inferrer::run() {
  builtin_types();
  for (const Item& it : p_.items) declare_type(it);
  for (const Item& it : p_.items) {
    infer_item(it);
    run_deferred();
  }
}

// ---- reporting ----
void Inferrer::error(const std::string& code, Span sp, const std::string& msg, const std::string& hint) {
  if (quiet_) return;
  if (!reported_.insert({sp.offset, code}).second) return;
  d_.error(code, sp, msg, hint);
}

/// Unifies `expected` with `found`, reporting a failure at `sp`.
bool Inferrer::expect(Type* expected, Type* found, Span sp, const std::string& hint, const char* code,
                      bool pid_int) {
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
void Inferrer::builtin_types() {
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
TypeNameLookup Inferrer::lookup() {
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

void Inferrer::declare_type(const Item& it) {
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

void Inferrer::read_field_types() {
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
Type* Inferrer::instantiate_variant(const std::string& variant, std::vector<Type*>& fields) {
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

bool Inferrer::known_variant(const std::string& n) const {
  auto it = variants_.find(n);
  return it != variants_.end() && sums_.count(it->second.sum);
}

// ---- interfaces (E0006) ----
bool Inferrer::user_type(const std::string& n) const {
  auto st = structs_.find(n);
  if (st != structs_.end()) return true;
  auto su = sums_.find(n);
  return su != sums_.end() && su->second.def;
}

/// True only when `t` certainly lacks `iface`.
bool Inferrer::lacks(Type* t, const std::string& iface) {
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

void Inferrer::run_deferred() {
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

const Scheme* Inferrer::local(const std::string& n) const {
  for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s) {
    auto it = s->find(n);
    if (it != s->end()) return &it->second;
  }
  return nullptr;
}

/// The variables the environment fixes (not generalisable in a local function).
std::set<Type*> Inferrer::env_vars() {
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

}  // namespace snowc::inference

namespace snowc {

TypeTable check_types(const Program& program, const Symbols& symbols, Diagnostics& diags) {
  TypeTable table;
  inference::Inferrer(program, symbols, diags, table).run();
  return table;
}

}  // namespace snowc
