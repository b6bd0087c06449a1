// libFuzzer target for the STF decoder: any input must decode or fail with a status,
// never crash, hang, leak or trip a sanitizer. Whatever decodes must re-encode and
// decode to an equal Term (the codec is its own inverse on what it accepts), and the
// typed decoders must agree with the Term decoder on whether a Term-shaped input is
// valid UTF-8 and in bounds. The walk a node makes before queueing a message from
// another node as bytes (localize_encoding) must never accept what the Term decoder
// refuses, and the bytes it rewrites must decode to what the Term decoder gives.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "snow/wire.hpp"
#include "src/wire/localize_encoding.hpp"

namespace fuzz {
struct Point {
  std::int64_t x = 0;
  std::int64_t y = 0;
};
SNOW_WIRE(Point, x, y)
struct Circle {
  double r = 0;
};
SNOW_WIRE(Circle, r)
struct Dot {};
SNOW_WIRE(Dot)
struct Shape : std::variant<Circle, Dot> {
  using variant::variant;
};
SNOW_WIRE_SUM(Shape)
struct Order {
  std::int64_t id = 0;
  std::string name;
  std::vector<Point> points;
  std::optional<std::string> note;
  std::map<std::string, std::int32_t> tags;
  Shape shape;
};
SNOW_WIRE(Order, id, name, points, note, tags, shape)
using Any = std::variant<Order, Point, std::vector<std::int64_t>, std::tuple<bool, double, snow::Atom>,
                         std::set<std::string>, snow::Pid, snow::Ref, snow::Unit>;
// A peer's node numbering: its indexes 0 to 3 are this node's 1 to 4; others are unknown.
class ShiftedIndexes final : public snow::detail::NodeIndexMap {
 public:
  bool to_local(std::uint16_t wire, std::uint16_t& local) const override {
    if (wire > 3) return false;
    local = static_cast<std::uint16_t>(wire + 1);
    return true;
  }
};

void check_localize(std::string_view in, const snow::DecodeLimits& limits) {
  std::string copy(in);
  const ShiftedIndexes map;
  if (!snow::detail::localize_encoding(std::span<char>(copy.data(), copy.size()), limits, map)) return;
  absl::StatusOr<snow::Term> reference = snow::detail::decode_term_with(in, limits, map);
  if (!reference.ok()) std::abort();  // accepted what the Term decoder refuses
  absl::StatusOr<snow::Term> local = snow::decode_term(copy, limits);
  if (!local.ok() || !(*local == *reference)) std::abort();
}
}  // namespace fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const snow::DecodeLimits small{.max_string_bytes = 1024, .max_collection_count = 256, .max_depth = 16};

  absl::StatusOr<snow::Term> t = snow::decode_term(in);
  (void)snow::decode_term(in, small);
  (void)snow::decode<fuzz::Any>(in);
  (void)snow::decode<fuzz::Order>(in, small);
  fuzz::check_localize(in, snow::DecodeLimits{});
  fuzz::check_localize(in, small);
  if (t.ok()) {
    (void)t->to_string();
    (void)t->debug_string();
    (void)t->hash();
    absl::StatusOr<std::string> again = snow::encode(*t);
    if (!again.ok()) std::abort();  // a Term the decoder accepted must encode
    absl::StatusOr<snow::Term> back = snow::decode_term(*again);
    if (!back.ok() || !(*back == *t)) std::abort();
    (void)snow::from_term<fuzz::Any>(*t);
  }
  return 0;
}
