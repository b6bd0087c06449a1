// The decoder treats its input as hostile: each class of malformed input is an error
// with a message and a byte offset, never a crash, a hang or a huge allocation.
#include "snow/wire.hpp"

#include <doctest/doctest.h>

#include "wire/wire_types.hpp"

using snow::Term;
using namespace wiretest;

namespace {

bool contains(const absl::Status& s, std::string_view what) {
  return s.message().find(std::string(what)) != std::string_view::npos;
}

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int c : b) out.push_back(static_cast<char>(c));
  return out;
}

Order sample_order() {
  return Order{42, "wïdget", {Point{1, -2}, Point{300, 70000}}, "note", {{"k", INT64_MIN}}, Shape{Rect{1, 2}}};
}

}  // namespace

TEST_SUITE("stf malformed") {
TEST_CASE("truncation at every byte offset is an error, typed and as a Term") {
  const std::string full = *snow::encode(sample_order());
  const std::string term_full = *snow::encode(Term::list({snow::to_term(sample_order()), Term::set({1, 2}),
                                                          Term::map({{1, 2}}), Term::some(snow::Atom("a")),
                                                          Term(snow::Pid::make(0, 0, 1)), Term(snow::Ref::from_raw(3))}));
  REQUIRE(snow::decode<Order>(full).ok());
  REQUIRE(snow::decode_term(term_full).ok());
  for (std::size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    auto r = snow::decode<Order>(std::string_view(full).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK((contains(r.status(), "input ends early") || contains(r.status(), "remaining bytes can hold")));
    CHECK_FALSE(snow::decode_term(std::string_view(full).substr(0, n)).ok());
  }
  for (std::size_t n = 0; n < term_full.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(snow::decode_term(std::string_view(term_full).substr(0, n)).ok());
  }
}

TEST_CASE("an unknown tag or version is an error naming it") {
  auto r = snow::decode_term(bytes({0x01, 0x7f}));
  CHECK(r.status().message() == "STF: cannot decode Term at byte 1: unknown tag 0x7f");
  auto in_list = snow::decode_term(bytes({0x01, 0x0c, 0x02, 0, 0, 0, 0x00, 0x16}));
  CHECK(in_list.status().message() == "STF: cannot decode Term at byte 7, in [1]: unknown tag 0x16");
  auto v = snow::decode_term(bytes({0x02, 0x00}));
  CHECK(contains(v.status(), "unsupported STF version 2"));
  CHECK(contains(snow::decode_term("").status(), "input ends early"));
}

TEST_CASE("over-long lengths and counts are rejected before allocating") {
  // A string claiming 4 GiB, with 3 bytes present.
  auto s = snow::decode_term(bytes({0x01, 0x08, 0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c'}));
  CHECK(contains(s.status(), "string of 4294967295 is over the limit of 16777216"));
  // Under the limit, but longer than the input.
  auto s2 = snow::decode<std::string>(bytes({0x01, 0x08, 0x10, 0, 0, 0, 'a'}));
  CHECK(contains(s2.status(), "input ends early"));
  // A configurable limit.
  const std::string hello = *snow::encode(std::string("hello"));
  CHECK(snow::decode<std::string>(hello, {.max_string_bytes = 5}).ok());
  CHECK(contains(snow::decode<std::string>(hello, {.max_string_bytes = 4}).status(), "over the limit of 4"));
  // A list claiming a billion elements in a few bytes: refused by the count check.
  auto l = snow::decode<std::vector<int>>(bytes({0x01, 0x0c, 0x00, 0xca, 0x9a, 0x3b, 0x03, 0x01}));
  CHECK(contains(l.status(), "collection of 1000000000 is over the limit"));
  auto l2 = snow::decode_term(bytes({0x01, 0x0c, 0x00, 0x10, 0x00, 0x00, 0x03, 0x01}));
  CHECK(contains(l2.status(), "count of 4096 is more than the 2 remaining bytes can hold"));
  const std::string three = *snow::encode(std::vector<int>{1, 2, 3});
  CHECK(contains(snow::decode<std::vector<int>>(three, {.max_collection_count = 2}).status(), "over the limit of 2"));
  CHECK(contains(snow::decode_term(three, {.max_collection_count = 2}).status(), "over the limit of 2"));
  // A map's entries take at least two bytes each.
  auto m = snow::decode_term(bytes({0x01, 0x0e, 0x02, 0, 0, 0, 0x00, 0x00, 0x00}));
  CHECK(contains(m.status(), "count of 2 is more than the 3 remaining bytes can hold"));
}

TEST_CASE("invalid UTF-8 is rejected in strings, names and atoms") {
  for (std::string bad : {std::string("\xc0\x80"), std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                          std::string("\x80"), std::string("ab\xe2\x82"), std::string("\xff"),
                          std::string("\xe0\x80\xaf"), std::string("\xf8\x88\x80\x80\x80")}) {
    CAPTURE(bad);
    std::string enc = bytes({0x01, 0x08, static_cast<int>(bad.size()), 0, 0, 0}) + bad;
    auto r = snow::decode_term(enc);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.status(), "not valid UTF-8"));
    CHECK(contains(r.status(), "at byte 6"));  // where the string's bytes start
    CHECK_FALSE(snow::decode<std::string>(enc).ok());
    std::string atom = bytes({0x01, 0x09, static_cast<int>(bad.size())}) + bad;
    CHECK(contains(snow::decode_term(atom).status(), "not valid UTF-8"));
    std::string strukt = bytes({0x01, 0x10, static_cast<int>(bad.size())}) + bad + bytes({0, 0, 0, 0});
    CHECK(contains(snow::decode_term(strukt).status(), "not valid UTF-8"));
  }
  // Valid edge cases: U+007F, U+0080, U+07FF, U+0800, U+FFFF, U+10000, U+10FFFF.
  const std::string ok = "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  CHECK(*snow::decode<std::string>(*snow::encode(ok)) == ok);
}

TEST_CASE("nesting past the depth limit is an error, at the limit it is not") {
  auto nested = [](int depth) {
    std::string b = bytes({0x01});
    for (int i = 0; i < depth; ++i) b += bytes({0x0c, 1, 0, 0, 0});
    return b + bytes({0x00});
  };
  CHECK(snow::decode_term(nested(64)).ok());
  auto r = snow::decode_term(nested(65));
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.status(), "nesting deeper than the limit of 64"));
  CHECK(snow::decode_term(nested(65), {.max_depth = 65}).ok());
  CHECK_FALSE(snow::decode_term(nested(3), {.max_depth = 2}).ok());
  // Far past the limit: no stack overflow, the same error.
  CHECK(contains(snow::decode_term(nested(100000)).status(), "nesting deeper"));
  // Options count as nesting too (Some(Some(...))).
  std::string somes = bytes({0x01});
  for (int i = 0; i < 1000; ++i) somes += bytes({0x13});
  CHECK(contains(snow::decode_term(somes + bytes({0x00})).status(), "nesting deeper"));
  using Deep = std::optional<std::optional<std::optional<int>>>;
  CHECK_FALSE(snow::decode<Deep>(*snow::encode(Deep(std::optional<std::optional<int>>(std::optional<int>(1)))),
                                 {.max_depth = 2})
                   .ok());
}

TEST_CASE("trailing bytes after the value are an error") {
  std::string b = *snow::encode(Point{1, 2}) + "x";
  auto r = snow::decode<Point>(b);
  CHECK(contains(r.status(), "1 trailing bytes after the value"));
  CHECK_FALSE(snow::decode_term(b).ok());
}

TEST_CASE("duplicate map keys and set elements are an error") {
  auto m = snow::decode_term(bytes({0x01, 0x0e, 2, 0, 0, 0, 0x03, 1, 0x00, 0x03, 1, 0x00}));
  CHECK(contains(m.status(), "duplicate map key"));
  auto s = snow::decode_term(bytes({0x01, 0x0f, 2, 0, 0, 0, 0x03, 1, 0x03, 1}));
  CHECK(contains(s.status(), "duplicate set element"));
  CHECK(contains(snow::decode<std::map<int, int>>(bytes({0x01, 0x0e, 2, 0, 0, 0, 0x03, 1, 0x03, 5, 0x03, 1, 0x03, 6})).status(),
                 "duplicate map key"));
  CHECK(contains(snow::decode<std::set<int>>(bytes({0x01, 0x0f, 2, 0, 0, 0, 0x03, 1, 0x03, 1})).status(),
                 "duplicate set element"));
}

TEST_CASE("wrong shapes for a typed decode are errors") {
  CHECK(contains(snow::decode<std::tuple<int, int>>(*snow::encode(std::tuple<int>(1))).status(),
                 "expected a tuple of 2 elements, found 1"));
  CHECK(contains(snow::decode<Point>(*snow::encode(Term::structure("Point", {{"x", 1}}))).status(),
                 "struct Point has 2 fields, the input has 1"));
  CHECK(contains(snow::decode<Shape>(*snow::encode(Term::sum("Shape", "Hexagon"))).status(),
                 "sum type Shape has no variant Hexagon"));
  CHECK(contains(snow::decode<bool>(*snow::encode(1)).status(), "expected Bool, found Int"));
  CHECK(contains(snow::decode<std::optional<int>>(*snow::encode(1)).status(), "expected Option, found Int"));
}
}
