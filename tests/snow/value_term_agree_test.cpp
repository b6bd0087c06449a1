// Term and Value tell one story (docs/DESIGN.md, "Term and Value"): snow::Term is the
// wire's dynamic value, a Snow Value's Term is its view at the node boundary
// (snow/lang/value_wire.hpp). Where both sides print or order the same data they must
// agree, on a table of values of every kind:
//   * printing: Snow's display and debug forms of a Value are its Term's to_string() and
//     debug_string(), and a Term that arrives prints in Snow as it printed as a Term;
//   * order and equality: within a kind both Ord, Snow's compare and Term::compare give
//     the same sign, and Snow's == is the Terms' ==.
// The differences that are meant are checked too, each once, so that a change to one of
// them is a decision: a struct without Display (Snow shows its debug form), an atom or a
// Ref (no Snow kind: a String, an Int), sum types' order (Snow: declaration order; a Term
// does not know it and orders by variant name), Snow's maps, sets, queues and ranges
// (their Term is a struct, in insertion order).
// Floats and strings print through one piece of code (src/wire/term.cpp), so those rows
// hold by construction; the rest hold by this test.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "snow/lang/lang.hpp"

namespace sl = snow::lang;
using sl::Value;
using snow::Term;

namespace {

// Declared as a generated program declares them.
const sl::TypeInfo* const point_type = sl::make_struct("AgreePoint", {"x", "y"}, false, true);
const sl::TypeInfo* const named_type = sl::make_struct("AgreeNamed", {"label"}, /*display=*/true, true);
const sl::TypeInfo* const empty_type = sl::make_struct("AgreeEmpty", {}, false, true);
const sl::TypeInfo* const shape_type =
    sl::make_sum_type("AgreeShape", {"Circle", "Rect", "Dot"}, {1, 2, 0}, false, true);

std::string display(const Value& v) { return sl::display(snow::Self(nullptr), v); }
std::string debug(const Value& v) { return sl::debug(snow::Self(nullptr), v); }

Value from(const Term& t) {
  absl::StatusOr<Value> v = sl::from_term(t);
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  return *v;
}

Value map_of(std::vector<std::pair<Value, Value>> entries) {
  auto m = std::make_unique<sl::MapObj>();
  m->entries = std::move(entries);
  return Value::of_obj(sl::Kind::Map, std::move(m));
}

// Whether `t` holds, below its top, a struct whose type does not derive Display: Snow
// displays that one in its debug form, a Term as Name(v, w) (the meant difference below).
bool holds_plain_struct(const Term& t) {
  auto plain = [](const Term& x) {
    const sl::TypeInfo* type = x.is_struct() ? sl::types().find(x.type_name()) : nullptr;
    return x.is_struct() && (type == nullptr || !type->display);
  };
  if (t.is_map()) {
    for (const auto& [k, v] : t.entries()) {
      if (plain(k) || plain(v) || holds_plain_struct(k) || holds_plain_struct(v)) return true;
    }
    return false;
  }
  const bool compound = t.is_list() || t.is_tuple() || t.is_set() || t.is_struct() || t.is_sum() ||
                        (t.is_option() && t.is_some()) || t.is_result();
  if (!compound) return false;
  for (const Term& x : t.elements()) {
    if (plain(x) || holds_plain_struct(x)) return true;
  }
  return false;
}

int sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }
int sign(std::strong_ordering c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

// Every Value kind that has a Term of its own, with the corner cases of each.
std::vector<Value> printable_values() {
  const snow::Pid local = snow::Pid::make(0, 1, 42);
  const snow::Pid remote = snow::Pid::make(3, 2, 7);
  return {
      sl::unit(),
      sl::I(0), sl::I(-42), sl::I(INT64_MIN), sl::I(INT64_MAX),
      sl::F(2.5), sl::F(-0.0), sl::F(0.1 + 0.2), sl::F(1e21), sl::F(1e23), sl::F(1.7976931348623157e308),
      sl::F(5e-324), sl::F(1e-7), sl::F(-3.0), sl::F(std::numeric_limits<double>::infinity()),
      sl::F(-std::numeric_limits<double>::infinity()), sl::F(std::nan("")),
      sl::B(true), sl::B(false),
      sl::S(""), sl::S("héllo, wörld"), sl::S("quote \" backslash \\ newline \n tab \t cr \r"),
      sl::S(std::string("ctl \x01 del \x7f end")), sl::S("not ${interpolated} $5"),
      sl::list({}), sl::list({sl::I(1), sl::S("two"), sl::list({sl::F(3.5)})}),
      sl::list_tail(sl::list({sl::I(1), sl::I(2), sl::I(3)})),
      sl::tuple({}), sl::tuple({sl::S("one")}), sl::tuple({sl::I(1), sl::S("a"), sl::tuple({sl::B(false)})}),
      Value::of_pid(local), Value::of_pid(remote), Value::of_pid(snow::Pid()),
      Value::variant(shape_type, 0, {sl::F(1.5)}), Value::variant(shape_type, 1, {sl::S("w"), sl::I(3)}),
      Value::variant(shape_type, 2),
      sl::Some(sl::S("x")), sl::None(), sl::Some(sl::None()), sl::Ok(sl::list({sl::I(1)})), sl::Err(sl::S("bad")),
      Value::variant(sl::exit_reason_type, 5, {sl::S("boom")}),
      Value::variant(sl::exit_reason_type, 7, {Value::of_pid(remote), Value::variant(sl::exit_reason_type, 2)}),
      Value::variant(sl::ordering_type, 0),
      Value::strukt(point_type, {sl::I(3), sl::I(-4)}), Value::strukt(point_type, {sl::S("a\"b"), sl::F(0.5)}),
      Value::strukt(named_type, {sl::S("n")}), Value::strukt(empty_type, {}),
      sl::tuple({Value::strukt(point_type, {sl::list({sl::None()}), sl::tuple({sl::S("s")})}), sl::Err(sl::F(1e23))}),
  };
}

// Every Term kind, as a C++ node might send it.
std::vector<Term> printable_terms() {
  return {
      Term(), Term(true), Term(std::int64_t{-7}), Term(2.5), Term(1e23), Term("text \"q\"\n"),
      Term::list({Term(1), Term("a")}), Term::tuple({Term(1)}), Term::tuple({Term(1), Term(2.0), Term()}),
      Term::map({{Term("b"), Term(1)}, {Term("a"), Term::list({Term(true)})}}),
      Term::map({{Term(2), Term("two")}, {Term(-1), Term::none()}}), Term::map({}),
      Term::set({Term(3), Term(1), Term(2)}), Term::set({}),
      Term(snow::Pid::make(5, 1, 9)),
      Term::structure("AgreePoint", {{"x", 1}, {"y", -2}}),
      Term::structure("AgreeForeign", {{"left", Term("l")}, {"right", Term::list({})}}),
      Term::structure("AgreeNamed", {{"label", Term("n")}}),
      Term::sum("AgreeShape", "Rect", {{"", Term("w")}, {"", 3}}), Term::sum("AgreeShape", "Dot"),
      Term::sum("AgreeForeignColour", "Rgb", {{"", 1}, {"", 2}, {"", 3}}),
      Term::some(Term("x")), Term::none(), Term::ok(Term(1)), Term::err(Term::tuple({Term("e"), Term(1)})),
  };
}

}  // namespace

TEST_CASE("a Value prints as its Term: debug form, every kind that has a Term") {
  for (const Value& v : printable_values()) {
    const Term t = sl::to_term(v);
    INFO("Term: " << t.debug_string());
    CHECK(debug(v) == t.debug_string());
  }
}

TEST_CASE("a Value prints as its Term: display form, but for a struct without Display") {
  for (const Value& v : printable_values()) {
    const Term t = sl::to_term(v);
    INFO("Term: " << t.debug_string());
    const sl::TypeInfo* type = v.kind() == sl::Kind::Struct ? v.type_info() : nullptr;
    if (type != nullptr && !type->display) {
      // Meant: Snow shows a struct that does not derive Display in its debug form
      // (snow.md#display-forms); a Term does not know what its type derives.
      CHECK(display(v) == t.debug_string());
      CHECK(t.to_string().starts_with(type->name + "("));  // a Term's display: Name(v, w)
    } else if (!holds_plain_struct(t)) {
      CHECK(display(v) == t.to_string());
    }
  }
}

TEST_CASE("a Term prints in Snow as it printed as a Term, every kind") {
  for (const Term& t : printable_terms()) {
    INFO("Term: " << t.debug_string());
    const Value v = from(t);
    CHECK(debug(v) == t.debug_string());
    if (v.kind() == sl::Kind::Struct && !v.type_info()->display) {
      CHECK(display(v) == t.debug_string());  // as above: no Display, the debug form
    } else {
      CHECK(display(v) == t.to_string());
    }
  }
}

TEST_CASE("the meant differences: atoms, refs, qualified type names, Snow-only kinds") {
  // An atom becomes a String: displayed alike, but a String's debug form is quoted.
  const Term atom(snow::Atom("ready"));
  CHECK(display(from(atom)) == atom.to_string());
  CHECK(debug(from(atom)) == "\"ready\"");
  CHECK(atom.debug_string() == ":ready");
  // A Ref becomes an Int (Snow's monitor references are Ints).
  CHECK(display(from(Term(snow::Ref::from_raw(77)))) == "77");
  // A module's type shows its short name in Snow (`Point` for `Geo.Point`); a Term prints
  // the name it carries.
  const sl::TypeInfo* geo = sl::make_struct("AgreeGeo.Point", {"x"}, false, true);
  const Value p = Value::strukt(geo, {sl::I(1)});
  CHECK(debug(p) == "Point { x: 1 }");
  CHECK(sl::to_term(p).debug_string() == "AgreeGeo.Point { x: 1 }");
  // Maps, sets, queues and ranges travel as structs in insertion order (value_wire.hpp):
  // their Term prints as that struct. A Term map or set prints in Snow as a Term does.
  const Value m = map_of({{sl::S("b"), sl::I(1)}, {sl::S("a"), sl::I(2)}});
  CHECK(display(m) == "%{b => 1, a => 2}");
  CHECK(sl::to_term(m).debug_string() == "Map { entries: [(\"b\", 1), (\"a\", 2)] }");
  CHECK(sl::to_term(sl::set_from({2, 1})).debug_string() == "Set { items: [2, 1] }");
  CHECK(sl::to_term(sl::queue_from({1})).debug_string() == "Queue { items: [1] }");
  CHECK(sl::to_term(sl::range(sl::I(1), sl::I(3))).debug_string() == "Range { lo: 1, hi: 3 }");
}

TEST_CASE("within a kind, Snow's order and equality are the Terms'") {
  const snow::Pid p1 = snow::Pid::make(0, 1, 1), p2 = snow::Pid::make(0, 1, 2), p3 = snow::Pid::make(2, 1, 1);
  const double inf = std::numeric_limits<double>::infinity();
  // Each group: values of one Snow type (so Snow may compare them), in no particular order.
  const std::vector<std::vector<Value>> groups = {
      {sl::unit(), sl::unit()},
      {sl::I(0), sl::I(-1), sl::I(1), sl::I(INT64_MIN), sl::I(INT64_MAX), sl::I(1)},
      {sl::F(0.0), sl::F(-0.0), sl::F(1.5), sl::F(-2.25), sl::F(inf), sl::F(-inf), sl::F(1e23), sl::F(5e-324)},
      {sl::B(false), sl::B(true), sl::B(true)},
      {sl::S(""), sl::S("a"), sl::S("ab"), sl::S("b"), sl::S("B"), sl::S("é"), sl::S("z\xff"), sl::S("a")},
      {Value::of_pid(p1), Value::of_pid(p2), Value::of_pid(p3), Value::of_pid(snow::Pid())},
      {sl::list({}), sl::list({sl::I(1)}), sl::list({sl::I(1), sl::I(2)}), sl::list({sl::I(2)}),
       sl::list_tail(sl::list({sl::I(0), sl::I(1), sl::I(2)}))},
      {sl::tuple({sl::I(1), sl::S("b")}), sl::tuple({sl::I(1), sl::S("a")}), sl::tuple({sl::I(0), sl::S("z")}),
       sl::tuple({sl::I(1), sl::S("b")})},
      {Value::strukt(point_type, {sl::I(1), sl::I(2)}), Value::strukt(point_type, {sl::I(1), sl::I(3)}),
       Value::strukt(point_type, {sl::I(0), sl::I(9)}), Value::strukt(point_type, {sl::I(1), sl::I(2)})},
      {sl::Some(sl::I(1)), sl::Some(sl::I(2)), sl::None(), sl::Some(sl::I(-5)), sl::None()},
      {sl::Ok(sl::I(1)), sl::Ok(sl::I(2)), sl::Err(sl::I(0)), sl::Err(sl::I(-1)), sl::Ok(sl::I(1))},
  };
  for (const auto& group : groups) {
    for (const Value& a : group) {
      for (const Value& b : group) {
        const Term ta = sl::to_term(a), tb = sl::to_term(b);
        INFO(ta.debug_string() << " vs " << tb.debug_string());
        CHECK(sign(sl::compare_values(a, b)) == sign(Term::compare(ta, tb)));
        CHECK(sl::equal(a, b) == (ta == tb));
      }
    }
  }
}

TEST_CASE("equality of maps and sets is the Terms' (a Term map or set is sorted)") {
  const std::vector<Term> maps = {Term::map({{Term("a"), Term(1)}, {Term("b"), Term(2)}}),
                                  Term::map({{Term("b"), Term(2)}, {Term("a"), Term(1)}}),
                                  Term::map({{Term("a"), Term(1)}}), Term::map({{Term("a"), Term(2)}}), Term::map({})};
  const std::vector<Term> sets = {Term::set({Term(1), Term(2)}), Term::set({Term(2), Term(1)}), Term::set({Term(1)}),
                                  Term::set({})};
  for (const auto* group : {&maps, &sets}) {
    for (const Term& a : *group) {
      for (const Term& b : *group) {
        INFO(a.debug_string() << " vs " << b.debug_string());
        CHECK(sl::equal(from(a), from(b)) == (a == b));
      }
    }
  }
  // Snow's own maps are equal whatever their insertion order, as Term maps are.
  CHECK(sl::equal(map_of({{sl::S("a"), sl::I(1)}, {sl::S("b"), sl::I(2)}}),
                  map_of({{sl::S("b"), sl::I(2)}, {sl::S("a"), sl::I(1)}})));
}

TEST_CASE("the meant differences in order: sum types, NaN") {
  // Snow orders a sum type's variants in declaration order (snow.md#equality-and-ordering);
  // a Term sum does not carry that order and sorts by variant name.
  const Value circle = Value::variant(shape_type, 0, {sl::F(1.0)}), dot = Value::variant(shape_type, 2);
  CHECK(sl::compare_values(circle, dot) < 0);
  CHECK(Term::compare(sl::to_term(circle), sl::to_term(dot)) < 0);  // "Circle" < "Dot" by name too
  const Value rect = Value::variant(shape_type, 1, {sl::I(1), sl::I(1)});
  CHECK(sl::compare_values(rect, dot) < 0);                          // Rect before Dot, as declared
  CHECK(Term::compare(sl::to_term(rect), sl::to_term(dot)) > 0);     // "Dot" < "Rect" by name
  // Equality agrees all the same.
  CHECK(sl::equal(rect, rect) == (sl::to_term(rect) == sl::to_term(rect)));
  CHECK(sl::equal(rect, dot) == (sl::to_term(rect) == sl::to_term(dot)));
  // NaN: Snow's == is IEEE (NaN is not NaN); a Term's order is total (every NaN equal).
  const Value nan = sl::F(std::nan(""));
  CHECK_FALSE(sl::equal(nan, nan));
  CHECK(sl::to_term(nan) == sl::to_term(nan));
}
