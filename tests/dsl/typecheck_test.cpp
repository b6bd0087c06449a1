// Type inference: the types of small expressions, generalisation, annotations, and the
// type errors with their positions.
#include <doctest/doctest.h>

#include "snowc_harness.hpp"

using snowc_test::compile;
using snowc_test::Stage;

namespace {

/// The type of `let v = <expr>` in a `main` after `decls`.
std::string type_of(const std::string& expr, const std::string& decls = "") {
  const auto c = compile(decls + "fn main() do\n  let v = " + expr + "\n  println(\"${v}\")\nend\n", Stage::types);
  if (!c.codes().empty()) return "error " + c.codes().front();
  return c.type_of_let("main", "v");
}

}  // namespace

TEST_CASE("types: literals, operators and collections") {
  CHECK(type_of("1 + 2") == "Int");
  CHECK(type_of("1.5 * 2.0") == "Float");
  CHECK(type_of("\"a\" <> \"b\"") == "String");
  CHECK(type_of("1 < 2") == "Bool");
  CHECK(type_of("[1, 2]") == "List<Int>");
  CHECK(type_of("(1, \"a\")") == "(Int, String)");
}

TEST_CASE("types: a generic function is instantiated at each use") {
  const std::string id = "fn id(x) = x\n";
  CHECK(type_of("id(true)", id) == "Bool");
  CHECK(type_of("id(\"s\")", id) == "String");
  CHECK(type_of("List.map([1], fn x -> x > 0 end)") == "List<Bool>");
}

TEST_CASE("types: structs and sum types name their type; a variant with a field instantiates it") {
  const std::string decls = "struct Point do\n  x :: Int\n  y :: Int\nend\n";
  CHECK(type_of("Point { x: 1, y: 2 }", decls) == "Point");
  CHECK(type_of("Point { x: 1, y: 2 }.x", decls) == "Int");
  CHECK(type_of("Some(3)") == "Option<Int>");
}

TEST_CASE("types: a mismatch is E0001 at the offending expression, naming both types") {
  const auto c = compile("fn main() do\n  let n :: Int = \"3\"\n  println(\"${n}\")\nend\n", Stage::types);
  REQUIRE(c.has("E0001"));
  const auto& d = c.first("E0001");
  CHECK(d.span.line == 2);
  CHECK(d.span.col == 18);
  CHECK(d.message == "type mismatch: expected `Int`, found `String`");
}

TEST_CASE("types: branches of an `if` whose value is used must agree") {
  const auto c = compile("fn f(n :: Int) -> String do\n  if n > 1 do\n    \"many\"\n  else\n    n\n  end\nend\nfn main() do\n  f(1)\nend\n",
                         Stage::types);
  REQUIRE(c.has("E0001"));
  CHECK(c.first("E0001").span.line == 5);
}

TEST_CASE("types: arithmetic on a non-number is E0006, a guard that is not Bool E0025") {
  const auto c = compile("fn main() do\n  let x = \"a\" - \"b\"\nend\n", Stage::types);
  REQUIRE(c.has("E0006"));
  CHECK(c.first("E0006").message == "`-` needs a number (`Int` or `Float`): type `String` lacks the arithmetic interface");
  CHECK(c.first("E0006").span.col == 15);
  CHECK(compile("fn f(x) when x + 1 = x\nfn main() do\n  f(1)\nend\n", Stage::types).has("E0025"));
}

TEST_CASE("types: a call of a non-function is E0005, an infinite type E0002") {
  CHECK(compile("fn main() do\n  let x = 1\n  x(2)\nend\n", Stage::types).has("E0005"));
  CHECK(compile("fn main() do\n  let f = fn x -> x(x) end\nend\n", Stage::types).has("E0002"));
}

TEST_CASE("types: the checker is gradual: what it cannot type is never reported") {
  // An interface method's result is unknown; using it as anything is accepted.
  const auto c = compile(
      "interface Shape do\n  fn area(self) -> Float\nend\nfn main() do\n  let v = 1\n  println(\"${v}\")\nend\n",
      Stage::types);
  CHECK(c.codes().empty());
  CHECK(c.type_of_let("main", "v") == "Int");
}
