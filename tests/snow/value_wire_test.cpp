// Snow values crossing nodes (snow/lang/value_wire.hpp): every Value kind that can cross
// survives Value -> Term -> Value and Value -> STF bytes -> Value unchanged; what cannot
// cross is refused with a message that says why.
#include <doctest/doctest.h>

#include <string>

#include "snow/lang/lang.hpp"

namespace sl = snow::lang;
using sl::Value;

namespace {

// Declared as a generated program declares them (make_struct / make_sum_type register them).
const sl::TypeInfo* const point_type = sl::make_struct("WirePoint", {"x", "y"}, false, true);
const sl::TypeInfo* const shape_type = sl::make_sum_type("WireShape", {"Circle", "Rect", "Dot"}, {1, 2, 0}, false, true);

std::string show(const Value& v) { return sl::debug(snow::Self(nullptr), v); }

Value through_term(const Value& v) {
  absl::StatusOr<Value> back = sl::from_term(sl::to_term(v));
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  return *back;
}

Value through_bytes(const Value& v) {
  absl::StatusOr<std::string> bytes = snow::encode(v);
  REQUIRE_MESSAGE(bytes.ok(), bytes.status().ToString());
  absl::StatusOr<Value> back = snow::decode<Value>(*bytes);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  return *back;
}

void check_round_trip(const Value& v) {
  INFO("value: " << show(v));
  const Value a = through_term(v);
  CHECK(a.kind() == v.kind());
  CHECK(sl::equal(a, v));
  CHECK(show(a) == show(v));
  const Value b = through_bytes(v);
  CHECK(sl::equal(b, v));
  CHECK(show(b) == show(v));
}

Value map_of(std::vector<std::pair<Value, Value>> entries) {
  auto m = std::make_unique<sl::MapObj>();
  m->entries = std::move(entries);
  return Value::of_obj(sl::Kind::Map, std::move(m));
}

}  // namespace

TEST_CASE("scalars cross unchanged") {
  check_round_trip(sl::I(0));
  check_round_trip(sl::I(-42));
  check_round_trip(sl::I(INT64_MIN));
  check_round_trip(sl::I(INT64_MAX));
  check_round_trip(sl::F(2.5));
  check_round_trip(sl::F(-0.125));
  check_round_trip(sl::B(true));
  check_round_trip(sl::B(false));
  check_round_trip(sl::S(""));
  check_round_trip(sl::S("héllo, wörld"));
  check_round_trip(sl::unit());
  // Ints and Floats stay apart: 1 and 1.0 are different Terms.
  CHECK(through_term(sl::I(1)).kind() == sl::Kind::Int);
  CHECK(through_term(sl::F(1.0)).kind() == sl::Kind::Float);
}

TEST_CASE("collections cross unchanged") {
  check_round_trip(sl::list({}));
  check_round_trip(sl::list({sl::I(1), sl::S("two"), sl::list({sl::F(3.5)})}));
  check_round_trip(sl::tuple({sl::I(1), sl::S("a"), sl::tuple({})}));
  check_round_trip(map_of({{sl::S("a"), sl::I(1)}, {sl::S("b"), sl::list({sl::B(true)})}}));
  check_round_trip(sl::set_from({1, 2, 3}));
  check_round_trip(sl::queue_from({5, 6, 5}));
  check_round_trip(sl::range(sl::I(2), sl::I(7)));
}

TEST_CASE("a list seen through its tail crosses as the tail") {
  const Value xs = sl::list({sl::I(1), sl::I(2), sl::I(3)});
  const Value tail = sl::list_tail(xs);
  const Value back = through_bytes(tail);
  CHECK(sl::list_len(back) == 2);
  CHECK(show(back) == "[2, 3]");
}

TEST_CASE("maps and sets keep their insertion order, nested ones too") {
  const Value inner = map_of({{sl::I(9), sl::S("nine")}, {sl::I(-1), sl::S("minus one")}});
  const Value m = map_of({{sl::S("zebra"), sl::I(1)}, {sl::S("ant"), inner}, {sl::S("mole"), sl::set_from({3, 1, 2})}});
  CHECK(show(through_bytes(m)) == show(m));
  CHECK(show(through_term(m)) == show(m));
  CHECK(show(sl::Map_keys(through_bytes(m))) == "[\"zebra\", \"ant\", \"mole\"]");
  CHECK(show(sl::Map_keys(sl::Map_get(through_bytes(m), sl::S("ant")))) == "[9, -1]");
  CHECK(show(sl::Set_to_list(through_bytes(sl::set_from({3, 1, 2})))) == "[3, 1, 2]");
  // What crosses is a struct a C++ node can read: "Map" {entries: [(k, v)...]}, "Set" {items: [...]}.
  const snow::Term t = sl::to_term(m);
  REQUIRE(t.is_struct());
  CHECK(t.type_name() == "Map");
  CHECK(t.field("entries")->elements()[0].elements()[0].as_string() == "zebra");
  CHECK(sl::to_term(sl::set_from({2, 1})).type_name() == "Set");
}

TEST_CASE("a map or set a C++ node sends arrives in key order") {
  const Value m = *sl::from_term(snow::Term::map({{snow::Term("b"), snow::Term(1)}, {snow::Term("a"), snow::Term(2)}}));
  CHECK(show(sl::Map_keys(m)) == "[\"a\", \"b\"]");
  const Value s = *sl::from_term(snow::Term::set({snow::Term(3), snow::Term(1)}));
  CHECK(show(sl::Set_to_list(s)) == "[1, 3]");
}

TEST_CASE("a Map or Set struct with a repeated key does not convert") {
  using snow::Term;
  auto entry = [](std::string k, std::int64_t v) { return Term::tuple({Term(std::move(k)), Term(v)}); };
  absl::StatusOr<Value> v = sl::from_term(Term::structure("Map", {{"entries", Term::list({entry("a", 1), entry("a", 2)})}}));
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().message() == "a Map arrived with a repeated key");
  v = sl::from_term(Term::structure("Set", {{"items", Term::list({Term(1), Term(1)})}}));
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().message() == "a Set arrived with a repeated item");
  v = sl::from_term(Term::structure("Map", {{"entries", Term::list({Term(1)})}}));
  CHECK_FALSE(v.ok());
}

TEST_CASE("a Queue struct whose items are not a list does not convert") {
  absl::StatusOr<Value> v = sl::from_term(snow::Term::structure("Queue", {{"items", snow::Term(std::int64_t{5})}}));
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().message() == "a Queue's items are a list");
}

TEST_CASE("structs, sum types, Option, Result and ExitReason cross by name") {
  check_round_trip(Value::strukt(point_type, {sl::I(3), sl::I(-4)}));
  check_round_trip(Value::variant(shape_type, 0, {sl::F(1.5)}));
  check_round_trip(Value::variant(shape_type, 1, {sl::I(2), sl::I(3)}));
  check_round_trip(Value::variant(shape_type, 2));
  check_round_trip(sl::Some(sl::S("x")));
  check_round_trip(sl::None());
  check_round_trip(sl::Ok(sl::list({sl::I(1)})));
  check_round_trip(sl::Err(sl::S("bad")));
  check_round_trip(Value::variant(sl::exit_reason_type, 5, {sl::S("boom")}));
  check_round_trip(Value::variant(sl::ordering_type, 2));
  // Nested: a struct holding a sum holding a list of structs.
  check_round_trip(sl::tuple({Value::variant(shape_type, 0, {sl::list({Value::strukt(point_type, {sl::I(1), sl::I(2)})})}),
                              sl::Some(sl::None())}));
  // The Term is the one a C++ node would use for the same data.
  const snow::Term t = sl::to_term(Value::strukt(point_type, {sl::I(3), sl::I(-4)}));
  REQUIRE(t.is_struct());
  CHECK(t.type_name() == "WirePoint");
  CHECK(t.field("y")->as_int() == -4);
  CHECK(sl::to_term(Value::variant(shape_type, 2)).variant() == "Dot");
}

TEST_CASE("Pids cross as Pids") {
  const snow::Pid p = snow::Pid::from_raw(0x1234);
  const Value back = through_bytes(Value::of_pid(p));
  REQUIRE(back.kind() == sl::Kind::Pid);
  CHECK(back.as_pid() == p);
}

TEST_CASE("Terms only a C++ node sends become the closest Snow value") {
  CHECK(show(*sl::from_term(snow::Term(snow::Atom("ready")))) == "\"ready\"");
  const snow::Ref r = snow::Ref::from_raw(77);
  CHECK(sl::equal(*sl::from_term(snow::Term(r)), sl::I(77)));  // Snow's monitor refs are Ints
}

TEST_CASE("a type this program does not declare is declared on arrival") {
  const snow::Term sum = snow::Term::sum("ForeignColour", "Rgb", {{"", 1}, {"", 2}, {"", 3}});
  absl::StatusOr<Value> v = sl::from_term(sum);
  REQUIRE(v.ok());
  CHECK(show(*v) == "Rgb(1, 2, 3)");
  CHECK(sl::to_term(*v) == sum);  // and it can be passed on unchanged
  const snow::Term st = snow::Term::structure("ForeignPair", {{"left", 1}, {"right", "r"}});
  absl::StatusOr<Value> s = sl::from_term(st);
  REQUIRE(s.ok());
  CHECK(show(sl::get_field(*s, "right")) == "\"r\"");
  CHECK(sl::to_term(*s) == st);
}

TEST_CASE("a value this program declares differently does not convert, and says why") {
  absl::StatusOr<Value> v = sl::from_term(snow::Term::sum("WireShape", "Hexagon"));
  REQUIRE_FALSE(v.ok());
  CHECK(std::string(v.status().message()) == "type WireShape has no variant Hexagon in this program");
  v = sl::from_term(snow::Term::sum("WireShape", "Circle", {{"", 1}, {"", 2}}));
  REQUIRE_FALSE(v.ok());
  CHECK(std::string(v.status().message()) == "WireShape.Circle has 1 fields in this program, the value has 2");
  v = sl::from_term(snow::Term::structure("WirePoint", {{"x", 1}}));
  REQUIRE_FALSE(v.ok());
  CHECK(std::string(v.status().message()) == "struct WirePoint arrived without its field y");
  v = sl::from_term(snow::Term::set({snow::Term("a")}));
  REQUIRE_FALSE(v.ok());
  CHECK(std::string(v.status().message()) == "a Snow Set holds Ints only, this one holds a String");
}

TEST_CASE("functions and Jobs never cross nodes") {
  const Value f = sl::fun("double", 1, [](snow::Self, Value, sl::Args a) -> sl::Co<Value> { co_return a[0]; });
  CHECK_THROWS_WITH_AS(sl::to_term(f), doctest::Contains("a function value cannot be sent to another node"),
                       sl::RuntimeError);
  CHECK_THROWS_AS(sl::to_term(sl::list({sl::I(1), f})), sl::RuntimeError);  // also when nested
  // Inside the runtime (an exit reason, a timer's message) the encoding fails instead of throwing.
  absl::StatusOr<std::string> bytes = snow::encode(sl::tuple({f}));
  REQUIRE_FALSE(bytes.ok());
  CHECK(std::string(bytes.status().message()).find("a function value cannot be sent to another node") != std::string::npos);
}
