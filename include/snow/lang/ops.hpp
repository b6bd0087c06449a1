// snow/lang/ops.hpp: what Snow's operators and display forms mean on Values (snow.md#precedence, snow.md#arithmetic,
// snow.md#equality-and-ordering, snow.md#display-forms): wrapping Int arithmetic, division by zero as a runtime error, structural
// equality and ordering, and the display form used by interpolation and to_string.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "snow/lang/value.hpp"

namespace snow::lang {

// ---- display (snow.md#display-forms) ----

/// Shortest digits that read back as the same double, written without an exponent;
/// integral values print without a fractional part.
inline std::string format_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  std::string sign;
  if (s[0] == '-') { sign = "-"; s.erase(0, 1); }
  const auto e = s.find('e');
  const int exp = std::stoi(s.substr(e + 1));
  std::string digits = s.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  const int point = 1 + exp;                   // digits before the decimal point
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(point)) + "." + digits.substr(static_cast<std::size_t>(point));
  }
  return sign + out;
}

std::string display(Self self, const Value& v);
std::string debug(Self self, const Value& v);

inline void display_seq(Self self, std::string& out, std::span<const Value> items, std::size_t from, bool dbg) {
  for (std::size_t i = from; i < items.size(); ++i) {
    if (i > from) out += ", ";
    out += dbg ? debug(self, items[i]) : display(self, items[i]);
  }
}

inline std::string show(Self self, const Value& v, bool dbg) {
  switch (v.kind()) {
    case Kind::Unit: return "()";
    case Kind::Int: return std::to_string(v.raw_int());
    case Kind::Float: return format_float(v.raw_float());
    case Kind::Bool: return v.as_bool() ? "true" : "false";
    case Kind::Str: return dbg ? "\"" + v.as_str() + "\"" : v.as_str();
    case Kind::List: {
      std::string out = "[";
      display_seq(self, out, v.as<ListObj>().items, static_cast<std::size_t>(v.raw_int()), dbg);
      return out + "]";
    }
    case Kind::Tuple: {
      std::string out = "(";
      display_seq(self, out, v.as<TupleObj>().items, 0, dbg);
      return out + ")";
    }
    case Kind::Map: {
      std::string out = "%{";
      bool first = true;
      for (const auto& [k, x] : v.as<MapObj>().entries) {
        if (!first) out += ", ";
        first = false;
        out += show(self, k, dbg) + " => " + show(self, x, dbg);
      }
      return out + "}";
    }
    case Kind::Set:
    case Kind::Queue: {
      const auto& items = v.kind() == Kind::Set ? v.as<SetObj>().items : v.as<QueueObj>().items;
      std::string out = v.kind() == Kind::Set ? "#{" : "Queue(";
      for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + std::to_string(items[i]);
      return out + (v.kind() == Kind::Set ? "}" : ")");
    }
    case Kind::Range: return std::to_string(v.as<RangeObj>().lo) + ".." + std::to_string(v.as<RangeObj>().hi);
    case Kind::Variant: {
      const Shape o(v);
      if (!dbg && o.type()->display_impl) return o.type()->display_impl(self, v);
      if (dbg && o.type()->debug_impl) return o.type()->debug_impl(self, v);
      std::string out = o.type()->names[static_cast<std::size_t>(o.tag())];
      if (o.fields().empty()) return out;
      out += "(";
      display_seq(self, out, o.fields(), 0, dbg);
      return out + ")";
    }
    case Kind::Struct: {
      const Shape o(v);
      const TypeInfo* type = o.type();
      if (!dbg && type->display_impl) return type->display_impl(self, v);
      if (type->debug_impl && (dbg || !type->display)) return type->debug_impl(self, v);
      if (!dbg && type->display) {
        std::string out = type->shown_name() + "(";
        display_seq(self, out, o.fields(), 0, false);
        return out + ")";
      }
      std::string out = type->shown_name() + " {";
      for (std::size_t i = 0; i < o.fields().size(); ++i) {
        out += (i ? ", " : " ") + type->names[i] + ": " + debug(self, o.fields()[i]);
      }
      return out + (o.fields().empty() ? "}" : " }");
    }
    case Kind::Fun: return "<fn " + v.as<FunObj>().name + ">";
    case Kind::Pid:
    case Kind::Job: return v.as_pid().to_string();
  }
  return "?";
}

inline std::string display(Self self, const Value& v) {
  // A sum type or struct without Display shows its debug form (snow.md#deriving).
  return show(self, v, false);
}
inline std::string debug(Self self, const Value& v) { return show(self, v, true); }

// ---- equality and ordering (snow.md#equality-and-ordering) ----

inline bool equal(const Value& a, const Value& b);
inline int compare_values(const Value& a, const Value& b);

/// The Self a user's `impl Eq` / `impl Ord` runs with: the process whose turn this is
/// (equality is reached from builtins that are handed no Self).
inline Self impl_self() { return Self(snow::detail::running_process()); }

/// -1, 0 or 1 for an Ordering value (what a user's `compare` returns).
inline int ordering_sign(const Value& v) {
  if (!(v.kind() == Kind::Variant && v.type_info() == ordering_type)) {
    fail(std::string("`compare` must return an Ordering, found ") + kind_name(v.kind()));
  }
  return v.tag() - 1;  // Less, Equal, Greater
}

inline bool seq_equal(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi) {
  if (a.size() - ai != b.size() - bi) return false;
  for (; ai < a.size(); ++ai, ++bi) {
    if (!equal(a[ai], b[bi])) return false;
  }
  return true;
}

inline bool equal(const Value& a, const Value& b) {
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

template <class T>
int cmp3(const T& a, const T& b) { return a < b ? -1 : (b < a ? 1 : 0); }

inline int seq_compare(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi) {
  for (; ai < a.size() && bi < b.size(); ++ai, ++bi) {
    if (int c = compare_values(a[ai], b[bi])) return c;
  }
  return cmp3(a.size() - ai, b.size() - bi);
}

inline int compare_values(const Value& a, const Value& b) {
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

// Comparisons of two Ints, the common case in loops and guards, skip the general
// functions (which are not inlined).
inline bool both_int(const Value& a, const Value& b) { return a.kind() == Kind::Int && b.kind() == Kind::Int; }
inline Value eq(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() == b.raw_int() : equal(a, b)); }
inline Value ne(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() != b.raw_int() : !equal(a, b)); }
inline Value lt(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() < b.raw_int() : compare_values(a, b) < 0); }
inline Value le(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() <= b.raw_int() : compare_values(a, b) <= 0); }
inline Value gt(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() > b.raw_int() : compare_values(a, b) > 0); }
inline Value ge(const Value& a, const Value& b) { return B(both_int(a, b) ? a.raw_int() >= b.raw_int() : compare_values(a, b) >= 0); }
inline Value compare(const Value& a, const Value& b) {
  return Value::variant(ordering_type, compare_values(a, b) + 1);
}

/// A condition: Snow has no truthiness (snow.md#truthiness).
inline bool truth(const Value& v) { return v.as_bool(); }

// ---- arithmetic (snow.md#arithmetic) ----

inline void same_numeric(const Value& a, const Value& b, const char* op) {
  if (a.kind() != b.kind() || (a.kind() != Kind::Int && a.kind() != Kind::Float)) {
    fail(std::string("type mismatch: `") + op + "` needs two Ints or two Floats, found " + kind_name(a.kind()) +
         " and " + kind_name(b.kind()));
  }
}
inline std::int64_t wrap(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// `+ - *` on two Ints (counters, loop indices) inline into the generated code; Floats and
// type errors take the general function, out of line. Int arithmetic wraps (snow.md#arithmetic).
template <class IntOp, class FloatOp>
[[gnu::noinline]] Value arith_general(const Value& a, const Value& b, const char* op, IntOp on_ints, FloatOp on_floats) {
  same_numeric(a, b, op);
  if (a.kind() == Kind::Int) return I(wrap(on_ints(static_cast<std::uint64_t>(a.raw_int()), static_cast<std::uint64_t>(b.raw_int()))));
  return F(on_floats(a.raw_float(), b.raw_float()));
}
template <class IntOp, class FloatOp>
[[gnu::always_inline]] inline Value arith(const Value& a, const Value& b, const char* op, IntOp on_ints, FloatOp on_floats) {
  if (both_int(a, b)) return I(wrap(on_ints(static_cast<std::uint64_t>(a.raw_int()), static_cast<std::uint64_t>(b.raw_int()))));
  return arith_general(a, b, op, on_ints, on_floats);
}
inline Value add(const Value& a, const Value& b) { return arith(a, b, "+", std::plus<std::uint64_t>(), std::plus<double>()); }
inline Value sub(const Value& a, const Value& b) { return arith(a, b, "-", std::minus<std::uint64_t>(), std::minus<double>()); }
inline Value mul(const Value& a, const Value& b) {
  return arith(a, b, "*", std::multiplies<std::uint64_t>(), std::multiplies<double>());
}
inline Value div(const Value& a, const Value& b) {
  same_numeric(a, b, "/");
  if (a.kind() == Kind::Int) {
    if (b.raw_int() == 0) fail("integer division by zero");
    if (b.raw_int() == -1) return I(wrap(0 - static_cast<std::uint64_t>(a.raw_int())));
    return I(a.raw_int() / b.raw_int());
  }
  return F(a.raw_float() / b.raw_float());
}
inline Value rem(const Value& a, const Value& b) {
  same_numeric(a, b, "%");
  if (a.kind() == Kind::Int) {
    if (b.raw_int() == 0) fail("integer remainder by zero");
    if (b.raw_int() == -1) return I(0);
    return I(a.raw_int() % b.raw_int());
  }
  return F(std::fmod(a.raw_float(), b.raw_float()));
}
inline Value neg(const Value& a) {
  if (a.kind() == Kind::Float) return F(-a.raw_float());
  return I(wrap(0 - static_cast<std::uint64_t>(a.as_int())));
}
inline Value not_(const Value& a) { return B(!a.as_bool()); }

/// `<>`: string concatenation.
inline Value concat(const Value& a, const Value& b) { return S(a.as_str() + b.as_str()); }
/// `++`: list concatenation (also accepted on strings).
inline Value append(const Value& a, const Value& b) {
  if (a.kind() == Kind::Str) return concat(a, b);
  std::vector<Value> out = list_items(a);
  b.expect(Kind::List);
  for (std::size_t i = 0; i < list_len(b); ++i) out.push_back(list_at(b, i));
  return list(std::move(out));
}
/// `a..b`: a half-open range.
inline Value range(const Value& a, const Value& b) {
  return Value::of_obj(Kind::Range, std::make_unique<RangeObj>(a.as_int(), b.as_int()));
}

}  // namespace snow::lang
