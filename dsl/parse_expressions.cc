// dsl/parse_expressions.cc: expressions: binary operators by precedence, pipes, unary
// and postfix forms (calls, fields, `?`), primaries, string interpolation, `if`, `case`,
// `receive`, `for` and closures.
#include "parse_internal.hpp"

namespace snowc::parsing {

// ---- expressions ----
ExprP Parser::node(EK k, Span sp) {
  auto e = std::make_shared<Expr>();
  e->kind = k;
  e->span = sp;
  return e;
}

int Parser::precedence(Tok k) {
  switch (k) {
    case Tok::pipe_gt: return 1;
    case Tok::kw_or: case Tok::or_or: return 2;
    case Tok::kw_and: case Tok::and_and: return 3;
    case Tok::eq_eq: case Tok::bang_eq: return 4;
    case Tok::lt: case Tok::gt: case Tok::le: case Tok::ge: return 5;
    case Tok::dot_dot: return 6;
    case Tok::concat: case Tok::plus_plus: return 7;
    case Tok::plus: case Tok::minus: return 8;
    case Tok::star: case Tok::slash: case Tok::percent: return 9;
    default: return 0;
  }
}

std::string Parser::op_name(Tok k) {
  switch (k) {
    case Tok::kw_or: case Tok::or_or: return "or";
    case Tok::kw_and: case Tok::and_and: return "and";
    default: {
      std::string s = tok_name(k);
      return s.substr(1, s.size() - 2);
    }
  }
}

ExprP Parser::expr(int min_prec) {
  ExprP lhs = unary();
  for (;;) {
    const int p = precedence(cur().kind);
    if (p == 0 || p < min_prec) return lhs;
    // Outside brackets a newline token ends the expression before we get here; inside,
    // only `-` at the start of a line continues it (snow.md#newlines rule 3), like any operator.
    const Token op = take();
    if (op.kind == Tok::pipe_gt) skip_newlines();
    ExprP rhs = expr(p + 1);
    if (op.kind == Tok::pipe_gt) {
      lhs = pipe(lhs, rhs, op.span);
      continue;
    }
    auto b = node(EK::binary, op.span);
    b->name = op_name(op.kind);
    b->kids = {lhs, rhs};
    lhs = b;
  }
}

ExprP Parser::pipe(ExprP lhs, ExprP rhs, Span sp) {
  if (rhs->kind == EK::call) {
    rhs->kids.insert(rhs->kids.begin() + 1, lhs);
    return rhs;
  }
  if (rhs->kind == EK::ident || rhs->kind == EK::field || rhs->kind == EK::closure) {
    auto c = node(EK::call, rhs->span);
    c->kids = {rhs, lhs};
    return c;
  }
  fail_at(sp, "the right side of `|>` must be a function, a call or a closure");
}

ExprP Parser::unary() {
  const Nesting nesting(*this);
  if (at(Tok::minus) || at(Tok::kw_not) || at(Tok::bang)) {
    const Token op = take();
    auto u = node(EK::unary, op.span);
    u->name = op.kind == Tok::minus ? "-" : "not";
    u->kids = {unary()};
    return u;
  }
  return postfix(primary());
}

/// `Geo.Vector` from the expression the parser read for it (see is_type_path).
std::string Parser::type_path(const Expr& e) {
  return e.kind == EK::field ? type_path(*e.kids[0]) + "." + e.name : e.name;
}

bool Parser::is_type_path(const ExprP& e) {
  if (e->kind == EK::ident) return is_upper(e->name);
  if (e->kind == EK::field) return is_upper(e->name) && is_type_path(e->kids[0]);
  return false;
}

ExprP Parser::postfix(ExprP e) {
  for (;;) {
    if (at(Tok::lparen) && !cur().newline_before) {
      const Span sp = take().span;
      auto c = node(EK::call, e->span);
      c->kids.push_back(e);
      args(c->kids, Tok::rparen);
      expect(Tok::rparen, "`)` to close the call");
      (void)sp;
      e = c;
    } else if (at(Tok::dot)) {
      take();
      const Span sp = cur().span;
      std::string member;
      switch (cur().kind) {
        case Tok::ident: case Tok::kw_self: case Tok::kw_monitor: case Tok::kw_spawn: case Tok::kw_link:
          member = take().text;
          break;
        case Tok::int_lit:
          fail_here("tuple elements are read by destructuring or Tuple.nth, not `.N`");
        default:
          fail_here("expected a field or method name after `.`, found " + found());
      }
      auto f = node(EK::field, sp);
      f->name = member;
      f->kids = {e};
      e = f;
    } else if (at(Tok::lbracket) && !cur().newline_before) {
      const Span sp = take().span;
      auto ix = node(EK::index, sp);
      ix->kids = {e, expr()};
      expect(Tok::rbracket);
      e = ix;
    } else if (at(Tok::question) && !cur().newline_before) {
      auto q = node(EK::try_, take().span);
      q->kids = {e};
      e = q;
    } else if (at(Tok::lbrace) && !cur().newline_before && is_type_path(e)) {
      take();
      auto s = node(EK::struct_lit, e->span);
      s->name = e->name;
      if (e->kind == EK::field) s->qualifier = type_path(*e->kids[0]);
      while (!at(Tok::rbrace)) {
        s->field_spans.push_back(cur().span);
        const std::string f = ident("a field name");
        expect(Tok::colon, "`:` after the field name");
        s->fields.emplace_back(f, expr());
        if (!accept(Tok::comma) && !at(Tok::rbrace) && !cur().newline_before) {
          fail_here("expected `,` or `}` in the struct literal, found " + found());
        }
      }
      expect(Tok::rbrace);
      e = s;
    } else {
      return e;
    }
  }
}

void Parser::args(std::vector<ExprP>& out, Tok close) {
  while (!at(close)) {
    out.push_back(expr());
    if (!accept(Tok::comma)) break;
  }
}

ExprP Parser::primary() {
  const Token& t = cur();
  const Span sp = t.span;
  switch (t.kind) {
    case Tok::int_lit: {
      auto e = node(EK::int_lit, sp);
      e->int_value = take().int_value;
      return e;
    }
    case Tok::float_lit: {
      auto e = node(EK::float_lit, sp);
      e->float_value = take().float_value;
      return e;
    }
    case Tok::string_lit: return string_expr(take());
    case Tok::kw_true:
    case Tok::kw_false: {
      auto e = node(EK::bool_lit, sp);
      e->bool_value = take().kind == Tok::kw_true;
      return e;
    }
    case Tok::kw_nil: take(); return node(EK::unit, sp);
    case Tok::ident: {
      auto e = node(EK::ident, sp);
      e->name = take().text;
      return e;
    }
    case Tok::lparen: {
      take();
      if (accept(Tok::rparen)) return node(EK::unit, sp);
      ExprP first = expr();
      if (accept(Tok::rparen)) return first;
      auto tup = node(EK::tuple, sp);
      tup->kids.push_back(first);
      while (accept(Tok::comma)) {
        if (at(Tok::rparen)) break;
        tup->kids.push_back(expr());
      }
      expect(Tok::rparen, "`)` or `,`");
      return tup;
    }
    case Tok::lbracket: {
      take();
      auto l = node(EK::list, sp);
      args(l->kids, Tok::rbracket);
      expect(Tok::rbracket, "`]` or `,`");
      return l;
    }
    case Tok::percent_brace: {
      take();
      auto m = node(EK::map, sp);
      while (!at(Tok::rbrace)) {
        m->kids.push_back(expr());
        expect(Tok::fat_arrow, "`=>` between key and value");
        m->kids.push_back(expr());
        if (!accept(Tok::comma)) break;
      }
      expect(Tok::rbrace, "`}` or `,`");
      return m;
    }
    case Tok::kw_if: return if_expr();
    case Tok::kw_case:
    case Tok::kw_match: return case_expr();
    case Tok::kw_receive: return receive_expr();
    case Tok::kw_fn: return closure();
    case Tok::kw_def: fail_here("`def` defines a named function; closures start with `fn`");
    case Tok::kw_while: {
      take();
      auto w = node(EK::while_, sp);
      w->cond = expr();
      expect(Tok::kw_do, "`do` after the loop condition");
      Opened open_block(*this);
      w->body = block();
      expect(Tok::kw_end, "`end` to close the loop");
      return w;
    }
    case Tok::kw_for: return for_expr();
    case Tok::kw_break: take(); return node(EK::break_, sp);
    case Tok::kw_continue: take(); return node(EK::continue_, sp);
    case Tok::kw_spawn: {
      take();
      if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `spawn`, found " + found());
      take();
      auto e = node(EK::spawn, sp);
      args(e->kids, Tok::rparen);
      expect(Tok::rparen);
      if (e->kids.empty()) fail_at(sp, "`spawn` needs an actor or supervisor to start");
      return e;
    }
    case Tok::kw_send: {
      take();
      if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `send`, found " + found());
      take();
      auto e = node(EK::send, sp);
      args(e->kids, Tok::rparen);
      expect(Tok::rparen);
      if (e->kids.size() != 2) {
        d_.error("E0003", sp, "wrong number of arguments to `send`: expected 2, found " + std::to_string(e->kids.size()));
      }
      return e;
    }
    case Tok::kw_link: {
      take();
      if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `link`, found " + found());
      take();
      auto e = node(EK::link, sp);
      args(e->kids, Tok::rparen);
      expect(Tok::rparen);
      if (e->kids.size() != 1) {
        d_.error("E0003", sp, "wrong number of arguments to `link`: expected 1, found " + std::to_string(e->kids.size()));
      }
      return e;
    }
    case Tok::kw_self: {
      take();
      if (!at(Tok::lparen) || cur().newline_before) {
        // `self` the parameter of an interface method (the process is `self()`).
        auto e = node(EK::ident, sp);
        e->name = "self";
        return e;
      }
      take();
      expect(Tok::rparen, "`)`: `self()` takes no arguments");
      return node(EK::self_pid, sp);
    }
    case Tok::kw_monitor:
      fail_here("`monitor` is only a member name: write `Process.monitor(pid)`");
    default:
      fail_here("expected an expression, found " + found());
  }
}

ExprP Parser::string_expr(const Token& t) {
  auto e = node(EK::str, t.span);
  for (const auto& part : t.parts) {
    StrPiece p;
    p.is_expr = part.is_expr;
    if (part.is_expr) {
      auto toks = lex(part.text, d_, part.span);
      Parser sub(std::move(toks), src_, d_, depth_);
      try {
        p.expr = sub.lone_expression();
      } catch (const ParseError&) {
        p.expr = node(EK::unit, part.span);
      }
    } else {
      p.text = part.text;
    }
    e->pieces.push_back(std::move(p));
  }
  return e;
}

ExprP Parser::if_expr() {
  const Span sp = take().span;
  auto e = node(EK::if_, sp);
  e->cond = expr();
  expect(Tok::kw_do, "`do` after the condition");
  Opened open_block(*this);
  e->then_block = block();
  if (accept(Tok::kw_else)) {
    e->has_else = true;
    if (at(Tok::kw_if) && !cur().newline_before) {
      auto s = std::make_shared<Stmt>();
      s->kind = SK::expr;
      s->span = cur().span;
      s->expr = if_expr();  // `else if` shares the final `end`
      e->else_block.push_back(s);
      return e;
    }
    e->else_block = block();
  }
  expect(Tok::kw_end, "`end` to close the `if`");
  return e;
}

Arm Parser::arm() {
  check_block_closes();  // a new item in column 1 where an arm should be
  Arm a;
  a.span = cur().span;
  a.pat = pattern();
  if (accept(Tok::kw_when)) a.guard = expr();
  expect(Tok::arrow, "`->` after the pattern");
  if (at(Tok::newline) || cur().newline_before) {
    fail_here("an arm body must start on the same line as `->`",
              "several statements go in a helper function (snow.md#case)");
  }
  if (at(Tok::kw_return)) fail_here("`return` cannot be an arm body");
  a.body = expr();
  return a;
}

ExprP Parser::case_expr() {
  const Span sp = take().span;
  auto e = node(EK::case_, sp);
  e->cond = expr();
  expect(Tok::kw_do, "`do` after the matched expression");
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::eof)) {
    e->arms.push_back(arm());
    skip_seps();
  }
  expect(Tok::kw_end, "`end` to close the `case`");
  return e;
}

ExprP Parser::receive_expr() {
  const Span sp = take().span;
  auto e = node(EK::receive, sp);
  expect(Tok::kw_do, "`do` after `receive`");
  Opened open_block(*this);
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::eof)) {
    if (at(Tok::kw_after)) {
      take();
      e->after_ms = expr();
      expect(Tok::arrow, "`->` after the timeout");
      e->after_body = expr();
      skip_seps();
      if (!at(Tok::kw_end)) fail_here("the `after` clause must be the last one in a `receive`");
      break;
    }
    e->arms.push_back(arm());
    skip_seps();
  }
  expect(Tok::kw_end, "`end` to close the `receive`");
  return e;
}

ExprP Parser::for_expr() {
  const Span sp = take().span;
  auto e = node(EK::for_, sp);
  if (accept(Tok::lbrace)) {
    e->key_span = cur().span;
    e->key_var = ident("the key's name");
    expect(Tok::comma);
    e->value_span = cur().span;
    e->value_var = ident("the value's name");
    expect(Tok::rbrace);
  } else {
    auto p = std::make_shared<Pat>();
    p->span = cur().span;
    p->name = ident("the loop variable");
    p->kind = p->name == "_" ? PK::wild : PK::var;
    e->loop_var = p;
  }
  expect(Tok::kw_in, "`in`");
  e->iter = expr();
  if (accept(Tok::kw_when)) e->cond = expr();
  expect(Tok::kw_do, "`do` to start the loop body");
  Opened open_block(*this);
  e->body = block();
  expect(Tok::kw_end, "`end` to close the loop");
  return e;
}

ExprP Parser::closure() {
  const Span sp = take().span;
  Opened open_block(*this);
  auto e = node(EK::closure, sp);
  if (at(Tok::arrow) || at(Tok::kw_do)) {
    // `fn -> block end` and `fn do block end`: no parameters, a whole block.
    e->arrow_block = at(Tok::arrow);
    take();
    Clause c;
    c.span = sp;
    c.body = block();
    expect(Tok::kw_end, "`end` to close the closure");
    e->clauses.push_back(std::move(c));
    return e;
  }
  for (;;) {
    Clause c;
    c.span = cur().span;
    if (at(Tok::lparen)) {
      // `fn(a, b) -> ...` is a parameter list (snow.md#grammar cl_params); a tuple parameter is
      // written inside it: `fn((a, b)) -> ...`.
      take();
      c.params = cparams(Tok::rparen);
      expect(Tok::rparen);
    } else {
      do {
        c.params.push_back(cparam());
      } while (accept(Tok::comma));
    }
    if (accept(Tok::kw_when)) c.guard = expr();
    if (accept(Tok::arrow)) {
      auto s = std::make_shared<Stmt>();
      s->kind = SK::expr;
      s->span = cur().span;
      if (at(Tok::newline)) {
        // A parameterised arrow body is one expression on the `->` line (snow.md#closures).
        fail_here("a closure body after `->` must start on the same line");
      }
      s->expr = expr();
      c.body.push_back(s);
    } else if (accept(Tok::kw_do)) {
      c.body = block();
      if (at(Tok::kw_end) && (ahead().kind == Tok::bar)) take();  // this clause's own end
    } else {
      fail_here("expected `->` or `do` after the closure's parameters, found " + found());
    }
    e->clauses.push_back(std::move(c));
    skip_newlines();
    if (accept(Tok::bar)) continue;
    break;
  }
  expect(Tok::kw_end, "`end` to close the closure");
  return e;
}

}  // namespace snowc::parsing
