// snow/detail/atom_table.hpp: what tests may ask of the process's atom table.
//
// Not API. The table itself is private to src/wire/atom.cpp; these let a test see that
// decoding atoms from the network leaves it alone, and make a full table without
// interning 65,536 names.
#pragma once

#include <cstddef>

namespace snow::detail {

/// How many names the atom table holds (the empty atom included).
std::size_t interned_atom_count();

/// Makes the table full at `capacity` names instead of Atom::kMaxAtoms (never more
/// than kMaxAtoms); returns the capacity it had. For tests only.
std::size_t set_atom_table_capacity_for_testing(std::size_t capacity);

}  // namespace snow::detail
