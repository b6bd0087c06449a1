// dsl/parse_patterns.cc: patterns: or-patterns, `head :: tail`, `as`, literals, tuples,
// constructors (a bare capitalised name is settled later, by name resolution).
#include "parse_internal.hpp"

namespace snowc::parsing {

// ---- patterns ----
PatP Parser::pnode(PK k, Span sp) {
  auto p = std::make_shared<Pat>();
  p->kind = k;
  p->span = sp;
  return p;
}

PatP Parser::pattern() {
  PatP p = cons_pattern();
  if (at_ident("as")) {
    take();
    auto a = pnode(PK::as, p->span);
    a->name = ident("a name after `as`");
    a->kids = {p};
    return a;
  }
  return p;
}

PatP Parser::cons_pattern() {
  PatP head = alt_pattern();
  if (accept(Tok::colon_colon)) {
    auto c = pnode(PK::cons, head->span);
    c->kids = {head, cons_pattern()};
    return c;
  }
  return head;
}

PatP Parser::alt_pattern() {
  PatP first = prim_pattern();
  if (!at(Tok::bar)) return first;
  auto a = pnode(PK::alt, first->span);
  a->kids.push_back(first);
  while (at(Tok::bar)) {
    take();
    a->kids.push_back(prim_pattern());
  }
  return a;
}

PatP Parser::prim_pattern() {
  const Nesting nesting(*this);
  const Span sp = cur().span;
  switch (cur().kind) {
    case Tok::int_lit: {
      auto p = pnode(PK::int_lit, sp);
      p->int_value = take().int_value;
      return p;
    }
    case Tok::float_lit: {
      auto p = pnode(PK::float_lit, sp);
      p->float_value = take().float_value;
      return p;
    }
    case Tok::minus: {
      take();
      if (at(Tok::int_lit)) {
        auto p = pnode(PK::int_lit, sp);
        p->int_value = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(take().int_value));
        return p;
      }
      if (at(Tok::float_lit)) {
        auto p = pnode(PK::float_lit, sp);
        p->float_value = -take().float_value;
        return p;
      }
      fail_here("expected a number after `-` in a pattern");
    }
    case Tok::string_lit: {
      const Token t = take();
      auto p = pnode(PK::str_lit, sp);
      for (const auto& part : t.parts) {
        if (part.is_expr) fail_at(sp, "interpolation is not allowed in a string pattern");
        p->str_value += part.text;
      }
      return p;
    }
    case Tok::kw_true:
    case Tok::kw_false: {
      auto p = pnode(PK::bool_lit, sp);
      p->bool_value = take().kind == Tok::kw_true;
      return p;
    }
    case Tok::kw_nil: take(); return pnode(PK::unit, sp);
    case Tok::lparen: {
      take();
      if (accept(Tok::rparen)) return pnode(PK::unit, sp);
      PatP first = pattern();
      if (accept(Tok::rparen)) return first;
      auto t = pnode(PK::tuple, sp);
      t->kids.push_back(first);
      while (accept(Tok::comma)) {
        if (at(Tok::rparen)) break;
        t->kids.push_back(pattern());
      }
      expect(Tok::rparen, "`)` to close the tuple pattern");
      return t;
    }
    case Tok::ident: {
      std::string name = take().text;
      if (name == "_") return pnode(PK::wild, sp);
      std::string qualifier;
      if (at(Tok::dot) && ahead().kind == Tok::ident) {
        take();
        qualifier = name;
        name = take().text;
      }
      if (at(Tok::lparen) && !cur().newline_before) {
        take();
        auto p = pnode(PK::ctor, sp);
        p->name = name;
        p->qualifier = qualifier;
        p->has_args = true;
        while (!at(Tok::rparen)) {
          p->kids.push_back(pattern());
          if (!accept(Tok::comma)) break;
        }
        expect(Tok::rparen, "`)` to close the constructor pattern");
        return p;
      }
      if (!qualifier.empty() || is_upper(name)) {
        // Resolved later: a nullary variant, or (lower-case only) a variable.
        auto p = pnode(PK::ctor, sp);
        p->name = name;
        p->qualifier = qualifier;
        return p;
      }
      auto p = pnode(PK::var, sp);
      p->name = name;
      return p;
    }
    case Tok::lbracket:
      fail_here("there are no list patterns", "match `head :: tail`, then `_` for the empty list");
    default:
      fail_here("expected a pattern, found " + found());
  }
}

}  // namespace snowc::parsing
