// dsl/may_wait.cc: the call-graph pass that finds which functions may wait (see may_wait.hpp).
//
// It walks each function's body in the order the emitter evaluates it, with the same
// scopes, so that a name is a local (a call through it is a function value call) exactly
// where the emitter's lookup finds one.
#include "may_wait.hpp"

#include <vector>

#include "resolve.hpp"
#include "stdlib.hpp"

namespace snowc {

namespace {

class WaitFinder {
 public:
  WaitFinder(const Symbols& s, const TypeTable& t) : s_(s), types_(t) {}

  WaitFacts facts_of(const FnGroup& g) {
    facts_ = WaitFacts{};
    scopes_ = LocalScopes{};
    scopes_.push();
    // As the emitter: one clause of plain parameters binds them; several clauses take
    // their arguments as `a0, a1, ...` and match each clause's patterns against them.
    const bool single = g.clauses.size() == 1 && simple_params(*g.clauses[0]) && !g.clauses[0]->guard;
    if (single) {
      for (const auto& p : g.clauses[0]->params) declare(p->kind == PK::var ? p->name : "_unused");
      block(g.clauses[0]->body);
    } else {
      for (int i = 0; i < g.arity; ++i) declare("a" + std::to_string(i));
      for (const auto& c : g.clauses) {
        push();
        for (const auto& p : c->params) bind(*p);
        if (c->guard) expr(*c->guard);
        block(c->body);
        pop();
      }
    }
    return std::move(facts_);
  }

 private:
  static bool simple_params(const FnDef& f) {
    for (const auto& p : f.params) {
      if (p->kind != PK::var && p->kind != PK::wild) return false;
    }
    return true;
  }

  void waits(const char* because) {
    if (facts_.waits_because.empty()) facts_.waits_because = because;
  }

  // ---- scopes ----
  void push() { scopes_.push(); }
  void pop() { scopes_.pop(); }
  void declare(const std::string& n) { scopes_.add(n); }
  bool local(const std::string& n) const { return scopes_.has(n); }

  /// The names `p` binds, declared as the emitter's pat_bind declares them.
  void bind(const Pat& p) {
    switch (p.kind) {
      case PK::var: declare(p.name); return;
      case PK::as:
        bind(*p.kids[0]);
        declare(p.name);
        return;
      case PK::ctor:
        if (p.binds) {
          declare(p.name);
          return;
        }
        for (const auto& k : p.kids) bind(*k);
        return;
      case PK::tuple: case PK::cons:
        for (const auto& k : p.kids) bind(*k);
        return;
      case PK::alt: {
        std::vector<std::string> names;
        bound_names(p, names);
        for (const auto& n : names) declare(n);
        return;
      }
      default: return;
    }
  }
  // ---- statements ----
  void block(const Block& b) {
    push();
    for (const auto& st : b) {
      switch (st->kind) {
        case SK::let:
          expr(*st->expr);
          if (st->pat->kind == PK::var) {
            declare(st->pat->name);
          } else if (st->pat->kind != PK::wild) {
            bind(*st->pat);
          }
          break;
        case SK::ret:
        case SK::expr:
          if (st->expr) expr(*st->expr);
          break;
        case SK::fn: declare(st->fn->name); break;  // its body runs when it is called
      }
    }
    pop();
  }

  // ---- expressions ----
  void exprs(const std::vector<ExprP>& es, std::size_t from = 0) {
    for (std::size_t i = from; i < es.size(); ++i) expr(*es[i]);
  }

  void expr(const Expr& e) {
    switch (e.kind) {
      case EK::str:
        for (const auto& piece : e.pieces) {
          if (piece.is_expr) expr(*piece.expr);
        }
        return;
      case EK::tuple: case EK::list: case EK::map: case EK::binary: case EK::unary: case EK::try_:
      case EK::send: case EK::link:
        exprs(e.kids);
        return;
      case EK::field: expr(*e.kids[0]); return;
      case EK::call: call(e); return;
      case EK::struct_lit:
        for (const auto& [name, value] : e.fields) expr(*value);
        return;
      case EK::if_:
        expr(*e.cond);
        block(e.then_block);
        block(e.else_block);
        return;
      case EK::case_:
        expr(*e.cond);
        for (const Arm& a : e.arms) {
          push();
          bind(*a.pat);
          if (a.guard) expr(*a.guard);
          expr(*a.body);
          pop();
        }
        return;
      case EK::receive: waits("receive"); return;
      case EK::while_: case EK::for_: waits("loop"); return;
      case EK::spawn:
        exprs(e.kids, 1);
        if (e.kids[0]->kind == EK::ident && s_.supervisors.count(e.kids[0]->name)) waits("supervisor spawn");
        return;
      // Literals and names evaluate nothing; a closure's body runs when it is called;
      // an index expression is not evaluated (it is `()`).
      case EK::int_lit: case EK::float_lit: case EK::bool_lit: case EK::unit: case EK::ident: case EK::index:
      case EK::closure: case EK::break_: case EK::continue_: case EK::self_pid:
        return;
    }
  }

  void call(const Expr& e) {
    const Expr& callee = *e.kids[0];
    if (callee.kind == EK::ident) {
      const std::string& n = callee.name;
      if (local(n)) {
        exprs(e.kids, 1);
        waits("function value call");
      } else if (s_.fns.count(n)) {
        exprs(e.kids, 1);
        facts_.calls.insert(n);
      } else if (s_.actors.count(n)) {
        // an actor's self-call that is not a tail call: an error the emitter reports
      } else if (s_.variants.count(n)) {
        exprs(e.kids, 1);
      } else if (n == "default" && e.kids.size() == 1) {
        if (default_is_written(e)) waits("default()");
      } else if (s_.methods.count(n) && e.kids.size() > 1) {
        exprs(e.kids, 1);
        waits("method call");
      } else if (n == "spawn_link") {
        exprs(e.kids, 2);
      } else {
        auto imp = s_.imports.find(n);
        if (const Builtin* b = find_builtin(imp != s_.imports.end() ? imp->second : n)) builtin_call(*b, e);
      }
      return;
    }
    if (callee.kind == EK::field) {
      const Expr& recv = *callee.kids[0];
      const std::string& member = callee.name;
      if (recv.kind == EK::ident && !local(recv.name)) {
        const std::string& mod = recv.name;
        if (s_.services.count(mod)) {
          service_call(mod, member, e);
          return;
        }
        if (auto vit = s_.variants.find(member); vit != s_.variants.end() && (s_.sums.count(mod) || vit->second.type == mod)) {
          exprs(e.kids, 1);
          return;
        }
        if (mod == "Node" && (member == "spawn" || member == "spawn_link")) {
          expr(*e.kids[1]);
          exprs(e.kids, 3);
          waits("remote spawn");
          return;
        }
        if (is_std_module(mod)) {
          if (const Builtin* b = find_builtin(mod + "." + member)) {
            builtin_call(*b, e);
            return;
          }
        }
      }
      expr(recv);
      exprs(e.kids, 1);
      waits("method call");
      return;
    }
    expr(callee);
    exprs(e.kids, 1);
    waits("function value call");
  }

  void builtin_call(const Builtin& b, const Expr& e) {
    exprs(e.kids, 1);
    if (b.flags & kAsync) waits("waiting builtin");
  }

  void service_call(const std::string& svc, const std::string& member, const Expr& e) {
    exprs(e.kids, 1);
    if (member == "start") {
      waits("service call");  // its `init` is a coroutine
      return;
    }
    const auto& api = s_.service_api.at(svc);
    const auto it = api.find(member);
    if (it == api.end() || e.kids.size() < 2) return;
    if (it->second.handler->is_call) waits("service call");  // a cast does not wait for its answer
  }

  /// `default()` of a type whose default an `impl Default` writes (a coroutine); the
  /// built-in types' defaults are values.
  bool default_is_written(const Expr& call) const {
    Type* t = types_.type_of(call);
    if (t == nullptr || !TypeStore::known(t) || t->kind != TK::con) return false;
    for (const auto& im : s_.impls) {
      if (im->iface == "Default" && im->type == t->name) return true;
    }
    return false;
  }

  const Symbols& s_;
  const TypeTable& types_;
  WaitFacts facts_;
  LocalScopes scopes_;
};

}  // namespace

std::map<std::string, WaitFacts> wait_facts(const Program& program, const Symbols& symbols, const TypeTable& types) {
  std::map<std::string, WaitFacts> out;
  WaitFinder finder(symbols, types);
  for (const Item& it : program.items) {
    if (it.kind == Item::fn) out[it.fn_group->name] = finder.facts_of(*it.fn_group);
  }
  return out;
}

std::set<std::string> plain_functions(const Program& program, const Symbols& symbols, const TypeTable& types) {
  const std::map<std::string, WaitFacts> facts = wait_facts(program, symbols, types);
  std::set<std::string> plain;
  // A function qualifies once everything it calls has: the least fixed point, which
  // leaves out every function on a cycle of calls.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [name, f] : facts) {
      if (name == "main" || plain.count(name) || !f.waits_because.empty()) continue;
      bool calls_plain_only = true;
      for (const auto& callee : f.calls) calls_plain_only = calls_plain_only && plain.count(callee) > 0;
      if (calls_plain_only) {
        plain.insert(name);
        changed = true;
      }
    }
  }
  return plain;
}

}  // namespace snowc
