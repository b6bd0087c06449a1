#include "snow/term.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

using snow::Atom;
using snow::Term;

namespace {
Term pt(std::int64_t x, std::int64_t y) { return Term::structure("Point", {{"x", x}, {"y", y}}); }
}  // namespace

TEST_SUITE("term") {
TEST_CASE("display forms follow the Snow language reference") {
  CHECK(Term().to_string() == "()");
  CHECK(Term(true).to_string() == "true");
  CHECK(Term(-42).to_string() == "-42");
  CHECK(Term(2.5).to_string() == "2.5");
  CHECK(Term(3.0).to_string() == "3");
  CHECK(Term(0.1 + 0.2).to_string() == "0.30000000000000004");
  CHECK(Term(1e21).to_string() == "1000000000000000000000");
  // The shortest digits, padded: not the exact integer (99999999999999991611392) that
  // std::to_chars' fixed form gives. Snow prints a Float through this (show.cpp).
  CHECK(Term(1e23).to_string() == "100000000000000000000000");
  CHECK(Term(-1.2345e22).to_string() == "-12345000000000000000000");
  CHECK(Term(5e-324).to_string() == "0." + std::string(323, '0') + "5");
  CHECK(Term(-0.0).to_string() == "-0");
  CHECK(Term(std::nan("")).to_string() == "NaN");
  CHECK(Term(std::numeric_limits<double>::infinity()).to_string() == "inf");
  CHECK(Term(-std::numeric_limits<double>::infinity()).to_string() == "-inf");
  CHECK(Term("hi").to_string() == "hi");
  CHECK(Term::list({1, 2, 3}).to_string() == "[1, 2, 3]");
  CHECK(Term::list({"ab", "cd"}).to_string() == "[ab, cd]");
  CHECK(Term::list({}).to_string() == "[]");
  CHECK(Term::map({{"a", 1}, {"b", 2}}).to_string() == "%{a => 1, b => 2}");
  CHECK(Term::set({2, 1}).to_string() == "#{1, 2}");
  CHECK(pt(1, 2).to_string() == "Point(1, 2)");
  CHECK(Term::structure("Empty", {}).to_string() == "Empty()");
  CHECK(Term::sum("Color", "Red").to_string() == "Red");
  CHECK(Term::sum("Shape", "Circle", {{"", 2.5}}).to_string() == "Circle(2.5)");
  CHECK(Term::tuple({1, "a"}).to_string() == "(1, a)");
  CHECK(Term::some(1).to_string() == "Some(1)");
  CHECK(Term::none().to_string() == "None");
  CHECK(Term::ok("x").to_string() == "Ok(x)");
  CHECK(Term::err("bad").to_string() == "Err(bad)");
  CHECK(Term(snow::Pid::make(0, 0, 7)).to_string() == "<0.7>");
  CHECK(Term(snow::Ref::from_raw(9)).to_string() == "#Ref<0.9>");
  CHECK(Term(Atom("ok")).to_string() == "ok");
}

TEST_CASE("debug forms quote strings and show struct field names") {
  using namespace std::string_literals;
  CHECK(Term("hi").debug_string() == "\"hi\"");
  CHECK(Term("a\"b\\c\nd\te\r\0f"s).debug_string() == R"("a\"b\\c\nd\te\r\0f")");
  CHECK(Term("cost ${x} $5").debug_string() == R"("cost \${x} $5")");
  CHECK(Term("\x1b").debug_string() == R"("\u{1b}")");
  CHECK(Term("héllo").debug_string() == "\"héllo\"");
  CHECK(Term::list({"ab", "cd"}).debug_string() == R"(["ab", "cd"])");
  CHECK(Term::map({{"a", 1}}).debug_string() == R"(%{"a" => 1})");
  CHECK(pt(1, 2).debug_string() == "Point { x: 1, y: 2 }");
  CHECK(Term::structure("Item", {{"name", "bolt"}, {"qty", 0}}).debug_string() == R"(Item { name: "bolt", qty: 0 })");
  CHECK(Term::structure("Empty", {}).debug_string() == "Empty {}");
  CHECK(Term::sum("Reply", "Entry", {{"key", "k"}, {"value", 1}}).debug_string() == R"(Entry("k", 1))");
  CHECK(Term::sum("Color", "Red").debug_string() == "Red");
  CHECK(Term::some("x").debug_string() == R"(Some("x"))");
  CHECK(Term::err("bad").debug_string() == R"(Err("bad"))");
  CHECK(Term::tuple({1, "a"}).debug_string() == R"((1, "a"))");
  CHECK(Term::tuple({1}).debug_string() == "(1,)");
  CHECK(Term(Atom("ok")).debug_string() == ":ok");
  CHECK(Term(3.0).debug_string() == "3");
  CHECK(Term::list({pt(1, 2)}).to_string() == "[Point(1, 2)]");
}

TEST_CASE("kinds are ordered like Erlang's term order, with snow's kinds slotted in") {
  const std::vector<Term> ascending = {
      Term(-5), Term(1), Term(1.0), Term(1.5), Term(2), Term(std::numeric_limits<double>::infinity()),
      Term(std::nan("")), Term(), Term(false), Term(true), Term(Atom("a")), Term(Atom("b")),
      Term(snow::Ref::from_raw(1)), Term(snow::Pid::make(0, 0, 1)), Term::tuple({9}), Term::tuple({1, 1}),
      Term::structure("A", {}), Term::sum("S", "V"), Term::some(1), Term::none(), Term::ok(1), Term::err(0),
      Term::map({}), Term::set({}), Term::list({}), Term::list({1}), Term::list({1, 2}), Term::list({2}),
      Term(""), Term("a"), Term("b"),
  };
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    CAPTURE(i);
    CAPTURE(ascending[i].debug_string());
    CHECK(ascending[i] < ascending[i + 1]);
    CHECK(ascending[i + 1] > ascending[i]);
    CHECK(ascending[i] != ascending[i + 1]);
  }
}

TEST_CASE("ints and floats compare exactly by value") {
  CHECK(Term(1) != Term(1.0));
  CHECK(Term(1) < Term(1.0));
  CHECK(Term(std::numeric_limits<std::int64_t>::max()) < Term(9223372036854775808.0));
  CHECK(Term(std::numeric_limits<std::int64_t>::min()) > Term(-9223372036854777856.0));
  CHECK(Term(std::numeric_limits<std::int64_t>::min()) < Term(-9223372036854775808.0));
  CHECK(Term(9007199254740993) > Term(9007199254740992.0));  // no rounding through double
  CHECK(Term(-1) < Term(-0.5));
  CHECK(Term(0.0) == Term(-0.0));
  CHECK(Term(std::nan("")) == Term(-std::nan("")));
}

TEST_CASE("maps and sets are canonical: order of construction does not matter") {
  CHECK(Term::map({{"b", 2}, {"a", 1}}) == Term::map({{"a", 1}, {"b", 2}}));
  CHECK(Term::map({{"a", 1}, {"a", 2}}).size() == 1);
  CHECK(*Term::map({{"a", 1}, {"a", 2}}).find("a") == Term(2));  // the last entry wins
  CHECK(Term::map({{"a", 1}}).find("z") == nullptr);
  CHECK(Term::set({3, 1, 3, 2}) == Term::set({1, 2, 3}));
  CHECK(Term::set({3, 1, 3, 2}).size() == 3);
  // Erlang orders maps and tuples by size first.
  CHECK(Term::map({{"z", 1}}) < Term::map({{"a", 1}, {"b", 1}}));
  CHECK(Term::tuple({9, 9}) < Term::tuple({1, 1, 1}));
}

TEST_CASE("structs and sum values compare by name, then fields") {
  CHECK(pt(1, 2) == pt(1, 2));
  CHECK(pt(1, 2) < pt(1, 3));
  CHECK(Term::structure("A", {{"x", 9}}) < Term::structure("B", {{"x", 1}}));
  CHECK(Term::sum("S", "A", {{"", 9}}) < Term::sum("S", "B"));
  CHECK(Term::some(5) < Term::none());
  CHECK(Term::ok(5) < Term::err(1));
}

TEST_CASE("equal terms hash alike and work as absl container keys") {
  absl::flat_hash_set<Term> set = {Term(1), Term(1.0), Term("1"), Term::list({1}), Term(0.0), Term(-0.0),
                                   Term(std::nan("")), Term(std::nan("")), pt(1, 2), pt(1, 2),
                                   Term::map({{"a", 1}, {"b", 2}}), Term::map({{"b", 2}, {"a", 1}})};
  CHECK(set.size() == 8);
  CHECK(set.contains(Term(-0.0)));
  CHECK(absl::HashOf(Term(0.0)) == absl::HashOf(Term(-0.0)));
  absl::flat_hash_map<Term, int> m;
  m[Term::tuple({1, "a"})] = 7;
  CHECK(m[Term::tuple({1, "a"})] == 7);
}

TEST_CASE("atoms are interned: the same text is the same atom") {
  CHECK(Atom("hello") == Atom(std::string("hel") + "lo"));
  CHECK(Atom("a") < Atom("b"));
  CHECK(Atom().name().empty());
  CHECK(Atom::try_make(std::string(256, 'x')).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Atom::try_make("\xff").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Atom::try_make("fine").ok());
}

TEST_CASE("accessors expose the parts of compound terms") {
  const Term p = pt(3, 4);
  CHECK(p.is_struct());
  CHECK(p.type_name() == "Point");
  CHECK(p.size() == 2);
  CHECK(p.field_names()[1] == "y");
  CHECK(*p.field("x") == Term(3));
  CHECK(p.field("z") == nullptr);
  const Term s = Term::sum("Shape", "Rect", {{"w", 1.0}, {"h", 2.0}});
  CHECK(s.variant() == "Rect");
  CHECK(s.elements()[1].as_float() == 2.0);
  CHECK(Term::some(1).is_some());
  CHECK_FALSE(Term::none().is_some());
  CHECK(Term::none().elements().empty());
  CHECK(Term::err(1).elements()[0] == Term(1));
  CHECK(std::string(snow::kind_name(Term::Kind::integer)) == "Int");
}
}
