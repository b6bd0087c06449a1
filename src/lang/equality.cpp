// src/lang/equality.cpp: structural equality and ordering of Values
// (snow.md#equality-and-ordering), declared in include/snow/lang/ops.hpp. The Int fast
// paths of `==`, `<`... stay inline in the header; these are the general cases.
#include "snow/lang/ops.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

namespace snow::lang {



/// -1, 0 or 1 for an Ordering value (what a user's `compare` returns).
int ordering_sign(const Value& v) {
  if (!(v.kind() == Kind::Variant && v.type_info() == ordering_type)) {
    fail(std::string("`compare` must return an Ordering, found ") + kind_name(v.kind()));
  }
  return v.tag() - 1;  // Less, Equal, Greater
}

bool seq_equal(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi) {
  if (a.size() - ai != b.size() - bi) return false;
  for (; ai < a.size(); ++ai, ++bi) {
    if (!equal(a[ai], b[bi])) return false;
  }
  return true;
}

bool equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) {
    // The null pid compares equal to 0, and pids to the raw ids of snow.md#send-and-self.
    if (a.kind() == Kind::Pid && b.kind() == Kind::Int) return a.raw_bits() == static_cast<std::uint64_t>(b.raw_int());
    if (a.kind() == Kind::Int && b.kind() == Kind::Pid) return equal(b, a);
    if ((a.kind() == Kind::Job || a.kind() == Kind::Pid) && (b.kind() == Kind::Job || b.kind() == Kind::Pid)) {
      return a.as_pid() == b.as_pid();
    }
    fail(std::string("type mismatch: cannot compare ") + kind_name(a.kind()) + " with " + kind_name(b.kind()));
  }
  switch (a.kind()) {
    case Kind::Unit: return true;
    case Kind::Int: return a.raw_int() == b.raw_int();
    case Kind::Float: return a.raw_float() == b.raw_float();
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::Str: return a.as_str() == b.as_str();
    case Kind::Pid: return a.raw_bits() == b.raw_bits();
    case Kind::Job: return a.as_pid() == b.as_pid();
    case Kind::List:
      return seq_equal(a.as<ListObj>().items, static_cast<std::size_t>(a.raw_int()), b.as<ListObj>().items,
                       static_cast<std::size_t>(b.raw_int()));
    case Kind::Tuple: return seq_equal(a.as<TupleObj>().items, 0, b.as<TupleObj>().items, 0);
    case Kind::Variant:
    case Kind::Struct: {
      const Shape x(a), y(b);
      if (x.type() != y.type()) return false;
      if (x.type()->eq_impl) return x.type()->eq_impl(impl_self(), a, b);
      return x.tag() == y.tag() && seq_equal(x.fields(), 0, y.fields(), 0);
    }
    case Kind::Map: {
      const auto& x = a.as<MapObj>().entries;
      const auto& y = b.as<MapObj>().entries;
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        bool found = false;
        for (const auto& [k2, v2] : y) {
          if (equal(k, k2)) { found = equal(v, v2); break; }
        }
        if (!found) return false;
      }
      return true;
    }
    case Kind::Set: {
      auto x = a.as<SetObj>().items, y = b.as<SetObj>().items;
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      return x == y;
    }
    case Kind::Queue: return a.as<QueueObj>().items == b.as<QueueObj>().items;
    case Kind::Range: return a.as<RangeObj>().lo == b.as<RangeObj>().lo && a.as<RangeObj>().hi == b.as<RangeObj>().hi;
    case Kind::Fun: fail("functions cannot be compared");
  }
  return false;
}

int seq_compare(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi) {
  for (; ai < a.size() && bi < b.size(); ++ai, ++bi) {
    if (int c = compare_values(a[ai], b[bi])) return c;
  }
  return cmp3(a.size() - ai, b.size() - bi);
}

int compare_values(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) {
    fail(std::string("type mismatch: cannot order ") + kind_name(a.kind()) + " and " + kind_name(b.kind()));
  }
  switch (a.kind()) {
    case Kind::Unit: return 0;
    case Kind::Int: return cmp3(a.raw_int(), b.raw_int());
    case Kind::Float: return cmp3(a.raw_float(), b.raw_float());
    case Kind::Bool: return cmp3(a.as_bool(), b.as_bool());
    case Kind::Str: {
      // Byte order of UTF-8 is code point order.
      int c = a.as_str().compare(b.as_str());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Pid: return cmp3(a.raw_bits(), b.raw_bits());
    case Kind::List:
      return seq_compare(a.as<ListObj>().items, static_cast<std::size_t>(a.raw_int()), b.as<ListObj>().items,
                         static_cast<std::size_t>(b.raw_int()));
    case Kind::Tuple: return seq_compare(a.as<TupleObj>().items, 0, b.as<TupleObj>().items, 0);
    case Kind::Variant:
    case Kind::Struct: {
      const Shape x(a), y(b);
      if (x.type() == y.type() && x.type()->compare_impl) return x.type()->compare_impl(impl_self(), a, b);
      if (x.tag() != y.tag()) return cmp3(x.tag(), y.tag());
      return seq_compare(x.fields(), 0, y.fields(), 0);
    }
    default: fail(std::string("type lacks Ord: ") + kind_name(a.kind()));
  }
}


Value compare(const Value& a, const Value& b) {
  return Value::variant(ordering_type, compare_values(a, b) + 1);
}
}  // namespace snow::lang
