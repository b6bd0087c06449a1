// dsl/emit_patterns.cc: patterns: the C++ test that a value matches one, and the
// bindings it makes (declared, or assigned inside an or-pattern).
#include "emit_internal.hpp"
#include "resolve.hpp"

namespace snowc::emit {

// ---- patterns ----
bool Emitter::is_variant_pat(const Pat& p) const {
  return p.kind == PK::ctor && !p.binds;
}

std::string Emitter::pat_test(const Pat& p, const std::string& v) {
  switch (p.kind) {
    case PK::wild: case PK::var: return "true";
    case PK::int_lit: return "sl::match_int(" + v + ", " + (p.int_value == INT64_MIN ? "INT64_MIN" : std::to_string(p.int_value)) + ")";
    case PK::float_lit: return "sl::match_float(" + v + ", " + float_literal(p.float_value) + ")";
    case PK::str_lit: return "sl::match_str(" + v + ", " + cpp_string(p.str_value) + ")";
    case PK::bool_lit: return std::string("sl::match_bool(") + v + ", " + (p.bool_value ? "true" : "false") + ")";
    case PK::unit: return "sl::match_unit(" + v + ")";
    case PK::as: return pat_test(*p.kids[0], v);
    case PK::tuple: {
      std::string t = "sl::is_tuple(" + v + ", " + std::to_string(p.kids.size()) + ")";
      for (std::size_t i = 0; i < p.kids.size(); ++i) {
        const std::string k = pat_test(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")");
        if (k != "true") t += " && " + k;
      }
      return "(" + t + ")";
    }
    case PK::ctor: {
      if (!is_variant_pat(p)) return "true";  // an upper-case name that binds
      auto it = s_.variants.find(p.name);
      if (it == s_.variants.end()) return "false";
      std::string t = "sl::is_variant(" + v + ", " + type_var(it->second.type) + ", " + std::to_string(it->second.tag) + ")";
      for (std::size_t i = 0; i < p.kids.size(); ++i) {  // after is_variant: its fields exist
        const std::string k = pat_test(*p.kids[i], "sl::variant_field(" + v + ", " + std::to_string(i) + ")");
        if (k != "true") t += " && " + k;
      }
      return "(" + t + ")";
    }
    case PK::cons: {
      std::string t = "sl::is_cons(" + v + ")";
      const std::string h = pat_test(*p.kids[0], "sl::list_head(" + v + ")");
      const std::string tl = pat_test(*p.kids[1], "sl::list_tail(" + v + ")");
      if (h != "true") t += " && " + h;
      if (tl != "true") t += " && " + tl;
      return "(" + t + ")";
    }
    case PK::alt: {
      std::string t;
      for (const auto& k : p.kids) t += (t.empty() ? "" : " || ") + pat_test(*k, v);
      return "(" + t + ")";
    }
  }
  return "false";
}

void Emitter::pattern_names(const Pat& p, std::vector<std::string>& out) const { bound_names(p, out); }

/// Declares (or, inside an or-pattern, assigns) the names `p` binds from `v`.
void Emitter::pat_bind(const Pat& p, const std::string& v, bool assign) {
  auto bind_name = [&](const std::string& snow) {
    if (assign) {
      out_->line(*lookup(snow) + " = " + v + ";");
    } else {
      if (snow == moved_binding_ && !moved_into_.empty()) {  // the arm's value: made in its destination
        out_->line(moved_into_ + " = " + v + ";");
        scopes_.back()[snow] = moved_into_;
        return;
      }
      const std::string n = declare(snow);
      out_->line(std::string(snow == moved_binding_ ? "sl::Value " : "const sl::Value ") + n + " = " + v + ";");
    }
  };
  switch (p.kind) {
    case PK::var: bind_name(p.name); return;
    case PK::as:
      pat_bind(*p.kids[0], v, assign);
      bind_name(p.name);
      return;
    case PK::tuple:
      for (std::size_t i = 0; i < p.kids.size(); ++i) pat_bind(*p.kids[i], "sl::field(" + v + ", " + std::to_string(i) + ")", assign);
      return;
    case PK::ctor:
      if (!is_variant_pat(p)) {
        bind_name(p.name);
        return;
      }
      // pat_test has matched the variant (every pat_bind follows it): its fields exist.
      for (std::size_t i = 0; i < p.kids.size(); ++i) {
        pat_bind(*p.kids[i], "sl::variant_field(" + v + ", " + std::to_string(i) + ")", assign);
      }
      return;
    case PK::cons:
      pat_bind(*p.kids[0], "sl::list_head(" + v + ")", assign);
      pat_bind(*p.kids[1], "sl::list_tail(" + v + ")", assign);
      return;
    case PK::alt: {
      std::vector<std::string> names;
      pattern_names(p, names);
      if (names.empty()) return;
      if (!assign) {
        for (const auto& n : names) out_->line("sl::Value " + declare(n) + ";");
      }
      for (std::size_t i = 0; i < p.kids.size(); ++i) {
        out_->line(std::string(i == 0 ? "if (" : "} else if (") + pat_test(*p.kids[i], v) + ") {");
        out_->indent++;
        pat_bind(*p.kids[i], v, true);
        out_->indent--;
      }
      out_->line("}");
      return;
    }
    default: return;
  }
}

/// The name an arm's value is, when that value is just one of the names its pattern binds
/// (`Pong(k) -> k`): the arm is that binding's last use, so it is moved out, not copied.
std::string Emitter::arm_result_name(const Arm& a, const Dest& d) const {
  if (a.body->kind != EK::ident || (d.kind != Dest::assign && d.kind != Dest::ret)) return "";
  std::vector<std::string> names;
  pattern_names(*a.pat, names);
  return std::find(names.begin(), names.end(), a.body->name) != names.end() ? a.body->name : "";
}

/// An arm's value: `moved` is arm_result_name's answer for it, which the arm's pattern
/// bound straight into the destination variable, or (a return) as a non-const Value
/// (pat_bind reads moved_binding_ and moved_into_).
void Emitter::arm_value(const Arm& a, const std::string& moved, const Dest& d) {
  if (!moved.empty()) {
    const std::string n = *lookup(moved);
    if (n != d.var) finish(d.kind == Dest::assign ? "std::move(" + n + ")" : n, d);  // a return moves a local by itself
  } else {
    into(*a.body, d);
  }
}

}  // namespace snowc::emit
