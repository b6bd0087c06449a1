// src/lang/show.cpp: the display and debug forms of Values (snow.md#display-forms),
// declared in include/snow/lang/ops.hpp. Compiled once into libsnow_lang instead of into
// every generated program. A value received from another node shows as the Term it came
// as prints (docs/DESIGN.md, "Term and Value"; tests/snow/value_term_agree_test.cpp):
// floats and strings through Term's own code, the rest checked by that test.
#include "snow/lang/ops.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "snow/term.hpp"

namespace snow::lang {

/// Shortest digits that read back as the same double, written without an exponent;
/// integral values print without a fractional part. The wire's Term prints a float the
/// same way, and this is that code (src/wire/term.cpp), so a Float shows alike on both
/// sides of the node boundary.
std::string format_float(double d) { return Term(d).to_string(); }

std::string display(Self self, const Value& v);
std::string debug(Self self, const Value& v);

void display_seq(Self self, std::string& out, std::span<const Value> items, std::size_t from, bool dbg) {
  for (std::size_t i = from; i < items.size(); ++i) {
    if (i > from) out += ", ";
    out += dbg ? debug(self, items[i]) : display(self, items[i]);
  }
}

std::string show(Self self, const Value& v, bool dbg) {
  switch (v.kind()) {
    case Kind::Unit: return "()";
    case Kind::Int: return std::to_string(v.raw_int());
    case Kind::Float: return format_float(v.raw_float());
    case Kind::Bool: return v.as_bool() ? "true" : "false";
    // The debug form quotes and escapes as a string Term's does (its code: no second copy).
    case Kind::Str: return dbg ? Term(v.as_str()).debug_string() : v.as_str();
    case Kind::List: {
      std::string out = "[";
      display_seq(self, out, v.as<ListObj>().items, static_cast<std::size_t>(v.raw_int()), dbg);
      return out + "]";
    }
    case Kind::Tuple: {
      std::string out = "(";
      display_seq(self, out, v.as<TupleObj>().items, 0, dbg);
      // `(x,)`, as a Term prints it: `(x)` would read as a parenthesised x.
      return out + (v.as<TupleObj>().items.size() == 1 ? ",)" : ")");
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

std::string display(Self self, const Value& v) {
  // A sum type or struct without Display shows its debug form (snow.md#deriving).
  return show(self, v, false);
}
std::string debug(Self self, const Value& v) { return show(self, v, true); }

}  // namespace snow::lang
