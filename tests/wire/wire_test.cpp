#include "snow/wire.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "wire/wire_types.hpp"

using snow::Term;
using namespace wiretest;

namespace {

template <class T>
T round_trip(const T& v) {
  absl::StatusOr<std::string> bytes = snow::encode(v);
  REQUIRE_MESSAGE(bytes.ok(), bytes.status().ToString());
  absl::StatusOr<T> back = snow::decode<T>(*bytes);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  // The same bytes decode to a Term that converts to the same T and re-encodes the same.
  absl::StatusOr<Term> term = snow::decode_term(*bytes);
  REQUIRE_MESSAGE(term.ok(), term.status().ToString());
  CHECK(*term == snow::to_term(v));
  absl::StatusOr<T> via_term = snow::from_term<T>(*term);
  REQUIRE_MESSAGE(via_term.ok(), via_term.status().ToString());
  CHECK(*via_term == *back);
  return *back;
}

}  // namespace

TEST_SUITE("wire") {
TEST_CASE("is_wire accepts the built-in types and declared structs, and nothing else") {
  static_assert(snow::is_wire<int>);
  static_assert(snow::is_wire<std::int64_t>);
  static_assert(snow::is_wire<std::uint32_t>);
  static_assert(!snow::is_wire<std::uint64_t>);
  static_assert(!snow::is_wire<char>);
  static_assert(snow::is_wire<double>);
  static_assert(snow::is_wire<std::string>);
  static_assert(snow::is_wire<std::vector<std::map<std::string, std::optional<Point>>>>);
  static_assert(snow::is_wire<std::tuple<int, Shape, snow::Pid, snow::Ref, snow::Atom, snow::Unit, Term>>);
  static_assert(snow::is_wire<Shape>);
  static_assert(snow::is_wire<Empty>);
  static_assert(!snow::is_wire<NotWire>);
  static_assert(!snow::is_wire<std::vector<NotWire>>);
  static_assert(!snow::is_wire<std::function<void()>>);
  static_assert(!snow::is_wire<void (*)()>);
  static_assert(snow::WireType<const Point&>);
}

TEST_CASE("scalars round-trip, including edge values") {
  CHECK(round_trip(true) == true);
  CHECK(round_trip(false) == false);
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{127}, std::int64_t{-128},
                         std::int64_t{128}, std::int64_t{-129}, std::int64_t{32767}, std::int64_t{32768},
                         std::int64_t{-32769}, std::int64_t{INT32_MAX}, std::int64_t{INT32_MIN},
                         std::int64_t{INT32_MAX} + 1, std::int64_t{INT32_MIN} - 1, INT64_MAX, INT64_MIN}) {
    CAPTURE(v);
    CHECK(round_trip(v) == v);
  }
  CHECK(round_trip(std::int8_t{-128}) == -128);
  CHECK(round_trip(std::uint8_t{255}) == 255);
  CHECK(round_trip(std::uint32_t{UINT32_MAX}) == UINT32_MAX);
  CHECK(round_trip(std::int16_t{-300}) == -300);
  for (double d : {0.0, -0.0, 1.5, -1e300, 5e-324, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max()}) {
    CAPTURE(d);
    const double back = round_trip(d);
    CHECK(std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(d));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto bytes = snow::encode(nan);
  CHECK(std::isnan(*snow::decode<double>(*bytes)));
  CHECK(snow::decode_term(*bytes)->is_float());
  CHECK(round_trip(1.25f) == 1.25f);
  CHECK(round_trip(std::string()) == "");
  CHECK(round_trip(std::string("héllo, wörld ✓ 𝄞")) == "héllo, wörld ✓ 𝄞");
  CHECK(round_trip(std::string("a\0b", 3)) == std::string("a\0b", 3));
  CHECK(round_trip(snow::Unit{}) == snow::Unit{});
  CHECK(round_trip(snow::Atom("ok")) == snow::Atom("ok"));
  CHECK(round_trip(snow::Atom()) == snow::Atom());
  CHECK(round_trip(snow::Pid::make(3, 2, snow::Pid::kMaxSerial)) == snow::Pid::make(3, 2, snow::Pid::kMaxSerial));
  CHECK(round_trip(snow::Pid()) == snow::Pid());
  CHECK(round_trip(snow::Ref::from_raw(UINT64_MAX)) == snow::Ref::from_raw(UINT64_MAX));
}

TEST_CASE("containers round-trip, empty and nested") {
  CHECK(round_trip(std::vector<std::int64_t>{}).empty());
  CHECK(round_trip(std::vector<std::int64_t>{1, -2, INT64_MIN}) == std::vector<std::int64_t>{1, -2, INT64_MIN});
  CHECK(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  CHECK(round_trip(std::list<std::string>{"a", "b"}) == std::list<std::string>{"a", "b"});
  CHECK(round_trip(std::deque<int>{1, 2}) == std::deque<int>{1, 2});
  CHECK(round_trip(std::map<std::string, int>{}).empty());
  CHECK(round_trip(std::map<std::string, int>{{"a", 1}, {"b", 2}}) == std::map<std::string, int>{{"a", 1}, {"b", 2}});
  std::unordered_map<int, std::string> um{{1, "x"}, {2, "y"}, {3, "z"}};
  CHECK(round_trip(um) == um);
  CHECK(round_trip(std::set<int>{3, 1, 2}) == std::set<int>{1, 2, 3});
  std::unordered_set<std::string> us{"p", "q"};
  CHECK(round_trip(us) == us);
  CHECK(round_trip(std::optional<int>()) == std::nullopt);
  CHECK(round_trip(std::optional<int>(7)) == 7);
  const std::optional<std::optional<int>> some_none(std::in_place);  // Some(None)
  CHECK(round_trip(some_none) == some_none);
  CHECK(snow::to_term(some_none).to_string() == "Some(None)");
  CHECK(round_trip(std::pair<int, std::string>(1, "a")) == std::pair<int, std::string>(1, "a"));
  CHECK(round_trip(std::tuple<>()) == std::tuple<>());
  const std::tuple<int, double, std::string> t3{1, 2.5, "three"};
  CHECK(round_trip(t3) == t3);
  std::vector<std::map<std::string, std::vector<std::optional<Point>>>> deep{
      {{"a", {Point{1, 2}, std::nullopt}}, {"b", {}}}, {}};
  CHECK(round_trip(deep) == deep);
}

TEST_CASE("structs, 0-field structs and sum types round-trip") {
  CHECK(round_trip(Point{INT64_MIN, INT64_MAX}) == Point{INT64_MIN, INT64_MAX});
  CHECK(round_trip(Empty{}) == Empty{});
  const Order o{42, "widget", {Point{1, 2}, Point{3, 4}}, std::nullopt, {{"k", 1}}, Shape{Circle{1.5}}};
  CHECK(round_trip(o) == o);
  CHECK(round_trip(Shape{Dot{}}) == Shape{Dot{}});
  CHECK(round_trip(Shape{Rect{2, 3}}) == Shape{Rect{2, 3}});
  CHECK(round_trip(geo::Place{"home", geo::Kind{geo::Home{}}}) == geo::Place{"home", geo::Kind{geo::Home{}}});
}

TEST_CASE("recursive types round-trip, within the depth limit") {
  const Tree t{1, {Tree{2, {}}, Tree{3, {Tree{4, {}}}}}};
  CHECK(round_trip(t) == t);
  CHECK(snow::to_term(Tree{1, {Tree{2, {}}}}).debug_string() ==
        "Tree { value: 1, children: [Tree { value: 2, children: [] }] }");
  Tree deep{0, {}};
  for (int i = 0; i < 40; ++i) deep = Tree{i, {deep}};  // 81 levels: a struct and a list each
  auto r = snow::encode(deep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nesting deeper than the limit of 64") != std::string_view::npos);
  const std::string bytes = *snow::encode(deep, {.max_depth = 100});
  CHECK_FALSE(snow::decode<Tree>(bytes).ok());
  CHECK(*snow::decode<Tree>(bytes, {.max_depth = 100}) == deep);
}

TEST_CASE("a plain variant travels as the alternative it holds") {
  using Msg = std::variant<Point, Empty, std::int64_t, std::string>;
  CHECK(round_trip(Msg{Point{1, 2}}) == Msg{Point{1, 2}});
  CHECK(round_trip(Msg{Empty{}}) == Msg{Empty{}});
  CHECK(round_trip(Msg{std::int64_t{5}}) == Msg{std::int64_t{5}});
  CHECK(round_trip(Msg{std::string("s")}) == Msg{std::string("s")});
  // The bytes are exactly those of the alternative: a receiver can decode it as itself.
  CHECK(*snow::encode(Msg{Point{1, 2}}) == *snow::encode(Point{1, 2}));
  CHECK(*snow::decode<Point>(*snow::encode(Msg{Point{1, 2}})) == Point{1, 2});
  auto bad = snow::decode<Msg>(*snow::encode(2.5));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("no alternative of the variant accepts a Float") != std::string_view::npos);
}

TEST_CASE("a Term round-trips whatever it holds") {
  const Term t = Term::list({Term(), true, 1, 2.5, "s", snow::Atom("a"), Term(snow::Pid::make(0, 0, 1)),
                             Term(snow::Ref::from_raw(2)), Term::tuple({1, 2}), Term::map({{1, "one"}}),
                             Term::set({1, 2}), Term::structure("P", {{"x", 1}}), Term::sum("S", "V", {{"", 1}}),
                             Term::some(1), Term::none(), Term::ok(1), Term::err("e"), Term::list({})});
  CHECK(round_trip(t) == t);
  // A struct encoded as a Term decodes as the typed struct, and the other way round.
  CHECK(*snow::decode<Point>(*snow::encode(Term::structure("Point", {{"x", 1}, {"y", 2}}))) == Point{1, 2});
  CHECK(*snow::encode(snow::to_term(Point{1, 2})) == *snow::encode(Point{1, 2}));
  CHECK(*snow::encode(snow::to_term(Shape{Rect{1, 2}})) == *snow::encode(Shape{Rect{1, 2}}));
}

TEST_CASE("to_term gives the Term a Snow program would print") {
  CHECK(snow::to_term(Point{1, 2}).debug_string() == "Point { x: 1, y: 2 }");
  CHECK(snow::to_term(Shape{Circle{2.5}}).to_string() == "Circle(2.5)");
  CHECK(snow::to_term(Shape{Dot{}}).to_string() == "Dot");
  CHECK(snow::to_term(std::optional<int>(1)).to_string() == "Some(1)");
  CHECK(snow::to_term(std::vector<std::string>{"a"}).debug_string() == R"(["a"])");
  CHECK(snow::to_term(geo::Kind{geo::Home{}}).to_string() == "Home");
}

TEST_CASE("a failed conversion from Term names the type and the field path") {
  const Term bad_order = Term::structure(
      "Order", {{"id", 1}, {"name", "w"}, {"points", Term::list({snow::to_term(Point{1, 2}),
                                                                          Term::structure("Point", {{"x", 1}, {"y", "two"}})})},
                          {"note", Term::none()}, {"tags", Term::map({})}, {"shape", snow::to_term(Shape{Dot{}})}});
  auto r = snow::from_term<Order>(bad_order);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "cannot convert Term to wiretest::Order, at .points[1].y: expected Int, found String \"two\"");
  auto r2 = snow::from_term<Point>(Term(1));
  CHECK(r2.status().message() == "cannot convert Term to wiretest::Point: expected Point, found Int 1");
  auto r3 = snow::from_term<std::int8_t>(Term(300));
  CHECK(r3.status().message().find("out of range") != std::string_view::npos);
  auto r4 = snow::from_term<Shape>(Term::sum("Shape", "Hexagon"));
  CHECK(r4.status().message().find("sum type Shape has no variant Hexagon") != std::string_view::npos);
}

TEST_CASE("a failed typed decode names the type, byte offset and field path") {
  // Encode a Point whose y is a string (as a Term), decode it as a Point.
  const std::string bytes = *snow::encode(Term::structure("Point", {{"x", 1}, {"y", "s"}}));
  auto r = snow::decode<Point>(bytes);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "STF: cannot decode wiretest::Point at byte 18, in .y: expected Int, found String (tag 0x08)");
  auto wrong_name = snow::decode<Point>(*snow::encode(Term::structure("Pointe", {{"x", 1}, {"y", 2}})));
  CHECK(wrong_name.status().message().find("expected struct Point, found Pointe") != std::string_view::npos);
  auto wrong_field = snow::decode<Point>(*snow::encode(Term::structure("Point", {{"x", 1}, {"z", 2}})));
  CHECK(wrong_field.status().message().find("in .z") == std::string_view::npos);
  CHECK(wrong_field.status().message().find("expected field y, found z") != std::string_view::npos);
  auto narrow = snow::decode<std::uint8_t>(*snow::encode(256));
  CHECK(narrow.status().message().find("256 is out of range of unsigned char") != std::string_view::npos);
  auto in_list = snow::decode<std::vector<Point>>(*snow::encode(std::vector<Term>{snow::to_term(Point{}), Term(1)}));
  CHECK(in_list.status().message().find("in [1]: expected Struct, found Int") != std::string_view::npos);
}

TEST_CASE("encoding fails cleanly on what the format cannot carry") {
  auto bad = snow::encode(std::vector<std::string>{"ok", "\xff"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("not valid UTF-8") != std::string_view::npos);
  Term deep = Term(1);
  for (int i = 0; i < 65; ++i) deep = Term::list({deep});
  auto too_deep = snow::encode(deep);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.status().message().find("nesting deeper than the limit of 64") != std::string_view::npos);
  CHECK(snow::encode(deep, {.max_depth = 65}).ok());
  std::string out = "keep";
  CHECK_FALSE(snow::encode_append(out, Term("\xc0\x80")).ok());
  CHECK(out == "keep");  // a failed append leaves the buffer as it was
  CHECK_FALSE(snow::encode(Term::structure(std::string(256, 'n'), {})).ok());
}

TEST_CASE("decode_into reuses the target and encode_append appends") {
  std::string buf;
  REQUIRE(snow::encode_append(buf, Point{1, 2}).ok());
  const std::size_t one = buf.size();
  REQUIRE(snow::encode_append(buf, Point{3, 4}).ok());
  CHECK(buf.size() == 2 * one);
  Point p;
  REQUIRE(snow::decode_into(std::string_view(buf).substr(one), p).ok());
  CHECK(p == Point{3, 4});
}
}

namespace fingerprint_test {
struct Leaf {
  std::int64_t a = 0;
};
SNOW_WIRE(Leaf, a)
struct Branch {
  std::vector<Leaf> leaves;
};
SNOW_WIRE(Branch, leaves)
struct Root {
  Branch branch;
};
SNOW_WIRE(Root, branch)
struct Unrelated {
  std::int64_t leaf_count = 0;  // mentions "leaf" but not the type
};
SNOW_WIRE(Unrelated, leaf_count)
}  // namespace fingerprint_test

TEST_CASE("a nested wire type declared differently changes the fingerprint of every type that uses it") {
  using namespace fingerprint_test;
  auto digests = [] {
    std::map<std::string, std::uint64_t> out;
    for (auto& [name, digest] : snow::detail::wire_fingerprint()) out[name] = digest;
    return out;
  };
  const auto before = digests();
  REQUIRE(before.contains("Leaf"));
  REQUIRE(before.contains("Root"));
  // What another build would record if Leaf had a different field there.
  snow::detail::register_wire_layout("Leaf", typeid(Leaf), "Leaf{a:double,}");
  const auto after = digests();
  snow::detail::register_wire_layout("Leaf", typeid(Leaf), snow::detail::struct_layout<Leaf>());  // as it was
  CHECK(after.at("Leaf") != before.at("Leaf"));
  CHECK(after.at("Branch") != before.at("Branch"));  // in a vector
  CHECK(after.at("Root") != before.at("Root"));      // two levels down
  CHECK(after.at("Unrelated") == before.at("Unrelated"));
  CHECK(digests() == before);
}
