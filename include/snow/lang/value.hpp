// snow/lang/value.hpp: the one C++ type every Snow value has in generated code.
//
// Why dynamic: Snow infers types Hindley–Milner style (`None`, `[]`, `Err(e)` get their
// type from far-away context), which C++ templates cannot reproduce, and snowc does not
// infer types yet. So a Value carries its kind at run time; a type mistake snowc did not
// catch becomes a Snow runtime error naming the .snow line, never a C++ compile error.
// Values are immutable and share their payload through shared_ptr (atomic reference
// counts), so sending one to another process is a cheap copy that can never be observed.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "snow/actor.hpp"
#include "snow/job.hpp"
#include "snow/lang/co.hpp"
#include "snow/lang/pool.hpp"
#include "snow/pid.hpp"

namespace snow::lang {

class Value;
using Args = std::vector<Value>;

enum class Kind : std::uint8_t { Unit, Int, Float, Bool, Str, List, Map, Set, Tuple, Variant, Struct, Fun, Pid, Range, Queue, Job };

inline const char* kind_name(Kind k) {
  static const char* const names[] = {"()",    "Int",     "Float",  "Bool", "String", "List",  "Map",   "Set",
                                      "Tuple", "variant", "struct", "Fun",  "Pid",    "Range", "Queue", "Job"};
  return names[static_cast<int>(k)];
}

/// A struct or sum type declared in Snow (or built in: Option, Result, Ordering, ExitReason).
struct TypeInfo {
  std::string name;
  bool is_sum = false;
  std::vector<std::string> names;  // variants of a sum type, or fields of a struct
  std::vector<int> arity;          // per variant
  bool display = false, debug = true, eq = true, ord = true;
  /// A user `impl Display` / `impl Debug` (set by generated code at start-up).
  std::function<std::string(Self, const Value&)> display_impl, debug_impl;
};

struct Obj {
  virtual ~Obj() = default;
};

class Value {
 public:
  Value() = default;
  static Value unit() { return Value(); }
  static Value of_int(std::int64_t v) { Value r(Kind::Int); r.i_ = v; return r; }
  static Value of_float(double v) { Value r(Kind::Float); r.f_ = v; return r; }
  static Value of_bool(bool v) { Value r(Kind::Bool); r.b_ = v; return r; }
  static Value of_pid(snow::Pid p) { Value r(Kind::Pid); r.u_ = p.raw(); return r; }
  static Value of_str(std::string s);
  static Value of_list(std::vector<Value> items);
  static Value of_tuple(std::vector<Value> items);
  static Value variant(const TypeInfo* type, int tag, std::vector<Value> fields = {});
  static Value strukt(const TypeInfo* type, std::vector<Value> fields);
  /// variant / strukt for up to Fields::kInline fields given one by one: no vector.
  template <class... V>
  static Value variant_of(const TypeInfo* type, int tag, V&&... fields);
  template <class... V>
  static Value strukt_of(const TypeInfo* type, V&&... fields);
  static Value of_obj(Kind k, std::shared_ptr<const Obj> obj, std::int64_t extra = 0) {
    Value r(k); r.obj_ = std::move(obj); r.i_ = extra; return r;
  }

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }

  // Checked accessors: a wrong kind is a Snow runtime error.
  std::int64_t as_int() const { expect(Kind::Int); return i_; }
  double as_float() const { expect(Kind::Float); return f_; }
  bool as_bool() const { expect(Kind::Bool); return b_; }
  const std::string& as_str() const;
  snow::Pid as_pid() const;
  std::int64_t raw_int() const { return i_; }
  double raw_float() const { return f_; }
  std::uint64_t raw_bits() const { return u_; }
  const Obj* obj() const { return obj_.get(); }
  const std::shared_ptr<const Obj>& obj_ptr() const { return obj_; }
  template <class T>
  const T& as() const { return *static_cast<const T*>(obj_.get()); }

  void expect(Kind k) const {
    if (kind_ != k) fail(std::string("type mismatch: expected ") + kind_name(k) + ", found " + kind_name(kind_));
  }

 private:
  explicit Value(Kind k) : kind_(k) {}
  Kind kind_ = Kind::Unit;
  union {
    std::int64_t i_ = 0;
    double f_;
    bool b_;
    std::uint64_t u_;
  };
  std::shared_ptr<const Obj> obj_;
};

struct StrObj final : Obj {
  explicit StrObj(std::string v) : s(std::move(v)) {}
  std::string s;
};
/// A list is a shared vector plus a start offset (kept in the Value's integer slot), so
/// `head :: tail` patterns and List.tail are O(1).
struct ListObj final : Obj {
  explicit ListObj(std::vector<Value> v) : items(std::move(v)) {}
  std::vector<Value> items;
};
struct TupleObj final : Obj {
  explicit TupleObj(std::vector<Value> v) : items(std::move(v)) {}
  std::vector<Value> items;
};
struct MapObj final : Obj {
  std::vector<std::pair<Value, Value>> entries;  // insertion order
};
struct SetObj final : Obj {
  std::vector<std::int64_t> items;  // insertion order
};
struct QueueObj final : Obj {
  std::vector<std::int64_t> items;
};
struct RangeObj final : Obj {
  RangeObj(std::int64_t a, std::int64_t b) : lo(a), hi(b) {}
  std::int64_t lo, hi;
};
/// The fields of a variant or struct. Most have one to three, kept inline so that
/// making such a value is one allocation (a separate vector was a second one on every
/// message of the pingpong and ring benchmarks); more go to a vector.
class Fields {
 public:
  static constexpr std::size_t kInline = 3;
  Fields() = default;
  explicit Fields(std::vector<Value> v) : n_(v.size()) {
    if (n_ <= kInline) {
      for (std::size_t i = 0; i < n_; ++i) inline_[i] = std::move(v[i]);
    } else {
      heap_ = std::make_unique<std::vector<Value>>(std::move(v));
    }
  }
  Fields(Fields&&) noexcept = default;
  Fields& operator=(Fields&&) noexcept = default;
  /// The fields given one by one, built in place (no temporary to move from).
  template <class... V>
    requires(sizeof...(V) <= kInline && (std::is_same_v<std::remove_cvref_t<V>, Value> && ...))
  explicit Fields(std::in_place_t, V&&... v) : n_(sizeof...(V)), inline_{std::forward<V>(v)...} {}
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Value* data() const { return n_ <= kInline ? inline_ : heap_->data(); }
  const Value* begin() const { return data(); }
  const Value* end() const { return data() + n_; }
  const Value& operator[](std::size_t i) const { return data()[i]; }
  const Value& at(std::size_t i) const {
    if (i >= n_) fail("field " + std::to_string(i) + " of a value with " + std::to_string(n_));
    return data()[i];
  }
  operator std::span<const Value>() const { return {data(), n_}; }  // NOLINT: a view, as a vector gives

 private:
  std::size_t n_ = 0;
  Value inline_[kInline];
  std::unique_ptr<std::vector<Value>> heap_;  // a pointer, not a vector: smaller, and free to destroy when null
};

struct VariantObj final : Obj {
  VariantObj(const TypeInfo* t, int g, Fields f) : type(t), tag(g), fields(std::move(f)) {}
  template <class... V>
  VariantObj(std::in_place_t, const TypeInfo* t, int g, V&&... v)
      : type(t), tag(g), fields(std::in_place, std::forward<V>(v)...) {}
  const TypeInfo* type;
  int tag;
  Fields fields;
};
struct StructObj final : Obj {
  StructObj(const TypeInfo* t, Fields f) : type(t), fields(std::move(f)) {}
  template <class... V>
  StructObj(std::in_place_t, const TypeInfo* t, V&&... v) : type(t), fields(std::in_place, std::forward<V>(v)...) {}
  const TypeInfo* type;
  Fields fields;
};
/// A function value. `me` is the function itself, so a local named function can recurse.
struct FunObj final : Obj {
  using Fn = std::function<Co<Value>(Self self, Value me, Args args)>;
  FunObj(std::string n, int a, Fn f) : name(std::move(n)), arity(a), fn(std::move(f)) {}
  std::string name;
  int arity;  // -1: any
  Fn fn;
};
struct JobObj final : Obj {
  explicit JobObj(snow::Job<Value> j) : job(std::move(j)) {}
  snow::Job<Value> job;
};

inline Value Value::of_str(std::string s) {
  Value r(Kind::Str);
  r.obj_ = std::make_shared<StrObj>(std::move(s));
  return r;
}
inline Value Value::of_list(std::vector<Value> items) {
  Value r(Kind::List);
  r.obj_ = std::make_shared<ListObj>(std::move(items));
  return r;
}
inline Value Value::of_tuple(std::vector<Value> items) {
  Value r(Kind::Tuple);
  r.obj_ = std::make_shared<TupleObj>(std::move(items));
  return r;
}
inline Value Value::variant(const TypeInfo* type, int tag, std::vector<Value> fields) {
  return of_obj(Kind::Variant, make_pooled<VariantObj>(type, tag, Fields(std::move(fields))));
}
inline Value Value::strukt(const TypeInfo* type, std::vector<Value> fields) {
  return of_obj(Kind::Struct, make_pooled<StructObj>(type, Fields(std::move(fields))));
}
template <class... V>
Value Value::variant_of(const TypeInfo* type, int tag, V&&... fields) {
  return of_obj(Kind::Variant, make_pooled<VariantObj>(std::in_place, type, tag, std::forward<V>(fields)...));
}
template <class... V>
Value Value::strukt_of(const TypeInfo* type, V&&... fields) {
  return of_obj(Kind::Struct, make_pooled<StructObj>(std::in_place, type, std::forward<V>(fields)...));
}
inline const std::string& Value::as_str() const {
  expect(Kind::Str);
  return static_cast<const StrObj*>(obj_.get())->s;
}
inline snow::Pid Value::as_pid() const {
  if (kind_ == Kind::Pid) return snow::Pid::from_raw(u_);
  if (kind_ == Kind::Job) return static_cast<const JobObj*>(obj_.get())->job.pid();
  if (kind_ == Kind::Int) return snow::Pid::from_raw(static_cast<std::uint64_t>(i_));  // raw ids (§6.4)
  expect(Kind::Pid);
  return {};
}

// ---- short constructors used by generated code ----
inline Value I(std::int64_t v) { return Value::of_int(v); }
inline Value F(double v) { return Value::of_float(v); }
inline Value B(bool v) { return Value::of_bool(v); }
inline Value S(std::string v) { return Value::of_str(std::move(v)); }
inline Value unit() { return Value(); }
inline Value tuple(std::vector<Value> items) { return Value::of_tuple(std::move(items)); }
inline Value list(std::vector<Value> items) { return Value::of_list(std::move(items)); }

// ---- lists ----
inline std::size_t list_len(const Value& v) {
  v.expect(Kind::List);
  return v.as<ListObj>().items.size() - static_cast<std::size_t>(v.raw_int());
}
inline const Value& list_at(const Value& v, std::size_t i) {
  return v.as<ListObj>().items[static_cast<std::size_t>(v.raw_int()) + i];
}
inline Value list_tail(const Value& v) { return Value::of_obj(Kind::List, v.obj_ptr(), v.raw_int() + 1); }
/// The elements as a fresh vector (for builtins that build a new list).
inline std::vector<Value> list_items(const Value& v) {
  v.expect(Kind::List);
  const auto& items = v.as<ListObj>().items;
  return std::vector<Value>(items.begin() + v.raw_int(), items.end());
}

// ---- every struct and sum type by name ----

/// The program's struct and sum types by name, so a value that arrives from another node
/// (a Term naming its type, snow/lang/value_wire.hpp) finds its TypeInfo. Filled at
/// start-up by make_sum/make_struct, and when a value of a type this program does not
/// declare arrives (see value_wire.hpp); read from any worker thread, hence the lock.
class TypeRegistry {
 public:
  void add(const TypeInfo* t) {
    std::lock_guard lock(mu_);
    by_name_[t->name] = t;
  }
  const TypeInfo* find(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  /// The type called `name`, made by `make()` (under the lock) if there is none yet.
  template <class Make>
  const TypeInfo* find_or_add(const std::string& name, Make make) {
    std::lock_guard lock(mu_);
    const TypeInfo*& slot = by_name_[name];
    if (slot == nullptr) slot = make();
    return slot;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, const TypeInfo*> by_name_;
};
inline TypeRegistry& types() {
  static TypeRegistry* registry = new TypeRegistry;  // never destroyed: types live as long as the program
  return *registry;
}

// ---- built-in sum types ----
inline TypeInfo* make_sum(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display) {
  auto* t = new TypeInfo;
  t->name = std::move(name);
  t->is_sum = true;
  t->names = std::move(names);
  t->arity = std::move(arity);
  t->display = display;
  types().add(t);
  return t;
}
inline const TypeInfo* const option_type = make_sum("Option", {"Some", "None"}, {1, 0}, true);
inline const TypeInfo* const result_type = make_sum("Result", {"Ok", "Err"}, {1, 1}, true);
inline const TypeInfo* const ordering_type = make_sum("Ordering", {"Less", "Equal", "Greater"}, {0, 0, 0}, true);
inline const TypeInfo* const exit_reason_type =
    make_sum("ExitReason", {"Normal", "Shutdown", "Killed", "Noproc", "Noconnection", "Error", "Custom", "Linked"},
             {0, 0, 0, 0, 0, 1, 1, 2}, true);

inline Value Some(Value v) { return Value::variant(option_type, 0, {std::move(v)}); }
inline Value None() { return Value::variant(option_type, 1); }
inline Value Ok(Value v) { return Value::variant(result_type, 0, {std::move(v)}); }
inline Value Err(Value v) { return Value::variant(result_type, 1, {std::move(v)}); }

inline bool is_variant(const Value& v, const TypeInfo* t, int tag) {
  return v.kind() == Kind::Variant && v.as<VariantObj>().type == t && v.as<VariantObj>().tag == tag;
}
inline const Value& field(const Value& v, std::size_t i) {
  if (v.kind() == Kind::Variant) return v.as<VariantObj>().fields.at(i);
  if (v.kind() == Kind::Tuple) return v.as<TupleObj>().items.at(i);
  return v.as<StructObj>().fields.at(i);
}
inline bool is_tuple(const Value& v, std::size_t n) { return v.kind() == Kind::Tuple && v.as<TupleObj>().items.size() == n; }

}  // namespace snow::lang

namespace snow::lang {

inline TypeInfo* make_struct(std::string name, std::vector<std::string> fields, bool display, bool debug) {
  auto* t = new TypeInfo;
  t->name = std::move(name);
  t->names = std::move(fields);
  t->display = display;
  t->debug = debug;
  types().add(t);
  return t;
}
inline TypeInfo* make_sum_type(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display,
                               bool debug) {
  TypeInfo* t = make_sum(std::move(name), std::move(names), std::move(arity), display);
  t->debug = debug;
  return t;
}

/// `value.field` on a struct.
inline const Value& get_field(const Value& v, const char* name) {
  if (v.kind() != Kind::Struct) fail(std::string("no field `") + name + "` on a " + kind_name(v.kind()));
  const auto& o = v.as<StructObj>();
  for (std::size_t i = 0; i < o.type->names.size(); ++i) {
    if (o.type->names[i] == name) return o.fields[i];
  }
  fail("struct " + o.type->name + " has no field `" + name + "`");
}

/// The type name impls are keyed by (§4.8).
inline std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::Variant: return v.as<VariantObj>().type->name;
    case Kind::Struct: return v.as<StructObj>().type->name;
    case Kind::Str: return "String";
    default: return kind_name(v.kind());
  }
}

// ---- pattern tests (generated code matches with these) ----
inline bool match_int(const Value& v, std::int64_t n) { return v.kind() == Kind::Int && v.raw_int() == n; }
inline bool match_float(const Value& v, double d) { return v.kind() == Kind::Float && v.raw_float() == d; }
inline bool match_bool(const Value& v, bool b) { return v.kind() == Kind::Bool && v.as_bool() == b; }
inline bool match_unit(const Value& v) { return v.kind() == Kind::Unit; }
inline bool match_str(const Value& v, std::string_view s) { return v.kind() == Kind::Str && v.as_str() == s; }
inline bool is_cons(const Value& v) { return v.kind() == Kind::List && list_len(v) > 0; }
inline const Value& list_head(const Value& v) { return list_at(v, 0); }

// ---- `?` (§5.12) ----
inline bool is_failure(const Value& v) {
  if (v.kind() == Kind::Variant) {
    const auto& o = v.as<VariantObj>();
    if (o.type == result_type) return o.tag == 1;
    if (o.type == option_type) return o.tag == 1;
  }
  fail("`?` needs a Result or an Option");
}
inline Value unwrap(const Value& v) { return v.as<VariantObj>().fields.at(0); }

}  // namespace snow::lang

// Values cross nodes as Terms (the Wire<Value> trait); it must be seen wherever a Value is
// boxed as a message, so it comes with the Value itself.
#include "snow/lang/value_wire.hpp"
