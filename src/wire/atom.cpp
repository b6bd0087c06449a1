// Atom: the process's table of interned names, and atoms that own their text.
#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "snow/detail/atom_table.hpp"
#include "snow/term.hpp"
#include "src/wire/utf8.hpp"

namespace snow {

namespace {

// The atom table: text -> its one interned copy. Entries are never removed, so an
// interned Atom (a pointer to its text) stays valid for the life of the process; that is
// why the table is bounded and names from outside never enter it (Atom::from_outside).
// std::mutex, not absl::Mutex, for the reason DESIGN.md §4 gives; interning is rare
// next to comparing.
struct AtomTable {
  std::mutex mu;
  absl::flat_hash_map<std::string_view, std::unique_ptr<const std::string>> by_text;
  std::size_t capacity = Atom::kMaxAtoms;  // lowered only by tests
};

AtomTable& atom_table() {
  static auto* table = new AtomTable;  // leaked on purpose: atoms outlive static destructors
  return *table;
}

const std::string* empty_atom_text() {
  static const std::string* text = [] {
    AtomTable& t = atom_table();
    std::lock_guard lock(t.mu);
    auto owned = std::make_unique<const std::string>();
    const std::string* p = owned.get();
    t.by_text.emplace(std::string_view(*p), std::move(owned));
    return p;
  }();
  return text;
}

absl::Status check_name(std::string_view name) {
  if (name.size() > Atom::kMaxBytes)
    return absl::InvalidArgumentError(absl::StrCat("atom of ", name.size(), " bytes is over the limit of ", Atom::kMaxBytes));
  if (!detail::is_valid_utf8(name)) return absl::InvalidArgumentError("atom is not valid UTF-8");
  return absl::OkStatus();
}

// The interned copy of `name`, or null when the table does not hold it.
const std::string* find_interned(std::string_view name) {
  if (name.empty()) return empty_atom_text();
  AtomTable& t = atom_table();
  std::lock_guard lock(t.mu);
  auto it = t.by_text.find(name);
  return it == t.by_text.end() ? nullptr : it->second.get();
}

absl::StatusOr<const std::string*> intern(std::string_view name) {
  if (name.empty()) return empty_atom_text();
  SNOW_RETURN_IF_ERROR(check_name(name));
  AtomTable& t = atom_table();
  std::lock_guard lock(t.mu);
  auto it = t.by_text.find(name);
  if (it != t.by_text.end()) return it->second.get();
  if (t.by_text.size() >= t.capacity)
    return absl::ResourceExhaustedError(absl::StrCat("the atom table is full (", t.capacity, " atoms)"));
  auto owned = std::make_unique<const std::string>(name);
  const std::string* p = owned.get();
  t.by_text.emplace(std::string_view(*p), std::move(owned));
  return p;
}

// An atom's text kept alive by the atom's copies rather than by the table; a TermNode
// so that a Term holding the atom shares it as it shares a string's.
std::shared_ptr<const detail::TermNode> own_text(std::string_view name) {
  auto node = std::make_shared<detail::TermNode>();
  node->text = name;
  return node;
}

}  // namespace

Atom::Atom() : text_(empty_atom_text()) {}

Atom::Atom(std::string_view name) {
  absl::StatusOr<const std::string*> p = intern(name);
  if (p.ok()) {
    text_ = *p;
    return;
  }
  SNOW_CHECK(p.status().code() == absl::StatusCode::kResourceExhausted,
             "Atom: name too long or not UTF-8 (use Atom::try_make)");
  owner_ = own_text(name);
  text_ = &owner_->text;
}

absl::StatusOr<Atom> Atom::try_make(std::string_view name) {
  SNOW_ASSIGN_OR_RETURN(const std::string* p, intern(name));
  return Atom(p, nullptr);
}

absl::StatusOr<Atom> Atom::from_outside(std::string_view name) {
  if (const std::string* p = find_interned(name)) return Atom(p, nullptr);
  SNOW_RETURN_IF_ERROR(check_name(name));
  std::shared_ptr<const detail::TermNode> owner = own_text(name);
  const std::string* text = &owner->text;
  return Atom(text, std::move(owner));
}

namespace detail {

std::size_t interned_atom_count() {
  empty_atom_text();
  AtomTable& t = atom_table();
  std::lock_guard lock(t.mu);
  return t.by_text.size();
}

std::size_t set_atom_table_capacity_for_testing(std::size_t capacity) {
  AtomTable& t = atom_table();
  std::lock_guard lock(t.mu);
  return std::exchange(t.capacity, std::min(capacity, Atom::kMaxAtoms));
}

}  // namespace detail
}  // namespace snow
