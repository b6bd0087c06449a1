// snow/detail/wire_codec.hpp: the STF byte writer and reader the Wire<T> traits use.
//
// Not API. The encoder appends little-endian bytes to a std::string; the decoder reads a
// std::string_view and checks every length against the bytes that remain and against the
// caller's DecodeLimits before it allocates anything. Both report the first failure and
// stop: functions return false (cheap on the hot path) and the message, byte offset and
// field path are kept in the coder, turned into one absl::Status at the top. Cold paths
// (building messages) are out of line in src/wire/codec.cpp.
//
// The tag values and layouts are the specification in docs/WIRE.md; changing one breaks
// the golden tests on purpose.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "snow/status.hpp"
#include "snow/term.hpp"

namespace snow {

/// Bounds the decoder enforces on hostile input. Every length and count is checked
/// against these and against the bytes that remain before anything is allocated.
struct DecodeLimits {
  /// Longest string, in bytes.
  std::size_t max_string_bytes = std::size_t{16} << 20;
  /// Most elements in one list, tuple, set, or entries in one map, or fields in a struct.
  std::size_t max_collection_count = std::size_t{1} << 20;
  /// Deepest nesting of compound values (lists, tuples, maps, sets, structs, sum values,
  /// Some/Ok/Err), counted from 1 for the outermost: 64 accepts 64 lists inside each
  /// other and rejects 65. Bounds the decoder's recursion, so hostile input cannot
  /// overflow the stack.
  std::size_t max_depth = 64;
  /// Decoding to a Term may build at most this many bytes of memory per byte of input.
  /// A Term costs far more than its encoding (a 1-byte `()` is a 32-byte Term, a 7-byte
  /// `[1]` a heap node and an array of about 210 bytes), so without this bound a hostile
  /// peer could make a receiver allocate ~40 times what it sent. The decoder counts each
  /// value it builds at its in-memory size (docs/WIRE.md §3) and fails when the count
  /// would pass `max(min_decoded_bytes, max_decoded_bytes_per_input_byte * input size)`,
  /// before it allocates the part that would pass it; with the input itself, a receiver
  /// holds at most about 3 times what it was sent. Typed decodes (into C++ types) are not
  /// counted: their values cost at most about 7 times their encoding (an empty string).
  std::size_t max_decoded_bytes_per_input_byte = 2;
  /// The budget above is never smaller than this, so small messages (whose Terms cost
  /// tens of times their few bytes) always decode.
  std::size_t min_decoded_bytes = std::size_t{16} << 20;
};

/// Bounds the encoder enforces, so that a sender fails at once instead of the receiver
/// rejecting the message later.
struct EncodeLimits {
  std::size_t max_depth = 64;
};

/// The STF version this code writes and reads (the first byte of every encoding).
inline constexpr std::uint8_t kStfVersion = 1;

namespace detail {

/// How the node index inside a Pid or Ref read from another node becomes this node's
/// index for the same node. On the wire a Pid carries the *sender's* node index (0: the
/// sender itself) and the sender's generation of that index; the distribution layer keeps
/// one such table per connection, filled from the node names the peer announced. Without
/// a map (plain decode) Pids and Refs are kept as they are.
class NodeIndexMap {
 public:
  virtual ~NodeIndexMap() = default;
  /// False for an index the map cannot name (the reader fails).
  virtual bool to_local(std::uint16_t wire_index, std::uint16_t& local_index) const = 0;
  /// The whole Pid: its index, and its 8-bit field, which is a per-node generation of
  /// the index (snow/pid.hpp). This default only maps the index.
  virtual bool to_local_pid(Pid wire, Pid& local) const {
    std::uint16_t index;
    if (!to_local(wire.node(), index)) return false;
    local = Pid::make(index, wire.creation(), wire.serial());
    return true;
  }
};

bool is_valid_utf8(std::string_view s) noexcept;  // src/wire/utf8.cpp

/// Debian's Abseil has its own absl::string_view; StrCat needs that one.
inline absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

/// STF tags, one byte before every value (docs/WIRE.md §3).
enum class Tag : std::uint8_t {
  unit = 0x00,
  false_ = 0x01,
  true_ = 0x02,
  int8 = 0x03,
  int16 = 0x04,
  int32 = 0x05,
  int64 = 0x06,
  float64 = 0x07,
  string = 0x08,
  atom = 0x09,
  pid = 0x0A,
  ref = 0x0B,
  list = 0x0C,
  tuple = 0x0D,
  map = 0x0E,
  set = 0x0F,
  structure = 0x10,
  sum = 0x11,
  none = 0x12,
  some = 0x13,
  ok = 0x14,
  err = 0x15,
};
inline constexpr std::uint8_t kMaxTag = 0x15;

/// The Term kind a tag encodes (the "head" receive clauses and variants dispatch on).
constexpr Term::Kind kind_of_tag(std::uint8_t tag) {
  constexpr Term::Kind kinds[] = {
      Term::Kind::unit, Term::Kind::boolean, Term::Kind::boolean, Term::Kind::integer, Term::Kind::integer,
      Term::Kind::integer, Term::Kind::integer, Term::Kind::floating, Term::Kind::string, Term::Kind::atom,
      Term::Kind::pid, Term::Kind::ref, Term::Kind::list, Term::Kind::tuple, Term::Kind::map, Term::Kind::set,
      Term::Kind::structure, Term::Kind::sum, Term::Kind::option, Term::Kind::option, Term::Kind::result,
      Term::Kind::result};
  return kinds[tag];
}

template <class U>
inline void store_le(char* p, U v) {
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<char>(static_cast<std::uint64_t>(v) >> (8 * i));
  } else {
    std::memcpy(p, &v, sizeof(U));
  }
}

template <class U>
inline U load_le(const char* p) {
  U v;
  if constexpr (std::endian::native == std::endian::big) {
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) x |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    v = static_cast<U>(x);
  } else {
    std::memcpy(&v, p, sizeof(U));
  }
  return v;
}

/// What went wrong and where: shared by the decoder (bytes to T or Term) and the
/// converter (Term to T). The path is collected while the failure unwinds, innermost
/// segment first, so success costs nothing.
class ErrorTrail {
 public:
  bool failed() const { return failed_; }
  /// Records a failure (the first one wins) and returns false for `return fail(...)`.
  [[gnu::cold]] bool fail(std::string message);
  /// While unwinding from a failure inside field `name`.
  [[gnu::cold]] bool in_field(std::string_view name);
  /// While unwinding from a failure inside element `index`.
  [[gnu::cold]] bool in_index(std::size_t index);
  /// While unwinding from a failure inside a map entry (`key` or value).
  [[gnu::cold]] bool in_entry(std::size_t index, bool key);
  /// The path as `.pos.y[3]`, outermost first; empty at the top.
  std::string path() const;
  const std::string& message() const { return message_; }

 private:
  bool failed_ = false;
  std::string message_;
  std::vector<std::string> reversed_path_;
};

class Encoder {
 public:
  Encoder(std::string& out, const EncodeLimits& limits) : out_(out), pos_(out.size()), limits_(limits) {}
  /// Trims the buffer to what was written.
  void finish() { out_.resize(pos_); }

  void put_tag(Tag t) { put_u8(static_cast<std::uint8_t>(t)); }
  void put_u8(std::uint8_t v) { *room(1) = static_cast<char>(v); }
  template <class U>
  void put_le(U v) { store_le(room(sizeof(U)), v); }
  void put_raw(const void* p, std::size_t n) {
    if (n) std::memcpy(room(n), p, n);
  }

  /// An integer in the smallest of the four widths that holds it.
  void put_int(std::int64_t v) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      char* p = room(2);
      p[0] = static_cast<char>(Tag::int8);
      p[1] = static_cast<char>(static_cast<std::int8_t>(v));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      char* p = room(3);
      p[0] = static_cast<char>(Tag::int16);
      store_le(p + 1, static_cast<std::int16_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      char* p = room(5);
      p[0] = static_cast<char>(Tag::int32);
      store_le(p + 1, static_cast<std::int32_t>(v));
    } else {
      char* p = room(9);
      p[0] = static_cast<char>(Tag::int64);
      store_le(p + 1, v);
    }
  }
  void put_double(double d) {
    char* p = room(9);
    p[0] = static_cast<char>(Tag::float64);
    store_le(p + 1, std::bit_cast<std::uint64_t>(d));
  }
  void put_string(std::string_view s) {
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) [[unlikely]] {
      fail_string_too_long(s.size());
      return;
    }
    if (!is_valid_utf8(s)) [[unlikely]] {
      fail_not_utf8();
      return;
    }
    char* p = room(5 + s.size());
    p[0] = static_cast<char>(Tag::string);
    store_le(p + 1, static_cast<std::uint32_t>(s.size()));
    if (!s.empty()) std::memcpy(p + 5, s.data(), s.size());
  }
  /// A short name (type, variant, field, atom): one length byte, then the bytes. The
  /// callers pass names that are known to be short and valid (compile-time names) or
  /// have been checked (Terms).
  void put_name(std::string_view s) {
    char* p = room(1 + s.size());
    p[0] = static_cast<char>(s.size());
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
  }
  /// The tag and u32 count that open a list, tuple, map or set.
  void put_header(Tag t, std::size_t count) {
    char* p = room(5);
    p[0] = static_cast<char>(t);
    store_le(p + 1, static_cast<std::uint32_t>(count));
  }
  /// A count that must fit in the u32 of the format.
  bool check_count(std::size_t n) {
    if (n > std::numeric_limits<std::uint32_t>::max()) [[unlikely]]
      return fail_count(n);
    return true;
  }

  /// Enters a compound value; false (and the encoding fails) past the depth limit.
  bool enter() {
    if (++depth_ > limits_.max_depth) [[unlikely]]
      return fail_depth();
    return true;
  }
  void leave() { --depth_; }

  ErrorTrail& trail() { return trail_; }
  bool ok() const { return !trail_.failed(); }

 private:
  char* room(std::size_t n) {
    if (out_.size() - pos_ < n) [[unlikely]]
      grow(n);
    char* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }
  void grow(std::size_t n);
  [[gnu::cold]] void fail_string_too_long(std::size_t n);
  [[gnu::cold]] void fail_not_utf8();
  [[gnu::cold]] bool fail_count(std::size_t n);
  [[gnu::cold]] bool fail_depth();

  std::string& out_;
  std::size_t pos_;
  std::size_t depth_ = 0;
  const EncodeLimits& limits_;
  ErrorTrail trail_;
};

class Decoder {
 public:
  Decoder(std::string_view in, const DecodeLimits& limits)
      : begin_(in.data()),
        cur_(in.data()),
        end_(in.data() + in.size()),
        limits_(limits),
        decoded_budget_(decoded_budget_for(in.size(), limits)),
        decoded_left_(decoded_budget_) {}

  std::size_t offset() const { return static_cast<std::size_t>(cur_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - cur_); }
  bool at_end() const { return cur_ == end_; }
  const DecodeLimits& limits() const { return limits_; }
  void set_node_map(const NodeIndexMap* map) { node_map_ = map; }
  /// The local node index for the node index `wire` of a Pid or Ref just read.
  bool local_node_index(std::uint16_t wire, std::uint16_t& local) {
    if (node_map_ == nullptr) {
      local = wire;
      return true;
    }
    if (node_map_->to_local(wire, local)) [[likely]]
      return true;
    return fail_unknown_node(wire);
  }
  /// The local Pid (raw) for the Pid `wire` just read.
  bool local_pid(Pid wire, Pid& local) {
    if (node_map_ == nullptr) {
      local = wire;
      return true;
    }
    if (node_map_->to_local_pid(wire, local)) [[likely]]
      return true;
    return fail_unknown_node(wire.node());
  }

  /// The next tag, not consumed.
  bool peek_tag(std::uint8_t& tag) {
    if (cur_ == end_) [[unlikely]]
      return fail_truncated(1);
    tag = static_cast<std::uint8_t>(*cur_);
    if (tag > kMaxTag) [[unlikely]]
      return fail_unknown_tag(tag);
    return true;
  }
  /// The next value's kind and, for a struct or sum value, its type name; consumes
  /// nothing. How a std::variant picks its alternative.
  bool peek_head(Term::Kind& kind, std::string_view& type_name);

  bool get_tag(std::uint8_t& tag) {
    if (!peek_tag(tag)) return false;
    ++cur_;
    return true;
  }
  bool get_u8(std::uint8_t& v) {
    if (cur_ == end_) [[unlikely]]
      return fail_truncated(1);
    v = static_cast<std::uint8_t>(*cur_++);
    return true;
  }
  template <class U>
  bool get_le(U& v) {
    if (remaining() < sizeof(U)) [[unlikely]]
      return fail_truncated(sizeof(U));
    v = load_le<U>(cur_);
    cur_ += sizeof(U);
    return true;
  }
  /// `n` bytes, which must be there.
  bool get_bytes(std::size_t n, std::string_view& out) {
    if (remaining() < n) [[unlikely]]
      return fail_truncated(n);
    out = std::string_view(cur_, n);
    cur_ += n;
    return true;
  }

  /// Consumes the tag `want`; anything else is a type mismatch naming `expected`.
  bool expect(Tag want, std::string_view expected) {
    std::uint8_t tag;
    if (!peek_tag(tag)) return false;
    if (tag != static_cast<std::uint8_t>(want)) [[unlikely]]
      return fail_mismatch(expected, tag);
    ++cur_;
    return true;
  }

  /// An integer of any width.
  bool get_int(std::int64_t& v) {
    std::uint8_t tag;
    if (!peek_tag(tag)) return false;
    const char* at = cur_;
    ++cur_;
    switch (static_cast<Tag>(tag)) {
      case Tag::int8: {
        std::int8_t x;
        if (!get_le(x)) return false;
        v = x;
        return true;
      }
      case Tag::int16: {
        std::int16_t x;
        if (!get_le(x)) return false;
        v = x;
        return true;
      }
      case Tag::int32: {
        std::int32_t x;
        if (!get_le(x)) return false;
        v = x;
        return true;
      }
      case Tag::int64: return get_le(v);
      default: cur_ = at; return fail_mismatch("Int", tag);
    }
  }
  bool get_double(double& d) {
    if (!expect(Tag::float64, "Float")) return false;
    std::uint64_t bits;
    if (!get_le(bits)) return false;
    d = std::bit_cast<double>(bits);
    return true;
  }
  /// The bytes of a string value (tag, u32 length, UTF-8), checked against the limits.
  bool get_string(std::string_view& s) {
    if (!expect(Tag::string, "String")) return false;
    std::uint32_t n;
    if (!get_le(n)) return false;
    if (n > limits_.max_string_bytes) [[unlikely]]
      return fail_too_long("string", n, limits_.max_string_bytes);
    if (!get_bytes(n, s)) return false;
    if (!is_valid_utf8(s)) [[unlikely]]
      return fail_not_utf8(s);
    return true;
  }
  /// A name (length byte, bytes); UTF-8 checked when `validate` (names that will be
  /// compared with a known name need no check: a match is valid by construction).
  bool get_name(std::string_view& s, bool validate) {
    std::uint8_t n;
    if (!get_u8(n) || !get_bytes(n, s)) return false;
    if (validate && !is_valid_utf8(s)) [[unlikely]]
      return fail_not_utf8(s);
    return true;
  }
  /// A name that must equal `want`.
  bool expect_name(std::string_view want, std::string_view what) {
    std::string_view got;
    const char* at = cur_;
    if (!get_name(got, false)) return false;
    if (got != want) [[unlikely]] {
      cur_ = at;
      return fail_name(what, want, got);
    }
    return true;
  }
  /// A u32 element count; each element takes at least `min_bytes` more bytes, so a count
  /// the remaining input cannot hold is rejected before anything is reserved for it.
  bool get_count(std::uint32_t& n, std::size_t min_bytes) {
    if (!get_le(n)) return false;
    if (n > limits_.max_collection_count) [[unlikely]]
      return fail_too_long("collection", n, limits_.max_collection_count);
    if (std::size_t{n} * min_bytes > remaining()) [[unlikely]]
      return fail_count_exceeds_input(n);
    return true;
  }
  /// Consumes a collection tag `want` and its count.
  bool get_header(Tag want, std::string_view expected, std::uint32_t& n, std::size_t min_bytes) {
    return expect(want, expected) && get_count(n, min_bytes);
  }

  bool enter() {
    if (++depth_ > limits_.max_depth) [[unlikely]]
      return fail_depth();
    return true;
  }
  void leave() { --depth_; }

  /// Counts `bytes` of memory the decoded value is about to take; false (and the decode
  /// fails) when that would pass the budget DecodeLimits sets for this input. Called
  /// before the allocation, so a refused input never holds more than the budget.
  bool charge_decoded(std::size_t bytes) {
    if (bytes > decoded_left_) [[unlikely]]
      return fail_decoded_size(bytes);
    decoded_left_ -= bytes;
    return true;
  }
  /// What the value decoded so far has been counted at.
  std::size_t decoded_bytes() const { return decoded_budget_ - decoded_left_; }
  std::size_t decoded_budget() const { return decoded_budget_; }

  ErrorTrail& trail() { return trail_; }
  /// Records a failure at the current offset.
  [[gnu::cold]] bool fail(std::string message);
  [[gnu::cold]] bool fail_mismatch(std::string_view expected, std::uint8_t found_tag);
  [[gnu::cold]] bool fail_out_of_range(std::int64_t v, const std::type_info& type);
  [[gnu::cold]] bool fail_duplicate(std::string_view what);
  [[gnu::cold]] bool fail_unknown_tag(std::uint8_t tag);
  /// The whole failure as a status: what failed, the byte offset, the path.
  absl::Status status(std::string_view what) const;

 private:
  [[gnu::cold]] bool fail_truncated(std::size_t need);
  [[gnu::cold]] bool fail_too_long(std::string_view what, std::size_t n, std::size_t limit);
  [[gnu::cold]] bool fail_not_utf8(std::string_view s);
  [[gnu::cold]] bool fail_name(std::string_view what, std::string_view want, std::string_view got);
  [[gnu::cold]] bool fail_count_exceeds_input(std::size_t n);
  [[gnu::cold]] bool fail_depth();
  [[gnu::cold]] bool fail_unknown_node(std::uint16_t index);
  [[gnu::cold]] bool fail_decoded_size(std::size_t bytes);
  static std::size_t decoded_budget_for(std::size_t input_bytes, const DecodeLimits& limits) {
    const std::size_t k = limits.max_decoded_bytes_per_input_byte;
    const std::size_t scaled =
        k != 0 && input_bytes > std::numeric_limits<std::size_t>::max() / k ? std::numeric_limits<std::size_t>::max()
                                                                             : k * input_bytes;
    return std::max(limits.min_decoded_bytes, scaled);
  }

  const char* begin_;
  const char* cur_;
  const char* end_;
  std::size_t depth_ = 0;
  std::size_t error_offset_ = 0;
  const DecodeLimits& limits_;
  std::size_t decoded_budget_;
  std::size_t decoded_left_;
  const NodeIndexMap* node_map_ = nullptr;
  ErrorTrail trail_;
};

/// Converts a Term to a typed value, keeping the path of the first failure.
class Converter {
 public:
  ErrorTrail& trail() { return trail_; }
  [[gnu::cold]] bool fail_mismatch(std::string_view expected, const Term& found);
  [[gnu::cold]] bool fail(std::string message) { return trail_.fail(std::move(message)); }
  absl::Status status(std::string_view what) const;

 private:
  ErrorTrail trail_;
};

// Term <-> STF, out of line (src/wire/stf.cpp).
void encode_term(Encoder& e, const Term& t);
bool decode_term(Decoder& d, Term& out);
/// A whole encoding (version byte first) to a Term, translating node indices with `map`.
absl::StatusOr<Term> decode_term_with(std::string_view bytes, const DecodeLimits& limits, const NodeIndexMap& map);

}  // namespace detail
}  // namespace snow
