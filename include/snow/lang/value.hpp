// snow/lang/value.hpp: the one C++ type every Snow value has in generated code.
//
// Why dynamic: Snow infers types Hindley–Milner style (`None`, `[]`, `Err(e)` get their
// type from far-away context), and snowc's emitter does not emit static types from the
// inferred ones yet. So a Value carries its kind at run time; a type mistake snowc did
// not catch becomes a Snow runtime error naming the .snow line, never a C++ compile error.
//
// Layout (24 bytes): a header (kind, ownership, tag and type of a variant or struct), a
// scalar slot, and a slot that holds either a counted pointer to an immutable payload
// (Obj) or a second scalar. Values are immutable and share their payload, so sending
// one to another process is a cheap copy that can never be observed; the count is
// intrusive and atomic (a payload may be shared across workers).
//
// A variant or struct whose fields are at most two scalars (Int, Float, Bool, Pid, ())
// lives entirely inside the Value: `Ping(self(), n)`, `Token(k)`, `Some(3)`, `None`,
// `Point { x: 1, y: 2 }` need no allocation and no atomic operation. Such a value is
// "inline"; any other is "boxed". Which one a value is follows from its fields alone,
// and everything that reads variants and structs goes through `field()`, `Shape` and
// `Value::type_info()`, which see both the same way.
//
// What is inline here, and why. This header is compiled into every program snowc
// generates; the rest of Snow's support is compiled once, in libsnow_lang (src/lang/).
// Inline are only the operations a message loop runs per message, where a call would
// cost more than the work (pingpong's and ring's profiles: bench/snow/):
//   * construction of scalars (of_int, I, B, ...), of strings, lists and tuples (one
//     allocation), and of variants and structs of few fields (variant_of, strukt_of,
//     Some/None/Ok/Err: inline records need no allocation, the boxed case is a
//     noinline template);
//   * copies, moves and destruction (a count test inline; dropping the last count is
//     not, drop());
//   * kind checks and scalar reads (kind, is, expect, as_int, raw_int, as_pid, ...);
//   * what receive patterns test: is_variant, type_info, tag, field() of an inline
//     record, is_tuple, list_len/list_at/list_head/list_tail, match_int and friends.
// Small-Int arithmetic and comparison (`+ - *`, `== < ...` on two Ints) are inline in
// ops.hpp on the same grounds. Everything else is out of line in src/lang/: building a
// value from a vector (variant, strukt), boxed fields, Shape (what printing, equality,
// ordering and the wire conversion read), kind names and errors, the type registry,
// list_items, printing, general equality, ordering and arithmetic, and the Value <->
// Term conversion (value_wire.hpp).
#pragma once

#include <array>
#include <atomic>
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

/// The kind's name as Snow spells it in messages ("Int", "String", "variant").
const char* kind_name(Kind k);

/// Kinds whose whole value is the 64-bit scalar slot: they can be fields of an inline
/// variant or struct.
inline constexpr bool is_scalar_kind(Kind k) {
  constexpr unsigned mask = 1u << static_cast<int>(Kind::Unit) | 1u << static_cast<int>(Kind::Int) |
                            1u << static_cast<int>(Kind::Float) | 1u << static_cast<int>(Kind::Bool) |
                            1u << static_cast<int>(Kind::Pid);
  return (mask >> static_cast<int>(k)) & 1u;
}

/// A struct or sum type declared in Snow (or built in: Option, Result, Ordering, ExitReason).
struct TypeInfo {
  /// `index` of a type that has none (the table below is full): its values are boxed.
  static constexpr std::uint16_t kNoIndex = 0xFFFF;
  std::string name;  // unique in the program: a Snow module's type is `Module.Type`
  bool is_sum = false;
  std::vector<std::string> names;  // variants of a sum type, or fields of a struct
  std::vector<int> arity;          // per variant
  bool display = false, debug = true, eq = true, ord = true;
  /// Its place in the table of types (set when it is registered): an inline value names
  /// its type by this index, which fits the Value's header where a pointer would not.
  std::uint16_t index = kNoIndex;
  /// A user `impl Display` / `impl Debug` (set by generated code at start-up).
  std::function<std::string(Self, const Value&)> display_impl, debug_impl;
  /// A user `impl Eq` (`==` on two values of this type) and `impl Ord` (their order:
  /// negative, zero or positive), set by generated code at start-up.
  std::function<bool(Self, const Value&, const Value&)> eq_impl;
  std::function<int(Self, const Value&, const Value&)> compare_impl;
  /// The name values show: `Point` for `Geometry.Point`.
  std::string shown_name() const;
};

/// Every registered type by index, read without a lock (an index is published after its
/// entry). Never shrinks: types live as long as the program.
inline std::array<std::atomic<const TypeInfo*>, TypeInfo::kNoIndex> type_table{};
inline const TypeInfo* type_at(std::uint16_t index) { return type_table[index].load(std::memory_order_acquire); }

/// A shared, immutable payload: a string, a list, a boxed variant... Counted by the
/// Values that point at it; its blocks come from the per-thread pool (pool.hpp).
class Obj {
 public:
  Obj() = default;
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
  virtual ~Obj() = default;
  static void* operator new(std::size_t n) { return SmallPool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { SmallPool::release(p, n); }

 private:
  friend class Value;
  mutable std::atomic<std::uint32_t> refs_{1};
};

[[noreturn, gnu::cold]] void kind_mismatch(Kind expected, Kind found);

class Value {
 public:
  Value() noexcept = default;
  [[gnu::always_inline]] Value(const Value& o) noexcept : h_(o.h_), a_(o.a_), b_(o.b_) {
    if (h_.owns()) b_.obj->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  Value(Value&& o) noexcept : h_(o.h_), a_(o.a_), b_(o.b_) { o.h_ = Header(); }
  Value& operator=(const Value& o) noexcept {
    Value copy(o);
    *this = std::move(copy);
    return *this;
  }
  [[gnu::always_inline]] Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      release();
      h_ = o.h_;
      a_ = o.a_;
      b_ = o.b_;
      o.h_ = Header();
    }
    return *this;
  }
  [[gnu::always_inline]] ~Value() { release(); }

  static Value unit() { return Value(); }
  static Value of_int(std::int64_t v) { Value r(Kind::Int); r.a_.i = v; return r; }
  static Value of_float(double v) { Value r(Kind::Float); r.a_.f = v; return r; }
  static Value of_bool(bool v) { Value r(Kind::Bool); r.a_.u = v ? 1 : 0; return r; }
  static Value of_pid(snow::Pid p) { Value r(Kind::Pid); r.a_.u = p.raw(); return r; }
  static Value of_str(std::string s);
  static Value of_list(std::vector<Value> items);
  static Value of_tuple(std::vector<Value> items);
  static Value variant(const TypeInfo* type, int tag, std::vector<Value> fields = {});
  static Value strukt(const TypeInfo* type, std::vector<Value> fields);
  /// variant / strukt with the fields given one by one: no vector.
  template <class... V>
  static Value variant_of(const TypeInfo* type, int tag, V&&... fields);
  template <class... V>
  static Value strukt_of(const TypeInfo* type, V&&... fields);
  /// A Value owning `obj`; `extra` is the scalar slot (a list's start offset).
  static Value of_obj(Kind k, std::unique_ptr<Obj> obj, std::int64_t extra = 0) {
    Value r(Header::make(k, true));
    r.b_.obj = obj.release();
    r.a_.i = extra;
    return r;
  }
  /// This Value with another scalar slot, sharing the payload (a list from another offset).
  Value with_extra(std::int64_t extra) const {
    Value r(*this);
    r.a_.i = extra;
    return r;
  }

  Kind kind() const { return h_.kind(); }
  bool is(Kind k) const { return h_.kind() == k; }

  // Checked accessors: a wrong kind is a Snow runtime error.
  std::int64_t as_int() const { expect(Kind::Int); return a_.i; }
  double as_float() const { expect(Kind::Float); return a_.f; }
  bool as_bool() const { expect(Kind::Bool); return a_.u != 0; }
  const std::string& as_str() const;
  snow::Pid as_pid() const;
  std::int64_t raw_int() const { return a_.i; }
  double raw_float() const { return a_.f; }
  std::uint64_t raw_bits() const { return a_.u; }
  /// The payload, or null (scalars, inline variants and structs have none).
  const Obj* obj() const { return h_.owns() ? b_.obj : nullptr; }
  template <class T>
  const T& as() const { return *static_cast<const T*>(b_.obj); }

  void expect(Kind k) const {
    if (h_.kind() != k) [[unlikely]]
      kind_mismatch(k, h_.kind());
  }

  // ---- variants and structs ----
  /// Whether this is `type`'s variant number `tag` (no allocation, no pointer chase for
  /// a type with an index).
  bool is_variant(const TypeInfo* type, int tag) const;
  /// The type of a variant or struct (null for other kinds).
  const TypeInfo* type_info() const;
  /// The variant's tag (0 for a struct).
  int tag() const { return static_cast<int>(h_.tag()); }
  /// Stored inside the Value (see the top of this file).
  bool is_inline_record() const { return !h_.owns() && (h_.kind() == Kind::Variant || h_.kind() == Kind::Struct); }
  /// Field `i` of an inline variant or struct (i < inline_size()).
  std::size_t inline_size() const { return h_.inline_n(); }
  Value inline_field(std::size_t i) const {
    Value r(h_.field_kind(i));
    r.a_.u = i == 0 ? a_.u : b_.u;
    return r;
  }

 private:
  // The header is one 64-bit word, always written whole: built field by field in memory,
  // a later 8-byte read of it (every copy of the Value) could not be forwarded from the
  // narrower stores and stalled, which showed in the pingpong profile.
  class Header {
   public:
    static constexpr Header make(Kind kind, bool owns = false, unsigned inline_n = 0, unsigned field_kinds = 0,
                                 unsigned tag = 0, unsigned type = TypeInfo::kNoIndex) {
      return Header(static_cast<std::uint64_t>(kind) | static_cast<std::uint64_t>(owns) << 8 |
                    static_cast<std::uint64_t>(inline_n) << 16 | static_cast<std::uint64_t>(field_kinds) << 24 |
                    static_cast<std::uint64_t>(tag & 0xFFFF) << 32 | static_cast<std::uint64_t>(type) << 48);
    }
    constexpr Header() : Header(make(Kind::Unit)) {}
    Kind kind() const { return static_cast<Kind>(bits_ & 0xFF); }
    bool owns() const { return (bits_ >> 8) & 1; }        // b_ holds a counted Obj*
    unsigned inline_n() const { return (bits_ >> 16) & 0xFF; }  // fields of an inline record (0 to 2)
    Kind field_kind(std::size_t i) const { return static_cast<Kind>((bits_ >> (24 + 4 * i)) & 0xF); }
    unsigned tag() const { return (bits_ >> 32) & 0xFFFF; }    // the variant's tag
    unsigned type() const { return bits_ >> 48; }               // the variant's or struct's type index
    std::uint64_t bits() const { return bits_; }
    /// The bits that say which variant a value is: kind, tag and type index.
    static constexpr std::uint64_t kVariantIdentity = 0xFFull | 0xFFFFull << 32 | 0xFFFFull << 48;

   private:
    constexpr explicit Header(std::uint64_t bits) : bits_(bits) {}
    std::uint64_t bits_;
  };
  union Scalar {
    std::int64_t i;
    double f;
    std::uint64_t u;
  };
  union Slot {
    const Obj* obj;
    std::uint64_t u;
  };
  explicit Value(Kind k) : h_(Header::make(k)) {}
  explicit Value(Header h) : h_(h) {}
  template <class... V>
  static Value record(Kind k, const TypeInfo* type, int tag, V&&... fields);
  // Out of line: every message construction inlines `record`, whose boxed case (an
  // allocation, a RecordObj) would otherwise make each of those sites large.
  template <class... V>
  [[gnu::noinline]] static Value boxed_record_of(Kind k, const TypeInfo* type, int tag, V&&... fields);
  template <class... V>
  static bool can_inline(const TypeInfo* type, const V&... fields) {
    return sizeof...(V) <= 2 && type->index != TypeInfo::kNoIndex && (is_scalar_kind(fields.kind()) && ...);
  }
  static Value boxed_record(Kind k, const TypeInfo* type, int tag, std::unique_ptr<Obj> obj) {
    Value r(Header::make(k, true, 0, 0, static_cast<unsigned>(tag), type->index));
    r.b_.obj = obj.release();
    return r;
  }
  // Inlined into every Value's destructor, so only the test is; dropping a count is not.
  [[gnu::always_inline]] void release() noexcept {
    if (h_.owns()) drop(b_.obj);
  }
  [[gnu::noinline]] static void drop(const Obj* obj) noexcept {
    // The last owner needs no atomic read-modify-write: no one else can add a count.
    if (obj->refs_.load(std::memory_order_acquire) == 1 || obj->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete obj;
    }
  }

  Header h_;
  Scalar a_{.u = 0};
  Slot b_{.u = 0};
};
static_assert(sizeof(Value) == 24);

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
/// The fields of a boxed variant or struct. Up to three are kept inline so that making
/// one is a single allocation; more go to a vector.
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
  operator std::span<const Value>() const { return {data(), n_}; }  // NOLINT: a view, as a vector gives

 private:
  std::size_t n_ = 0;
  Value inline_[kInline];
  std::unique_ptr<std::vector<Value>> heap_;  // a pointer, not a vector: smaller, and free to destroy when null
};

/// The payload of a boxed variant or struct (a struct's tag is 0).
struct RecordObj final : Obj {
  RecordObj(const TypeInfo* t, int g, Fields f) : type(t), tag(g), fields(std::move(f)) {}
  const TypeInfo* type;
  int tag;
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

inline Value Value::of_str(std::string s) { return of_obj(Kind::Str, std::make_unique<StrObj>(std::move(s))); }
inline Value Value::of_list(std::vector<Value> items) {
  return of_obj(Kind::List, std::make_unique<ListObj>(std::move(items)));
}
inline Value Value::of_tuple(std::vector<Value> items) {
  return of_obj(Kind::Tuple, std::make_unique<TupleObj>(std::move(items)));
}
template <class... V>
Value Value::record(Kind k, const TypeInfo* type, int tag, V&&... fields) {
  if (can_inline(type, fields...)) {
    const Value* f[] = {&fields..., nullptr};  // nullptr: no zero-length array
    unsigned kinds = 0;
    if constexpr (sizeof...(V) >= 1) kinds |= static_cast<unsigned>(f[0]->kind());
    if constexpr (sizeof...(V) >= 2) kinds |= static_cast<unsigned>(f[1]->kind()) << 4;
    Value r(Header::make(k, false, sizeof...(V), kinds, static_cast<unsigned>(tag), type->index));
    if constexpr (sizeof...(V) >= 1) r.a_.u = f[0]->a_.u;
    if constexpr (sizeof...(V) >= 2) r.b_.u = f[1]->a_.u;
    return r;
  }
  return boxed_record_of(k, type, tag, std::forward<V>(fields)...);
}
template <class... V>
Value Value::boxed_record_of(Kind k, const TypeInfo* type, int tag, V&&... fields) {
  if constexpr (sizeof...(V) <= Fields::kInline) {
    return boxed_record(k, type, tag,
                        std::make_unique<RecordObj>(type, tag, Fields(std::in_place, std::forward<V>(fields)...)));
  } else {
    return boxed_record(k, type, tag,
                        std::make_unique<RecordObj>(type, tag, Fields(std::vector<Value>{std::forward<V>(fields)...})));
  }
}
// Value::variant and Value::strukt (fields in a vector) are compiled in src/lang/value.cpp:
// generated code builds a value with few fields through variant_of / strukt_of, which inline.
template <class... V>
Value Value::variant_of(const TypeInfo* type, int tag, V&&... fields) {
  return record(Kind::Variant, type, tag, std::forward<V>(fields)...);
}
template <class... V>
Value Value::strukt_of(const TypeInfo* type, V&&... fields) {
  return record(Kind::Struct, type, 0, std::forward<V>(fields)...);
}
inline bool Value::is_variant(const TypeInfo* type, int t) const {
  // Kind, tag and type index in one compare of the header word: every receive pattern
  // runs this, and testing them one by one cost about twice the instructions. A boxed
  // value carries its type's index too; a type without one (kNoIndex, the table is full)
  // has only boxed values, told apart by their payload's type.
  const std::uint16_t index = type->index;
  const std::uint64_t want = Header::make(Kind::Variant, false, 0, 0, static_cast<unsigned>(t), index).bits();
  if ((h_.bits() & Header::kVariantIdentity) != want || static_cast<unsigned>(t) > 0xFFFF) return false;
  if (index != TypeInfo::kNoIndex) [[likely]]
    return true;
  return h_.owns() && as<RecordObj>().type == type;
}
inline const TypeInfo* Value::type_info() const {
  if (h_.kind() != Kind::Variant && h_.kind() != Kind::Struct) return nullptr;
  return h_.owns() ? as<RecordObj>().type : type_at(static_cast<std::uint16_t>(h_.type()));
}
inline const std::string& Value::as_str() const {
  expect(Kind::Str);
  return as<StrObj>().s;
}
inline snow::Pid Value::as_pid() const {
  if (h_.kind() == Kind::Pid) return snow::Pid::from_raw(a_.u);
  if (h_.kind() == Kind::Job) return as<JobObj>().job.pid();
  if (h_.kind() == Kind::Int) return snow::Pid::from_raw(a_.u);  // raw ids (snow.md#send-and-self)
  expect(Kind::Pid);
  return {};
}

/// The type, tag and fields of a variant or struct, inline or boxed: what display,
/// equality, ordering and the wire conversion read. Holds copies of inline fields, so it
/// cannot be copied (its span may point into itself). Out of line (src/lang/value.cpp):
/// its readers are.
class Shape {
 public:
  explicit Shape(const Value& v);
  Shape(const Shape&) = delete;
  Shape& operator=(const Shape&) = delete;
  const TypeInfo* type() const { return type_; }
  int tag() const { return tag_; }
  std::span<const Value> fields() const { return fields_; }

 private:
  const TypeInfo* type_;
  int tag_;
  Value inline_[2];
  std::span<const Value> fields_;
};

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
inline Value list_tail(const Value& v) { return v.with_extra(v.raw_int() + 1); }
/// The elements as a fresh vector (for builtins that build a new list).
std::vector<Value> list_items(const Value& v);

// ---- every struct and sum type by name ----

/// The program's struct and sum types by name, so a value that arrives from another node
/// (a Term naming its type, snow/lang/value_wire.hpp) finds its TypeInfo. Filled at
/// start-up by make_sum/make_struct, and when a value of a type this program does not
/// declare arrives (see value_wire.hpp); read from any worker thread, hence the lock.
class TypeRegistry {
 public:
  void add(TypeInfo* t);
  const TypeInfo* find(const std::string& name) const;
  /// The type called `name`, made by `make()` (under the lock) if there is none yet.
  const TypeInfo* find_or_add(const std::string& name, const std::function<TypeInfo*()>& make);

 private:
  // The next free place in type_table; a type that comes after the table is full keeps
  // kNoIndex, and its values are simply always boxed.
  void give_index(TypeInfo* t);
  std::uint16_t next_index_ = 0;
  mutable std::mutex mu_;
  std::unordered_map<std::string, const TypeInfo*> by_name_;
};
/// The one registry of the program (defined in libsnow_lang, src/lang/value.cpp; never
/// destroyed: types live as long as the program).
TypeRegistry& types();

// ---- built-in sum types ----
/// A new registered sum type (variant names and arities in declaration order).
TypeInfo* make_sum(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display);
inline const TypeInfo* const option_type = make_sum("Option", {"Some", "None"}, {1, 0}, true);
inline const TypeInfo* const result_type = make_sum("Result", {"Ok", "Err"}, {1, 1}, true);
inline const TypeInfo* const ordering_type = make_sum("Ordering", {"Less", "Equal", "Greater"}, {0, 0, 0}, true);
inline const TypeInfo* const exit_reason_type =
    make_sum("ExitReason", {"Normal", "Shutdown", "Killed", "Noproc", "Noconnection", "Error", "Custom", "Linked"},
             {0, 0, 0, 0, 0, 1, 1, 2}, true);

inline Value Some(Value v) { return Value::variant_of(option_type, 0, std::move(v)); }
inline Value None() { return Value::variant_of(option_type, 1); }
inline Value Ok(Value v) { return Value::variant_of(result_type, 0, std::move(v)); }
inline Value Err(Value v) { return Value::variant_of(result_type, 1, std::move(v)); }

inline bool is_variant(const Value& v, const TypeInfo* t, int tag) { return v.is_variant(t, tag); }

[[noreturn, gnu::cold]] void no_such_field(std::size_t i, std::size_t n);
// Out of line: field() below inlines only the case of an inline record.
Value boxed_field(const Value& v, std::size_t i);
/// Field `i` of a variant, struct or tuple (a copy: an inline variant has no Value to
/// refer to).
[[gnu::always_inline]] inline Value field(const Value& v, std::size_t i) {
  if (v.is_inline_record() && i < v.inline_size()) return v.inline_field(i);  // a message's fields, usually
  return boxed_field(v, i);
}
/// Field `i` of a variant that a pattern has just matched (is_variant said yes, and every
/// value of a variant has its declared arity: values from other nodes are checked when
/// converted), so field()'s checks are known to pass. Generated code only.
[[gnu::always_inline]] inline Value variant_field(const Value& v, std::size_t i) {
  if (v.obj() == nullptr) return v.inline_field(i);
  return v.as<RecordObj>().fields[i];
}
inline bool is_tuple(const Value& v, std::size_t n) { return v.kind() == Kind::Tuple && v.as<TupleObj>().items.size() == n; }

}  // namespace snow::lang

namespace snow::lang {

/// A new registered struct type (field names in declaration order).
TypeInfo* make_struct(std::string name, std::vector<std::string> fields, bool display, bool debug);
/// A new registered sum type declared in the program (make_sum plus its Debug flag).
TypeInfo* make_sum_type(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display,
                        bool debug);

/// `value.field` on a struct.
Value get_field(const Value& v, const char* name);

/// The type name impls are keyed by (snow.md#interfaces).
std::string type_name(const Value& v);

// ---- pattern tests (generated code matches with these) ----
inline bool match_int(const Value& v, std::int64_t n) { return v.kind() == Kind::Int && v.raw_int() == n; }
inline bool match_float(const Value& v, double d) { return v.kind() == Kind::Float && v.raw_float() == d; }
inline bool match_bool(const Value& v, bool b) { return v.kind() == Kind::Bool && v.as_bool() == b; }
inline bool match_unit(const Value& v) { return v.kind() == Kind::Unit; }
inline bool match_str(const Value& v, std::string_view s) { return v.kind() == Kind::Str && v.as_str() == s; }
inline bool is_cons(const Value& v) { return v.kind() == Kind::List && list_len(v) > 0; }
inline const Value& list_head(const Value& v) { return list_at(v, 0); }

// ---- `?` (snow.md#error-propagation) ----
bool is_failure(const Value& v);
inline Value unwrap(const Value& v) { return field(v, 0); }

}  // namespace snow::lang

// Values cross nodes as Terms (the Wire<Value> trait); it must be seen wherever a Value is
// boxed as a message, so it comes with the Value itself.
#include "snow/lang/value_wire.hpp"
