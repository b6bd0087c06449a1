// dsl/check_exhaustive.cc: exhaustiveness (snow.md#case, snow.md#patterns): the patterns
// of a `case` or of a function's clauses match every value, at every depth, or the
// missing ones are named (E0012, W0001).
#include "checks_internal.hpp"

namespace snowc::checking {

/// A pattern with its `as` wrappers removed, or nullptr when it matches anything.
const Pat* Checker::strip(const Pat* p) const {
  while (p != nullptr && p->kind == PK::as) p = p->kids[0].get();
  if (p == nullptr || catch_all(*p)) return nullptr;
  if (p->kind == PK::ctor && p->binds) return nullptr;  // binds a name
  return p;
}

std::optional<Checker::Head> Checker::head_of(const Pat& p) const {
  switch (p.kind) {
    case PK::ctor: {
      auto it = s_.variants.find(p.name);
      if (it == s_.variants.end()) return std::nullopt;
      const int given = p.has_args ? static_cast<int>(p.kids.size()) : 0;
      if (given != it->second.arity) return std::nullopt;  // an arity error, reported elsewhere
      return Head{Head::variant, p.name, "variant " + it->second.type, it->second.arity};
    }
    case PK::tuple: return Head{Head::tuple, "", "tuple " + std::to_string(p.kids.size()), static_cast<int>(p.kids.size())};
    case PK::cons: return Head{Head::cons, "", "list", 2};
    case PK::bool_lit: return Head{Head::boolean, p.bool_value ? "true" : "false", "bool", 0};
    case PK::unit: return Head{Head::unit, "()", "unit", 0};
    case PK::int_lit: return Head{Head::literal, std::to_string(p.int_value), "int", 0};
    case PK::float_lit: return Head{Head::literal, std::to_string(p.float_value), "float", 0};
    case PK::str_lit: return Head{Head::literal, p.str_value, "string", 0};
    default: return std::nullopt;
  }
}

/// Every constructor of a family, in declaration order; empty for the literal families.
std::vector<Checker::Head> Checker::all_heads(const std::string& family) const {
  if (family == "bool") return {Head{Head::boolean, "true", family, 0}, Head{Head::boolean, "false", family, 0}};
  if (family == "unit") return {Head{Head::unit, "()", family, 0}};
  if (family == "list") return {Head{Head::nil, "[]", family, 0}, Head{Head::cons, "", family, 2}};
  if (family.rfind("tuple ", 0) == 0) {
    const int n = std::stoi(family.substr(6));
    return {Head{Head::tuple, "", family, n}};
  }
  std::vector<Head> out;
  if (family.rfind("variant ", 0) == 0) {
    const std::string type = family.substr(8);
    std::vector<std::pair<int, Head>> vs;
    for (const auto& [n, v] : s_.variants) {
      if (v.type == type) vs.push_back({v.tag, Head{Head::variant, n, family, v.arity}});
    }
    std::sort(vs.begin(), vs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [_, h] : vs) out.push_back(std::move(h));
  }
  return out;
}

/// `head` applied to the first `head.arity` parts of a witness, then the rest.
Checker::Witness Checker::compose(const Head& h, const Witness& w) {
  std::vector<std::string> args(w.begin(), w.begin() + h.arity);
  std::string shown;
  auto join = [&] {
    std::string j;
    for (const auto& a : args) j += (j.empty() ? "" : ", ") + a;
    return j;
  };
  switch (h.kind) {
    case Head::variant: shown = h.arity == 0 ? h.name : h.name + "(" + join() + ")"; break;
    case Head::tuple: shown = "(" + join() + ")"; break;
    case Head::cons:
      shown = (args[0].find(" :: ") != std::string::npos ? "(" + args[0] + ")" : args[0]) + " :: " + args[1];
      break;
    default: shown = h.name; break;
  }
  Witness out{shown};
  out.insert(out.end(), w.begin() + h.arity, w.end());
  return out;
}

/// Rows with a first pattern of alternatives split into one row per alternative.
std::vector<Checker::Row> Checker::expand_first(const std::vector<Row>& rows) const {
  std::vector<Row> out;
  for (const Row& r : rows) {
    const Pat* p = strip(r[0]);
    if (p != nullptr && p->kind == PK::alt) {
      for (const auto& k : p->kids) {
        Row alt = r;
        alt[0] = k.get();
        for (Row& e : expand_first({alt})) out.push_back(std::move(e));
      }
    } else {
      Row s = r;
      s[0] = p;
      out.push_back(std::move(s));
    }
  }
  return out;
}

/// Up to `cap` value shapes (one pattern per column) that no row matches; `gave_up_`
/// when a column cannot be analysed.
std::vector<Checker::Witness> Checker::missing(const std::vector<Row>& in, std::size_t cap) {
  if (gave_up_ || ++steps_ > 100000) {
    gave_up_ = true;
    return {};
  }
  if (in.empty()) {
    // Nothing matches any value here: the whole remaining row is missing.
    return {};  // handled by the caller through `width`
  }
  const std::size_t width = in[0].size();
  if (width == 0) return {};  // a row matches every value
  const std::vector<Row> rows = expand_first(in);
  std::vector<Head> seen;
  std::string family;
  for (const Row& r : rows) {
    if (r[0] == nullptr) continue;
    std::optional<Head> h = head_of(*r[0]);
    if (!h || (!family.empty() && h->family != family)) {
      gave_up_ = true;
      return {};
    }
    family = h->family;
    if (std::none_of(seen.begin(), seen.end(), [&](const Head& s) { return same_head(s, *h); })) seen.push_back(*h);
  }
  const std::vector<Head> all = all_heads(family);
  std::vector<Head> absent;
  for (const Head& h : all) {
    if (std::none_of(seen.begin(), seen.end(), [&](const Head& s) { return same_head(s, h); })) absent.push_back(h);
  }
  std::vector<Witness> out;
  if (!seen.empty() && !all.empty() && absent.empty()) {
    // Every constructor appears: a missing value is missing under one of them.
    for (const Head& h : all) {
      std::vector<Row> spec;
      for (const Row& r : rows) {
        Row s;
        if (r[0] == nullptr) {
          s.assign(static_cast<std::size_t>(h.arity), nullptr);
        } else if (same_head(*head_of(*r[0]), h)) {
          for (const auto& k : r[0]->kids) s.push_back(k.get());
          if (h.kind == Head::variant && !r[0]->has_args) s.clear();
        } else {
          continue;
        }
        s.insert(s.end(), r.begin() + 1, r.end());
        spec.push_back(std::move(s));
      }
      for (const Witness& w : rest_missing(spec, static_cast<std::size_t>(h.arity) + width - 1, cap - out.size())) {
        out.push_back(compose(h, w));
      }
      if (out.size() >= cap || gave_up_) break;
    }
    return out;
  }
  // Some constructor (or, for literals, some value) appears in no row: a value built with
  // it is matched only by the rows that start with a wildcard.
  std::vector<Row> defaults;
  for (const Row& r : rows) {
    if (r[0] == nullptr) defaults.emplace_back(r.begin() + 1, r.end());
  }
  const std::vector<Witness> rest = rest_missing(defaults, width - 1, cap);
  if (rest.empty()) return {};
  std::vector<std::string> firsts;
  if (seen.empty() || all.empty()) {
    firsts.push_back("_");
  } else {
    for (const Head& h : absent) firsts.push_back(compose(h, Witness(static_cast<std::size_t>(h.arity), "_"))[0]);
  }
  for (const std::string& f : firsts) {
    for (const Witness& w : rest) {
      if (out.size() >= cap) return out;
      Witness x{f};
      x.insert(x.end(), w.begin(), w.end());
      out.push_back(std::move(x));
    }
  }
  return out;
}

/// `missing` for a matrix of `width` columns that may have no rows.
std::vector<Checker::Witness> Checker::rest_missing(const std::vector<Row>& rows, std::size_t width, std::size_t cap) {
  if (rows.empty()) return {Witness(width, "_")};
  return missing(rows, cap);
}

void Checker::check_exhaustive(const Expr& e) {
  std::vector<Row> rows;
  for (const auto& a : e.arms) {
    if (!a.guard) rows.push_back({a.pat.get()});  // guarded arms do not count (snow.md#case)
  }
  gave_up_ = false;
  steps_ = 0;
  const std::vector<Witness> ws = rest_missing(rows, 1, kMaxMissing + 1);
  if (gave_up_ || ws.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < ws.size() && i < kMaxMissing; ++i) list += (list.empty() ? "" : ", ") + ws[i][0];
  if (ws.size() > kMaxMissing) list += ", ...";
  d_.error("E0012", e.span, "non-exhaustive `case`: missing " + list, "add the missing arms or a `_ ->` arm");
}

}  // namespace snowc::checking
