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
std::string format_float(double d);

/// The display form of `v` (interpolation, to_string; a user `impl Display` when there is one).
std::string display(Self self, const Value& v);
/// The debug form of `v` (inspect, `{:?}`; a user `impl Debug` when there is one).
std::string debug(Self self, const Value& v);
/// `items[from..]`, each shown as display or debug, separated by ", ", appended to `out`.
void display_seq(Self self, std::string& out, std::span<const Value> items, std::size_t from, bool dbg);
/// The display (`dbg` false) or debug form of `v`.
std::string show(Self self, const Value& v, bool dbg);

// ---- equality and ordering (snow.md#equality-and-ordering) ----

/// Structural equality (snow.md#equality-and-ordering); a user `impl Eq` decides for its type.
bool equal(const Value& a, const Value& b);
/// Structural order: negative, zero or positive; a user `impl Ord` decides for its type.
int compare_values(const Value& a, const Value& b);

/// The Self a user's `impl Eq` / `impl Ord` runs with: the process whose turn this is
/// (equality is reached from builtins that are handed no Self).
inline Self impl_self() { return Self(snow::detail::running_process()); }

/// -1, 0 or 1 for an Ordering value (what a user's `compare` returns).
int ordering_sign(const Value& v);

/// Whether a[ai..] and b[bi..] are equal element by element.
bool seq_equal(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi);

template <class T>
int cmp3(const T& a, const T& b) { return a < b ? -1 : (b < a ? 1 : 0); }

/// The lexicographic order of a[ai..] and b[bi..].
int seq_compare(std::span<const Value> a, std::size_t ai, std::span<const Value> b, std::size_t bi);

// Comparisons of two Ints, the common case in loops and guards, skip the general
// functions (which are not inlined).
inline bool both_int(const Value& a, const Value& b) { return a.kind() == Kind::Int && b.kind() == Kind::Int; }
// The `_b` forms give the C++ bool, for a comparison used as a condition (the emitter's
// `condition`): no Bool Value made and then tested.
inline bool eq_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() == b.raw_int() : equal(a, b); }
inline bool ne_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() != b.raw_int() : !equal(a, b); }
inline bool lt_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() < b.raw_int() : compare_values(a, b) < 0; }
inline bool le_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() <= b.raw_int() : compare_values(a, b) <= 0; }
inline bool gt_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() > b.raw_int() : compare_values(a, b) > 0; }
inline bool ge_b(const Value& a, const Value& b) { return both_int(a, b) ? a.raw_int() >= b.raw_int() : compare_values(a, b) >= 0; }
// An Int literal on the right (`n == 0`, `i < 10`): a C++ integer, no Value made for it.
inline bool eq_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() == b : equal(a, I(b)); }
inline bool ne_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() != b : !equal(a, I(b)); }
inline bool lt_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() < b : compare_values(a, I(b)) < 0; }
inline bool le_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() <= b : compare_values(a, I(b)) <= 0; }
inline bool gt_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() > b : compare_values(a, I(b)) > 0; }
inline bool ge_b(const Value& a, std::int64_t b) { return a.kind() == Kind::Int ? a.raw_int() >= b : compare_values(a, I(b)) >= 0; }
inline Value eq(const Value& a, std::int64_t b) { return B(eq_b(a, b)); }
inline Value ne(const Value& a, std::int64_t b) { return B(ne_b(a, b)); }
inline Value lt(const Value& a, std::int64_t b) { return B(lt_b(a, b)); }
inline Value le(const Value& a, std::int64_t b) { return B(le_b(a, b)); }
inline Value gt(const Value& a, std::int64_t b) { return B(gt_b(a, b)); }
inline Value ge(const Value& a, std::int64_t b) { return B(ge_b(a, b)); }
inline Value eq(const Value& a, const Value& b) { return B(eq_b(a, b)); }
inline Value ne(const Value& a, const Value& b) { return B(ne_b(a, b)); }
inline Value lt(const Value& a, const Value& b) { return B(lt_b(a, b)); }
inline Value le(const Value& a, const Value& b) { return B(le_b(a, b)); }
inline Value gt(const Value& a, const Value& b) { return B(gt_b(a, b)); }
inline Value ge(const Value& a, const Value& b) { return B(ge_b(a, b)); }
Value compare(const Value& a, const Value& b);

/// A condition: Snow has no truthiness (snow.md#truthiness).
inline bool truth(const Value& v) { return v.as_bool(); }

// ---- arithmetic (snow.md#arithmetic) ----

/// A runtime error unless `a` and `b` are two Ints or two Floats (`op` names the operator).
void same_numeric(const Value& a, const Value& b, const char* op);
inline std::int64_t wrap(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// `+ - *` on two Ints (counters, loop indices) inline into the generated code; Floats and
// type errors take the general function, out of line. Int arithmetic wraps (snow.md#arithmetic).
template <class IntOp, class FloatOp>
[[gnu::noinline]] Value arith_general(const Value& a, const Value& b, const char* op, IntOp on_ints, FloatOp on_floats) {
  same_numeric(a, b, op);
  if (a.kind() == Kind::Int) return I(wrap(on_ints(static_cast<std::uint64_t>(a.raw_int()), static_cast<std::uint64_t>(b.raw_int()))));
  return F(on_floats(a.raw_float(), b.raw_float()));
}
// The general paths of `+ - *` are compiled once, in libsnow_lang (src/lang/arithmetic.cpp).
extern template Value arith_general(const Value&, const Value&, const char*, std::plus<std::uint64_t>, std::plus<double>);
extern template Value arith_general(const Value&, const Value&, const char*, std::minus<std::uint64_t>, std::minus<double>);
extern template Value arith_general(const Value&, const Value&, const char*, std::multiplies<std::uint64_t>,
                                   std::multiplies<double>);
template <class IntOp, class FloatOp>
[[gnu::always_inline]] inline Value arith(const Value& a, const Value& b, const char* op, IntOp on_ints, FloatOp on_floats) {
  if (both_int(a, b)) return I(wrap(on_ints(static_cast<std::uint64_t>(a.raw_int()), static_cast<std::uint64_t>(b.raw_int()))));
  return arith_general(a, b, op, on_ints, on_floats);
}
inline Value add(const Value& a, const Value& b) { return arith(a, b, "+", std::plus<std::uint64_t>(), std::plus<double>()); }
// An Int literal on the right (`i + 1`): a C++ integer, no Value made for it.
template <class IntOp, class FloatOp>
[[gnu::always_inline]] inline Value arith(const Value& a, std::int64_t b, const char* op, IntOp on_ints, FloatOp on_floats) {
  if (a.kind() == Kind::Int) return I(wrap(on_ints(static_cast<std::uint64_t>(a.raw_int()), static_cast<std::uint64_t>(b))));
  return arith_general(a, I(b), op, on_ints, on_floats);
}
inline Value add(const Value& a, std::int64_t b) { return arith(a, b, "+", std::plus<std::uint64_t>(), std::plus<double>()); }
inline Value sub(const Value& a, std::int64_t b) { return arith(a, b, "-", std::minus<std::uint64_t>(), std::minus<double>()); }
inline Value mul(const Value& a, std::int64_t b) {
  return arith(a, b, "*", std::multiplies<std::uint64_t>(), std::multiplies<double>());
}
inline Value sub(const Value& a, const Value& b) { return arith(a, b, "-", std::minus<std::uint64_t>(), std::minus<double>()); }
inline Value mul(const Value& a, const Value& b) {
  return arith(a, b, "*", std::multiplies<std::uint64_t>(), std::multiplies<double>());
}
/// `/`: Int division truncates; division by zero is a runtime error.
Value div(const Value& a, const Value& b);
/// `%`: the remainder of `/`.
Value rem(const Value& a, const Value& b);
inline Value neg(const Value& a) {
  if (a.kind() == Kind::Float) return F(-a.raw_float());
  return I(wrap(0 - static_cast<std::uint64_t>(a.as_int())));
}
inline Value not_(const Value& a) { return B(!a.as_bool()); }

/// `<>`: string concatenation.
inline Value concat(const Value& a, const Value& b) { return S(a.as_str() + b.as_str()); }
/// `++`: list concatenation (also accepted on strings).
Value append(const Value& a, const Value& b);
/// `a..b`: a half-open range.
Value range(const Value& a, const Value& b);

}  // namespace snow::lang
