// The call-graph pass that finds which functions may wait: what waits by itself, what
// waits through a call (transitively), and recursion (cycles never become plain).
#include <doctest/doctest.h>

#include "dsl/may_wait.hpp"
#include "snowc_harness.hpp"

using snowc_test::compile;
using snowc_test::Stage;

namespace {

struct Waits {
  std::map<std::string, snowc::WaitFacts> facts;
  std::set<std::string> plain;
};

Waits waits(const std::string& source) {
  const auto c = compile(source, Stage::types);
  REQUIRE_MESSAGE(!c.diags->has_errors(), c.rendered());
  return Waits{snowc::wait_facts(c.program, c.symbols, c.types), snowc::plain_functions(c.program, c.symbols, c.types)};
}

const char* const kService =
    "service Counter do\n  fn init() do\n    0\n  end\n  cast Bump(n :: Int) do |s|\n    s + n\n  end\n"
    "  call Get() :: Int do |s|\n    (s, s)\n  end\nend\n";

}  // namespace

TEST_CASE("may wait: what a body does by itself") {
  const auto w = waits(std::string(kService) +
                       "fn add(a, b) = a + b\n"
                       "fn receiver() do\n  receive do\n    x -> x\n  end\nend\n"
                       "fn looper(xs) = for x in xs do\n  x\nend\n"
                       "fn asks(c) = Counter.get(c)\n"
                       "fn tells(c) = Counter.bump(c, 1)\n"
                       "fn sleeper() = Timer.sleep(1)\n"
                       "fn applies(f) = f(1)\n"
                       "fn makes_waiting_closure() = fn -> receive do\n  x -> x\nend end\n"
                       "fn main() do\n  add(1, 2)\nend\n");
  CHECK(w.facts.at("add").waits_because.empty());
  CHECK(w.facts.at("receiver").waits_because == "receive");
  CHECK(w.facts.at("looper").waits_because == "loop");
  CHECK(w.facts.at("asks").waits_because == "service call");
  CHECK(w.facts.at("tells").waits_because.empty());  // a cast does not wait for an answer
  CHECK(w.facts.at("sleeper").waits_because == "waiting builtin");
  CHECK(w.facts.at("applies").waits_because == "function value call");
  // A closure's body waits when the closure is called, not when it is made.
  CHECK(w.facts.at("makes_waiting_closure").waits_because.empty());
  CHECK(w.plain == std::set<std::string>{"add", "tells", "makes_waiting_closure"});
}

TEST_CASE("may wait: through calls, transitively, however far") {
  const auto w = waits(
      "fn leaf() do\n  receive do\n    x -> x\n  end\nend\n"
      "fn middle() = leaf()\n"
      "fn top() = middle()\n"
      "fn pure_leaf(x) = x * 2\n"
      "fn pure_top(x) = pure_leaf(x) + 1\n"
      "fn main() do\n  top()\n  pure_top(1)\nend\n");
  CHECK(w.facts.at("middle").waits_because.empty());
  CHECK(w.facts.at("middle").calls == std::set<std::string>{"leaf"});
  CHECK(w.facts.at("top").calls == std::set<std::string>{"middle"});
  CHECK(w.plain.count("middle") == 0);
  CHECK(w.plain.count("top") == 0);
  CHECK(w.plain.count("pure_top") == 1);
  CHECK(w.plain.count("pure_leaf") == 1);
  CHECK(w.plain.count("main") == 0);  // main is a process
}

TEST_CASE("may wait: a local name that shadows a function is a function value") {
  const auto w = waits("fn helper(x) = x\nfn shadows(helper) = helper(1)\nfn calls() = helper(1)\nfn main() do\n  calls()\nend\n");
  CHECK(w.facts.at("shadows").waits_because == "function value call");
  CHECK(w.facts.at("shadows").calls.empty());
  CHECK(w.facts.at("calls").calls == std::set<std::string>{"helper"});
  CHECK(w.plain.count("calls") == 1);
}

TEST_CASE("may wait: a recursion is never plain, tail or not") {
  const auto w = waits(
      "fn fact(0) = 1\nfn fact(n) = n * fact(n - 1)\n"
      "fn count(0, acc) = acc\nfn count(n, acc) = count(n - 1, acc + 1)\n"
      "fn uses_fact(n) = fact(n)\n"
      "fn main() do\n  uses_fact(3)\n  count(3, 0)\nend\n");
  CHECK(w.facts.at("fact").calls == std::set<std::string>{"fact"});
  CHECK(w.facts.at("fact").waits_because.empty());  // nothing of its own: only the cycle
  CHECK(w.plain.count("fact") == 0);
  CHECK(w.plain.count("count") == 0);
  CHECK(w.plain.count("uses_fact") == 0);  // calls a function that may wait
}

TEST_CASE("may wait: a cycle of mutual calls is never plain, nor is what calls into it") {
  // Top-level mutual recursion is rejected by the checks (declaration order), but the
  // pass must still end and keep the cycle out; the symbol tables are built regardless.
  const auto c = compile(
      "fn entry(n) = ping(n)\nfn ping(n) = pong(n)\nfn pong(n) = ping(n)\nfn lone(n) = n\nfn main() do\n  entry(1)\nend\n",
      Stage::check);
  REQUIRE(c.has("E0004"));
  const auto facts = snowc::wait_facts(c.program, c.symbols, c.types);
  CHECK(facts.at("ping").calls == std::set<std::string>{"pong"});
  CHECK(facts.at("pong").calls == std::set<std::string>{"ping"});
  CHECK(snowc::plain_functions(c.program, c.symbols, c.types) == std::set<std::string>{"lone"});
}
