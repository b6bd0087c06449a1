// src/lang/arithmetic.cpp: the out-of-line operators of include/snow/lang/ops.hpp
// (snow.md#arithmetic): type checks, division and remainder, list concatenation, ranges.
// `+ - *` on two Ints stay inline in the header.
#include "snow/lang/ops.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include <span>
#include <string>

namespace snow::lang {

void same_numeric(const Value& a, const Value& b, const char* op) {
  if (a.kind() != b.kind() || (a.kind() != Kind::Int && a.kind() != Kind::Float)) {
    fail(std::string("type mismatch: `") + op + "` needs two Ints or two Floats, found " + kind_name(a.kind()) +
         " and " + kind_name(b.kind()));
  }
}

Value div(const Value& a, const Value& b) {
  same_numeric(a, b, "/");
  if (a.kind() == Kind::Int) {
    if (b.raw_int() == 0) fail("integer division by zero");
    if (b.raw_int() == -1) return I(wrap(0 - static_cast<std::uint64_t>(a.raw_int())));
    return I(a.raw_int() / b.raw_int());
  }
  return F(a.raw_float() / b.raw_float());
}
Value rem(const Value& a, const Value& b) {
  same_numeric(a, b, "%");
  if (a.kind() == Kind::Int) {
    if (b.raw_int() == 0) fail("integer remainder by zero");
    if (b.raw_int() == -1) return I(0);
    return I(a.raw_int() % b.raw_int());
  }
  return F(std::fmod(a.raw_float(), b.raw_float()));
}

Value append(const Value& a, const Value& b) {
  if (a.kind() == Kind::Str) return concat(a, b);
  std::vector<Value> out = list_items(a);
  b.expect(Kind::List);
  for (std::size_t i = 0; i < list_len(b); ++i) out.push_back(list_at(b, i));
  return list(std::move(out));
}
Value range(const Value& a, const Value& b) {
  return Value::of_obj(Kind::Range, std::make_unique<RangeObj>(a.as_int(), b.as_int()));
}

template Value arith_general(const Value&, const Value&, const char*, std::plus<std::uint64_t>, std::plus<double>);
template Value arith_general(const Value&, const Value&, const char*, std::minus<std::uint64_t>, std::minus<double>);
template Value arith_general(const Value&, const Value&, const char*, std::multiplies<std::uint64_t>,
                             std::multiplies<double>);

}  // namespace snow::lang
