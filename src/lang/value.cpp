// src/lang/value.cpp: the out-of-line part of Snow's Value (include/snow/lang/value.hpp):
// kind names, the type registry, type construction, field access on boxed records.
// Compiled once into libsnow_lang instead of into every generated program (the top of
// value.hpp says what stays inline there and why).
#include "snow/lang/value.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace snow::lang {

const char* kind_name(Kind k) {
  static const char* const names[] = {"()",    "Int",     "Float",  "Bool", "String", "List",  "Map",   "Set",
                                      "Tuple", "variant", "struct", "Fun",  "Pid",    "Range", "Queue", "Job"};
  return names[static_cast<int>(k)];
}

void kind_mismatch(Kind expected, Kind found) {
  fail(std::string("type mismatch: expected ") + kind_name(expected) + ", found " + kind_name(found));
}

Value Value::variant(const TypeInfo* type, int tag, std::vector<Value> fields) {
  switch (fields.size()) {
    case 0: return record(Kind::Variant, type, tag);
    case 1: return record(Kind::Variant, type, tag, std::move(fields[0]));
    case 2: return record(Kind::Variant, type, tag, std::move(fields[0]), std::move(fields[1]));
    default: return boxed_record(Kind::Variant, type, tag, std::make_unique<RecordObj>(type, tag, Fields(std::move(fields))));
  }
}

Value Value::strukt(const TypeInfo* type, std::vector<Value> fields) {
  switch (fields.size()) {
    case 0: return record(Kind::Struct, type, 0);
    case 1: return record(Kind::Struct, type, 0, std::move(fields[0]));
    case 2: return record(Kind::Struct, type, 0, std::move(fields[0]), std::move(fields[1]));
    default: return boxed_record(Kind::Struct, type, 0, std::make_unique<RecordObj>(type, 0, Fields(std::move(fields))));
  }
}

std::string TypeInfo::shown_name() const { return name.substr(name.rfind('.') + 1); }

Shape::Shape(const Value& v) {
  if (v.kind() != Kind::Variant && v.kind() != Kind::Struct) kind_mismatch(Kind::Variant, v.kind());
  tag_ = v.tag();
  if (v.is_inline_record()) {
    type_ = v.type_info();
    for (std::size_t i = 0; i < v.inline_size(); ++i) inline_[i] = v.inline_field(i);
    fields_ = std::span<const Value>(inline_, v.inline_size());
  } else {
    const auto& o = v.as<RecordObj>();
    type_ = o.type;
    fields_ = o.fields;
  }
}

std::vector<Value> list_items(const Value& v) {
  v.expect(Kind::List);
  const auto& items = v.as<ListObj>().items;
  return std::vector<Value>(items.begin() + v.raw_int(), items.end());
}

const TypeInfo* TypeRegistry::find_or_add(const std::string& name, const std::function<TypeInfo*()>& make) {
  std::lock_guard lock(mu_);
  const TypeInfo*& slot = by_name_[name];
  if (slot == nullptr) {
    TypeInfo* made = make();
    give_index(made);
    slot = made;
  }
  return slot;
}

void TypeRegistry::add(TypeInfo* t) {
  std::lock_guard lock(mu_);
  give_index(t);
  by_name_[t->name] = t;
}

const TypeInfo* TypeRegistry::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void TypeRegistry::give_index(TypeInfo* t) {
  if (next_index_ == TypeInfo::kNoIndex) return;
  t->index = next_index_++;
  type_table[t->index].store(t, std::memory_order_release);
}

// One registry for the whole program: this function is defined here only, so its static
// is single however many objects ask for it; made on first use, so the built-in types'
// initializers (inline variables in value.hpp) may run in any order.
TypeRegistry& types() {
  static TypeRegistry* registry = new TypeRegistry;  // never destroyed: types live as long as the program
  return *registry;
}

TypeInfo* make_sum(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display) {
  auto* t = new TypeInfo;
  t->name = std::move(name);
  t->is_sum = true;
  t->names = std::move(names);
  t->arity = std::move(arity);
  t->display = display;
  types().add(t);
  return t;
}

void no_such_field(std::size_t i, std::size_t n) {
  fail("field " + std::to_string(i) + " of a value with " + std::to_string(n));
}

Value boxed_field(const Value& v, std::size_t i) {
  switch (v.kind()) {
    case Kind::Variant:
    case Kind::Struct: {
      if (v.is_inline_record()) no_such_field(i, v.inline_size());
      const Fields& f = v.as<RecordObj>().fields;
      if (i >= f.size()) no_such_field(i, f.size());
      return f[i];
    }
    case Kind::Tuple: {
      const auto& items = v.as<TupleObj>().items;
      if (i >= items.size()) no_such_field(i, items.size());
      return items[i];
    }
    default: fail(std::string("a ") + kind_name(v.kind()) + " has no fields");
  }
}

TypeInfo* make_struct(std::string name, std::vector<std::string> fields, bool display, bool debug) {
  auto* t = new TypeInfo;
  t->name = std::move(name);
  t->names = std::move(fields);
  t->display = display;
  t->debug = debug;
  types().add(t);
  return t;
}

TypeInfo* make_sum_type(std::string name, std::vector<std::string> names, std::vector<int> arity, bool display,
                        bool debug) {
  TypeInfo* t = make_sum(std::move(name), std::move(names), std::move(arity), display);
  t->debug = debug;
  return t;
}

Value get_field(const Value& v, const char* name) {
  if (v.kind() != Kind::Struct) fail(std::string("no field `") + name + "` on a " + kind_name(v.kind()));
  const TypeInfo* type = v.type_info();
  for (std::size_t i = 0; i < type->names.size(); ++i) {
    if (type->names[i] == name) return field(v, i);
  }
  fail("struct " + type->name + " has no field `" + name + "`");
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::Variant:
    case Kind::Struct: return v.type_info()->name;
    case Kind::Str: return "String";
    default: return kind_name(v.kind());
  }
}

bool is_failure(const Value& v) {
  const TypeInfo* type = v.kind() == Kind::Variant ? v.type_info() : nullptr;
  if (type == result_type || type == option_type) return v.tag() == 1;  // Err, None
  fail("`?` needs a Result or an Option");
}

}  // namespace snow::lang
