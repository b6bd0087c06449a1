// dsl/parse_declarations.cc: declarations: functions and their parameters, structs,
// sum types and aliases, interfaces and impls, actors, services, supervisors, imports,
// and type annotations (kept as text, with their spans).
#include "parse_internal.hpp"

namespace snowc::parsing {

std::vector<std::string> Parser::generics() {
  std::vector<std::string> names;
  if (!accept(Tok::lt)) return names;
  do {
    names.push_back(ident("a type parameter"));
  } while (accept(Tok::comma));
  expect(Tok::gt);
  return names;
}

TypeRef Parser::type() {
  const std::size_t start = i_;
  const Span sp = cur().span;
  type_inner();
  TypeRef r;
  r.span = sp;
  for (std::size_t k = start; k < i_; ++k) r.text += t_[k].text;
  return r;
}

void Parser::type_inner() {
  const Nesting nesting(*this);
  if (accept(Tok::lparen)) {
    if (!at(Tok::rparen)) {
      do {
        type_inner();
      } while (accept(Tok::comma));
    }
    expect(Tok::rparen);
  } else if (at_ident("Fun")) {
    take();
    expect(Tok::lparen);
    if (!at(Tok::rparen)) {
      do {
        type_inner();
      } while (accept(Tok::comma));
    }
    expect(Tok::rparen);
    expect(Tok::arrow, "`->` and the result type");
    type_inner();
  } else {
    ident("a type");
    while (at(Tok::dot) && ahead().kind == Tok::ident) {
      take();
      take();
    }
    if (accept(Tok::lt)) {
      do {
        type_inner();
      } while (accept(Tok::comma));
      expect(Tok::gt);
    }
  }
  if (accept(Tok::question)) {
  }
  if (at(Tok::bang) && !cur().newline_before) {
    take();
    type_inner();
  }
}

FnDefP Parser::fn_def() {
  auto f = std::make_shared<FnDef>();
  f->span = take().span;  // fn / def
  f->name_span = cur().span;
  f->name = ident("a function name");
  f->generics = generics();
  if (accept(Tok::lparen)) {
    f->params = cparams(Tok::rparen);
    expect(Tok::rparen);
  }
  if (accept(Tok::arrow)) {
    f->ret = type();
    f->has_annotations = true;
  }
  if (accept(Tok::kw_where)) {
    do {
      std::string param = ident("a type parameter");
      expect(Tok::colon);
      std::string iface = ident("an interface");
      while (accept(Tok::dot)) iface += "." + ident();
      f->bounds.emplace_back(std::move(param), std::move(iface));
    } while (accept(Tok::comma));
  }
  if (accept(Tok::kw_when)) f->guard = expr();
  for (auto& p : f->params) {
    if (p->type) f->has_annotations = true;
  }
  if (accept(Tok::assign)) {
    auto s = std::make_shared<Stmt>();
    s->kind = SK::expr;
    s->span = cur().span;
    s->expr = expr();
    f->body.push_back(s);
  } else if (accept(Tok::kw_do)) {
    Opened open_block(*this);
    f->body = block();
    expect(Tok::kw_end, "`end` to close the function body");
  } else {
    fail_here("expected `do` or `=` to start the body of `" + f->name + "`, found " + found());
  }
  return f;
}

std::vector<PatP> Parser::cparams(Tok close) {
  std::vector<PatP> ps;
  while (!at(close)) {
    ps.push_back(cparam());
    if (!accept(Tok::comma)) break;
  }
  return ps;
}

PatP Parser::cparam() {
  if (at(Tok::kw_self)) {
    auto p = std::make_shared<Pat>();
    p->kind = PK::var;
    p->span = take().span;
    p->name = "self";
    if (accept(Tok::colon_colon)) p->type = type();
    return p;
  }
  // A parameter is a name with an optional type, or a literal, tuple or constructor
  // pattern: `::` after a name is a type annotation here, never a cons pattern.
  PatP p = prim_pattern();
  if (p->kind == PK::ctor && !p->has_args && p->qualifier.empty() && at(Tok::colon_colon)) p->kind = PK::var;
  if (p->kind == PK::var && accept(Tok::colon_colon)) p->type = type();
  return p;
}

std::optional<std::vector<std::pair<std::string, Span>>> Parser::deriving() {
  if (!(at_ident("deriving") && !cur().newline_before)) return std::nullopt;
  take();
  expect(Tok::lparen);
  std::vector<std::pair<std::string, Span>> names;
  while (!at(Tok::rparen)) {
    const Span sp = cur().span;
    names.emplace_back(ident("an interface name"), sp);
    if (!accept(Tok::comma)) break;
  }
  expect(Tok::rparen);
  return names;
}

std::shared_ptr<StructDef> Parser::struct_def() {
  auto s = std::make_shared<StructDef>();
  take();
  s->span = cur().span;
  s->name = ident("a struct name");
  s->generics = generics();
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end)) {
    s->field_spans.push_back(cur().span);
    s->fields.push_back(ident("a field name"));
    expect(Tok::colon_colon, "`::` and the field's type");
    s->field_types.push_back(type());
    skip_seps();
  }
  expect(Tok::kw_end);
  s->deriving = deriving();
  return s;
}

void Parser::type_def(Program& p, Item& it) {
  take();
  const Span sp = cur().span;
  const std::string name = ident("a type name");
  std::vector<std::string> params = generics();
  if (accept(Tok::assign)) {
    auto a = std::make_shared<AliasDef>();
    a->name = name;
    a->span = sp;
    a->generics = std::move(params);
    a->target = type();
    it.alias_def = a;
    it.kind = Item::alias;
    it.span = sp;
    p.items.push_back(it);
    return;
  }
  auto s = std::make_shared<SumDef>();
  s->name = name;
  s->span = sp;
  s->generics = std::move(params);
  expect(Tok::kw_do, "`do` (a sum type) or `=` (an alias)");
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end)) {
    Variant v;
    v.span = cur().span;
    v.name = ident("a variant name");
    if (accept(Tok::lparen)) {
      while (!at(Tok::rparen)) {
        if (at(Tok::ident) && ahead().kind == Tok::colon_colon) {
          v.field_names.push_back(take().text);
          take();
        } else {
          v.field_names.emplace_back();
        }
        v.field_types.push_back(type());
        ++v.arity;
        if (!accept(Tok::comma)) break;
      }
      expect(Tok::rparen);
    }
    s->variants.push_back(v);
    skip_seps();
  }
  expect(Tok::kw_end);
  s->deriving = deriving();
  it.kind = Item::sum;
  it.sum_def = s;
  p.items.push_back(it);
}

std::shared_ptr<InterfaceDef> Parser::interface_def() {
  auto d = std::make_shared<InterfaceDef>();
  take();
  d->span = cur().span;
  d->name = ident("an interface name");
  generics();
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end)) {
    if (!at(Tok::kw_fn) && !at(Tok::kw_def)) fail_here("expected `fn` in an interface, found " + found());
    InterfaceMethod m;
    const Span fn_span = take().span;
    m.span = cur().span;
    m.name = ident("a method name");
    expect(Tok::lparen);
    auto params = cparams(Tok::rparen);
    expect(Tok::rparen);
    m.arity = static_cast<int>(params.size());
    if (accept(Tok::arrow)) m.ret = type();
    if (accept(Tok::kw_do)) {
      Opened open_block(*this);
      auto f = std::make_shared<FnDef>();
      f->span = fn_span;
      f->name = m.name;
      f->name_span = m.span;
      f->params = params;
      f->body = block();
      expect(Tok::kw_end);
      m.default_body = f;
    }
    d->methods.push_back(m);
    skip_seps();
  }
  expect(Tok::kw_end);
  return d;
}

std::string Parser::path() {
  std::string p = ident();
  while (at(Tok::dot) && ahead().kind == Tok::ident) {
    take();
    p += "." + take().text;
  }
  return p;
}

std::shared_ptr<ImplDef> Parser::impl_def() {
  auto d = std::make_shared<ImplDef>();
  d->span = take().span;
  d->iface = path();
  if (accept(Tok::lt)) {
    do {
      type();
    } while (accept(Tok::comma));
    expect(Tok::gt);
  }
  if (!at(Tok::kw_for)) fail_here("expected `for` and a type after the interface name, found " + found());
  take();
  d->type = path();
  if (accept(Tok::lt)) {
    do {
      type();
    } while (accept(Tok::comma));
    expect(Tok::gt);
  }
  if (accept(Tok::kw_where)) {
    do {
      ident();
      expect(Tok::colon);
      path();
    } while (accept(Tok::comma));
  }
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end)) {
    if (!at(Tok::kw_fn) && !at(Tok::kw_def)) fail_here("expected `fn` in an impl, found " + found());
    d->methods.push_back(fn_def());
    skip_seps();
  }
  expect(Tok::kw_end);
  return d;
}

std::vector<PatP> Parser::params() {
  std::vector<PatP> ps;
  if (!accept(Tok::lparen)) return ps;
  while (!at(Tok::rparen)) {
    auto p = std::make_shared<Pat>();
    p->span = cur().span;
    if (at(Tok::kw_self)) {
      take();
      p->name = "self";
    } else {
      p->name = ident("a parameter name");
    }
    p->kind = p->name == "_" ? PK::wild : PK::var;
    if (accept(Tok::colon_colon)) p->type = type();
    ps.push_back(p);
    if (!accept(Tok::comma)) break;
  }
  expect(Tok::rparen);
  return ps;
}

std::shared_ptr<ActorDef> Parser::actor_def() {
  auto a = std::make_shared<ActorDef>();
  take();
  a->span = cur().span;
  a->name = ident("an actor name");
  a->params = params();
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::eof)) {
    if (at(Tok::kw_terminate)) {
      const Span sp = take().span;
      if (a->terminate) fail_at(sp, "only one terminate clause is allowed in an actor");
      expect(Tok::kw_do);
      Opened open_block(*this);
      a->terminate = block();
      a->terminate_span = sp;
      expect(Tok::kw_end);
    } else {
      a->body.push_back(statement());
      if (!at(Tok::kw_end)) end_of_statement();
    }
    skip_seps();
  }
  expect(Tok::kw_end, "`end` to close the actor");
  return a;
}

std::shared_ptr<ServiceDef> Parser::service_def() {
  auto s = std::make_shared<ServiceDef>();
  take();
  s->span = cur().span;
  s->name = ident("a service name");
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::eof)) {
    if (at(Tok::kw_fn) || at(Tok::kw_def)) {
      auto f = fn_def();
      if (f->name != "init") fail_at(f->name_span, "expected `fn init`, `call` or `cast` in a service");
      if (s->init) fail_at(f->name_span, "a service has one `fn init`");
      s->init = f;
    } else if (at(Tok::kw_call) || at(Tok::kw_cast)) {
      Handler h;
      h.is_call = take().kind == Tok::kw_call;
      h.span = cur().span;
      h.name = ident("a handler name");
      h.params = params();
      if (accept(Tok::colon_colon)) h.reply = type();
      expect(Tok::kw_do);
      Opened open_block(*this);
      if (at(Tok::bar) && !cur().newline_before) {
        take();
        h.state_name = ident("the state's name");
        if (!at(Tok::bar)) fail_here("expected `|` to close the state binder, found " + found());
        take();
      }
      h.body = block();
      expect(Tok::kw_end);
      s->handlers.push_back(std::move(h));
    } else {
      fail_here("expected `fn`, `call` or `cast` in a service, found " + found());
    }
    skip_seps();
  }
  expect(Tok::kw_end);
  return s;
}

std::shared_ptr<SupervisorDef> Parser::supervisor_def() {
  auto s = std::make_shared<SupervisorDef>();
  take();
  s->span = cur().span;
  s->name = ident("a supervisor name");
  expect(Tok::kw_do);
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::eof)) {
    const Span key_span = cur().span;
    const std::string key = at(Tok::ident) ? cur().text : "";
    if (key == "child") {
      take();
      ChildDef c;
      c.span = cur().span;
      c.id = ident("a child name");
      expect(Tok::kw_do);
      Opened open_block(*this);
      skip_seps();
      while (!at(Tok::kw_end) && !at(Tok::eof)) {
        const Span ks = cur().span;
        const std::string k = at(Tok::ident) ? cur().text : "";
        if (k != "start" && k != "restart" && k != "shutdown") {
          fail_here("unexpected key " + found() + " in a child", "a child has `start`, `restart` and `shutdown`");
        }
        take();
        expect(Tok::colon);
        if (k == "start") {
          c.start_span = cur().span;
          c.start = expr();
        } else if (k == "restart") {
          c.restart_span = cur().span;
          c.restart = at(Tok::ident) ? take().text : (take(), std::string("?"));
        } else {
          c.shutdown_span = cur().span;
          if (at(Tok::int_lit)) {
            c.shutdown_ms = take().int_value;
            c.shutdown_text = std::to_string(c.shutdown_ms);
            c.shutdown_ok = c.shutdown_ms > 0;
          } else if (at(Tok::minus) && ahead().kind == Tok::int_lit) {
            take();
            c.shutdown_text = "-" + take().text;
            c.shutdown_ok = false;
          } else if (at(Tok::ident)) {
            c.shutdown_text = take().text;
            c.brutal_kill = c.shutdown_text == "brutal_kill";
            c.shutdown_ok = c.brutal_kill;
          } else {
            c.shutdown_text = cur().text;
            take();
            c.shutdown_ok = false;
          }
        }
        (void)ks;
        skip_seps();
      }
      expect(Tok::kw_end);
      s->children.push_back(std::move(c));
    } else if (key == "strategy") {
      take();
      expect(Tok::colon);
      s->strategy_span = cur().span;
      s->strategy = ident("a strategy");
    } else if (key == "max_restarts" || key == "max_seconds") {
      take();
      expect(Tok::colon);
      if (!at(Tok::int_lit)) fail_here("unexpected value for `" + key + "`: expected an integer");
      (key == "max_restarts" ? s->max_restarts : s->max_seconds) = take().int_value;
    } else {
      fail_at(key_span, "unexpected key " + found() + " in a supervisor",
              "a supervisor has `strategy`, `max_restarts`, `max_seconds` and `child`");
    }
    skip_seps();
  }
  expect(Tok::kw_end);
  return s;
}

std::shared_ptr<ImportDef> Parser::import_def() {
  auto d = std::make_shared<ImportDef>();
  d->span = take().span;
  module_path(*d);
  return d;
}

std::shared_ptr<ImportDef> Parser::from_import() {
  auto d = std::make_shared<ImportDef>();
  d->from = true;
  d->span = take().span;
  module_path(*d);
  expect(Tok::kw_import);
  if (at(Tok::star)) fail_here("`from M import *` is not allowed", "list the names you need");
  if (at(Tok::lbrace)) fail_here("the names after `import` are not in braces", "write `from M import a, b`");
  do {
    const Span sp = cur().span;
    d->names.emplace_back(ident("a name to import"), sp);
  } while (accept(Tok::comma));
  return d;
}

void Parser::module_path(ImportDef& d) {
  d.path_span = cur().span;
  d.path.push_back(ident("a module name"));
  while (accept(Tok::dot)) {
    const Token& last = cur();
    d.path.push_back(ident("a module name"));
    d.path_span.length = last.span.offset + last.span.length - d.path_span.offset;
  }
}

}  // namespace snowc::parsing
