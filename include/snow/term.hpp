// snow/term.hpp: Term, the dynamic value.
//
// A Term is a value whose type is known only at run time: a message that arrived from
// another node before a receive clause claimed it, the transpiler's Any, a value in a log
// line. It is one of: unit, bool, int (64-bit), float (double), string (UTF-8), atom,
// list, tuple, map, set, pid, ref, struct (type name and named fields), sum-type value
// (type name, variant name, fields), option (Some/None) and result (Ok/Err).
//
// Terms are immutable values. Scalars live inline; compound values and strings share one
// immutable heap node, so copying a Term is a reference-count increment and a Term may be
// shared by any number of threads without locking (the count is atomic).
//
// Equality, ordering and hashing agree with each other and are total, as Erlang's term
// order is: kinds are ranked
//
//   number < unit < bool < atom < ref < pid < tuple < struct < sum < option < result
//          < map < set < list < string
//
// (Erlang's own number < atom < reference < pid < tuple < map < list < binary, with snow's
// extra kinds slotted in where they fit). Ints and floats compare by numeric value, an
// int before a float of equal value, so 1 < 1.0 < 2 and 1 != 1.0. Every NaN equals every
// other NaN and sorts after +inf; -0.0 equals 0.0. Within a kind: lists and strings
// compare lexicographically (strings by byte, which is code-point order for UTF-8),
// tuples, maps and sets by size first and then element-wise (as Erlang does), structs by
// type name then fields, sum values by type name, variant name, then fields (sum values
// in a Term do not know their declaration order), Some < None and Ok < Err (the
// declaration order of Snow's Option and Result).
//
// Maps and sets are kept sorted by key in term order with no duplicates, so two maps with
// the same entries are equal however they were built.
//
// Printing follows the Snow language reference (SNOW_LANGUAGE.md §3.8): `to_string()` is
// the display form (strings bare, floats shortest and without exponent, `[1, 2]`,
// `%{k => v}`, `#{1, 2}`, structs `Point(1, 2)`, sum values `Circle(2.5)` or `Dot`,
// `Some(x)`, `Ok(x)`, `(a, b)`, `()`, `<0.N>`); `debug_string()` is the debug form (strings
// quoted and escaped, atoms `:name`, structs `Point { x: 1, y: 2 }`, the rest as display
// with nested values in debug form).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "snow/pid.hpp"
#include "snow/status.hpp"

namespace snow {

/// The unit value `()`: the result of something that has no result.
struct Unit {
  friend constexpr bool operator==(Unit, Unit) = default;
  friend constexpr auto operator<=>(Unit, Unit) = default;
  template <class H>
  friend H AbslHashValue(H h, Unit) { return H::combine(std::move(h), 0); }
  friend std::ostream& operator<<(std::ostream& os, Unit) { return os << "()"; }
};

namespace detail {
struct TermNode;
}  // namespace detail

/// A name. Two atoms with the same text are equal; order is by text.
///
/// Most atoms are interned: the process keeps one copy of each name in a bounded table
/// (`kMaxAtoms`) and never frees it, so comparing two interned atoms is one pointer
/// comparison. Names that come from outside must not fill that table (Erlang's
/// atom-table exhaustion), so an atom can also *own* its text: `from_outside` gives the
/// interned atom when the table already holds the name and otherwise an owning atom,
/// freed with its last copy, that never takes a table slot. The STF decoder makes every
/// atom it reads this way. An owning atom behaves exactly as an interned one (equality,
/// order and hash are by text); only comparing it costs a string comparison.
class Atom {
 public:
  /// At most this many distinct atoms are interned in a process.
  static constexpr std::size_t kMaxAtoms = 1 << 16;
  /// An atom's text is at most this many bytes (the STF encodes its length in a byte).
  static constexpr std::size_t kMaxBytes = 255;

  /// The empty atom.
  Atom();
  /// Interns `name`. Too long a name or one that is not UTF-8 is a programming error and
  /// aborts. A full table does not: the atom then owns its text (as `from_outside`
  /// makes it), so local code keeps working, only its comparisons are slower.
  explicit Atom(std::string_view name);
  /// Interns `name`, or says why it cannot (InvalidArgument for a name over kMaxBytes or
  /// not UTF-8, ResourceExhausted when the table is full).
  static absl::StatusOr<Atom> try_make(std::string_view name);
  /// The atom for a name read from outside (the network, a file): the interned atom if
  /// the table already holds `name`, else an atom owning a copy of it. Never adds to the
  /// table. InvalidArgument for a name over kMaxBytes or not UTF-8.
  static absl::StatusOr<Atom> from_outside(std::string_view name);

  std::string_view name() const { return *text_; }
  /// True when the atom is the table's copy (see the top of this class).
  bool is_interned() const { return owner_ == nullptr; }

  friend bool operator==(const Atom& a, const Atom& b) {
    if (a.text_ == b.text_) return true;
    if (a.is_interned() && b.is_interned()) return false;  // one copy per interned name
    return a.name() == b.name();
  }
  friend std::strong_ordering operator<=>(const Atom& a, const Atom& b) {
    return a.text_ == b.text_ ? std::strong_ordering::equal : a.name().compare(b.name()) <=> 0;
  }
  // By text, not by pointer: an owning atom must hash as the interned one it equals.
  template <class H>
  friend H AbslHashValue(H h, const Atom& a) { return H::combine(std::move(h), a.name()); }
  friend std::ostream& operator<<(std::ostream& os, const Atom& a) { return os << a.name(); }

 private:
  friend class Term;
  Atom(const std::string* text, std::shared_ptr<const detail::TermNode> owner)
      : text_(text), owner_(std::move(owner)) {}
  const std::string* text_;  // the table's copy, or owner_->text
  std::shared_ptr<const detail::TermNode> owner_;  // null for an interned atom
};

class Term {
 public:
  enum class Kind : std::uint8_t {
    unit, boolean, integer, floating, string, atom, list, tuple, map, set, pid, ref,
    structure, sum, option, result,
  };
  using Field = std::pair<std::string, Term>;  // name (empty when positional) and value
  using Entry = std::pair<Term, Term>;         // map key and value

  /// Unit.
  Term() noexcept : kind_(Kind::unit) { scalar_.i = 0; }
  Term(Unit) noexcept : Term() {}  // NOLINT: a Unit is a Term
  Term(bool b) noexcept : kind_(Kind::boolean) { scalar_.i = b; }  // NOLINT
  /// Any integer that fits in 64 signed bits.
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> &&
             (std::is_signed_v<I> || sizeof(I) < sizeof(std::int64_t)))
  Term(I i) noexcept : kind_(Kind::integer) {  // NOLINT
    scalar_.i = static_cast<std::int64_t>(i);
  }
  Term(double d) noexcept : kind_(Kind::floating) { scalar_.d = d; }  // NOLINT
  Term(std::string s);                                                  // NOLINT
  Term(std::string_view s) : Term(std::string(s)) {}                   // NOLINT
  Term(const char* s) : Term(std::string(s)) {}                        // NOLINT
  Term(Atom a) noexcept : kind_(Kind::atom), node_(std::move(a.owner_)) {  // NOLINT
    scalar_.atom_text = a.text_;
  }
  Term(Pid p) noexcept : kind_(Kind::pid) { scalar_.u = p.raw(); }      // NOLINT
  Term(Ref r) noexcept : kind_(Kind::ref) { scalar_.u = r.raw(); }      // NOLINT

  static Term list(std::vector<Term> elements);
  static Term tuple(std::vector<Term> elements);
  /// Entries are sorted by key; when a key repeats, the last entry wins.
  static Term map(std::vector<Entry> entries);
  /// Elements are sorted; duplicates are dropped.
  static Term set(std::vector<Term> elements);
  /// A struct value: its type name and its fields in declaration order.
  static Term structure(std::string type_name, std::vector<Field> fields);
  /// A sum-type value: type name, variant name, fields (names may be empty).
  static Term sum(std::string type_name, std::string variant, std::vector<Field> fields = {});
  static Term some(Term value);
  static Term none();
  static Term ok(Term value);
  static Term err(Term value);

  Kind kind() const { return kind_; }
  bool is_unit() const { return kind_ == Kind::unit; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_float() const { return kind_ == Kind::floating; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_atom() const { return kind_ == Kind::atom; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_tuple() const { return kind_ == Kind::tuple; }
  bool is_map() const { return kind_ == Kind::map; }
  bool is_set() const { return kind_ == Kind::set; }
  bool is_pid() const { return kind_ == Kind::pid; }
  bool is_ref() const { return kind_ == Kind::ref; }
  bool is_struct() const { return kind_ == Kind::structure; }
  bool is_sum() const { return kind_ == Kind::sum; }
  bool is_option() const { return kind_ == Kind::option; }
  bool is_result() const { return kind_ == Kind::result; }

  // Accessors. Asking a Term for the wrong kind is a programming error and aborts; check
  // kind() first, or convert with snow::from_term<T>() which reports a status instead.
  bool as_bool() const { return want(Kind::boolean), scalar_.i != 0; }
  std::int64_t as_int() const { return want(Kind::integer), scalar_.i; }
  double as_float() const { return want(Kind::floating), scalar_.d; }
  Atom as_atom() const { return want(Kind::atom), Atom(scalar_.atom_text, node_); }
  Pid as_pid() const { return want(Kind::pid), Pid::from_raw(scalar_.u); }
  Ref as_ref() const { return want(Kind::ref), Ref::from_raw(scalar_.u); }
  const std::string& as_string() const;
  /// The elements of a list, tuple or set (sorted), or the fields' values of a struct
  /// or sum value, or the one payload of Some, Ok and Err (none for None).
  std::span<const Term> elements() const;
  /// A map's entries, sorted by key.
  std::span<const Entry> entries() const;
  /// The field names of a struct or sum value, parallel to elements().
  std::span<const std::string> field_names() const;
  /// The type name of a struct or sum value.
  const std::string& type_name() const;
  /// The variant name of a sum value.
  const std::string& variant() const;
  /// Some and Ok: true; None and Err: false.
  bool is_some() const { return want(Kind::option), scalar_.i != 0; }
  bool is_ok() const { return want(Kind::result), scalar_.i != 0; }
  /// The number of elements (list, tuple, set, struct/sum fields) or entries (map).
  std::size_t size() const;
  /// The value of the field `name` of a struct or sum value, or nullptr.
  const Term* field(std::string_view name) const;
  /// The value for `key` in a map, or nullptr.
  const Term* find(const Term& key) const;

  /// The display form (`"${v}"` in Snow).
  std::string to_string() const;
  /// The debug form (`inspect(v)` in Snow).
  std::string debug_string() const;
  /// Writes the display form.
  friend std::ostream& operator<<(std::ostream& os, const Term& t) { return os << t.to_string(); }

  /// Three-way term order (see the top of this header).
  static std::strong_ordering compare(const Term& a, const Term& b);
  friend bool operator==(const Term& a, const Term& b) { return compare(a, b) == 0; }
  friend std::strong_ordering operator<=>(const Term& a, const Term& b) { return compare(a, b); }
  /// A hash consistent with ==.
  std::size_t hash() const;
  template <class H>
  friend H AbslHashValue(H h, const Term& t) { return H::combine(std::move(h), t.hash()); }

  /// Shares `node` (for the codec; not API).
  static Term from_node(Kind kind, std::shared_ptr<const detail::TermNode> node, std::int64_t tag = 0);
  const detail::TermNode* node() const { return node_.get(); }

 private:
  void want(Kind k) const { SNOW_CHECK(kind_ == k, "Term accessor used on a Term of another kind"); }
  union Scalar {
    std::int64_t i;
    std::uint64_t u;
    double d;
    const std::string* atom_text;  // an Atom's text; node_ owns it when not interned
    Scalar() : i(0) {}
  };
  Kind kind_;
  Scalar scalar_;  // bool/int/float/atom/pid/ref; Some-vs-None and Ok-vs-Err flag
  std::shared_ptr<const detail::TermNode> node_;  // string and compound payloads
};

namespace detail {
/// The shared payload of a string, compound Term or atom that owns its text. Immutable
/// once built; every empty list, tuple, map and set shares one (`empty_term_node`).
struct TermNode {
  std::string text;                // a string's bytes; a struct's or sum's type name
  std::string variant;             // a sum's variant name
  std::vector<Term> items;         // elements, field values, or the option/result payload
  std::vector<std::string> names;  // field names, parallel to items (struct and sum)
  std::vector<Term::Entry> entries;  // map entries, sorted by key
};

/// The one node every empty list, tuple, map and set shares, so that an empty
/// collection costs no allocation (a hostile input of nested empty lists would otherwise
/// cost a heap node for each 5 bytes).
const std::shared_ptr<const TermNode>& empty_term_node();
}  // namespace detail

/// The Snow name of a kind, for messages: `Int`, `Float`, `String`, `List`, ...
std::string_view kind_name(Term::Kind kind);

}  // namespace snow
