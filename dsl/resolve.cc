// dsl/resolve.cc: program-wide names for the items of every module (see resolve.hpp).
#include "resolve.hpp"

#include <cctype>
#include <map>
#include <set>

#include "stdlib.hpp"

namespace snowc {

namespace {

enum class Kind { fn, actor, service, supervisor, variant, struct_, sum, alias, interface };

/// A top-level item of some module.
struct Entity {
  Kind kind = Kind::fn;
  std::string key;  // its program-wide name
  bool pub = false;
  std::string sum_key;                // a variant's sum type
  std::vector<std::string> variants;  // a sum type's variants, as written
};

/// What one module defines, by the names it writes. Values are what expressions name
/// (functions, actors, services, supervisors, variants); types are what annotations,
/// struct literals, impls and qualifiers name. The two never clash (a struct and a
/// variant may share a name), as in the checker.
struct Defs {
  std::string module;
  std::string file;  // as shown
  std::map<std::string, Entity> values, types;
};

/// What names mean inside the module being resolved.
struct Scope {
  std::map<std::string, const Entity*> values, types;
  std::map<std::string, const Defs*> modules;     // `import Geo.Vector`: `Vector` -> its definitions
  std::map<std::string, std::string> builtins;    // `from String import length`: `length` -> `String.length`
};

bool is_ident_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

class Resolver {
 public:
  Resolver(std::vector<Module>& modules, Diagnostics& d) : modules_(modules), d_(d) {}

  void run() {
    for (auto& m : modules_) declare(m);
    for (auto& m : modules_) resolve_module(m);
  }

 private:
  // ---- definitions ----

  /// Gives every top-level item of `m` its key, and renames its definition to it.
  void declare(Module& m) {
    Defs& defs = defs_[m.name];
    defs.module = m.name;
    defs.file = m.shown;
    const std::string prefix = m.name.empty() ? "" : m.name + ".";
    auto add = [&](std::map<std::string, Entity>& into, Kind kind, const std::string& name, bool pub) -> Entity& {
      auto [it, fresh] = into.try_emplace(name);
      if (fresh) it->second = Entity{kind, prefix + name, pub, {}, {}};
      return it->second;  // a second definition is the checker's to report, under the same key
    };
    for (Item& it : m.program.items) {
      switch (it.kind) {
        case Item::fn: {
          const Entity& e = add(defs.values, Kind::fn, it.fn_group->name, it.pub);
          it.fn_group->name = e.key;
          for (auto& c : it.fn_group->clauses) c->name = e.key;
          break;
        }
        case Item::actor: it.actor_def->name = add(defs.values, Kind::actor, it.actor_def->name, false).key; break;
        case Item::service: it.service_def->name = add(defs.values, Kind::service, it.service_def->name, false).key; break;
        case Item::supervisor:
          it.supervisor_def->name = add(defs.values, Kind::supervisor, it.supervisor_def->name, it.pub).key;
          break;
        case Item::struct_: it.struct_def->name = add(defs.types, Kind::struct_, it.struct_def->name, it.pub).key; break;
        case Item::alias: it.alias_def->name = add(defs.types, Kind::alias, it.alias_def->name, it.pub).key; break;
        case Item::interface:
          it.interface_def->name = add(defs.types, Kind::interface, it.interface_def->name, it.pub).key;
          break;
        case Item::sum: {
          Entity& sum = add(defs.types, Kind::sum, it.sum_def->name, it.pub);
          it.sum_def->name = sum.key;
          for (auto& v : it.sum_def->variants) {
            Entity& variant = add(defs.values, Kind::variant, v.name, it.pub);
            variant.sum_key = sum.key;
            sum.variants.push_back(v.name);
            v.name = variant.key;
          }
          break;
        }
        case Item::impl: case Item::import: case Item::stmt: break;
      }
    }
  }

  // ---- imports ----

  void resolve_module(Module& m) {
    module_ = &m;
    scope_ = Scope{};
    const Defs& own = defs_[m.name];
    for (const auto& [n, e] : own.values) scope_.values[n] = &e;
    for (const auto& [n, e] : own.types) scope_.types[n] = &e;
    auto& items = m.program.items;
    for (auto it = items.begin(); it != items.end();) {
      if (it->kind == Item::import && !import(*it->import_def)) {
        it = items.erase(it);
      } else {
        ++it;
      }
    }
    for (Item& it : items) item(it);
  }

  /// Binds what `im` imports into the scope; true when the item stays for the checker.
  bool import(const ImportDef& im) {
    std::string name;
    for (const auto& seg : im.path) name += (name.empty() ? "" : ".") + seg;
    auto target = defs_.find(name);
    if (target != defs_.end()) {
      const Defs& defs = target->second;
      if (!im.from) {
        scope_.modules[im.path.back()] = &defs;
        return false;
      }
      for (const auto& [n, sp] : im.names) import_name(defs, n, sp);
      return false;
    }
    // A standard module (dsl/modules.cc reported and dropped imports of any other): the
    // entry module's imports are the checker's, as in a single-file program; another
    // module's from-imports name the builtins directly.
    if (module_->name.empty()) return true;
    if (im.from) {
      for (const auto& [n, sp] : im.names) {
        if (!find_builtin(name + "." + n)) {
          d_.error("E0034", sp, "`" + n + "` not found in module `" + name + "`");
        } else if (defined_here(n, sp)) {
          scope_.builtins[n] = name + "." + n;
        }
      }
    }
    return false;
  }

  void import_name(const Defs& from, const std::string& n, Span sp) {
    const Entity* value = find(from.values, n);
    const Entity* type = find(from.types, n);
    if (!value && !type) {
      d_.error("E0034", sp, "`" + n + "` not found in module `" + from.module + "`");
      return;
    }
    // A private item is reported and still bound, so its uses are not reported again.
    if (!(value && value->pub) && !(type && type->pub)) private_item(sp, n, from.module);
    if (!defined_here(n, sp)) return;
    if (value) scope_.values[n] = value;
    if (type) {
      scope_.types[n] = type;
      // Importing a sum type brings its variant constructors into scope (snow.md#imports).
      for (const auto& v : type->variants) scope_.values[v] = &from.values.at(v);
    }
  }

  /// False (reported) when the module being resolved defines `n` itself.
  bool defined_here(const std::string& n, Span sp) {
    const Defs& own = defs_[module_->name];
    if (!own.values.count(n) && !own.types.count(n)) return true;
    d_.error("E0004", sp, "`" + n + "` is imported and also defined in this module", "rename one of them");
    return false;
  }

  void private_item(Span sp, const std::string& n, const std::string& module) {
    d_.error("E0035", sp, "`" + n + "` is private to module `" + module + "`", "item is private; add `pub`");
  }

  static const Entity* find(const std::map<std::string, Entity>& in, const std::string& n) {
    auto it = in.find(n);
    return it == in.end() ? nullptr : &it->second;
  }

  /// `M.n` after `import M`: the item's key, or "" when M has no `n` (reported). A private
  /// item is reported and still resolved, so the checker does not report it again as
  /// unknown. `values_first`: an expression (a function before a type of the same name).
  std::string member(const Defs& m, const std::string& n, Span sp, bool values_first) {
    const Entity* value = find(m.values, n);
    const Entity* type = find(m.types, n);
    const Entity* e = values_first ? (value ? value : type) : (type ? type : value);
    if (!e) {
      d_.error("E0034", sp, "`" + n + "` not found in module `" + m.module + "`",
               is_std_module(m.module) ? m.file + " shadows the standard module `" + m.module + "`" : "");
      return "";
    }
    if (!e->pub) private_item(sp, n, m.module);
    return e->key;
  }

  // ---- lookups in the current module ----
  const Entity* value(const std::string& n) const {
    auto it = scope_.values.find(n);
    return it == scope_.values.end() ? nullptr : it->second;
  }
  /// A type by its written name, or by its key (`Shapes.Shape` after resolving a qualifier).
  const Entity* type(const std::string& n) const {
    if (auto it = scope_.types.find(n); it != scope_.types.end()) return it->second;
    const auto dot = n.rfind('.');
    if (dot == std::string::npos) return nullptr;
    auto d = defs_.find(n.substr(0, dot));
    return d == defs_.end() ? nullptr : find(d->second.types, n.substr(dot + 1));
  }
  const Defs* module_alias(const std::string& n) const {
    auto it = scope_.modules.find(n);
    return it == scope_.modules.end() ? nullptr : it->second;
  }
  /// The key of variant `n` of sum type `sum`, or "" when it has none.
  std::string variant_of(const Entity& sum, const std::string& n) const {
    for (const auto& v : sum.variants) {
      if (v == n) return sum.key.substr(0, sum.key.size() - name_of(sum.key).size()) + v;
    }
    return "";
  }
  static std::string name_of(const std::string& key) {
    const auto dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
  }

  // ---- locals ----
  void push() { locals_.push(); }
  void pop() { locals_.pop(); }
  void bind(const std::string& n) { locals_.add(n); }
  bool local(const std::string& n) const { return locals_.has(n); }

  // ---- types as written (TypeRef text, impl headers) ----

  /// Rewrites every type name in `text` (`List<Point>`, `Geometry.Point?`) to its key;
  /// generic parameters in scope and unknown names stay as written.
  std::string type_text(const std::string& text, Span sp) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
      if (!is_ident_byte(static_cast<unsigned char>(text[i]))) {
        out += text[i++];
        continue;
      }
      std::vector<std::string> path;
      for (;;) {
        const std::size_t start = i;
        while (i < text.size() && is_ident_byte(static_cast<unsigned char>(text[i]))) ++i;
        path.push_back(text.substr(start, i - start));
        if (i + 1 < text.size() && text[i] == '.' && is_ident_byte(static_cast<unsigned char>(text[i + 1]))) {
          ++i;
          continue;
        }
        break;
      }
      out += type_path(path, sp);
    }
    return out;
  }
  std::string type_path(const std::vector<std::string>& path, Span sp) {
    std::string written;
    for (const auto& seg : path) written += (written.empty() ? "" : ".") + seg;
    if (path.size() == 1) {
      if (generics_.count(path[0])) return written;
      const Entity* t = type(path[0]);
      return t ? t->key : written;
    }
    if (path.size() == 2) {
      if (const Defs* m = module_alias(path[0]); m && !local(path[0])) {
        const std::string key = member(*m, path[1], sp, false);
        return key.empty() ? written : key;
      }
    }
    return written;
  }
  void type_ref(std::optional<TypeRef>& r) {
    if (r) r->text = type_text(r->text, r->span);
  }

  // ---- items ----
  void item(Item& it) {
    switch (it.kind) {
      case Item::fn:
        for (auto& c : it.fn_group->clauses) fn_def(*c);
        break;
      case Item::struct_: {
        GenericsScope g(*this, it.struct_def->generics);
        for (auto& t : it.struct_def->field_types) t.text = type_text(t.text, t.span);
        break;
      }
      case Item::sum: {
        GenericsScope g(*this, it.sum_def->generics);
        for (auto& v : it.sum_def->variants) {
          for (auto& t : v.field_types) t.text = type_text(t.text, t.span);
        }
        break;
      }
      case Item::alias: {
        GenericsScope g(*this, it.alias_def->generics);
        it.alias_def->target.text = type_text(it.alias_def->target.text, it.alias_def->target.span);
        break;
      }
      case Item::interface:
        for (auto& m : it.interface_def->methods) {
          if (m.default_body) fn_def(*m.default_body);
        }
        break;
      case Item::impl:
        it.impl_def->iface = type_text(it.impl_def->iface, it.impl_def->span);
        it.impl_def->type = type_text(it.impl_def->type, it.impl_def->span);
        for (auto& m : it.impl_def->methods) fn_def(*m);
        break;
      case Item::actor: {
        ActorDef& a = *it.actor_def;
        push();
        for (auto& p : a.params) pattern(*p);
        block(a.body);
        pop();
        if (a.terminate) block(*a.terminate);  // it sees no parameters (snow.md#actors)
        break;
      }
      case Item::service: {
        ServiceDef& sv = *it.service_def;
        if (sv.init) fn_def(*sv.init);
        for (auto& h : sv.handlers) {
          push();
          if (!h.state_name.empty()) bind(h.state_name);
          for (auto& p : h.params) pattern(*p);
          type_ref(h.reply);
          block(h.body);
          pop();
        }
        break;
      }
      case Item::supervisor:
        for (auto& c : it.supervisor_def->children) {
          if (c.start) expr(*c.start);
        }
        break;
      case Item::import: break;
      case Item::stmt:
        push();
        statement(*it.statement);
        pop();
        break;
    }
  }

  /// Generic parameters in scope: they shadow type names.
  class GenericsScope {
   public:
    GenericsScope(Resolver& r, const std::vector<std::string>& names) : r_(r), saved_(r.generics_) {
      r_.generics_.insert(names.begin(), names.end());
    }
    ~GenericsScope() { r_.generics_ = std::move(saved_); }
    GenericsScope(const GenericsScope&) = delete;
    GenericsScope& operator=(const GenericsScope&) = delete;

   private:
    Resolver& r_;
    std::set<std::string> saved_;
  };

  void fn_def(FnDef& f) {
    GenericsScope g(*this, f.generics);
    for (auto& [param, iface] : f.bounds) iface = type_text(iface, f.span);
    push();
    for (auto& p : f.params) pattern(*p);
    type_ref(f.ret);
    if (f.guard) expr(*f.guard);
    block(f.body);
    pop();
  }

  void block(Block& b) {
    push();
    for (auto& st : b) statement(*st);
    pop();
  }

  void statement(Stmt& st) {
    switch (st.kind) {
      case SK::let:
        if (st.expr) expr(*st.expr);
        type_ref(st.type);
        if (st.pat) pattern(*st.pat);
        break;
      case SK::ret:
      case SK::expr:
        if (st.expr) expr(*st.expr);
        break;
      case SK::fn:
        bind(st.fn->name);
        fn_def(*st.fn);
        break;
    }
  }

  // ---- patterns ----
  void pattern(Pat& p) {
    type_ref(p.type);
    switch (p.kind) {
      case PK::var: bind(p.name); break;
      case PK::as: bind(p.name); break;
      case PK::ctor: constructor_pattern(p); break;
      default: break;
    }
    for (auto& k : p.kids) pattern(*k);
  }

  void constructor_pattern(Pat& p) {
    if (!p.qualifier.empty()) {
      if (const Defs* m = module_alias(p.qualifier); m && !local(p.qualifier)) {  // `Shapes.Circle(r)`
        const std::string key = member(*m, p.name, p.span, true);
        if (key.empty()) {  // reported; as a wildcard it causes no further errors
          p.kind = PK::wild;
          p.kids.clear();
          return;
        }
        const Entity* v = find(m->values, p.name);
        if (v && v->kind == Kind::variant) {
          p.qualifier = v->sum_key;
          p.name = key;
        }
        return;
      }
      if (const Entity* sum = type(p.qualifier); sum && sum->kind == Kind::sum) {  // `Shape.Circle(r)`
        p.qualifier = sum->key;
        if (std::string key = variant_of(*sum, p.name); !key.empty()) p.name = key;
      }
      return;
    }
    if (const Entity* v = value(p.name); v && v->kind == Kind::variant) {
      p.name = v->key;
    } else if (!p.has_args && !is_builtin_variant(p.name)) {
      p.binds = true;  // an upper-case name that is no variant binds (snow.md#patterns)
      bind(p.name);
    }
  }

  // ---- expressions ----
  void exprs(std::vector<ExprP>& es) {
    for (auto& e : es) {
      if (e) expr(*e);
    }
  }

  void expr(Expr& e) {
    switch (e.kind) {
      case EK::ident: ident(e); return;
      case EK::field: field(e); return;
      case EK::str:
        for (auto& piece : e.pieces) {
          if (piece.is_expr && piece.expr) expr(*piece.expr);
        }
        return;
      case EK::struct_lit: struct_literal(e); return;
      case EK::if_:
        expr(*e.cond);
        block(e.then_block);
        block(e.else_block);
        return;
      case EK::case_:
      case EK::receive:
        if (e.cond) expr(*e.cond);
        for (auto& a : e.arms) {
          push();
          pattern(*a.pat);
          if (a.guard) expr(*a.guard);
          expr(*a.body);
          pop();
        }
        if (e.after_ms) expr(*e.after_ms);
        if (e.after_body) expr(*e.after_body);
        return;
      case EK::closure:
        for (auto& c : e.clauses) {
          push();
          for (auto& p : c.params) pattern(*p);
          if (c.guard) expr(*c.guard);
          block(c.body);
          pop();
        }
        return;
      case EK::while_:
        expr(*e.cond);
        block(e.body);
        return;
      case EK::for_:
        expr(*e.iter);
        push();
        if (e.loop_var) pattern(*e.loop_var);
        if (!e.key_var.empty()) {
          bind(e.key_var);
          bind(e.value_var);
        }
        if (e.cond) expr(*e.cond);
        block(e.body);
        pop();
        return;
      default:
        exprs(e.kids);
        return;
    }
  }

  void ident(Expr& e) {
    if (local(e.name)) return;
    if (const Entity* v = value(e.name)) {
      e.name = v->key;
    } else if (auto b = scope_.builtins.find(e.name); b != scope_.builtins.end()) {
      e.name = b->second;
    }
  }

  void field(Expr& e) {
    Expr& recv = *e.kids[0];
    if (recv.kind == EK::ident && !local(recv.name)) {
      if (const Defs* m = module_alias(recv.name)) {  // `Vector.dot` after `import Geo.Vector`
        const std::string key = member(*m, e.name, e.span, true);
        if (key.empty()) {  // reported; as `()` it causes no further errors
          e.kind = EK::unit;
          e.kids.clear();
          return;
        }
        e.kind = EK::ident;
        e.name = key;
        e.span.length = e.span.offset + e.span.length - recv.span.offset;  // `Vector.dot`, for diagnostics
        e.span.line = recv.span.line;
        e.span.col = recv.span.col;
        e.span.offset = recv.span.offset;
        e.kids.clear();
        return;
      }
    }
    if (recv.kind != EK::ident) expr(recv);  // `Shapes.Shape.Circle`: the qualifier first
    if (recv.kind != EK::ident || local(recv.name)) return;  // a field of a value
    if (const Entity* sum = type(recv.name); sum && sum->kind == Kind::sum) {  // `Shape.Circle`
      recv.name = sum->key;
      if (std::string key = variant_of(*sum, e.name); !key.empty()) e.name = key;
      return;
    }
    ident(recv);  // a service (`Counter.start`), or a value
  }

  void struct_literal(Expr& e) {
    if (!e.qualifier.empty()) {
      if (const Defs* m = module_alias(e.qualifier); m && !local(e.qualifier)) {  // `Geometry.Point { ... }`
        const std::string key = member(*m, e.name, e.span, false);
        if (key.empty()) {  // reported; as `()` it causes no further errors
          e.kind = EK::unit;
          e.fields.clear();
          return;
        }
        e.name = key;
        e.qualifier.clear();
      }
    } else if (const Entity* t = type(e.name)) {
      e.name = t->key;
    }
    for (auto& [name, value] : e.fields) expr(*value);
  }

  std::vector<Module>& modules_;
  Diagnostics& d_;
  std::map<std::string, Defs> defs_;  // by module name ("" for the entry module)
  Module* module_ = nullptr;          // being resolved
  Scope scope_;
  LocalScopes locals_;
  std::set<std::string> generics_;
};

}  // namespace

void resolve_names(std::vector<Module>& modules, Diagnostics& diags) { Resolver(modules, diags).run(); }

void bound_names(const Pat& p, std::vector<std::string>& out) {
  switch (p.kind) {
    case PK::var: out.push_back(p.name); break;
    case PK::ctor:
      if (p.binds) out.push_back(p.name);
      for (const auto& k : p.kids) bound_names(*k, out);
      break;
    case PK::as: out.push_back(p.name); bound_names(*p.kids[0], out); break;
    case PK::alt: bound_names(*p.kids[0], out); break;
    default:
      for (const auto& k : p.kids) bound_names(*k, out);
  }
}

void resolve_names(Program& program, Diagnostics& diags) {
  std::vector<Module> one(1);
  one[0].program = std::move(program);
  resolve_names(one, diags);
  program = std::move(one[0].program);
}

}  // namespace snowc
