// src/lang/terms.cpp: Snow values to and from snow::Term (include/snow/lang/value_wire.hpp
// says what each kind becomes), and the Wire<Value> trait that uses them. Compiled once
// into libsnow_lang instead of into every generated program.
#include "snow/lang/value_wire.hpp"

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace snow::lang {

/// The Term form of `v`; a Snow runtime error for a function or a Job anywhere inside it.
Term to_term(const Value& v) {
  auto items_of = [](const std::vector<Value>& xs, std::size_t from = 0) {
    std::vector<Term> out;
    out.reserve(xs.size() - from);
    for (std::size_t i = from; i < xs.size(); ++i) out.push_back(to_term(xs[i]));
    return out;
  };
  switch (v.kind()) {
    case Kind::Unit: return Term();
    case Kind::Int: return Term(v.raw_int());
    case Kind::Float: return Term(v.raw_float());
    case Kind::Bool: return Term(v.as_bool());
    case Kind::Str: return Term(v.as_str());
    case Kind::Pid: return Term(v.as_pid());
    case Kind::List: return Term::list(items_of(v.as<ListObj>().items, static_cast<std::size_t>(v.raw_int())));
    case Kind::Tuple: return Term::tuple(items_of(v.as<TupleObj>().items));
    case Kind::Map: {
      std::vector<Term> entries;
      entries.reserve(v.as<MapObj>().entries.size());
      for (const auto& [k, x] : v.as<MapObj>().entries) entries.push_back(Term::tuple({to_term(k), to_term(x)}));
      return Term::structure("Map", {{"entries", Term::list(std::move(entries))}});
    }
    case Kind::Set: {
      std::vector<Term> items;
      for (std::int64_t x : v.as<SetObj>().items) items.emplace_back(x);
      return Term::structure("Set", {{"items", Term::list(std::move(items))}});
    }
    case Kind::Queue: {
      std::vector<Term> items;
      for (std::int64_t x : v.as<QueueObj>().items) items.emplace_back(x);
      return Term::structure("Queue", {{"items", Term::list(std::move(items))}});
    }
    case Kind::Range: {
      const auto& r = v.as<RangeObj>();
      return Term::structure("Range", {{"lo", Term(r.lo)}, {"hi", Term(r.hi)}});
    }
    case Kind::Variant: {
      const Shape o(v);
      if (o.type() == option_type) return o.tag() == 0 ? Term::some(to_term(o.fields()[0])) : Term::none();
      if (o.type() == result_type) {
        return o.tag() == 0 ? Term::ok(to_term(o.fields()[0])) : Term::err(to_term(o.fields()[0]));
      }
      std::vector<Term::Field> fields;
      for (const Value& f : o.fields()) fields.emplace_back(std::string(), to_term(f));
      return Term::sum(o.type()->name, o.type()->names[static_cast<std::size_t>(o.tag())], std::move(fields));
    }
    case Kind::Struct: {
      const Shape o(v);
      std::vector<Term::Field> fields;
      for (std::size_t i = 0; i < o.fields().size(); ++i) {
        fields.emplace_back(o.type()->names[i], to_term(o.fields()[i]));
      }
      return Term::structure(o.type()->name, std::move(fields));
    }
    case Kind::Fun:
      fail("a function value cannot be sent to another node (snow.md#remote-send): send the data it would compute, or "
           "spawn the actor there by name with Node.spawn");
    case Kind::Job: fail("a Job cannot be sent to another node: await it here and send its result");
  }
  fail("this value cannot be sent to another node");
}

namespace terms {

/// The TypeInfo for a struct another node named that this program does not declare: made
/// from the first value that arrives (its field names).
const TypeInfo* foreign_struct(const Term& t) {
  return types().find_or_add(t.type_name(), [&]() -> TypeInfo* {
    auto* info = new TypeInfo;
    info->name = t.type_name();
    info->names.assign(t.field_names().begin(), t.field_names().end());
    return info;
  });
}

/// A variant of a sum type this program does not declare: one TypeInfo per variant (so
/// no TypeInfo ever changes once made), registered as "Type.Variant" and named "Type".
const TypeInfo* foreign_variant(const Term& t) {
  return types().find_or_add(t.type_name() + "." + t.variant(), [&]() -> TypeInfo* {
    auto* info = new TypeInfo;
    info->name = t.type_name();
    info->is_sum = true;
    info->names = {t.variant()};
    info->arity = {static_cast<int>(t.size())};
    return info;
  });
}

/// The tag of `t`'s variant in `type`, which this program declares.
int variant_tag(const TypeInfo* type, const Term& t) {
  const std::string& name = t.variant();
  for (std::size_t i = 0; i < type->names.size(); ++i) {
    if (type->names[i] != name) continue;
    if (type->arity[i] != static_cast<int>(t.size())) {
      throw NotConvertible{type->name + "." + name + " has " + std::to_string(type->arity[i]) +
                           " fields in this program, the value has " + std::to_string(t.size())};
    }
    return static_cast<int>(i);
  }
  throw NotConvertible{"type " + type->name + " has no variant " + name + " in this program"};
}

std::vector<Value> values_of(std::span<const Term> ts) {
  std::vector<Value> out;
  out.reserve(ts.size());
  for (const Term& x : ts) out.push_back(from_term_or_throw(x));
  return out;
}

/// A Snow map from the entries of a "Map" struct, in their order.
Value map_in_order(const Term& entries) {
  if (!entries.is_list()) throw NotConvertible{"a Map's entries are a list"};
  auto m = std::make_unique<MapObj>();
  std::vector<Term::Entry> keys;  // to find a repeated key in O(n log n): a Term map drops repeats
  m->entries.reserve(entries.size());
  keys.reserve(entries.size());
  for (const Term& e : entries.elements()) {
    if (!e.is_tuple() || e.size() != 2) throw NotConvertible{"a Map's entry is a (key, value) tuple"};
    m->entries.emplace_back(from_term_or_throw(e.elements()[0]), from_term_or_throw(e.elements()[1]));
    keys.emplace_back(e.elements()[0], Term());
  }
  if (Term::map(std::move(keys)).size() != m->entries.size()) throw NotConvertible{"a Map arrived with a repeated key"};
  return Value::of_obj(Kind::Map, std::move(m));
}

/// A Snow set from the items of a "Set" struct, in their order.
Value set_in_order(const Term& items) {
  if (!items.is_list()) throw NotConvertible{"a Set's items are a list"};
  auto s = std::make_unique<SetObj>();
  s->items.reserve(items.size());
  for (const Term& x : items.elements()) {
    if (!x.is_int()) throw NotConvertible{"a Snow Set holds Ints only, this one holds a " + std::string(kind_name(x.kind()))};
    s->items.push_back(x.as_int());
  }
  if (Term::set(std::vector<Term>(items.elements().begin(), items.elements().end())).size() != s->items.size()) {
    throw NotConvertible{"a Set arrived with a repeated item"};
  }
  return Value::of_obj(Kind::Set, std::move(s));
}

Value from_term_or_throw(const Term& t) {
  switch (t.kind()) {
    case Term::Kind::unit: return unit();
    case Term::Kind::boolean: return B(t.as_bool());
    case Term::Kind::integer: return I(t.as_int());
    case Term::Kind::floating: return F(t.as_float());
    case Term::Kind::string: return S(t.as_string());
    case Term::Kind::atom: return S(std::string(t.as_atom().name()));
    case Term::Kind::pid: return Value::of_pid(t.as_pid());
    case Term::Kind::ref: return I(static_cast<std::int64_t>(t.as_ref().raw()));
    case Term::Kind::list: return list(values_of(t.elements()));
    case Term::Kind::tuple: return tuple(values_of(t.elements()));
    case Term::Kind::map: {
      auto m = std::make_unique<MapObj>();
      for (const auto& [k, x] : t.entries()) m->entries.emplace_back(from_term_or_throw(k), from_term_or_throw(x));
      return Value::of_obj(Kind::Map, std::move(m));
    }
    case Term::Kind::set: {
      auto s = std::make_unique<SetObj>();
      for (const Term& x : t.elements()) {
        if (!x.is_int()) throw NotConvertible{"a Snow Set holds Ints only, this one holds a " + std::string(kind_name(x.kind()))};
        s->items.push_back(x.as_int());
      }
      return Value::of_obj(Kind::Set, std::move(s));
    }
    case Term::Kind::option: return t.is_some() ? Some(from_term_or_throw(t.elements()[0])) : None();
    case Term::Kind::result:
      return t.is_ok() ? Ok(from_term_or_throw(t.elements()[0])) : Err(from_term_or_throw(t.elements()[0]));
    case Term::Kind::sum: {
      const TypeInfo* type = types().find(t.type_name());
      if (type == nullptr) return Value::variant(foreign_variant(t), 0, values_of(t.elements()));
      if (!type->is_sum) throw NotConvertible{t.type_name() + " is a struct in this program, not a sum type"};
      return Value::variant(type, variant_tag(type, t), values_of(t.elements()));
    }
    case Term::Kind::structure: {
      const TypeInfo* type = types().find(t.type_name());
      if (type == nullptr) {
        if (t.type_name() == "Queue" && t.size() == 1 && t.field("items") != nullptr) {
          if (!t.field("items")->is_list()) throw NotConvertible{"a Queue's items are a list"};
          auto q = std::make_unique<QueueObj>();
          for (const Term& x : t.field("items")->elements()) {
            if (!x.is_int()) throw NotConvertible{"a Snow Queue holds Ints only"};
            q->items.push_back(x.as_int());
          }
          return Value::of_obj(Kind::Queue, std::move(q));
        }
        if (t.type_name() == "Map" && t.size() == 1 && t.field("entries") != nullptr) return map_in_order(*t.field("entries"));
        if (t.type_name() == "Set" && t.size() == 1 && t.field("items") != nullptr) return set_in_order(*t.field("items"));
        const Term* lo = t.field("lo");
        const Term* hi = t.field("hi");
        if (t.type_name() == "Range" && t.size() == 2 && lo && hi && lo->is_int() && hi->is_int()) {
          return Value::of_obj(Kind::Range, std::make_unique<RangeObj>(lo->as_int(), hi->as_int()));
        }
        type = foreign_struct(t);
      }
      if (type->is_sum) throw NotConvertible{t.type_name() + " is a sum type in this program, not a struct"};
      // Fields by name, in this program's declaration order.
      std::vector<Value> fields;
      for (const std::string& name : type->names) {
        const Term* f = t.field(name);
        if (f == nullptr) throw NotConvertible{"struct " + type->name + " arrived without its field " + name};
        fields.push_back(from_term_or_throw(*f));
      }
      if (t.size() != type->names.size()) {
        throw NotConvertible{"struct " + type->name + " has " + std::to_string(type->names.size()) +
                             " fields in this program, the value has " + std::to_string(t.size())};
      }
      return Value::strukt(type, std::move(fields));
    }
  }
  throw NotConvertible{"a Term of an unknown kind"};
}

}  // namespace terms

/// The Value a Term stands for, or why it cannot be one.
absl::StatusOr<Value> from_term(const Term& t) {
  try {
    return terms::from_term_or_throw(t);
  } catch (const terms::NotConvertible& e) {
    return absl::InvalidArgumentError(e.why);
  }
}

}  // namespace snow::lang

namespace snow {

void Wire<lang::Value>::encode(detail::Encoder& e, const lang::Value& v) {
  Term t;
  try {
    t = lang::to_term(v);
  } catch (const std::exception& ex) {
    e.trail().fail(ex.what());
    return;
  }
  detail::encode_term(e, t);
}
bool Wire<lang::Value>::decode(detail::Decoder& d, lang::Value& out) {
  Term t;
  if (!detail::decode_term(d, t)) return false;
  absl::StatusOr<lang::Value> v = lang::from_term(t);
  if (!v.ok()) return d.fail(std::string(v.status().message()));
  out = std::move(*v);
  return true;
}
bool Wire<lang::Value>::from_term(detail::Converter& c, const Term& t, lang::Value& out) {
  absl::StatusOr<lang::Value> v = lang::from_term(t);
  if (!v.ok()) return c.fail(std::string(v.status().message()));
  out = std::move(*v);
  return true;
}

}  // namespace snow
