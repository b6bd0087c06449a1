// Atoms from the network never fill the process's atom table, and a full table never
// aborts: Atom() then owns its text, try_make says ResourceExhausted (term.hpp).
#include <doctest/doctest.h>

#include "absl/hash/hash.h"
#include "snow/detail/atom_table.hpp"
#include "snow/wire.hpp"

using snow::Atom;
using snow::Term;

namespace {

// An encoded list of `count` atoms named `prefix`0, `prefix`1, ...
std::string atoms_list(std::string_view prefix, std::uint32_t count) {
  std::string out = "\x01\x0c";
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(count >> (8 * i)));
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string name = std::string(prefix) + std::to_string(i);
    out += '\x09';
    out += static_cast<char>(name.size());
    out += name;
  }
  return out;
}

// Shrinks the table to `room` more names for the life of the guard.
struct SmallAtomTable {
  explicit SmallAtomTable(std::size_t room)
      : previous(snow::detail::set_atom_table_capacity_for_testing(snow::detail::interned_atom_count() + room)) {}
  ~SmallAtomTable() { snow::detail::set_atom_table_capacity_for_testing(previous); }
  std::size_t previous;
};

}  // namespace

TEST_SUITE("atom table") {
TEST_CASE("100k distinct atoms from the network take no slot; local atoms still intern") {
  const std::size_t interned_before = snow::detail::interned_atom_count();
  for (const char* prefix : {"net_a_", "net_b_"}) {  // two messages of 50k, each under the decode budget
    const absl::StatusOr<Term> t = snow::decode_term(atoms_list(prefix, 50'000));
    REQUIRE(t.ok());
    REQUIRE(t->size() == 50'000);
    CHECK(t->elements()[49'999].as_atom().name() == std::string(prefix) + "49999");
    CHECK_FALSE(t->elements()[0].as_atom().is_interned());
  }
  CHECK(snow::detail::interned_atom_count() == interned_before);
  const Atom fresh("new_after_network_atoms");
  CHECK(fresh.is_interned());
  CHECK(fresh.name() == "new_after_network_atoms");
  CHECK(snow::detail::interned_atom_count() == interned_before + 1);
}

TEST_CASE("a decoded atom the table holds is the interned one: the fast path stays") {
  const Atom ok("ok");
  const absl::StatusOr<Term> t = snow::decode_term(*snow::encode(Term(ok)));
  REQUIRE(t.ok());
  CHECK(t->as_atom().is_interned());
  CHECK(t->as_atom() == ok);
  const absl::StatusOr<Atom> typed = snow::decode<Atom>(*snow::encode(ok));
  REQUIRE(typed.ok());
  CHECK(typed->is_interned());
}

TEST_CASE("an owning atom equals, orders and hashes as the interned atom of the same name") {
  const absl::StatusOr<Atom> outside = Atom::from_outside("owning_then_interned");
  REQUIRE(outside.ok());
  CHECK_FALSE(outside->is_interned());
  const Atom interned("owning_then_interned");  // interned after the owning one was made
  CHECK(interned.is_interned());
  CHECK(*outside == interned);
  CHECK((*outside <=> interned) == std::strong_ordering::equal);
  CHECK(absl::HashOf(*outside) == absl::HashOf(interned));
  CHECK(Term(*outside) == Term(interned));
  CHECK(Term(*outside).hash() == Term(interned).hash());
  CHECK(*outside < Atom("owning_u"));
  CHECK(Term(*outside).as_atom().name() == "owning_then_interned");
  CHECK(Atom::from_outside(std::string(256, 'x')).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Atom::from_outside("\xff").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a full table is an error for try_make and never an abort for Atom()") {
  const SmallAtomTable table(2);
  CHECK(Atom::try_make("full_table_1").ok());
  CHECK(Atom::try_make("full_table_2").ok());
  const absl::StatusOr<Atom> refused = Atom::try_make("full_table_3");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(Atom::try_make("full_table_1").ok());  // a name already held still interns

  const Atom local("full_table_4");  // the old code aborted here
  CHECK_FALSE(local.is_interned());
  CHECK(local.name() == "full_table_4");
  CHECK(local == Atom("full_table_4"));
  CHECK(local != Atom("full_table_1"));
  const absl::StatusOr<Term> back = snow::decode_term(*snow::encode(Term(local)));
  REQUIRE(back.ok());
  CHECK(back->as_atom() == local);
}
}  // TEST_SUITE
