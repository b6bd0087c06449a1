// Term: construction, term order, hashing, printing (the atom table is in atom.cpp).
#include "snow/term.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "src/runtime/strings.hpp"

namespace snow {

// -- construction ----------------------------------------------------------------------

namespace {

std::shared_ptr<detail::TermNode> new_node() { return std::make_shared<detail::TermNode>(); }

}  // namespace

const std::shared_ptr<const detail::TermNode>& detail::empty_term_node() {
  static const auto* node = new std::shared_ptr<const TermNode>(std::make_shared<TermNode>());  // leaked: outlives every Term
  return *node;
}

Term::Term(std::string s) : kind_(Kind::string) {
  auto n = new_node();
  n->text = std::move(s);
  node_ = std::move(n);
}

Term Term::from_node(Kind kind, std::shared_ptr<const detail::TermNode> node, std::int64_t tag) {
  Term t;
  t.kind_ = kind;
  t.scalar_.i = tag;
  t.node_ = std::move(node);
  return t;
}

Term Term::list(std::vector<Term> elements) {
  if (elements.empty()) return from_node(Kind::list, detail::empty_term_node());
  auto n = new_node();
  n->items = std::move(elements);
  return from_node(Kind::list, std::move(n));
}

Term Term::tuple(std::vector<Term> elements) {
  if (elements.empty()) return from_node(Kind::tuple, detail::empty_term_node());
  auto n = new_node();
  n->items = std::move(elements);
  return from_node(Kind::tuple, std::move(n));
}

Term Term::map(std::vector<Entry> entries) {
  // Stable sort, then keep the last of each run of equal keys: "the last entry wins".
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return compare(a.first, b.first) < 0; });
  std::vector<Entry> unique;
  unique.reserve(entries.size());
  for (auto& e : entries) {
    if (!unique.empty() && unique.back().first == e.first) {
      unique.back() = std::move(e);
    } else {
      unique.push_back(std::move(e));
    }
  }
  if (unique.empty()) return from_node(Kind::map, detail::empty_term_node());
  auto n = new_node();
  n->entries = std::move(unique);
  return from_node(Kind::map, std::move(n));
}

Term Term::set(std::vector<Term> elements) {
  std::sort(elements.begin(), elements.end(), [](const Term& a, const Term& b) { return compare(a, b) < 0; });
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  if (elements.empty()) return from_node(Kind::set, detail::empty_term_node());
  auto n = new_node();
  n->items = std::move(elements);
  return from_node(Kind::set, std::move(n));
}

Term Term::structure(std::string type_name, std::vector<Field> fields) {
  auto n = new_node();
  n->text = std::move(type_name);
  n->items.reserve(fields.size());
  n->names.reserve(fields.size());
  for (auto& [name, value] : fields) {
    n->names.push_back(std::move(name));
    n->items.push_back(std::move(value));
  }
  return from_node(Kind::structure, std::move(n));
}

Term Term::sum(std::string type_name, std::string variant, std::vector<Field> fields) {
  auto n = new_node();
  n->text = std::move(type_name);
  n->variant = std::move(variant);
  n->items.reserve(fields.size());
  n->names.reserve(fields.size());
  for (auto& [name, value] : fields) {
    n->names.push_back(std::move(name));
    n->items.push_back(std::move(value));
  }
  return from_node(Kind::sum, std::move(n));
}

namespace {
Term wrap(Term::Kind kind, bool flag, Term value) {
  auto n = new_node();
  n->items.push_back(std::move(value));
  return Term::from_node(kind, std::move(n), flag ? 1 : 0);
}
}  // namespace

Term Term::some(Term value) { return wrap(Kind::option, true, std::move(value)); }
Term Term::none() { return from_node(Kind::option, nullptr, 0); }
Term Term::ok(Term value) { return wrap(Kind::result, true, std::move(value)); }
Term Term::err(Term value) { return wrap(Kind::result, false, std::move(value)); }

// -- access ----------------------------------------------------------------------------

const std::string& Term::as_string() const {
  want(Kind::string);
  return node_->text;
}

std::span<const Term> Term::elements() const {
  SNOW_CHECK(kind_ == Kind::list || kind_ == Kind::tuple || kind_ == Kind::set || kind_ == Kind::structure ||
                 kind_ == Kind::sum || kind_ == Kind::option || kind_ == Kind::result,
             "Term::elements() on a Term without elements");
  return node_ ? std::span<const Term>(node_->items) : std::span<const Term>();
}

std::span<const Term::Entry> Term::entries() const {
  want(Kind::map);
  return node_->entries;
}

std::span<const std::string> Term::field_names() const {
  SNOW_CHECK(kind_ == Kind::structure || kind_ == Kind::sum, "Term::field_names() on a Term that is not a struct or sum value");
  return node_->names;
}

const std::string& Term::type_name() const {
  SNOW_CHECK(kind_ == Kind::structure || kind_ == Kind::sum, "Term::type_name() on a Term that is not a struct or sum value");
  return node_->text;
}

const std::string& Term::variant() const {
  want(Kind::sum);
  return node_->variant;
}

std::size_t Term::size() const {
  if (kind_ == Kind::map) return node_->entries.size();
  return elements().size();
}

const Term* Term::field(std::string_view name) const {
  SNOW_CHECK(kind_ == Kind::structure || kind_ == Kind::sum, "Term::field() on a Term that is not a struct or sum value");
  for (std::size_t i = 0; i < node_->names.size(); ++i) {
    if (node_->names[i] == name) return &node_->items[i];
  }
  return nullptr;
}

const Term* Term::find(const Term& key) const {
  const auto& es = entries();
  auto it = std::lower_bound(es.begin(), es.end(), key,
                             [](const Entry& e, const Term& k) { return compare(e.first, k) < 0; });
  return it != es.end() && it->first == key ? &it->second : nullptr;
}

std::string_view kind_name(Term::Kind kind) {
  switch (kind) {
    case Term::Kind::unit: return "Unit";
    case Term::Kind::boolean: return "Bool";
    case Term::Kind::integer: return "Int";
    case Term::Kind::floating: return "Float";
    case Term::Kind::string: return "String";
    case Term::Kind::atom: return "Atom";
    case Term::Kind::list: return "List";
    case Term::Kind::tuple: return "Tuple";
    case Term::Kind::map: return "Map";
    case Term::Kind::set: return "Set";
    case Term::Kind::pid: return "Pid";
    case Term::Kind::ref: return "Ref";
    case Term::Kind::structure: return "Struct";
    case Term::Kind::sum: return "Sum";
    case Term::Kind::option: return "Option";
    case Term::Kind::result: return "Result";
  }
  return "?";
}

// -- order -----------------------------------------------------------------------------

namespace {

// Rank of each kind in the term order; ints and floats share the number rank.
int rank(Term::Kind k) {
  switch (k) {
    case Term::Kind::integer:
    case Term::Kind::floating: return 0;
    case Term::Kind::unit: return 1;
    case Term::Kind::boolean: return 2;
    case Term::Kind::atom: return 3;
    case Term::Kind::ref: return 4;
    case Term::Kind::pid: return 5;
    case Term::Kind::tuple: return 6;
    case Term::Kind::structure: return 7;
    case Term::Kind::sum: return 8;
    case Term::Kind::option: return 9;
    case Term::Kind::result: return 10;
    case Term::Kind::map: return 11;
    case Term::Kind::set: return 12;
    case Term::Kind::list: return 13;
    case Term::Kind::string: return 14;
  }
  return 15;
}

std::strong_ordering order(int c) { return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal; }

// A total order on doubles: numeric, -0.0 == 0.0, every NaN equal and above +inf.
std::strong_ordering compare_double(double a, double b) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na == nb ? std::strong_ordering::equal : na ? std::strong_ordering::greater : std::strong_ordering::less;
  return a < b ? std::strong_ordering::less : a > b ? std::strong_ordering::greater : std::strong_ordering::equal;
}

// Exact comparison of an int64 with a double (no rounding of the int through double).
std::strong_ordering compare_int_double(std::int64_t i, double d) {
  if (std::isnan(d)) return std::strong_ordering::less;
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) return std::strong_ordering::less;
  if (d < -kTwo63) return std::strong_ordering::greater;
  const double t = std::trunc(d);  // integral, and in int64 range, so the cast is exact
  const auto ti = static_cast<std::int64_t>(t);
  if (i != ti) return i < ti ? std::strong_ordering::less : std::strong_ordering::greater;
  if (d > t) return std::strong_ordering::less;
  if (d < t) return std::strong_ordering::greater;
  return std::strong_ordering::less;  // equal value: the int sorts first
}

std::strong_ordering compare_terms(std::span<const Term> a, std::span<const Term> b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (auto c = Term::compare(a[i], b[i]); c != 0) return c;
  }
  return a.size() <=> b.size();
}

std::strong_ordering compare_fields(const detail::TermNode& a, const detail::TermNode& b) {
  const std::size_t n = std::min(a.items.size(), b.items.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (auto c = order(a.names[i].compare(b.names[i])); c != 0) return c;
    if (auto c = Term::compare(a.items[i], b.items[i]); c != 0) return c;
  }
  return a.items.size() <=> b.items.size();
}

}  // namespace

std::strong_ordering Term::compare(const Term& a, const Term& b) {
  const int ra = rank(a.kind_), rb = rank(b.kind_);
  if (ra != rb) return ra <=> rb;
  switch (a.kind_) {
    case Kind::integer:
      if (b.kind_ == Kind::integer) return a.scalar_.i <=> b.scalar_.i;
      return compare_int_double(a.scalar_.i, b.scalar_.d);
    case Kind::floating:
      if (b.kind_ == Kind::floating) return compare_double(a.scalar_.d, b.scalar_.d);
      return 0 <=> compare_int_double(b.scalar_.i, a.scalar_.d);
    case Kind::unit: return std::strong_ordering::equal;
    case Kind::boolean: return a.scalar_.i <=> b.scalar_.i;
    case Kind::atom:  // one pointer when both are the same interned atom, else by text
      if (a.scalar_.atom_text == b.scalar_.atom_text) return std::strong_ordering::equal;
      return order(a.scalar_.atom_text->compare(*b.scalar_.atom_text));
    case Kind::pid:
    case Kind::ref: return a.scalar_.u <=> b.scalar_.u;
    case Kind::string: return order(a.node_->text.compare(b.node_->text));
    case Kind::list: return compare_terms(a.node_->items, b.node_->items);
    case Kind::tuple:
    case Kind::set:
      if (a.node_->items.size() != b.node_->items.size()) return a.node_->items.size() <=> b.node_->items.size();
      return compare_terms(a.node_->items, b.node_->items);
    case Kind::map: {
      const auto& ea = a.node_->entries;
      const auto& eb = b.node_->entries;
      if (ea.size() != eb.size()) return ea.size() <=> eb.size();
      for (std::size_t i = 0; i < ea.size(); ++i) {  // keys first, then values (Erlang)
        if (auto c = compare(ea[i].first, eb[i].first); c != 0) return c;
      }
      for (std::size_t i = 0; i < ea.size(); ++i) {
        if (auto c = compare(ea[i].second, eb[i].second); c != 0) return c;
      }
      return std::strong_ordering::equal;
    }
    case Kind::structure:
      if (auto c = order(a.node_->text.compare(b.node_->text)); c != 0) return c;
      return compare_fields(*a.node_, *b.node_);
    case Kind::sum:
      if (auto c = order(a.node_->text.compare(b.node_->text)); c != 0) return c;
      if (auto c = order(a.node_->variant.compare(b.node_->variant)); c != 0) return c;
      return compare_fields(*a.node_, *b.node_);
    case Kind::option:
    case Kind::result:
      // Some < None and Ok < Err: the flag is 1 for Some/Ok, so a larger flag sorts first.
      if (a.scalar_.i != b.scalar_.i) return b.scalar_.i <=> a.scalar_.i;
      return a.node_ ? compare(a.node_->items[0], b.node_->items[0]) : std::strong_ordering::equal;
  }
  return std::strong_ordering::equal;
}

// -- hashing ---------------------------------------------------------------------------

std::size_t Term::hash() const {
  // Equal terms must hash alike: an integral float equal to an int is still a different
  // term (1 != 1.0), so kinds hash apart; -0.0 and every NaN are normalised.
  switch (kind_) {
    case Kind::unit: return absl::HashOf(0);
    case Kind::boolean: return absl::HashOf(1, scalar_.i);
    case Kind::integer: return absl::HashOf(2, scalar_.i);
    case Kind::floating: {
      double d = scalar_.d;
      if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
      if (d == 0) d = 0;
      std::uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return absl::HashOf(3, bits);
    }
    case Kind::atom: return absl::HashOf(4, internal::to_absl(*scalar_.atom_text));
    case Kind::pid: return absl::HashOf(5, scalar_.u);
    case Kind::ref: return absl::HashOf(6, scalar_.u);
    case Kind::string: return absl::HashOf(7, internal::to_absl(node_->text));
    case Kind::list:
    case Kind::tuple:
    case Kind::set: {
      std::size_t h = absl::HashOf(static_cast<int>(kind_) + 8, node_->items.size());
      for (const Term& t : node_->items) h = absl::HashOf(h, t.hash());
      return h;
    }
    case Kind::map: {
      std::size_t h = absl::HashOf(30, node_->entries.size());
      for (const auto& [k, v] : node_->entries) h = absl::HashOf(h, k.hash(), v.hash());
      return h;
    }
    case Kind::structure:
    case Kind::sum: {
      std::size_t h = absl::HashOf(static_cast<int>(kind_) + 40, internal::to_absl(node_->text),
                                   internal::to_absl(node_->variant));
      for (std::size_t i = 0; i < node_->items.size(); ++i)
        h = absl::HashOf(h, internal::to_absl(node_->names[i]), node_->items[i].hash());
      return h;
    }
    case Kind::option:
    case Kind::result:
      return absl::HashOf(static_cast<int>(kind_) + 60, scalar_.i, node_ ? node_->items[0].hash() : 0);
  }
  return 0;
}

// -- printing --------------------------------------------------------------------------

namespace {

// Snow's display form of a Float (snow.md#display-forms), which Snow's own printing also
// uses (snow::lang::format_float prints through a float Term): the shortest digits that
// read back as the same double, written without an exponent, integral values without a
// fraction. Not std::to_chars' fixed form: for a large double that gives the exact
// integer (1e23 as 99999999999999991611392), not the shortest digits padded with zeros
// (100000000000000000000000).
void append_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "inf" : "-inf";
    return;
  }
  if (d == 0) {
    out += std::signbit(d) ? "-0" : "0";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));  // [-]d[.ddd]e[+-]xx
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const std::size_t e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  std::string digits(s.substr(0, e));
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  const int point = 1 + exp;                   // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point));
  }
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      case '$':
        // "${" would start an interpolation if the debug form were read back as Snow.
        out += (i + 1 < s.size() && s[i + 1] == '{') ? "\\$" : "$";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, "\\u{", absl::Hex(static_cast<unsigned char>(c)), "}");
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void print(std::string& out, const Term& t, bool debug);

void print_seq(std::string& out, std::span<const Term> items, bool debug) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    print(out, items[i], debug);
  }
}

void print(std::string& out, const Term& t, bool debug) {
  using K = Term::Kind;
  switch (t.kind()) {
    case K::unit: out += "()"; return;
    case K::boolean: out += t.as_bool() ? "true" : "false"; return;
    case K::integer: absl::StrAppend(&out, t.as_int()); return;
    case K::floating: append_float(out, t.as_float()); return;
    case K::string:
      if (debug) {
        append_quoted(out, t.as_string());
      } else {
        out += t.as_string();
      }
      return;
    case K::atom:
      if (debug) out += ':';
      out += t.as_atom().name();
      return;
    case K::pid: out += t.as_pid().to_string(); return;
    case K::ref: out += t.as_ref().to_string(); return;
    case K::list:
      out += '[';
      print_seq(out, t.elements(), debug);
      out += ']';
      return;
    case K::tuple:
      out += '(';
      print_seq(out, t.elements(), debug);
      if (t.size() == 1) out += ',';  // (x) would read as a parenthesised x
      out += ')';
      return;
    case K::set:
      out += "#{";
      print_seq(out, t.elements(), debug);
      out += '}';
      return;
    case K::map: {
      out += "%{";
      bool first = true;
      for (const auto& [k, v] : t.entries()) {
        if (!first) out += ", ";
        first = false;
        print(out, k, debug);
        out += " => ";
        print(out, v, debug);
      }
      out += '}';
      return;
    }
    case K::structure: {
      out += t.type_name();
      if (!debug) {  // display: Name(v, w)
        out += '(';
        print_seq(out, t.elements(), false);
        out += ')';
        return;
      }
      if (t.size() == 0) {  // debug: Name { f: v, g: w }
        out += " {}";
        return;
      }
      out += " { ";
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (i) out += ", ";
        absl::StrAppend(&out, t.field_names()[i], ": ");
        print(out, t.elements()[i], true);
      }
      out += " }";
      return;
    }
    case K::sum:
      out += t.variant();
      if (t.size() > 0) {
        out += '(';
        print_seq(out, t.elements(), debug);
        out += ')';
      }
      return;
    case K::option:
    case K::result:
      if (t.is_option() && !t.is_some()) {
        out += "None";
        return;
      }
      out += t.is_option() ? "Some(" : t.is_ok() ? "Ok(" : "Err(";
      print(out, t.elements()[0], debug);
      out += ')';
      return;
  }
}

}  // namespace

std::string Term::to_string() const {
  std::string out;
  print(out, *this, false);
  return out;
}

std::string Term::debug_string() const {
  std::string out;
  print(out, *this, true);
  return out;
}

}  // namespace snow
