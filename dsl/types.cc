// dsl/types.cc: type terms and unification (see types.hpp).
#include "types.hpp"

#include <cctype>

namespace snowc {

Type* TypeStore::var() {
  arena_.push_back(std::make_unique<Type>());
  Type* t = arena_.back().get();
  t->kind = TK::var;
  t->id = ++next_var_;
  return t;
}

Type* TypeStore::dyn() {
  arena_.push_back(std::make_unique<Type>());
  return arena_.back().get();
}

Type* TypeStore::con(const std::string& name, std::vector<Type*> args) {
  arena_.push_back(std::make_unique<Type>());
  Type* t = arena_.back().get();
  t->kind = TK::con;
  t->name = name;
  t->args = std::move(args);
  return t;
}

Type* TypeStore::fun(std::vector<Type*> params, Type* result) {
  arena_.push_back(std::make_unique<Type>());
  Type* t = arena_.back().get();
  t->kind = TK::fun;
  t->args = std::move(params);
  t->args.push_back(result);
  return t;
}

Type* TypeStore::tuple(std::vector<Type*> items) {
  arena_.push_back(std::make_unique<Type>());
  Type* t = arena_.back().get();
  t->kind = TK::tuple;
  t->args = std::move(items);
  return t;
}

Type* TypeStore::resolve(Type* t) {
  while (t->kind == TK::var && t->link) t = t->link;
  return t;
}

bool TypeStore::known(Type* t) {
  t = resolve(t);
  return t->kind != TK::var && t->kind != TK::dyn;
}

bool TypeStore::is(Type* t, const std::string& name) {
  t = resolve(t);
  return t->kind == TK::con && t->name == name;
}

bool TypeStore::occurs(Type* v, Type* t) {
  t = resolve(t);
  if (t == v) return true;
  for (Type* a : t->args) {
    if (occurs(v, a)) return true;
  }
  return false;
}

void TypeStore::rollback(std::size_t mark) {
  while (trail_.size() > mark) {
    trail_.back()->link = nullptr;
    trail_.pop_back();
  }
}

Unified TypeStore::unify(Type* a, Type* b, bool pid_int) {
  const std::size_t mark = trail_.size();
  pid_int_ = pid_int;
  const Unified r = unify_inner(a, b);
  pid_int_ = false;
  if (r != Unified::ok) rollback(mark);
  return r;
}

Unified TypeStore::unify_inner(Type* a, Type* b) {
  a = resolve(a);
  b = resolve(b);
  if (a == b || a->kind == TK::dyn || b->kind == TK::dyn) return Unified::ok;
  if (b->kind == TK::var && a->kind != TK::var) std::swap(a, b);
  if (a->kind == TK::var) {
    if (occurs(a, b)) return Unified::infinite;
    a->link = b;
    trail_.push_back(a);
    return Unified::ok;
  }
  if (a->kind != b->kind) return Unified::mismatch;
  if (a->kind == TK::con && a->name != b->name) {
    const bool pid_int = (a->name == "Pid" && b->name == "Int") || (a->name == "Int" && b->name == "Pid");
    return pid_int && pid_int_ ? Unified::ok : Unified::mismatch;
  }
  if (a->args.size() != b->args.size()) return Unified::mismatch;
  if (a->kind == TK::con && a->name == "Pid" && a->args.size() == 1) {
    const std::size_t mark = trail_.size();
    if (unify_inner(a->args[0], b->args[0]) != Unified::ok) {
      rollback(mark);
      a->args[0] = dyn();
      b->args[0] = a->args[0];
    }
    return Unified::ok;
  }
  for (std::size_t i = 0; i < a->args.size(); ++i) {
    const Unified r = unify_inner(a->args[i], b->args[i]);
    if (r != Unified::ok) return r;
  }
  return Unified::ok;
}

Type* TypeStore::substitute(Type* t, const std::map<Type*, Type*>& map) {
  t = resolve(t);
  if (t->kind == TK::var) {
    auto it = map.find(t);
    return it == map.end() ? t : it->second;
  }
  if (t->kind == TK::dyn) return t;
  std::vector<Type*> args;
  for (Type* a : t->args) args.push_back(substitute(a, map));
  if (t->kind == TK::con) return con(t->name, std::move(args));
  if (t->kind == TK::tuple) return tuple(std::move(args));
  Type* r = args.back();
  args.pop_back();
  return fun(std::move(args), r);
}

Type* TypeStore::instantiate(const Scheme& s, std::vector<std::pair<Type*, std::string>>* bounds) {
  std::map<Type*, Type*> map;
  for (Type* v : s.vars) map[v] = var();
  if (bounds) {
    for (const auto& [v, iface] : s.bounds) {
      auto it = map.find(v);
      if (it != map.end()) bounds->emplace_back(it->second, iface);
    }
  }
  return substitute(s.type, map);
}

void TypeStore::free_vars(Type* t, std::set<Type*>& out) {
  t = resolve(t);
  if (t->kind == TK::var) {
    out.insert(t);
    return;
  }
  for (Type* a : t->args) free_vars(a, out);
}

Scheme TypeStore::generalize(Type* t, const std::set<Type*>& fixed) {
  Scheme s;
  s.type = t;
  std::set<Type*> vars;
  free_vars(t, vars);
  for (Type* v : vars) {
    if (!fixed.count(v)) s.vars.push_back(v);
  }
  return s;
}

std::string TypeStore::show(Type* t) const {
  t = resolve(t);
  auto list = [this](const std::vector<Type*>& xs, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += (i ? ", " : "") + show(xs[i]);
    return s;
  };
  switch (t->kind) {
    case TK::var: case TK::dyn: return "_";
    case TK::tuple: return "(" + list(t->args, t->args.size()) + ")";
    case TK::fun: return "Fun(" + list(t->args, t->args.size() - 1) + ") -> " + show(t->args.back());
    case TK::con:
      if (t->name == "Pid" && (t->args.empty() || resolve(t->args[0])->kind == TK::dyn)) return "Pid";
      if (t->args.empty()) return t->name;
      return t->name + "<" + list(t->args, t->args.size()) + ">";
  }
  return "_";
}

namespace {

/// A recursive-descent reader over the annotation text (no spaces: the parser joins the
/// tokens' spellings).
class TypeReader {
 public:
  TypeReader(TypeStore& s, const std::string& text, const TypeNameLookup& lookup) : s_(s), t_(text), lookup_(lookup) {}

  Type* read() {
    Type* t = type();
    return ok_ && i_ == t_.size() ? t : s_.dyn();
  }

 private:
  bool at(const char* p) const { return t_.compare(i_, std::char_traits<char>::length(p), p) == 0; }
  bool accept(const char* p) {
    if (!at(p)) return false;
    i_ += std::char_traits<char>::length(p);
    return true;
  }
  void expect(const char* p) {
    if (!accept(p)) ok_ = false;
  }
  std::string ident() {
    const std::size_t start = i_;
    while (i_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[i_])) || t_[i_] == '_')) ++i_;
    if (start == i_) ok_ = false;
    return t_.substr(start, i_ - start);
  }

  std::vector<Type*> list(const char* close) {
    std::vector<Type*> xs;
    if (accept(close)) return xs;
    do {
      xs.push_back(type());
    } while (ok_ && accept(","));
    expect(close);
    return xs;
  }

  Type* type() {
    if (!ok_ || ++depth_ > 64) {
      ok_ = false;
      return s_.dyn();
    }
    Type* t = primary();
    for (;;) {
      if (accept("?")) {
        t = s_.con("Option", {t});
      } else if (at("!") && !at("!=")) {
        ++i_;
        t = s_.con("Result", {t, primary()});
      } else {
        break;
      }
    }
    --depth_;
    return t;
  }

  Type* primary() {
    if (accept("(")) {
      std::vector<Type*> xs = list(")");
      if (xs.empty()) return s_.unit();
      if (xs.size() == 1) return xs[0];
      return s_.tuple(std::move(xs));
    }
    std::string name = ident();
    if (!ok_) return s_.dyn();
    if (name == "Fun" && accept("(")) {
      std::vector<Type*> ps = list(")");
      expect("->");
      Type* r = type();
      return s_.fun(std::move(ps), r);
    }
    while (at(".") && i_ + 1 < t_.size() && std::isalpha(static_cast<unsigned char>(t_[i_ + 1]))) {
      ++i_;
      name += "." + ident();
    }
    std::vector<Type*> args;
    const bool has_args = accept("<");
    if (has_args) args = list(">");
    if (!ok_) return s_.dyn();
    // A qualified name is a type of another module (its key, dsl/resolve.hpp): `lookup`
    // knows it, or it stays unknown.
    return named(name, std::move(args), has_args);
  }

  Type* named(const std::string& n, std::vector<Type*> args, bool has_args) {
    auto want = [&](std::size_t k) {
      if (args.size() != k) {
        args.clear();
        for (std::size_t i = 0; i < k; ++i) args.push_back(s_.dyn());
      }
      return args;
    };
    if (n == "Int" || n == "Float" || n == "Bool" || n == "String" || n == "Set" || n == "Range" || n == "Queue" ||
        n == "Ordering" || n == "ExitReason") {
      return has_args ? s_.dyn() : s_.con(n);
    }
    if (n == "List" || n == "Option") return s_.con(n, want(1));
    if (n == "Map" || n == "Result") return s_.con(n, want(2));
    if (n == "Pid") return s_.con(n, want(1));
    if (lookup_) {
      if (Type* t = lookup_(n, std::move(args), has_args)) return t;
    }
    return s_.dyn();
  }

  TypeStore& s_;
  const std::string& t_;
  const TypeNameLookup& lookup_;
  std::size_t i_ = 0;
  int depth_ = 0;
  bool ok_ = true;
};

}  // namespace

Type* parse_type(TypeStore& store, const std::string& text, const TypeNameLookup& lookup) {
  std::string compact;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  }
  return TypeReader(store, compact, lookup).read();
}

}  // namespace snowc
