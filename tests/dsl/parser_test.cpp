// The lexer and the parser: tokens, the shape of the tree for small inputs, and syntax
// errors with their positions.
#include <doctest/doctest.h>

#include "dsl/lexer.hpp"
#include "snowc_harness.hpp"

using snowc::EK;
using snowc::PK;
using snowc::Tok;
using snowc_test::compile;
using snowc_test::Stage;

namespace {

std::vector<Tok> kinds(const std::string& source) {
  snowc::Diagnostics d("test.snow", source);
  std::vector<Tok> out;
  for (const auto& t : snowc::lex(source, d)) out.push_back(t.kind);
  return out;
}

/// The expression of the only statement of `fn main() do <body> end`.
snowc::ExprP main_expr(const snowc_test::Compiled& c) {
  REQUIRE(c.fn("main") != nullptr);
  const auto& body = c.fn("main")->clauses[0]->body;
  REQUIRE(body.size() == 1);
  return body[0]->expr;
}

}  // namespace

TEST_CASE("lexer: keywords, operators and the newline that ends a statement") {
  CHECK(kinds("let x = 1 + 2\n") ==
        std::vector<Tok>{Tok::kw_let, Tok::ident, Tok::assign, Tok::int_lit, Tok::plus, Tok::int_lit, Tok::newline, Tok::eof});
  CHECK(kinds("a |> b <> c :: d") ==
        std::vector<Tok>{Tok::ident, Tok::pipe_gt, Tok::ident, Tok::concat, Tok::ident, Tok::colon_colon, Tok::ident, Tok::eof});
}

TEST_CASE("lexer: newlines inside brackets are dropped, but still recorded on the next token") {
  snowc::Diagnostics d("test.snow", "");
  const auto toks = snowc::lex("f(1,\n  2)\n", d);
  std::vector<Tok> ks;
  for (const auto& t : toks) ks.push_back(t.kind);
  CHECK(ks == std::vector<Tok>{Tok::ident, Tok::lparen, Tok::int_lit, Tok::comma, Tok::int_lit, Tok::rparen, Tok::newline, Tok::eof});
  CHECK(toks[4].newline_before);
  CHECK(toks[4].span.line == 2);
  CHECK(toks[4].span.col == 3);
}

TEST_CASE("lexer: a string keeps its interpolations as source ranges") {
  snowc::Diagnostics d("test.snow", "");
  const auto toks = snowc::lex("\"a ${x + 1} b\"", d);
  REQUIRE(toks[0].kind == Tok::string_lit);
  REQUIRE(toks[0].parts.size() == 3);
  CHECK(toks[0].parts[0].text == "a ");
  CHECK(toks[0].parts[1].is_expr);
  CHECK(toks[0].parts[1].text == "x + 1");
  CHECK(toks[0].parts[2].text == " b");
}

TEST_CASE("parser: a one-line function is a group of one clause whose body is its expression") {
  const auto c = compile("fn add(a, b) = a + b\n", Stage::parse);
  REQUIRE(c.codes().empty());
  REQUIRE(c.program.items.size() == 1);
  const snowc::FnGroup* g = c.fn("add");
  REQUIRE(g != nullptr);
  CHECK(g->arity == 2);
  REQUIRE(g->clauses.size() == 1);
  CHECK(g->clauses[0]->params[0]->kind == PK::var);
  CHECK(g->clauses[0]->params[0]->name == "a");
  const auto& e = g->clauses[0]->body.at(0)->expr;
  CHECK(e->kind == EK::binary);
  CHECK(e->name == "+");
  CHECK(e->kids[0]->name == "a");
  CHECK(e->kids[1]->name == "b");
}

TEST_CASE("parser: consecutive clauses of a function are one group") {
  const auto c = compile("fn f(0) = 1\nfn f(n) = n\nfn main() do\n  f(1)\nend\n", Stage::parse);
  REQUIRE(c.codes().empty());
  REQUIRE(c.fn("f") != nullptr);
  CHECK(c.fn("f")->clauses.size() == 2);
  CHECK(c.fn("f")->clauses[0]->params[0]->kind == PK::int_lit);
}

TEST_CASE("parser: `*` binds tighter than `+`, and comparison looser than both") {
  const auto c = compile("fn main() do\n  1 + 2 * 3 < 9\nend\n", Stage::parse);
  const auto e = main_expr(c);
  CHECK(e->name == "<");
  const auto& sum = e->kids[0];
  CHECK(sum->name == "+");
  CHECK(sum->kids[0]->int_value == 1);
  CHECK(sum->kids[1]->name == "*");
}

TEST_CASE("parser: a pipe passes its left side as the first argument") {
  const auto c = compile("fn main() do\n  [1] |> List.map(f)\nend\n", Stage::parse);
  const auto e = main_expr(c);
  REQUIRE(e->kind == EK::call);
  CHECK(e->kids[0]->kind == EK::field);
  CHECK(e->kids[0]->name == "map");
  REQUIRE(e->kids.size() == 3);
  CHECK(e->kids[1]->kind == EK::list);
  CHECK(e->kids[2]->name == "f");
}

TEST_CASE("parser: pattern kinds; a bare capitalised name is left for resolution to settle") {
  const auto c = compile(
      "fn main() do\n  case v do\n    Some(x) -> x\n    Red -> 1\n    h :: t -> 2\n    (a, _) -> 3\n    n -> 4\n  end\nend\n",
      Stage::parse);
  REQUIRE(c.codes().empty());
  const auto e = main_expr(c);
  REQUIRE(e->kind == EK::case_);
  REQUIRE(e->arms.size() == 5);
  CHECK(e->arms[0].pat->kind == PK::ctor);
  CHECK(e->arms[0].pat->has_args);
  CHECK(e->arms[0].pat->kids[0]->kind == PK::var);
  CHECK(e->arms[1].pat->kind == PK::ctor);
  CHECK_FALSE(e->arms[1].pat->has_args);
  CHECK_FALSE(e->arms[1].pat->binds);  // not settled yet
  CHECK(e->arms[2].pat->kind == PK::cons);
  CHECK(e->arms[3].pat->kind == PK::tuple);
  CHECK(e->arms[3].pat->kids[1]->kind == PK::wild);
  CHECK(e->arms[4].pat->kind == PK::var);
}

TEST_CASE("parser: a missing `end` is reported at the `do` it should close") {
  const auto c = compile("fn main() do\n  if true do\n    1\n  2\nend\n", Stage::parse);
  REQUIRE(c.diags->has_errors());
  const auto& d = c.diags->all().front();
  CHECK(d.span.line == 2);
  CHECK(d.span.col == 11);
  CHECK(snowc_test::contains(d.message, "never closed"));
}

TEST_CASE("parser: a syntax error names what was expected, where, and recovery goes on to the next item") {
  const auto c = compile("fn f(x = 1\nfn g() = )\nfn main() do\n  1\nend\n", Stage::parse);
  const auto& all = c.diags->all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].message == "expected `)`, found `=`");
  CHECK(all[0].span.line == 1);
  CHECK(all[0].span.col == 8);
  CHECK(all[1].message == "expected an expression, found `)`");
  CHECK(all[1].span.line == 2);
  CHECK(all[1].span.col == 10);
  CHECK(c.fn("main") != nullptr);  // the item after the errors is parsed
  CHECK(c.program.lost_names.count("f") == 1);
  CHECK(c.program.lost_names.count("g") == 1);
}

TEST_CASE("parser: there are no list patterns, and the hint says what to write") {
  const auto c = compile("fn main() do\n  case x do\n    [a] -> a\n  end\nend\n", Stage::parse);
  REQUIRE(c.diags->has_errors());
  const auto& d = c.diags->all().front();
  CHECK(d.span.line == 3);
  CHECK(d.span.col == 5);
  CHECK(d.message == "there are no list patterns");
  CHECK(snowc_test::contains(d.hint, "head :: tail"));
}
