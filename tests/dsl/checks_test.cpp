// The checks that run before types: one test per rule, each on the smallest program that
// breaks it, and the symbol tables they build.
#include <doctest/doctest.h>

#include "snowc_harness.hpp"

using snowc_test::compile;
using snowc_test::Stage;

namespace {

snowc_test::Compiled checked(const std::string& source) { return compile(source, Stage::check); }

}  // namespace

TEST_CASE("checks: a sound program has no diagnostics, and its symbol tables") {
  const auto c = checked("type Color do\n  Red\n  Green(Int)\nend\nfn f(x) = x\nfn main() do\n  f(Red)\nend\n");
  CHECK(c.codes().empty());
  CHECK(c.symbols.fns.count("f") == 1);
  REQUIRE(c.symbols.variants.count("Green") == 1);
  CHECK(c.symbols.variants.at("Green").type == "Color");
  CHECK(c.symbols.variants.at("Green").tag == 1);
  CHECK(c.symbols.variants.at("Green").arity == 1);
  CHECK(c.symbols.variants.at("None").builtin);
}

TEST_CASE("checks E0004: an unbound name, with a suggestion; use before declaration") {
  const auto c = checked("fn total(x) = x\nfn main() do\n  println(totl(1))\nend\n");
  REQUIRE(c.codes() == std::vector<std::string>{"E0004"});
  const auto& d = c.first("E0004");
  CHECK(d.message == "unbound name `totl`");
  CHECK(d.hint == "did you mean `total`?");
  CHECK(d.span.line == 3);
  CHECK(d.span.col == 11);
  const auto later = checked("fn main() do\n  later(1)\nend\nfn later(x) = x\n");
  REQUIRE(later.has("E0004"));
  CHECK(later.first("E0004").message == "`later` is used before it is declared");
}

TEST_CASE("checks E0004: a program without main") {
  const auto c = checked("fn f() = 1\n");
  REQUIRE(c.has("E0004"));
  CHECK(c.first("E0004").message == "the program has no `fn main()`");
}

TEST_CASE("checks E0003: arity of functions, variants and builtins") {
  const auto c = checked("fn add(a, b) = a + b\nfn main() do\n  add(1)\n  Some(1, 2)\n  String.length(\"a\", \"b\")\nend\n");
  CHECK(c.codes() == std::vector<std::string>{"E0003", "E0003", "E0003"});
  CHECK(c.diags->all()[0].message == "wrong number of arguments to `add`: expected 2, found 1");
  CHECK(c.diags->all()[1].message == "wrong number of arguments to variant `Some`: expected 1, found 2");
}

TEST_CASE("checks E0010/E0011: unknown variants, or-patterns binding different names") {
  const auto c = checked(
      "type Shape do\n  Circle(Float)\n  Square(Float)\nend\nfn area(s) do\n  case s do\n    Circle(r) | Square(side) -> 1.0\n    Triangle(a) -> 2.0\n    _ -> 0.0\n  end\nend\nfn main() do\n  area(Circle(1.0))\nend\n");
  CHECK(c.codes() == std::vector<std::string>{"E0011", "E0010"});
  CHECK(c.diags->all()[1].message == "unknown variant `Triangle`");
}

TEST_CASE("checks E0012: a non-exhaustive case names what is missing, at depth") {
  const auto c = checked(
      "type Light do\n  Red\n  Yellow\n  Green\nend\nfn f(l) do\n  case l do\n    Red -> 1\n    Green -> 2\n  end\nend\nfn g(o) do\n  case o do\n    Some(true) -> 1\n    None -> 2\n  end\nend\nfn main() do\n  f(Red)\n  g(None)\nend\n");
  REQUIRE(c.codes() == std::vector<std::string>{"E0012", "E0012"});
  CHECK(c.diags->all()[0].message == "non-exhaustive `case`: missing Yellow");
  CHECK(c.diags->all()[1].message == "non-exhaustive `case`: missing Some(false)");
}

TEST_CASE("checks E0013: what a case guard may not contain") {
  const auto c = checked("fn f(x, limit) do\n  case x do\n    n when n + 1 > limit -> 1\n    _ -> 2\n  end\nend\nfn main() do\n  f(1, 2)\nend\n");
  REQUIRE(c.has("E0013"));
  CHECK(c.first("E0013").span.line == 3);
}

TEST_CASE("checks E0016: what spawn may start") {
  const auto c = checked("fn helper(n) = n\nfn main() do\n  spawn(42)\nend\n");
  REQUIRE(c.has("E0016"));
  CHECK(c.first("E0016").message == "cannot spawn a non-function");
}

TEST_CASE("checks E0018-E0021: supervisors") {
  const auto c = checked(
      "actor worker() do\n  println(\"w\")\nend\nsupervisor Bad do\n  strategy: one_for_some\n  child w do\n    start: fn -> 42 end\n    restart: sometimes\n    shutdown: 0\n  end\nend\nfn main() do\n  spawn(Bad)\nend\n");
  CHECK(c.codes() == std::vector<std::string>{"E0019", "E0018", "E0020", "E0021"});
}

TEST_CASE("checks E0022-E0024: function clauses") {
  CHECK(checked("fn f(_) = 0\nfn f(1) = 1\nfn main() do\n  f(1)\nend\n").codes() == std::vector<std::string>{"E0022"});
  CHECK(checked("fn g(0) = 0\nfn h(x) = x\nfn g(n) = n\nfn main() do\n  g(1)\nend\n").has("E0023"));
  CHECK(checked("fn k(a) = a\nfn k(a, b) = a + b\nfn main() do\n  k(1)\nend\n").has("E0024"));
}

TEST_CASE("checks E0028/E0029: deriving") {
  const auto c = checked("struct P do\n  x :: Int\nend deriving(Ord, Show)\nfn main() do\n  1\nend\n");
  REQUIRE(c.codes().size() == 2);
  CHECK(c.first("E0029").message == "deriving `Ord` requires `Eq` in the same list");
  CHECK(c.first("E0028").message == "cannot derive `Show`");
  CHECK(c.first("E0028").span.col == 19);
}

TEST_CASE("checks E0009: struct literals") {
  const auto c = checked("struct Point do\n  x :: Int\n  y :: Int\nend\nfn main() do\n  let p = Point { x: 1, z: 2 }\nend\n");
  CHECK(c.codes() == std::vector<std::string>{"E0009", "E0009"});
}

TEST_CASE("checks E0032/E0033: break and continue outside a loop") {
  const auto c = checked("fn main() do\n  break\n  for i in [1] do\n    let f = fn -> continue end\n    i\n  end\nend\n");
  CHECK(c.codes() == std::vector<std::string>{"E0032", "E0033"});
}

TEST_CASE("checks W0001: clauses that do not match every call are a warning, not an error") {
  const auto c = checked("fn f(0) = 1\nfn main() do\n  f(0)\nend\n");
  REQUIRE(c.codes() == std::vector<std::string>{"W0001"});
  CHECK_FALSE(c.diags->has_errors());
}
