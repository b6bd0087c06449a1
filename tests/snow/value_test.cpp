// snow::lang::Value (include/snow/lang/value.hpp): the two ways a variant or struct is
// stored. One of at most two scalar fields lives inside the Value ("inline"), any other
// is a counted payload ("boxed"); everything that reads them (field, get_field, Shape,
// equality, ordering, display, is_variant, `?`) must see both the same way, and copies,
// moves and destruction must keep payload counts exact.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "snow/lang/lang.hpp"

namespace sl = snow::lang;
using sl::Value;

namespace {

const sl::TypeInfo* const msg_type = sl::make_sum_type("ValueMsg", {"Ping", "Pong", "Note", "Stop", "Triple"},
                                                       {2, 1, 1, 0, 3}, false, true);
const sl::TypeInfo* const point_type = sl::make_struct("ValuePoint", {"x", "y"}, false, true);
const sl::TypeInfo* const labelled_type = sl::make_struct("ValueLabelled", {"label", "n"}, false, true);

std::string show(const Value& v) { return sl::debug(snow::Self(nullptr), v); }

/// Counts the payloads alive, to check that copies and moves neither leak nor double free.
struct Counted final : sl::Obj {
  static inline std::atomic<int> alive{0};
  Counted() { ++alive; }
  ~Counted() override { --alive; }
};

}  // namespace

TEST_CASE("a variant of up to two scalar fields is stored inline, any other is boxed") {
  const Value pid = Value::of_pid(snow::Pid::from_raw(0x1234));
  const Value ping = Value::variant_of(msg_type, 0, pid, sl::I(7));
  CHECK(ping.is_inline_record());
  CHECK(ping.obj() == nullptr);
  CHECK(Value::variant_of(msg_type, 3).is_inline_record());
  CHECK(Value::variant_of(msg_type, 1, sl::F(1.5)).is_inline_record());
  CHECK(Value::variant_of(msg_type, 1, sl::B(true)).is_inline_record());
  CHECK(Value::variant_of(msg_type, 1, sl::unit()).is_inline_record());

  const Value note = Value::variant_of(msg_type, 2, sl::S("hello"));  // a String field: boxed
  CHECK_FALSE(note.is_inline_record());
  CHECK(note.obj() != nullptr);
  const Value nested = Value::variant_of(msg_type, 1, ping);  // a variant field: boxed
  CHECK_FALSE(nested.is_inline_record());
  const Value triple = Value::variant_of(msg_type, 4, sl::I(1), sl::I(2), sl::I(3));  // three fields: boxed
  CHECK_FALSE(triple.is_inline_record());

  // Both read the same way.
  CHECK(ping.is_variant(msg_type, 0));
  CHECK_FALSE(ping.is_variant(msg_type, 1));
  CHECK_FALSE(ping.is_variant(point_type, 0));
  CHECK(note.is_variant(msg_type, 2));
  CHECK(sl::field(ping, 0).as_pid() == snow::Pid::from_raw(0x1234));
  CHECK(sl::field(ping, 1).as_int() == 7);
  CHECK(sl::field(note, 0).as_str() == "hello");
  CHECK(sl::field(triple, 2).as_int() == 3);
  CHECK(sl::equal(sl::field(nested, 0), ping));
  CHECK(ping.type_info() == msg_type);
  CHECK(note.type_info() == msg_type);
  CHECK(sl::type_name(ping) == "ValueMsg");
  CHECK(show(ping) == "Ping(" + pid.as_pid().to_string() + ", 7)");
  CHECK(show(note) == "Note(\"hello\")");
  CHECK(show(triple) == "Triple(1, 2, 3)");
}

TEST_CASE("is_variant needs the kind, the tag and the type to agree, inline or boxed") {
  const Value stop = Value::variant_of(msg_type, 3);
  const Value pong = Value::variant_of(msg_type, 1, sl::I(5));
  const Value boxed_pong = Value::variant_of(msg_type, 1, sl::S("five"));
  CHECK(stop.is_variant(msg_type, 3));
  CHECK(pong.is_variant(msg_type, 1));
  CHECK(boxed_pong.is_variant(msg_type, 1));
  for (int tag : {0, 2, 3, 4, 0x10001}) {
    CHECK_FALSE(pong.is_variant(msg_type, tag));
    CHECK_FALSE(boxed_pong.is_variant(msg_type, tag));
  }
  // Same tag, another type; a struct (kind Struct, tag 0) is no variant of its own type.
  const Value other = Value::variant_of(sl::option_type, 1);
  CHECK(other.is_variant(sl::option_type, 1));
  CHECK_FALSE(other.is_variant(msg_type, 1));
  CHECK_FALSE(pong.is_variant(sl::option_type, 1));
  const Value point = Value::strukt_of(point_type, sl::I(1), sl::I(2));
  CHECK_FALSE(point.is_variant(point_type, 0));
  CHECK_FALSE(sl::I(1).is_variant(msg_type, 1));
  CHECK_FALSE(sl::unit().is_variant(msg_type, 0));

  // Types without an index (what a program gets once the type table is full): their
  // values are boxed, and only the payload's type tells two of them apart.
  sl::TypeInfo first, second;
  first.name = "NoIndexFirst";
  second.name = "NoIndexSecond";
  first.is_sum = second.is_sum = true;
  first.names = second.names = {"A", "B"};
  first.arity = second.arity = {1, 0};
  REQUIRE(first.index == sl::TypeInfo::kNoIndex);
  const Value a = Value::variant_of(&first, 0, sl::I(1));
  const Value b = Value::variant_of(&second, 1);
  CHECK_FALSE(a.is_inline_record());
  CHECK(a.is_variant(&first, 0));
  CHECK_FALSE(a.is_variant(&second, 0));
  CHECK_FALSE(a.is_variant(&first, 1));
  CHECK(b.is_variant(&second, 1));
  CHECK_FALSE(b.is_variant(&first, 1));
  CHECK_FALSE(a.is_variant(msg_type, 0));
  CHECK_FALSE(pong.is_variant(&first, 1));
}

TEST_CASE("a field past the end is a runtime error, inline or boxed") {
  const Value pong = Value::variant_of(msg_type, 1, sl::I(1));
  CHECK_THROWS_WITH(sl::field(pong, 1), doctest::Contains("field 1 of a value with 1"));
  const Value note = Value::variant_of(msg_type, 2, sl::S("x"));
  CHECK_THROWS_WITH(sl::field(note, 3), doctest::Contains("field 3 of a value with 1"));
  CHECK_THROWS_WITH(sl::field(sl::I(3), 0), doctest::Contains("has no fields"));
}

TEST_CASE("the vector and the one-by-one constructors make the same value") {
  const Value a = Value::variant(msg_type, 0, {sl::I(1), sl::I(2)});
  const Value b = Value::variant_of(msg_type, 0, sl::I(1), sl::I(2));
  CHECK(a.is_inline_record());
  CHECK(sl::equal(a, b));
  CHECK(sl::compare_values(a, b) == 0);
  const Value c = Value::variant(msg_type, 2, {sl::S("s")});
  CHECK(sl::equal(c, Value::variant_of(msg_type, 2, sl::S("s"))));
}

TEST_CASE("equality and ordering look at type, tag and fields") {
  const Value p1 = Value::variant_of(msg_type, 1, sl::I(1));
  const Value p2 = Value::variant_of(msg_type, 1, sl::I(2));
  const Value stop = Value::variant_of(msg_type, 3);
  CHECK_FALSE(sl::equal(p1, p2));
  CHECK(sl::compare_values(p1, p2) < 0);
  CHECK(sl::compare_values(stop, p2) > 0);  // by tag first
  CHECK_FALSE(sl::equal(sl::Some(sl::I(1)), Value::variant_of(msg_type, 0, sl::I(1))));
  CHECK(sl::equal(sl::Some(sl::I(1)), sl::Some(sl::I(1))));
  CHECK(sl::equal(sl::Some(sl::S("a")), sl::Some(sl::S("a"))));  // boxed
  CHECK(sl::compare_values(sl::Some(sl::S("a")), sl::Some(sl::S("b"))) < 0);
}

TEST_CASE("structs: inline when small, fields by name either way") {
  const Value p = Value::strukt_of(point_type, sl::I(3), sl::I(4));
  CHECK(p.is_inline_record());
  CHECK(sl::get_field(p, "x").as_int() == 3);
  CHECK(sl::get_field(p, "y").as_int() == 4);
  CHECK_THROWS_WITH(sl::get_field(p, "z"), doctest::Contains("has no field `z`"));
  CHECK(show(p) == "ValuePoint { x: 3, y: 4 }");
  const Value l = Value::strukt(labelled_type, {sl::S("a"), sl::I(1)});
  CHECK_FALSE(l.is_inline_record());
  CHECK(sl::get_field(l, "label").as_str() == "a");
  CHECK(sl::get_field(l, "n").as_int() == 1);
  CHECK(sl::equal(p, Value::strukt(point_type, {sl::I(3), sl::I(4)})));
}

TEST_CASE("`?` sees Ok, Err, Some and None, inline or boxed") {
  CHECK_FALSE(sl::is_failure(sl::Ok(sl::I(1))));
  CHECK(sl::is_failure(sl::Err(sl::S("no"))));
  CHECK(sl::is_failure(sl::None()));
  CHECK_FALSE(sl::is_failure(sl::Some(sl::S("x"))));
  CHECK(sl::unwrap(sl::Ok(sl::I(5))).as_int() == 5);
  CHECK(sl::unwrap(sl::Some(sl::S("x"))).as_str() == "x");
  CHECK_THROWS_WITH(sl::is_failure(Value::variant_of(msg_type, 3)), doctest::Contains("needs a Result or an Option"));
}

TEST_CASE("copies, moves and assignments keep payload counts exact") {
  REQUIRE(Counted::alive == 0);
  {
    Value a = Value::of_obj(sl::Kind::Str, std::make_unique<Counted>());
    CHECK(Counted::alive == 1);
    Value b = a;  // shared, not copied
    CHECK(Counted::alive == 1);
    CHECK(b.obj() == a.obj());
    Value c = std::move(a);
    CHECK(a.kind() == sl::Kind::Unit);  // NOLINT: a moved-from Value is () and owns nothing
    CHECK(a.obj() == nullptr);          // NOLINT
    b = sl::I(3);                       // drops one count
    CHECK(Counted::alive == 1);
    c = c;  // NOLINT: self-assignment keeps the payload
    CHECK(Counted::alive == 1);
    Value d;
    d = c;
    c = std::move(d);  // NOLINT: assigning a copy of the same payload
    CHECK(Counted::alive == 1);
  }
  CHECK(Counted::alive == 0);
}

TEST_CASE("a shared payload is counted exactly across threads") {
  REQUIRE(Counted::alive == 0);
  {
    const Value shared = Value::of_obj(sl::Kind::Str, std::make_unique<Counted>());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([shared] {
        for (int i = 0; i < 20000; ++i) {
          Value copy = shared;
          Value moved = std::move(copy);
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(Counted::alive == 1);
  }
  CHECK(Counted::alive == 0);
}
