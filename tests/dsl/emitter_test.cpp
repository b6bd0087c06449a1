// The emitter: the C++ that small constructs become (fragments, not whole files).
#include <doctest/doctest.h>

#include "dsl/emit_internal.hpp"
#include "snowc_harness.hpp"

using snowc_test::compile;
using snowc_test::contains;
using snowc_test::Stage;

namespace {

std::string cpp(const std::string& source) {
  const auto c = compile(source);
  REQUIRE_MESSAGE(!c.diags->has_errors(), c.rendered());
  return c.cpp;
}

}  // namespace

TEST_CASE("emit: the frame of a program") {
  const std::string out = cpp("fn main() do\n  println(\"hi\")\nend\n");
  CHECK(contains(out, "#include \"snow/lang/lang.hpp\""));
  CHECK(contains(out, "namespace prog {"));
  CHECK(contains(out, "sl::Co<sl::Value> main_(snow::Self self)"));
  CHECK(contains(out, "return snow::lang::run_program(&prog::main_);"));
  CHECK(contains(out, "#line 2 \"test.snow\""));
}

TEST_CASE("emit: a function that never waits is plain C++, called directly; one that may is awaited") {
  const std::string out = cpp(
      "fn add(a, b) = a + b\nfn get() do\n  receive do\n    x -> x\n  end\nend\nfn main() do\n  println(\"${add(1, 2)}\")\n  get()\nend\n");
  CHECK(contains(out, "inline sl::Value add_(snow::Self self, const sl::Value& a_, const sl::Value& b_) {"));
  CHECK(contains(out, "return sl::add(a_, b_);"));
  CHECK(contains(out, "sl::Co<sl::Value> get_(snow::Self self) {"));
  CHECK(contains(out, "prog::add_(self, sl::I(1), sl::I(2))"));
  CHECK_FALSE(contains(out, "co_await prog::add_("));
  CHECK(contains(out, "co_await prog::get_(self)"));
}

TEST_CASE("emit: a comparison used as a condition is tested as a C++ bool") {
  const std::string out = cpp(
      "fn f(a, b) do\n  if a < b do\n    1\n  else\n    2\n  end\nend\n"
      "fn g(a, b) do\n  if a == b and b != 0 do\n    1\n  else\n    2\n  end\nend\n"
      "fn h(a) do\n  let c = a >= 1\n  if c do\n    1\n  else\n    2\n  end\nend\n"
      "fn main() do\n  println(\"${f(1, 2)} ${g(1, 1)} ${h(0)}\")\nend\n");
  CHECK(contains(out, "if (sl::lt_b(a_, b_)) {"));
  CHECK(contains(out, "if ((sl::eq_b(a_, b_) && sl::ne_b(b_, std::int64_t(0)))) {"));
  CHECK_FALSE(contains(out, "sl::truth(sl::lt("));
  // A comparison kept as a value is still a Bool Value; a condition on a name tests it.
  CHECK(contains(out, "sl::Value c_ = sl::ge(a_, std::int64_t(1));"));
  CHECK(contains(out, "if (sl::truth(c_)) {"));
}

TEST_CASE("emit: condition() rewrites only a comparison or sl::B spanning the whole expression") {
  using snowc::emit::condition;
  CHECK(condition("sl::lt(a_, b_)") == "sl::lt_b(a_, b_)");
  CHECK(condition("sl::ne(sl::add(a_, b_), sl::I(2))") == "sl::ne_b(sl::add(a_, b_), sl::I(2))");
  CHECK(condition("sl::B(true)") == "(true)");
  CHECK(condition("sl::eq(a_, b_).x(c_)") == "sl::truth(sl::eq(a_, b_).x(c_))");
  CHECK(condition("sl::lt(a_, b_) == sl::gt(c_, d_)") == "sl::truth(sl::lt(a_, b_) == sl::gt(c_, d_))");
  CHECK(condition("sl::eq(sl::S(\")\"), s_)") == "sl::eq_b(sl::S(\")\"), s_)");
  CHECK(condition("ok_") == "sl::truth(ok_)");
}

TEST_CASE("emit: a receive's Value arms are one clause; a let of a receive is its own destination") {
  const std::string out = cpp(
      "type Msg do\n  Ping(Int)\n  Stop\nend\nactor a() do\n  let got = receive do\n    Ping(k) -> k\n    Stop -> 0\n  end\n"
      "  println(\"${got}\")\nend\nfn main() do\n  spawn(a)\nend\n");
  // One clause: a function giving the first arm that takes the message; the message is
  // moved into `_msg`, and the arm's bindings read it as the variant it matched.
  CHECK(contains(out, "sl::value_arms(_msg"));
  CHECK(contains(out, "if ((sl::is_variant(m, prog::Msg_type, 0))) return 0;"));
  CHECK(contains(out, "if ((sl::is_variant(m, prog::Msg_type, 1))) return 1;"));
  CHECK(contains(out, "return -1;"));
  CHECK_FALSE(contains(out, "snow::on<sl::Value>"));
  // `let got = receive ...` is built in `got_`; the arm `Ping(k) -> k` binds k there.
  CHECK(contains(out, "sl::Value got_;"));
  CHECK(contains(out, "got_ = sl::variant_field(_msg"));
  CHECK_FALSE(contains(out, "const sl::Value k_"));
  CHECK_FALSE(contains(out, "_received"));
}

TEST_CASE("emit: a guarded Value arm tests inside the arms function; Exit and Down arms stay clauses of their own") {
  const std::string out = cpp(
      "type Msg do\n  Num(Int)\nend\nactor a() do\n  Process.trap_exit()\n  receive do\n    Num(n) when n > 2 -> println(\"big\")\n"
      "    Exit(p, r) -> println(\"exit\")\n    Num(n) -> println(\"small ${n}\")\n    x -> println(\"other\")\n  end\nend\n"
      "fn main() do\n  spawn(a)\nend\n");
  const auto at = [&](const char* s) { return out.find(s); };
  REQUIRE(at("sl::value_arms(") != std::string::npos);
  CHECK(contains(out, "if ([&]() -> bool {"));                    // arm 0: pattern, then guard
  CHECK(contains(out, "}()) return 0;"));
  CHECK(contains(out, "if ((sl::is_variant(m, prog::Msg_type, 0))) return 2;"));
  CHECK(contains(out, "return 3;"));                                // `x` takes any Value
  CHECK(contains(out, "snow::on<snow::Exit>("));                   // arm 1, and arm 3's Exit
  CHECK(contains(out, "snow::on<snow::Down>("));                   // arm 3's Down
  CHECK(at("sl::value_arms(") < at("snow::on<snow::Exit>("));
  CHECK(contains(out, "sl::gt_b(n_, std::int64_t(2))"));
}

TEST_CASE("emit: an Int literal on the right of arithmetic or a comparison is a C++ integer") {
  const std::string out = cpp("fn f(i, n) do\n  if i == 0 do\n    n * 2\n  else\n    i - 1 + n\n  end\nend\nfn main() do\n  f(1, 2)\nend\n");
  CHECK(contains(out, "sl::eq_b(i_, std::int64_t(0))"));
  CHECK(contains(out, "sl::mul(n_, std::int64_t(2))"));
  CHECK(contains(out, "sl::sub(i_, std::int64_t(1))"));
  CHECK_FALSE(contains(out, "sl::I(0)"));
}

TEST_CASE("emit: a self tail call that changes one parameter assigns it directly") {
  const std::string out = cpp("fn count(i, n) do\n  if i < n do\n    count(i + 1, n)\n  else\n    i\n  end\nend\n"
                              "fn main() do\n  count(0, 3)\nend\n");
  CHECK(contains(out, "i_ = sl::add(i_, std::int64_t(1));"));
  CHECK_FALSE(contains(out, "_arg"));
  const std::string two = cpp("fn swap(a, b, k) do\n  if k > 0 do\n    swap(b, a, k - 1)\n  else\n    a\n  end\nend\n"
                              "fn main() do\n  swap(1, 2, 3)\nend\n");
  CHECK(contains(two, "sl::Value _arg"));  // two or more change: every argument first, then the parameters
  CHECK(contains(two, "a_ = std::move(_arg"));
}

TEST_CASE("emit: a self tail call in an after-less receive's arm needs no tick; a call's result is moved in") {
  const std::string out = cpp(
      "fn step(x) = x + 1\nactor node(k :: Int) do\n  receive do\n    n -> node(step(n))\n  end\nend\n"
      "actor waiter(k :: Int) do\n  receive do\n    n -> waiter(n)\n  after 10 -> waiter(k)\n  end\nend\n"
      "fn main() do\n  spawn(node, 0)\n  spawn(waiter, 0)\nend\n");
  const auto node = out.substr(out.find("snow::Proc node_("), out.find("// actor waiter") - out.find("snow::Proc node_("));
  CHECK(contains(node, "k_ = std::move(_t"));
  CHECK_FALSE(contains(node, "sl::tick(self)"));
  const auto waiter = out.substr(out.find("snow::Proc waiter_("));
  CHECK(contains(waiter, "co_await sl::tick(self);"));  // the `after` path took no message
}

TEST_CASE("emit: a self tail call is a loop with a preemption point") {
  const std::string out = cpp("fn count(0, acc) = acc\nfn count(n, acc) = count(n - 1, acc + 1)\nfn main() do\n  count(3, 0)\nend\n");
  CHECK(contains(out, "continue;  // self tail call: loop"));
  CHECK(contains(out, "co_await sl::tick(self);"));
  CHECK(contains(out, "sl::fail(\"no clause of `count` matches the arguments\");"));
}

TEST_CASE("emit: patterns test variants by type and tag, and a bare name that binds is a binding") {
  const std::string out = cpp(
      "type Color do\n  Red\n  Green\nend\nfn f(c) do\n  case c do\n    Green -> 1\n    Other -> 2\n  end\nend\nfn main() do\n  f(Red)\nend\n");
  CHECK(contains(out, "sl::is_variant(c_, prog::Color_type, 1)"));
  CHECK(contains(out, "const sl::Value Other_ = c_;"));
  CHECK_FALSE(contains(out, "const sl::Value Green_"));
}

TEST_CASE("emit: the emitter reads the resolution's record of a bare name") {
  const char* source =
      "type Color do\n  Red\n  Green\nend\nfn f(c) do\n  case c do\n    Green -> 1\n    _ -> 2\n  end\nend\nfn main() do\n  f(Red)\nend\n";
  auto c = compile(source, Stage::types);
  REQUIRE(c.codes().empty());
  for (const auto& it : c.program.items) {
    if (it.kind == snowc::Item::fn && it.fn_group->name == "f") it.fn_group->clauses[0]->body[0]->expr->arms[0].pat->binds = true;
  }
  const std::string out = snowc::emit_cpp(c.program, c.symbols, c.types, *c.diags);
  CHECK(contains(out, "const sl::Value Green_ = c_;"));
  CHECK_FALSE(contains(out, "prog::Color_type, 1)"));
}

TEST_CASE("emit: an actor is a process with a receive loop") {
  const std::string out = cpp(
      "actor tally(total :: Int) do\n  receive do\n    n -> tally(total + n)\n  end\nend\nfn main() do\n  let p = spawn(tally, 0)\n  send(p, 1)\nend\n");
  CHECK(contains(out, "snow::Proc tally_(snow::Self self, sl::ActorToken token, sl::Value total_)"));
  CHECK(contains(out, "co_await sl::receive(self, true,"));
  CHECK(contains(out, "sl::spawn(self, &prog::tally_, nullptr, sl::I(0))"));
  CHECK(contains(out, "sl::send(self, "));
}

TEST_CASE("emit: a service's call is awaited, its cast is not") {
  const std::string out = cpp(
      "service Counter do\n  fn init() do\n    0\n  end\n  cast Bump(n :: Int) do |s|\n    s + n\n  end\n"
      "  call Get() :: Int do |s|\n    (s, s)\n  end\nend\nfn main() do\n  let c = Counter.start()\n  Counter.bump(c, 1)\n  println(\"${Counter.get(c)}\")\nend\n");
  CHECK(contains(out, "sl::service_start<prog::Counter_service>(self, "));
  CHECK(contains(out, "sl::service_cast<prog::Counter_service, 0>(self, "));
  CHECK(contains(out, "co_await sl::service_call<prog::Counter_service, 1>(self, "));
}

TEST_CASE("emit: a supervisor has a start function for each child") {
  const std::string out = cpp(
      "actor worker() do\n  receive do\n    _ -> worker()\n  end\nend\nsupervisor Top do\n  strategy: one_for_all\n  child w do\n    start: fn -> spawn(worker) end\n  end\nend\nfn main() do\n  spawn(Top)\nend\n");
  CHECK(contains(out, "Top_spawn"));
  CHECK(contains(out, "one_for_all"));
}

TEST_CASE("emit: closures capture by value and are called through sl::call") {
  const std::string out = cpp("fn main() do\n  let k = 2\n  let f = fn x -> x * k end\n  println(\"${f(3)}\")\nend\n");
  CHECK(contains(out, "sl::fun(\"fn\", 1, [=](snow::Self self, sl::Value me, sl::Args args) -> sl::Co<sl::Value> {"));
  CHECK(contains(out, "co_await sl::call(self, f_, sl::args(sl::I(3)))"));
}

TEST_CASE("emit: an actor's self-call that is not a tail call is reported (E0001)") {
  const auto c = compile("actor counter(n :: Int) do\n  let next = counter(n + 1)\n  println(\"${next}\")\nend\nfn main() do\n  spawn(counter, 0)\nend\n");
  CHECK(c.has("E0001"));
}
