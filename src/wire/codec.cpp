// The STF coder's cold paths (error messages) and the Term <-> STF codec.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "snow/detail/message_node.hpp"
#include "snow/wire.hpp"
#include "src/wire/decoded_cost.hpp"
#include "src/runtime/strings.hpp"

namespace snow {
namespace detail {

namespace {

std::string_view tag_name(std::uint8_t tag) {
  if (tag > kMaxTag) return "an unknown tag";
  switch (static_cast<Tag>(tag)) {
    case Tag::none: return "None";
    case Tag::some: return "Some";
    case Tag::ok: return "Ok";
    case Tag::err: return "Err";
    case Tag::structure: return "Struct";
    case Tag::sum: return "Sum";
    default: return kind_name(kind_of_tag(tag));
  }
}

// Printable form of a name from the input: hostile bytes must not reach a log raw.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

// -- ErrorTrail ------------------------------------------------------------------------

bool ErrorTrail::fail(std::string message) {
  if (!failed_) {
    failed_ = true;
    message_ = std::move(message);
  }
  return false;
}

bool ErrorTrail::in_field(std::string_view name) {
  reversed_path_.push_back(absl::StrCat(".", internal::to_absl(name)));
  return false;
}

bool ErrorTrail::in_index(std::size_t index) {
  reversed_path_.push_back(absl::StrCat("[", index, "]"));
  return false;
}

bool ErrorTrail::in_entry(std::size_t index, bool key) {
  reversed_path_.push_back(absl::StrCat("{entry ", index, key ? " key}" : " value}"));
  return false;
}

std::string ErrorTrail::path() const {
  std::string out;
  for (auto it = reversed_path_.rbegin(); it != reversed_path_.rend(); ++it) out += *it;
  return out;
}

// -- Encoder ---------------------------------------------------------------------------

void Encoder::grow(std::size_t n) {
  // Geometric growth; the caller trims to what was written in finish().
  out_.resize(std::max({out_.size() * 2, pos_ + n, std::size_t{64}}));
}

void Encoder::fail_string_too_long(std::size_t n) {
  trail_.fail(absl::StrCat("a string of ", n, " bytes does not fit the format's 32-bit length"));
}

void Encoder::fail_not_utf8() { trail_.fail("a string is not valid UTF-8"); }

bool Encoder::fail_count(std::size_t n) {
  return trail_.fail(absl::StrCat("a collection of ", n, " elements does not fit the format's 32-bit count"));
}

bool Encoder::fail_depth() {
  return trail_.fail(absl::StrCat("nesting deeper than the limit of ", limits_.max_depth));
}

// -- Decoder ---------------------------------------------------------------------------

bool Decoder::fail(std::string message) {
  if (!trail_.failed()) error_offset_ = offset();
  return trail_.fail(std::move(message));
}

bool Decoder::fail_truncated(std::size_t need) {
  return fail(absl::StrCat("input ends early: ", need, " more bytes needed, ", remaining(), " left"));
}

bool Decoder::fail_unknown_tag(std::uint8_t tag) {
  return fail(absl::StrCat("unknown tag 0x", absl::Hex(tag, absl::kZeroPad2)));
}

bool Decoder::fail_mismatch(std::string_view expected, std::uint8_t found_tag) {
  return fail(absl::StrCat("expected ", internal::to_absl(expected), ", found ", internal::to_absl(tag_name(found_tag)),
                           " (tag 0x", absl::Hex(found_tag, absl::kZeroPad2), ")"));
}

bool Decoder::fail_out_of_range(std::int64_t v, const std::type_info& type) {
  return fail(absl::StrCat(v, " is out of range of ", demangle(type)));
}

bool Decoder::fail_duplicate(std::string_view what) {
  return fail(absl::StrCat("duplicate ", internal::to_absl(what)));
}

bool Decoder::fail_too_long(std::string_view what, std::size_t n, std::size_t limit) {
  return fail(absl::StrCat(internal::to_absl(what), " of ", n, " is over the limit of ", limit));
}

bool Decoder::fail_not_utf8(std::string_view s) {
  // Point at the string itself, not past it.
  if (!trail_.failed()) {
    trail_.fail(absl::StrCat("string is not valid UTF-8: \"", printable(s), "\""));
    error_offset_ = static_cast<std::size_t>(s.data() - begin_);
  }
  return false;
}

bool Decoder::fail_name(std::string_view what, std::string_view want, std::string_view got) {
  return fail(absl::StrCat("expected ", internal::to_absl(what), " ", internal::to_absl(want), ", found ",
                           printable(got)));
}

bool Decoder::fail_unknown_node(std::uint16_t index) {
  return fail(absl::StrCat("node index ", index, " was never announced on this connection"));
}

bool Decoder::fail_count_exceeds_input(std::size_t n) {
  return fail(absl::StrCat("count of ", n, " is more than the ", remaining(), " remaining bytes can hold"));
}

bool Decoder::fail_depth() { return fail(absl::StrCat("nesting deeper than the limit of ", limits_.max_depth)); }

bool Decoder::fail_decoded_size(std::size_t bytes) {
  // The limit's name first: a node's log line keeps only the start of the message.
  return fail(absl::StrCat("over max_decoded_bytes_per_input_byte: the decoded value would take more than ",
                           decoded_budget_, " bytes of memory (", decoded_bytes(), " so far, ", bytes,
                           " more) for these ", static_cast<std::size_t>(end_ - begin_),
                           " bytes (DecodeLimits allows ", limits_.max_decoded_bytes_per_input_byte,
                           " bytes per input byte, and at least ", limits_.min_decoded_bytes, ")"));
}

absl::Status Decoder::status(std::string_view what) const {
  const std::string path = trail_.path();
  return absl::InvalidArgumentError(absl::StrCat("STF: cannot decode ", internal::to_absl(what), " at byte ",
                                                 error_offset_, path.empty() ? "" : ", in ", path, ": ",
                                                 trail_.message()));
}

bool Decoder::peek_head(Term::Kind& kind, std::string_view& type_name) {
  std::uint8_t tag;
  if (!peek_tag(tag)) return false;
  kind = kind_of_tag(tag);
  type_name = {};
  if (kind == Term::Kind::structure || kind == Term::Kind::sum) {
    if (remaining() < 2) return fail_truncated(2);
    const auto n = static_cast<std::uint8_t>(cur_[1]);
    if (remaining() < 2 + std::size_t{n}) return fail_truncated(2 + std::size_t{n});
    type_name = std::string_view(cur_ + 2, n);
  }
  return true;
}

// -- Converter -------------------------------------------------------------------------

bool Converter::fail_mismatch(std::string_view expected, const Term& found) {
  std::string shown = found.debug_string();
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  return trail_.fail(absl::StrCat("expected ", internal::to_absl(expected), ", found ",
                                  internal::to_absl(kind_name(found.kind())), " ", shown));
}

absl::Status Converter::status(std::string_view what) const {
  const std::string path = trail_.path();
  return absl::InvalidArgumentError(absl::StrCat("cannot convert Term to ", internal::to_absl(what),
                                                 path.empty() ? "" : ", at ", path, ": ", trail_.message()));
}

// -- framing ---------------------------------------------------------------------------

std::string type_name_for_errors(const std::type_info& type) {
  if (type == typeid(std::string)) return "std::string";
  if (type == typeid(Term)) return "Term";
  return demangle(type);
}

void begin_encoding(std::string& out) { out.push_back(static_cast<char>(kStfVersion)); }

bool check_version(Decoder& d) {
  std::uint8_t v;
  if (!d.get_u8(v)) return false;
  if (v != kStfVersion) [[unlikely]]
    return d.fail(absl::StrCat("unsupported STF version ", v, " (this build reads version ", kStfVersion, ")"));
  return true;
}

bool check_end(Decoder& d) {
  if (!d.at_end()) [[unlikely]]
    return d.fail(absl::StrCat(d.remaining(), " trailing bytes after the value"));
  return true;
}

// -- Term <-> STF ----------------------------------------------------------------------

namespace {

bool put_checked_name(Encoder& e, std::string_view name, std::string_view what) {
  if (name.size() > 255) [[unlikely]]
    return e.trail().fail(absl::StrCat(internal::to_absl(what), " name of ", name.size(), " bytes is over 255"));
  if (!is_valid_utf8(name)) [[unlikely]]
    return e.trail().fail(absl::StrCat(internal::to_absl(what), " name is not valid UTF-8"));
  e.put_name(name);
  return true;
}

void encode_fields_of(Encoder& e, const Term& t) {
  const auto items = t.elements();
  const auto names = t.field_names();
  e.put_le(static_cast<std::uint32_t>(items.size()));
  for (std::size_t i = 0; i < items.size() && e.ok(); ++i) {
    if (!put_checked_name(e, names[i], "field")) return;
    encode_term(e, items[i]);
    if (!e.ok()) e.trail().in_field(names[i]);
  }
}

void encode_items(Encoder& e, std::span<const Term> items) {
  for (std::size_t i = 0; i < items.size() && e.ok(); ++i) {
    encode_term(e, items[i]);
    if (!e.ok()) e.trail().in_index(i);
  }
}

}  // namespace

void encode_term(Encoder& e, const Term& t) {
  using K = Term::Kind;
  switch (t.kind()) {
    case K::unit: e.put_tag(Tag::unit); return;
    case K::boolean: e.put_tag(t.as_bool() ? Tag::true_ : Tag::false_); return;
    case K::integer: e.put_int(t.as_int()); return;
    case K::floating: e.put_double(t.as_float()); return;
    case K::string: e.put_string(t.as_string()); return;
    case K::atom:
      e.put_tag(Tag::atom);
      e.put_name(t.as_atom().name());  // interned atoms are checked already
      return;
    case K::pid:
      e.put_tag(Tag::pid);
      e.put_le(t.as_pid().raw());
      return;
    case K::ref:
      e.put_tag(Tag::ref);
      e.put_le(t.as_ref().raw());
      return;
    default: break;
  }
  if (!e.enter()) return;
  switch (t.kind()) {
    case K::list:
    case K::tuple:
    case K::set:
      if (!e.check_count(t.size())) return;
      e.put_header(t.is_list() ? Tag::list : t.is_tuple() ? Tag::tuple : Tag::set, t.size());
      encode_items(e, t.elements());
      break;
    case K::map: {
      if (!e.check_count(t.size())) return;
      e.put_header(Tag::map, t.size());
      std::size_t i = 0;
      for (const auto& [k, v] : t.entries()) {
        encode_term(e, k);
        if (!e.ok()) return (void)e.trail().in_entry(i, true);
        encode_term(e, v);
        if (!e.ok()) return (void)e.trail().in_entry(i, false);
        ++i;
      }
      break;
    }
    case K::structure:
      if (!e.check_count(t.size())) return;
      e.put_tag(Tag::structure);
      if (!put_checked_name(e, t.type_name(), "struct")) return;
      encode_fields_of(e, t);
      break;
    case K::sum:
      if (!e.check_count(t.size())) return;
      e.put_tag(Tag::sum);
      if (!put_checked_name(e, t.type_name(), "sum type") || !put_checked_name(e, t.variant(), "variant")) return;
      encode_fields_of(e, t);
      break;
    case K::option:
    case K::result:
      if (t.is_option() && !t.is_some()) {
        e.put_tag(Tag::none);
      } else {
        e.put_tag(t.is_option() ? Tag::some : t.is_ok() ? Tag::ok : Tag::err);
        encode_term(e, t.elements()[0]);
      }
      break;
    default: break;
  }
  e.leave();
}

// Decoding counts what it builds against the decoder's budget (charge_decoded), before
// it allocates: the heap node of every string and compound value, the arrays of elements,
// entries and field names, and strings too long to live in place (decoded_cost.hpp).
// Scalars live in their parent's array, counted with it.

namespace {

bool decode_items(Decoder& d, std::uint32_t n, std::vector<Term>& items) {
  if (!d.charge_decoded(decoded_cost::array(n, sizeof(Term)))) return false;
  items.reserve(n);  // get_count checked n against the remaining bytes
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!decode_term(d, items.emplace_back())) return d.trail().in_index(i);
  }
  return true;
}

bool decode_fields_of(Decoder& d, detail::TermNode& node) {
  std::uint32_t n;
  if (!d.get_count(n, 2)) return false;  // a field is at least a length byte and a tag
  if (!d.charge_decoded(decoded_cost::array(n, sizeof(Term)) + decoded_cost::array(n, sizeof(std::string))))
    return false;
  node.items.reserve(n);
  node.names.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string_view name;
    if (!d.get_name(name, true) || !d.charge_decoded(decoded_cost::string_heap(name.size()))) return false;
    node.names.emplace_back(name);
    if (!decode_term(d, node.items.emplace_back())) return d.trail().in_field(name);
  }
  return true;
}

bool decode_map_entries(Decoder& d, std::uint32_t n, std::vector<Term::Entry>& entries) {
  if (!d.charge_decoded(decoded_cost::array(n, sizeof(Term::Entry)))) return false;
  entries.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& [k, v] = entries.emplace_back();
    if (!decode_term(d, k)) return d.trail().in_entry(i, true);
    if (!decode_term(d, v)) return d.trail().in_entry(i, false);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Term::Entry& a, const Term::Entry& b) { return Term::compare(a.first, b.first) < 0; });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i - 1].first == entries[i].first) return d.fail_duplicate("map key");
  }
  return true;
}

bool less(const Term& a, const Term& b) { return Term::compare(a, b) < 0; }

bool is_collection(Tag tag) { return tag == Tag::list || tag == Tag::tuple || tag == Tag::map || tag == Tag::set; }

}  // namespace

bool decode_term(Decoder& d, Term& out) {
  std::uint8_t tag;
  if (!d.peek_tag(tag)) return false;
  switch (static_cast<Tag>(tag)) {
    case Tag::unit:
      d.get_tag(tag);
      out = Term();
      return true;
    case Tag::false_:
    case Tag::true_:
      d.get_tag(tag);
      out = Term(tag == static_cast<std::uint8_t>(Tag::true_));
      return true;
    case Tag::int8:
    case Tag::int16:
    case Tag::int32:
    case Tag::int64: {
      std::int64_t v;
      if (!d.get_int(v)) return false;
      out = Term(v);
      return true;
    }
    case Tag::float64: {
      double v;
      if (!d.get_double(v)) return false;
      out = Term(v);
      return true;
    }
    case Tag::string: {
      std::string_view s;
      if (!d.get_string(s) || !d.charge_decoded(decoded_cost::kSharedNode + decoded_cost::string_heap(s.size())))
        return false;
      out = Term(s);
      return true;
    }
    case Tag::atom: {
      Atom a;
      if (!Wire<Atom>::decode(d, a)) return false;
      // An atom the table does not hold owns its text (Atom::from_outside): counted once
      // made, since only the table can say which it is; it is a few hundred bytes at most.
      if (!a.is_interned() &&
          !d.charge_decoded(decoded_cost::kSharedNode + decoded_cost::string_heap(a.name().size())))
        return false;
      out = Term(std::move(a));
      return true;
    }
    case Tag::pid: {
      Pid p;
      if (!Wire<Pid>::decode(d, p)) return false;
      out = Term(p);
      return true;
    }
    case Tag::ref: {
      Ref r;
      if (!Wire<Ref>::decode(d, r)) return false;
      out = Term(r);
      return true;
    }
    default: break;
  }
  // Compound values.
  d.get_tag(tag);
  if (!d.enter()) return false;
  const Tag compound = static_cast<Tag>(tag);
  const Term::Kind kind = kind_of_tag(tag);
  std::uint32_t n = 0;
  if (is_collection(compound)) {
    if (!d.get_count(n, compound == Tag::map ? 2 : 1)) return false;  // a map entry is at least two tags
    if (n == 0) {  // shares the one empty node: no allocation to count
      d.leave();
      out = Term::from_node(kind, detail::empty_term_node());
      return true;
    }
  }
  if (compound == Tag::none) {
    d.leave();
    out = Term::none();
    return true;
  }
  if (!d.charge_decoded(decoded_cost::kSharedNode)) return false;
  auto node = std::make_shared<detail::TermNode>();
  std::int64_t flag = 0;
  switch (compound) {
    case Tag::list:
    case Tag::tuple:
      if (!decode_items(d, n, node->items)) return false;
      break;
    case Tag::set:
      if (!decode_items(d, n, node->items)) return false;
      // Sets are kept sorted; a repeated element is malformed (the encoder never writes one).
      std::sort(node->items.begin(), node->items.end(), less);
      if (std::adjacent_find(node->items.begin(), node->items.end()) != node->items.end())
        return d.fail_duplicate("set element");
      break;
    case Tag::map:
      if (!decode_map_entries(d, n, node->entries)) return false;
      break;
    case Tag::structure: {
      std::string_view name;
      if (!d.get_name(name, true) || !d.charge_decoded(decoded_cost::string_heap(name.size()))) return false;
      node->text = name;
      if (!decode_fields_of(d, *node)) return false;
      break;
    }
    case Tag::sum: {
      std::string_view type, variant;
      if (!d.get_name(type, true) || !d.get_name(variant, true) ||
          !d.charge_decoded(decoded_cost::string_heap(type.size()) + decoded_cost::string_heap(variant.size())))
        return false;
      node->text = type;
      node->variant = variant;
      if (!decode_fields_of(d, *node)) return false;
      break;
    }
    case Tag::some:
    case Tag::ok:
    case Tag::err:
      flag = compound == Tag::err ? 0 : 1;
      if (!d.charge_decoded(decoded_cost::array(1, sizeof(Term))) || !decode_term(d, node->items.emplace_back()))
        return false;
      break;
    default: return d.fail_unknown_tag(tag);  // unreachable: peek_tag checked the range
  }
  d.leave();
  out = Term::from_node(kind, std::move(node), flag);
  return true;
}

}  // namespace detail

absl::StatusOr<Term> decode_term(std::string_view bytes, const DecodeLimits& limits) {
  return decode<Term>(bytes, limits);
}

absl::StatusOr<Term> detail::decode_term_with(std::string_view bytes, const DecodeLimits& limits,
                                              const NodeIndexMap& map) {
  Term out;
  SNOW_RETURN_IF_ERROR(detail::decode_into_with(bytes, out, limits, map));
  return out;
}

}  // namespace snow
