// snow/lang/builtins.hpp: Snow's standard library (snow.md#standard-library) on Values.
//
// One C++ function per Snow function, named Module_function (String_length for
// String.length). Functions that take a Snow function value are coroutines, because the
// function they call may wait. snowc's emitter has the matching table (dsl/stdlib.cc);
// `method()` at the end serves method syntax (`s.length()`, `xs.reverse()`), which
// snowc cannot resolve without types.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "snow/lang/ops.hpp"
#include "snow/lang/process.hpp"
#include "snow/lang/value.hpp"

namespace snow::lang {

// ---- prelude and IO ----

Value println(Self, const Value& s);
Value print(Self, const Value& s);
Value IO_eprintln(Self, const Value& s);
Value IO_read_line(Self);
Value Env_get(const Value& name);
Value File_read(const Value& path);
Value file_put(const Value& path, const Value& text, std::ios::openmode mode);
Value File_write(const Value& p, const Value& t);
Value File_append(const Value& p, const Value& t);
Value File_exists(const Value& p);
Value File_delete(const Value& p);

// ---- String (positions count code points) ----

std::vector<std::size_t> code_point_starts(const std::string& s);
Value String_length(const Value& s);
Value String_slice(const Value& s, const Value& a, const Value& b);
Value String_contains(const Value& s, const Value& t);
Value String_starts_with(const Value& s, const Value& t);
Value String_ends_with(const Value& s, const Value& t);
Value String_trim(const Value& s);
Value String_to_upper(const Value& s);
Value String_to_lower(const Value& s);
Value String_replace(const Value& s, const Value& from, const Value& to);
Value String_split(const Value& s, const Value& sep);
Value String_join(const Value& xs, const Value& sep);
Value String_to_int(const Value& s);
Value String_to_float(const Value& s);

// ---- List ----

Value List_new();
Value List_length(const Value& xs);
Value List_append(const Value& xs, Value x);
Value List_head(const Value& xs);
Value List_tail(const Value& xs);
Value List_last(const Value& xs);
Value List_get(const Value& xs, const Value& i);
Value List_concat(const Value& a, const Value& b);
Value List_reverse(const Value& xs);
Value List_contains(const Value& xs, const Value& x);
Value List_zip(const Value& a, const Value& b);
Value List_flatten(const Value& xss);
Value List_enumerate(const Value& xs);
Value List_take(const Value& xs, const Value& n);
Value List_drop(const Value& xs, const Value& n);
Co<Value> List_map(Self self, Value xs, Value f);
Co<Value> List_filter(Self self, Value xs, Value f);
Co<Value> List_reduce(Self self, Value xs, Value acc, Value f);
Co<Value> List_find(Self self, Value xs, Value f);
Co<Value> List_any(Self self, Value xs, Value f);
Co<Value> List_all(Self self, Value xs, Value f);
Co<Value> List_flat_map(Self self, Value xs, Value f);
/// Stable merge sort; the comparator is a Snow function, so every comparison may wait.
Co<Value> List_sort(Self self, Value xs, Value f);

// ---- Map (keys Int or String; insertion order) ----

const MapObj& map_of(const Value& m);
Value map_from(std::vector<std::pair<Value, Value>> entries);
Value Map_new();
Value Map_put(const Value& m, Value k, Value v);
/// `%{k => v, ...}`: later keys win, keeping the first position.
Value map_literal(std::vector<std::pair<Value, Value>> entries);
Value Map_get(const Value& m, const Value& k);
Value Map_has_key(const Value& m, const Value& k);
Value Map_delete(const Value& m, const Value& k);
Value Map_size(const Value& m);
Value Map_keys(const Value& m);
Value Map_values(const Value& m);
Value Map_merge(const Value& a, const Value& b);
Value Map_to_list(const Value& m);
Value Map_from_list(const Value& xs);

// ---- Set and Queue (Int only) ----

Value set_from(std::vector<std::int64_t> items);
const std::vector<std::int64_t>& set_items(const Value& s);
bool set_has(const std::vector<std::int64_t>& items, std::int64_t x);
Value Set_new();
Value Set_add(const Value& s, const Value& x);
Value Set_remove(const Value& s, const Value& x);
Value Set_contains(const Value& s, const Value& x);
Value Set_size(const Value& s);
Value Set_union(const Value& a, const Value& b);
Value Set_intersection(const Value& a, const Value& b);
Value Set_difference(const Value& a, const Value& b);
Value Set_to_list(const Value& s);
Value Set_from_list(const Value& xs);

Value queue_from(std::vector<std::int64_t> items);
const std::vector<std::int64_t>& queue_items(const Value& q);
Value Queue_new();
Value Queue_push(const Value& q, const Value& x);
Value Queue_peek(const Value& q);
Value Queue_pop(const Value& q);
Value Queue_size(const Value& q);
Value Queue_is_empty(const Value& q);

// ---- Range, Tuple ----

const RangeObj& range_of(const Value& r);
Value Range_new(const Value& a, const Value& b);
Value Range_to_list(const Value& r);
Value Range_length(const Value& r);
Co<Value> Range_map(Self self, Value r, Value f);
Co<Value> Range_filter(Self self, Value r, Value f);

const std::vector<Value>& tuple_items(const Value& t);
Value Tuple_first(const Value& t);
Value Tuple_second(const Value& t);
Value Tuple_nth(const Value& t, const Value& i);
Value Tuple_size(const Value& t);

// ---- Math, Int, Float ----

Value Math_abs(const Value& x);
Value Math_min(const Value& a, const Value& b);
Value Math_max(const Value& a, const Value& b);
Value Math_pow(const Value& a, const Value& b);
Value Math_sqrt(const Value& a);
Value Math_floor(const Value& a);
Value Math_ceil(const Value& a);
Value Math_round(const Value& a);
Value Int_to_float(const Value& a);
Value Float_to_int(const Value& a);

// ---- iteration for `for` (snow.md#loops) ----

/// Walks a range, list, set or map (maps yield (key, value) tuples) without copying.
class Iter {
 public:
  // Out of line (src/lang/builtins.cpp): each is one call per loop iteration either way,
  // as neither was inlined into the loops that use them.
  explicit Iter(Value v);
  bool next(Value& out);

 private:
  Value v_;
  std::int64_t i_ = 0, end_ = 0;
};

// ---- method syntax on standard types (snow.md#calls-pipes-and-methods rule 3) ----

Co<Value> method(Self self, std::string name, Value recv, Args args);

}  // namespace snow::lang
