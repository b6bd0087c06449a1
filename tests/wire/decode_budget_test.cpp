// Decoding to a Term is bounded by the bytes received: the decoder counts what it builds
// and refuses input whose Term would cost more than DecodeLimits allows (docs/WIRE.md
// §3), so a hostile peer cannot make a node allocate tens of times what it sent.
#include <malloc.h>

#include <doctest/doctest.h>

#include <functional>

#include "snow/wire.hpp"

using snow::Term;

namespace {

void put_u32(std::string& out, std::uint32_t n) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
}

// version, then a list of `count` copies of `element` (already encoded, without version).
std::string list_of(std::uint32_t count, std::string_view element) {
  std::string out = "\x01\x0c";
  put_u32(out, count);
  out.reserve(out.size() + count * element.size());
  for (std::uint32_t i = 0; i < count; ++i) out += element;
  return out;
}

const std::string kEmptyList = std::string("\x0c\0\0\0\0", 5);

// Decodes as a node does a message, and says what the decoder counted.
struct Decoded {
  absl::Status status;
  std::size_t counted = 0;
  std::size_t budget = 0;
  Term term;
};
Decoded decode_counting(std::string_view bytes, const snow::DecodeLimits& limits = {}) {
  snow::detail::Decoder d(bytes, limits);
  Decoded out;
  if (snow::detail::check_version(d) && snow::detail::decode_term(d, out.term) && snow::detail::check_end(d)) {
    out.status = absl::OkStatus();
  } else {
    out.status = d.status("Term");
  }
  out.counted = d.decoded_bytes();
  out.budget = d.decoded_budget();
  return out;
}

// Small blocks and the large ones malloc maps on their own.
std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

}  // namespace

TEST_SUITE("stf decode budget") {
TEST_CASE("4 MB of empty lists, which would cost ~40x as Terms, is refused naming the limit") {
  const std::string input = list_of(800'000, kEmptyList);  // 4 MB
  const absl::StatusOr<Term> t = snow::decode_term(input);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(t.status().message().find(": over max_decoded_bytes_per_input_byte: ") != std::string_view::npos);
}

TEST_CASE("every shape of amplifying input is refused before its Terms pass the budget") {
  const snow::DecodeLimits limits;
  const std::size_t k = limits.max_decoded_bytes_per_input_byte;
  std::string nested = kEmptyList;  // [[[...[]...]]], 60 deep
  for (int i = 0; i < 59; ++i) nested = std::string("\x0c\x01\0\0\0", 5) + nested;
  const std::pair<const char*, std::string> shapes[] = {
      {"units", std::string(1, '\0')},
      {"empty lists", kEmptyList},
      {"lists of one empty list", std::string("\x0c\x01\0\0\0", 5) + kEmptyList},
      {"Some(())", std::string("\x13\x00", 2)},
      {"one-byte strings", std::string("\x08\x01\0\0\0x", 6)},
      {"small ints", std::string("\x03\x07", 2)},
      {"deep nesting", nested},
      {"empty structs", std::string("\x10\x01P\0\0\0\0", 7)},
  };
  for (const auto& [what, element] : shapes) {
    CAPTURE(std::string(what));
    // As many as max_collection_count allows, up to 12 MB.
    const auto count = static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_collection_count, (12u << 20) / element.size()));
    const std::string input = list_of(count, element);
    const Decoded r = decode_counting(input, limits);
    CHECK(r.budget == std::max(limits.min_decoded_bytes, k * input.size()));
    CHECK(r.counted <= r.budget);
    REQUIRE_FALSE(r.status.ok());
    CHECK_MESSAGE(r.status.message().find("max_decoded_bytes_per_input_byte") != std::string_view::npos, r.status);
  }
}

TEST_CASE("small messages always fit: the budget never goes below min_decoded_bytes") {
  const snow::DecodeLimits limits;
  const std::string input = list_of(50'000, kEmptyList);  // 250 KB: 1.6 MB as Terms, 6.4x
  const Decoded r = decode_counting(input, limits);
  REQUIRE(r.status.ok());
  CHECK(r.budget == limits.min_decoded_bytes);
  CHECK(r.term.size() == 50'000);
  snow::DecodeLimits tight;
  tight.min_decoded_bytes = 0;
  CHECK_FALSE(decode_counting(input, tight).status.ok());
}

TEST_CASE("the decoder's count is not below what the heap really holds") {
  // Without a budget, decode several shapes and compare the count with the heap's own.
  snow::DecodeLimits unbounded;
  unbounded.min_decoded_bytes = std::size_t{1} << 40;
  const std::string inputs[] = {
      list_of(100'000, kEmptyList),
      list_of(100'000, std::string("\x0c\x01\0\0\0\x03\x01", 7)),
      list_of(50'000, std::string("\x08\x20\0\0\0", 5) + std::string(32, 's')),
      list_of(50'000, std::string("\x11\x01S\x01V\x01\0\0\0\x01" "f\x00", 12)),
      list_of(50'000, std::string("\x0e\x01\0\0\0\x03\x01\x02", 8)),
  };
  for (const std::string& input : inputs) {
    const std::size_t before = heap_in_use();
    Decoded r = decode_counting(input, unbounded);
    const std::size_t held = heap_in_use() - before;
    REQUIRE_MESSAGE(r.status.ok(), r.status);
    CAPTURE(held);
    CAPTURE(r.counted);
    CHECK(held <= r.counted + r.counted / 20);  // the count may round, by 5% at most
  }
}
}  // TEST_SUITE
