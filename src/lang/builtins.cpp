// src/lang/builtins.cpp: Snow's standard library (snow.md#standard-library) on Values,
// one C++ function per Snow function as declared in include/snow/lang/builtins.hpp.
// Compiled once into libsnow_lang instead of into every generated program.
#include "snow/lang/builtins.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace snow::lang {

Value println(Self, const Value& s) {
  std::string line = s.as_str();
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);  // one call: the line is atomic
  return unit();
}

Value print(Self, const Value& s) {
  std::fwrite(s.as_str().data(), 1, s.as_str().size(), stdout);
  return unit();
}

Value IO_eprintln(Self, const Value& s) {
  std::fflush(stdout);
  std::string line = s.as_str() + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  return unit();
}

Value IO_read_line(Self) {
  std::string line;
  if (!std::getline(std::cin, line)) return Err(S("end of input"));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return Ok(S(std::move(line)));
}

Value Env_get(const Value& name) {
  const char* v = std::getenv(name.as_str().c_str());
  return v ? Some(S(v)) : None();
}

Value File_read(const Value& path) {
  std::ifstream in(path.as_str(), std::ios::binary);
  if (!in) return Err(S("cannot read " + path.as_str()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return Ok(S(ss.str()));
}

Value file_put(const Value& path, const Value& text, std::ios::openmode mode) {
  std::ofstream out(path.as_str(), std::ios::binary | mode);
  if (!out) return Err(S("cannot write " + path.as_str()));
  out << text.as_str();
  return out ? Ok(unit()) : Err(S("cannot write " + path.as_str()));
}

Value File_write(const Value& p, const Value& t) { return file_put(p, t, std::ios::trunc); }

Value File_append(const Value& p, const Value& t) { return file_put(p, t, std::ios::app); }

Value File_exists(const Value& p) { return B(static_cast<bool>(std::ifstream(p.as_str()))); }

Value File_delete(const Value& p) {
  return std::remove(p.as_str().c_str()) == 0 ? Ok(unit()) : Err(S("cannot delete " + p.as_str()));
}

std::vector<std::size_t> code_point_starts(const std::string& s) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  return starts;
}

Value String_length(const Value& s) { return I(static_cast<std::int64_t>(code_point_starts(s.as_str()).size())); }

Value String_slice(const Value& s, const Value& a, const Value& b) {
  const std::string& str = s.as_str();
  auto starts = code_point_starts(str);
  const auto n = static_cast<std::int64_t>(starts.size());
  const std::int64_t lo = std::clamp<std::int64_t>(a.as_int(), 0, n);
  const std::int64_t hi = std::clamp<std::int64_t>(b.as_int(), 0, n);
  if (hi <= lo) return S("");
  const std::size_t from = starts[static_cast<std::size_t>(lo)];
  const std::size_t to = hi == n ? str.size() : starts[static_cast<std::size_t>(hi)];
  return S(str.substr(from, to - from));
}

Value String_contains(const Value& s, const Value& t) { return B(s.as_str().find(t.as_str()) != std::string::npos); }

Value String_starts_with(const Value& s, const Value& t) { return B(s.as_str().starts_with(t.as_str())); }

Value String_ends_with(const Value& s, const Value& t) { return B(s.as_str().ends_with(t.as_str())); }

Value String_trim(const Value& s) {
  const std::string& str = s.as_str();
  const auto first = str.find_first_not_of(" \t\r\n\v\f");
  if (first == std::string::npos) return S("");
  const auto last = str.find_last_not_of(" \t\r\n\v\f");
  return S(str.substr(first, last - first + 1));
}

Value String_to_upper(const Value& s) {
  std::string r = s.as_str();
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return S(r);
}

Value String_to_lower(const Value& s) {
  std::string r = s.as_str();
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return S(r);
}

Value String_replace(const Value& s, const Value& from, const Value& to) {
  const std::string& str = s.as_str();
  const std::string& f = from.as_str();
  if (f.empty()) return s;
  std::string out;
  std::size_t pos = 0;
  for (std::size_t hit; (hit = str.find(f, pos)) != std::string::npos; pos = hit + f.size()) {
    out += str.substr(pos, hit - pos);
    out += to.as_str();
  }
  return S(out + str.substr(pos));
}

Value String_split(const Value& s, const Value& sep) {
  const std::string& str = s.as_str();
  const std::string& d = sep.as_str();
  std::vector<Value> parts;
  if (d.empty()) {
    auto starts = code_point_starts(str);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::size_t end = i + 1 < starts.size() ? starts[i + 1] : str.size();
      parts.push_back(S(str.substr(starts[i], end - starts[i])));
    }
    return list(std::move(parts));
  }
  std::size_t pos = 0;
  for (std::size_t hit; (hit = str.find(d, pos)) != std::string::npos; pos = hit + d.size()) {
    parts.push_back(S(str.substr(pos, hit - pos)));
  }
  parts.push_back(S(str.substr(pos)));
  return list(std::move(parts));
}

Value String_join(const Value& xs, const Value& sep) {
  std::string out;
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (i) out += sep.as_str();
    out += list_at(xs, i).as_str();
  }
  return S(out);
}

Value String_to_int(const Value& s) {
  const std::string& str = s.as_str();
  std::size_t i = (!str.empty() && (str[0] == '-' || str[0] == '+')) ? 1 : 0;
  if (i == str.size()) return None();
  for (std::size_t j = i; j < str.size(); ++j) {
    if (str[j] < '0' || str[j] > '9') return None();
  }
  std::int64_t v = 0;
  auto res = std::from_chars(str.data() + (str[0] == '+' ? 1 : 0), str.data() + str.size(), v);
  if (res.ec != std::errc()) return None();
  return Some(I(v));
}

Value String_to_float(const Value& s) {
  const std::string& str = s.as_str();
  if (str.empty() || std::isspace(static_cast<unsigned char>(str[0]))) return None();
  double v = 0;
  auto res = std::from_chars(str.data() + (str[0] == '+' ? 1 : 0), str.data() + str.size(), v);
  if (res.ec != std::errc() || res.ptr != str.data() + str.size()) return None();
  return Some(F(v));
}

Value List_new() { return list({}); }

Value List_length(const Value& xs) { return I(static_cast<std::int64_t>(list_len(xs))); }

Value List_append(const Value& xs, Value x) {
  auto items = list_items(xs);
  items.push_back(std::move(x));
  return list(std::move(items));
}

Value List_head(const Value& xs) {
  if (list_len(xs) == 0) fail("List.head of an empty list");
  return list_at(xs, 0);
}

Value List_tail(const Value& xs) {
  if (list_len(xs) == 0) fail("List.tail of an empty list");
  return list_tail(xs);
}

Value List_last(const Value& xs) {
  if (list_len(xs) == 0) fail("List.last of an empty list");
  return list_at(xs, list_len(xs) - 1);
}

Value List_get(const Value& xs, const Value& i) {
  const std::int64_t n = i.as_int();
  if (n < 0 || static_cast<std::size_t>(n) >= list_len(xs)) {
    fail("List.get index " + std::to_string(n) + " out of range (length " + std::to_string(list_len(xs)) + ")");
  }
  return list_at(xs, static_cast<std::size_t>(n));
}

Value List_concat(const Value& a, const Value& b) { return append(a, b); }

Value List_reverse(const Value& xs) {
  auto items = list_items(xs);
  std::reverse(items.begin(), items.end());
  return list(std::move(items));
}

Value List_contains(const Value& xs, const Value& x) {
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (equal(list_at(xs, i), x)) return B(true);
  }
  return B(false);
}

Value List_zip(const Value& a, const Value& b) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < std::min(list_len(a), list_len(b)); ++i) out.push_back(tuple({list_at(a, i), list_at(b, i)}));
  return list(std::move(out));
}

Value List_flatten(const Value& xss) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < list_len(xss); ++i) {
    for (const Value& x : list_items(list_at(xss, i))) out.push_back(x);
  }
  return list(std::move(out));
}

Value List_enumerate(const Value& xs) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < list_len(xs); ++i) out.push_back(tuple({I(static_cast<std::int64_t>(i)), list_at(xs, i)}));
  return list(std::move(out));
}

Value List_take(const Value& xs, const Value& n) {
  auto items = list_items(xs);
  items.resize(static_cast<std::size_t>(std::clamp<std::int64_t>(n.as_int(), 0, static_cast<std::int64_t>(items.size()))));
  return list(std::move(items));
}

Value List_drop(const Value& xs, const Value& n) {
  const auto k = static_cast<std::size_t>(std::clamp<std::int64_t>(n.as_int(), 0, static_cast<std::int64_t>(list_len(xs))));
  return xs.with_extra(xs.raw_int() + static_cast<std::int64_t>(k));
}

Co<Value> List_map(Self self, Value xs, Value f) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < list_len(xs); ++i) out.push_back(co_await call(self, f, args(list_at(xs, i))));
  co_return list(std::move(out));
}

Co<Value> List_filter(Self self, Value xs, Value f) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (truth(co_await call(self, f, args(list_at(xs, i))))) out.push_back(list_at(xs, i));
  }
  co_return list(std::move(out));
}

Co<Value> List_reduce(Self self, Value xs, Value acc, Value f) {
  for (std::size_t i = 0; i < list_len(xs); ++i) acc = co_await call(self, f, args(acc, list_at(xs, i)));
  co_return acc;
}

Co<Value> List_find(Self self, Value xs, Value f) {
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (truth(co_await call(self, f, args(list_at(xs, i))))) co_return Some(list_at(xs, i));
  }
  co_return None();
}

Co<Value> List_any(Self self, Value xs, Value f) {
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (truth(co_await call(self, f, args(list_at(xs, i))))) co_return B(true);
  }
  co_return B(false);
}

Co<Value> List_all(Self self, Value xs, Value f) {
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    if (!truth(co_await call(self, f, args(list_at(xs, i))))) co_return B(false);
  }
  co_return B(true);
}

Co<Value> List_flat_map(Self self, Value xs, Value f) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < list_len(xs); ++i) {
    for (const Value& y : list_items(co_await call(self, f, args(list_at(xs, i))))) out.push_back(y);
  }
  co_return list(std::move(out));
}

Co<Value> List_sort(Self self, Value xs, Value f) {
  std::vector<Value> a = list_items(xs);
  std::vector<Value> tmp(a.size());
  for (std::size_t width = 1; width < a.size(); width *= 2) {
    for (std::size_t lo = 0; lo < a.size(); lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, a.size()), hi = std::min(lo + 2 * width, a.size());
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const Value c = co_await call(self, f, args(a[j], a[i]));
        if (c.as_int() < 0) tmp[k++] = a[j++]; else tmp[k++] = a[i++];
      }
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    std::swap(a, tmp);
  }
  co_return list(std::move(a));
}

const MapObj& map_of(const Value& m) {
  m.expect(Kind::Map);
  return m.as<MapObj>();
}

Value map_from(std::vector<std::pair<Value, Value>> entries) {
  auto obj = std::make_unique<MapObj>();
  obj->entries = std::move(entries);
  return Value::of_obj(Kind::Map, std::move(obj));
}

Value Map_new() { return map_from({}); }

Value Map_put(const Value& m, Value k, Value v) {
  auto entries = map_of(m).entries;
  for (auto& e : entries) {
    if (equal(e.first, k)) {
      e.second = std::move(v);
      return map_from(std::move(entries));
    }
  }
  entries.emplace_back(std::move(k), std::move(v));
  return map_from(std::move(entries));
}

Value map_literal(std::vector<std::pair<Value, Value>> entries) {
  Value m = Map_new();
  for (auto& [k, v] : entries) m = Map_put(m, std::move(k), std::move(v));
  return m;
}

Value Map_get(const Value& m, const Value& k) {
  for (const auto& e : map_of(m).entries) {
    if (equal(e.first, k)) return e.second;
  }
  fail("Map.get: key " + display(Self(nullptr), k) + " not found");
}

Value Map_has_key(const Value& m, const Value& k) {
  for (const auto& e : map_of(m).entries) {
    if (equal(e.first, k)) return B(true);
  }
  return B(false);
}

Value Map_delete(const Value& m, const Value& k) {
  auto entries = map_of(m).entries;
  std::erase_if(entries, [&](const auto& e) { return equal(e.first, k); });
  return map_from(std::move(entries));
}

Value Map_size(const Value& m) { return I(static_cast<std::int64_t>(map_of(m).entries.size())); }

Value Map_keys(const Value& m) {
  std::vector<Value> out;
  for (const auto& e : map_of(m).entries) out.push_back(e.first);
  return list(std::move(out));
}

Value Map_values(const Value& m) {
  std::vector<Value> out;
  for (const auto& e : map_of(m).entries) out.push_back(e.second);
  return list(std::move(out));
}

Value Map_merge(const Value& a, const Value& b) {
  Value m = a;
  for (const auto& e : map_of(b).entries) m = Map_put(m, e.first, e.second);
  return m;
}

Value Map_to_list(const Value& m) {
  std::vector<Value> out;
  for (const auto& e : map_of(m).entries) out.push_back(tuple({e.first, e.second}));
  return list(std::move(out));
}

Value Map_from_list(const Value& xs) {
  Value m = Map_new();
  for (const Value& p : list_items(xs)) m = Map_put(m, field(p, 0), field(p, 1));
  return m;
}

Value set_from(std::vector<std::int64_t> items) {
  auto obj = std::make_unique<SetObj>();
  obj->items = std::move(items);
  return Value::of_obj(Kind::Set, std::move(obj));
}

const std::vector<std::int64_t>& set_items(const Value& s) {
  s.expect(Kind::Set);
  return s.as<SetObj>().items;
}

bool set_has(const std::vector<std::int64_t>& items, std::int64_t x) {
  return std::find(items.begin(), items.end(), x) != items.end();
}

Value Set_new() { return set_from({}); }

Value Set_add(const Value& s, const Value& x) {
  if (set_has(set_items(s), x.as_int())) return s;
  auto items = set_items(s);
  items.push_back(x.as_int());
  return set_from(std::move(items));
}

Value Set_remove(const Value& s, const Value& x) {
  auto items = set_items(s);
  std::erase(items, x.as_int());
  return set_from(std::move(items));
}

Value Set_contains(const Value& s, const Value& x) { return B(set_has(set_items(s), x.as_int())); }

Value Set_size(const Value& s) { return I(static_cast<std::int64_t>(set_items(s).size())); }

Value Set_union(const Value& a, const Value& b) {
  auto items = set_items(a);
  for (auto x : set_items(b)) {
    if (!set_has(items, x)) items.push_back(x);
  }
  return set_from(std::move(items));
}

Value Set_intersection(const Value& a, const Value& b) {
  std::vector<std::int64_t> items;
  for (auto x : set_items(a)) {
    if (set_has(set_items(b), x)) items.push_back(x);
  }
  return set_from(std::move(items));
}

Value Set_difference(const Value& a, const Value& b) {
  std::vector<std::int64_t> items;
  for (auto x : set_items(a)) {
    if (!set_has(set_items(b), x)) items.push_back(x);
  }
  return set_from(std::move(items));
}

Value Set_to_list(const Value& s) {
  std::vector<Value> out;
  for (auto x : set_items(s)) out.push_back(I(x));
  return list(std::move(out));
}

Value Set_from_list(const Value& xs) {
  Value s = Set_new();
  for (const Value& x : list_items(xs)) s = Set_add(s, x);
  return s;
}

Value queue_from(std::vector<std::int64_t> items) {
  auto obj = std::make_unique<QueueObj>();
  obj->items = std::move(items);
  return Value::of_obj(Kind::Queue, std::move(obj));
}

const std::vector<std::int64_t>& queue_items(const Value& q) {
  q.expect(Kind::Queue);
  return q.as<QueueObj>().items;
}

Value Queue_new() { return queue_from({}); }

Value Queue_push(const Value& q, const Value& x) {
  auto items = queue_items(q);
  items.push_back(x.as_int());
  return queue_from(std::move(items));
}

Value Queue_peek(const Value& q) {
  if (queue_items(q).empty()) fail("Queue.peek of an empty queue");
  return I(queue_items(q).front());
}

Value Queue_pop(const Value& q) {
  if (queue_items(q).empty()) fail("Queue.pop of an empty queue");
  auto items = queue_items(q);
  const std::int64_t x = items.front();
  items.erase(items.begin());
  return tuple({I(x), queue_from(std::move(items))});
}

Value Queue_size(const Value& q) { return I(static_cast<std::int64_t>(queue_items(q).size())); }

Value Queue_is_empty(const Value& q) { return B(queue_items(q).empty()); }

const RangeObj& range_of(const Value& r) {
  r.expect(Kind::Range);
  return r.as<RangeObj>();
}

Value Range_new(const Value& a, const Value& b) { return range(a, b); }

Value Range_to_list(const Value& r) {
  std::vector<Value> out;
  for (std::int64_t i = range_of(r).lo; i < range_of(r).hi; ++i) out.push_back(I(i));
  return list(std::move(out));
}

Value Range_length(const Value& r) { return I(std::max<std::int64_t>(0, range_of(r).hi - range_of(r).lo)); }

Co<Value> Range_map(Self self, Value r, Value f) { co_return co_await List_map(self, Range_to_list(r), f); }

Co<Value> Range_filter(Self self, Value r, Value f) { co_return co_await List_filter(self, Range_to_list(r), f); }

const std::vector<Value>& tuple_items(const Value& t) {
  t.expect(Kind::Tuple);
  return t.as<TupleObj>().items;
}

Value Tuple_first(const Value& t) { return tuple_items(t).at(0); }

Value Tuple_second(const Value& t) { return tuple_items(t).at(1); }

Value Tuple_nth(const Value& t, const Value& i) {
  const std::int64_t n = i.as_int();
  if (n < 0 || static_cast<std::size_t>(n) >= tuple_items(t).size()) fail("Tuple.nth index out of range");
  return tuple_items(t)[static_cast<std::size_t>(n)];
}

Value Tuple_size(const Value& t) { return I(static_cast<std::int64_t>(tuple_items(t).size())); }

Value Math_abs(const Value& x) {
  if (x.kind() == Kind::Float) return F(std::fabs(x.raw_float()));
  return x.as_int() < 0 ? neg(x) : x;
}

Value Math_min(const Value& a, const Value& b) { return compare_values(b, a) < 0 ? b : a; }

Value Math_max(const Value& a, const Value& b) { return compare_values(b, a) > 0 ? b : a; }

Value Math_pow(const Value& a, const Value& b) { return F(std::pow(a.as_float(), b.as_float())); }

Value Math_sqrt(const Value& a) { return F(std::sqrt(a.as_float())); }

Value Math_floor(const Value& a) { return I(static_cast<std::int64_t>(std::floor(a.as_float()))); }

Value Math_ceil(const Value& a) { return I(static_cast<std::int64_t>(std::ceil(a.as_float()))); }

Value Math_round(const Value& a) { return I(static_cast<std::int64_t>(std::round(a.as_float()))); }

Value Int_to_float(const Value& a) { return F(static_cast<double>(a.as_int())); }

Value Float_to_int(const Value& a) { return I(static_cast<std::int64_t>(std::trunc(a.as_float()))); }

Iter::Iter(Value v) : v_(std::move(v)) {
  switch (v_.kind()) {
    case Kind::Range: i_ = range_of(v_).lo; end_ = range_of(v_).hi; break;
    case Kind::List: end_ = static_cast<std::int64_t>(list_len(v_)); break;
    case Kind::Set: end_ = static_cast<std::int64_t>(set_items(v_).size()); break;
    case Kind::Map: end_ = static_cast<std::int64_t>(map_of(v_).entries.size()); break;
    default: fail(std::string("cannot iterate over a ") + kind_name(v_.kind()));
  }
}
bool Iter::next(Value& out) {
  if (i_ >= end_) return false;
  switch (v_.kind()) {
    case Kind::Range: out = I(i_); break;
    case Kind::List: out = list_at(v_, static_cast<std::size_t>(i_)); break;
    case Kind::Set: out = I(set_items(v_)[static_cast<std::size_t>(i_)]); break;
    default: {
      const auto& e = map_of(v_).entries[static_cast<std::size_t>(i_)];
      out = tuple({e.first, e.second});
    }
  }
  ++i_;
  return true;
}

}  // namespace snow::lang
