// dsl/lexer.hpp: Snow source text to tokens (snow.md#lexical-structure).
//
// Newlines are tokens (they end statements) except inside ( ), [ ], { } and %{ }, where
// they are dropped at any depth (snow.md#newlines). Every token still records whether a line break
// preceded it (`newline_before`), because a `(` or `{` that continues an expression as a
// call or struct literal must be on the same line. String literals keep their
// interpolations as source ranges; the parser lexes and parses each one on its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diagnostics.hpp"

namespace snowc {

enum class Tok {
  eof, newline, semicolon,
  int_lit, float_lit, string_lit, ident,
  // keywords
  kw_actor, kw_after, kw_alias, kw_and, kw_break, kw_call, kw_case, kw_cast, kw_cond, kw_continue, kw_def, kw_do,
  kw_else, kw_end, kw_false, kw_fn, kw_for, kw_if, kw_impl, kw_import, kw_in, kw_interface, kw_let, kw_link,
  kw_match, kw_module, kw_monitor, kw_nil, kw_not, kw_or, kw_pub, kw_receive, kw_return, kw_self, kw_send,
  kw_service, kw_spawn, kw_struct, kw_supervisor, kw_terminate, kw_trait, kw_trap, kw_true, kw_type, kw_when,
  kw_where, kw_while, kw_with,
  // punctuation and operators
  plus, minus, star, slash, percent, eq_eq, bang_eq, lt, gt, le, ge, and_and, or_or, bang, concat /* <> */,
  plus_plus, pipe_gt, dot_dot, question, assign, arrow, fat_arrow, colon_colon, bar, dot, colon, percent_brace,
  comma, lparen, rparen, lbracket, rbracket, lbrace, rbrace,
};

const char* tok_name(Tok t);

/// A piece of a string literal: text, or an interpolated expression's source range.
struct StringPart {
  bool is_expr = false;
  std::string text;     // the text (escapes applied), or the expression's source
  Span span;            // where the expression starts
};

struct Token {
  Tok kind = Tok::eof;
  Span span;
  std::string text;            // identifier / keyword / operator spelling
  std::int64_t int_value = 0;
  double float_value = 0;
  std::vector<StringPart> parts;  // string literals
  bool newline_before = false;
};

/// Lexes `source`. `base` positions the text (for interpolations inside a string).
std::vector<Token> lex(const std::string& source, Diagnostics& diags, Span base = {1, 1, 0, 0});

}  // namespace snowc
