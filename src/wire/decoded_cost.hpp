// What a decoded Term costs in memory, as the decoder counts it against the budget of
// DecodeLimits::max_decoded_bytes_per_input_byte (docs/WIRE.md §3).
//
// Counted as the allocator sees it, not by sizeof alone: every heap block carries the
// allocator's header and rounding, and a shared node carries std::make_shared's control
// block. The figures need not be exact, only never far below the truth: the budget is
// what bounds the memory a hostile peer can make a node take.
#pragma once

#include <cstddef>

#include "snow/term.hpp"

namespace snow::detail::decoded_cost {

/// glibc malloc: an 8-byte header, blocks rounded up to 16 bytes.
inline constexpr std::size_t kAllocation = 16;
/// A TermNode made by std::make_shared, with its control block (two counts, a vtable).
inline constexpr std::size_t kSharedNode = sizeof(TermNode) + 16 + kAllocation;
/// libstdc++ keeps strings up to this long inside the std::string itself.
inline constexpr std::size_t kInPlaceString = 15;

/// The heap block behind a std::string of `n` bytes (none when it fits in place).
constexpr std::size_t string_heap(std::size_t n) { return n > kInPlaceString ? n + 1 + kAllocation : 0; }

/// The heap block behind a std::vector reserved for `n` elements of `element_size`.
constexpr std::size_t array(std::size_t n, std::size_t element_size) {
  return n == 0 ? 0 : n * element_size + kAllocation;
}

}  // namespace snow::detail::decoded_cost
