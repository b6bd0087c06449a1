// The STF is a specification (docs/WIRE.md): these byte vectors are it. A change that
// breaks one of them is a format change, which needs a new version byte and a new spec.
#include "snow/wire.hpp"

#include <doctest/doctest.h>

#include "absl/strings/str_format.h"
#include "wire/wire_types.hpp"

using snow::Term;
using namespace wiretest;

namespace {

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += absl::StrFormat("%02x", c);
  }
  return out;
}

template <class T>
std::string enc(const T& v) {
  absl::StatusOr<std::string> bytes = snow::encode(v);
  REQUIRE_MESSAGE(bytes.ok(), bytes.status().ToString());
  return hex(*bytes);
}

}  // namespace

TEST_SUITE("stf golden") {
TEST_CASE("scalars") {
  CHECK(enc(snow::Unit{}) == "01 00");
  CHECK(enc(false) == "01 01");
  CHECK(enc(true) == "01 02");
  CHECK(enc(std::int64_t{5}) == "01 03 05");
  CHECK(enc(-1) == "01 03 ff");
  CHECK(enc(300) == "01 04 2c 01");
  CHECK(enc(70000) == "01 05 70 11 01 00");
  CHECK(enc(INT64_MIN) == "01 06 00 00 00 00 00 00 00 80");
  CHECK(enc(std::uint8_t{200}) == "01 04 c8 00");
  CHECK(enc(1.5) == "01 07 00 00 00 00 00 00 f8 3f");
  CHECK(enc(std::string("hi")) == "01 08 02 00 00 00 68 69");
  CHECK(enc(std::string()) == "01 08 00 00 00 00");
  CHECK(enc(snow::Atom("ok")) == "01 09 02 6f 6b");
  CHECK(enc(snow::Pid::make(1, 2, 42)) == "01 0a 2a 00 00 00 00 02 01 00");
  CHECK(enc(snow::Ref::from_raw(0x0102)) == "01 0b 02 01 00 00 00 00 00 00");
}

TEST_CASE("collections") {
  CHECK(enc(std::vector<std::int64_t>{1, 2}) == "01 0c 02 00 00 00 03 01 03 02");
  CHECK(enc(std::vector<int>{}) == "01 0c 00 00 00 00");
  CHECK(enc(std::tuple<int, std::string>{1, "a"}) == "01 0d 02 00 00 00 03 01 08 01 00 00 00 61");
  CHECK(enc(std::map<std::string, int>{{"a", 1}}) == "01 0e 01 00 00 00 08 01 00 00 00 61 03 01");
  CHECK(enc(std::set<int>{3}) == "01 0f 01 00 00 00 03 03");
  CHECK(enc(std::optional<int>()) == "01 12");
  CHECK(enc(std::optional<int>(1)) == "01 13 03 01");
  CHECK(enc(Term::ok(1)) == "01 14 03 01");
  CHECK(enc(Term::err("x")) == "01 15 08 01 00 00 00 78");
}

TEST_CASE("structs and sum types") {
  CHECK(enc(Point{1, 2}) ==
        "01 10 05 50 6f 69 6e 74 02 00 00 00 01 78 03 01 01 79 03 02");  // Point {x: 1, y: 2}
  CHECK(enc(Empty{}) == "01 10 05 45 6d 70 74 79 00 00 00 00");
  CHECK(enc(Shape{Circle{1.5}}) ==
        "01 11 05 53 68 61 70 65 06 43 69 72 63 6c 65 01 00 00 00 01 72 07 00 00 00 00 00 00 f8 3f");
  CHECK(enc(Shape{Dot{}}) == "01 11 05 53 68 61 70 65 03 44 6f 74 00 00 00 00");
}

TEST_CASE("a Term encodes exactly as the typed value it mirrors") {
  CHECK(enc(Term::structure("Point", {{"x", 1}, {"y", 2}})) == enc(Point{1, 2}));
  CHECK(enc(Term::list({1, 2})) == enc(std::vector<int>{1, 2}));
  CHECK(enc(Term::map({{"a", 1}})) == enc(std::map<std::string, int>{{"a", 1}}));
  CHECK(enc(Term(snow::Atom("ok"))) == "01 09 02 6f 6b");
}
}
