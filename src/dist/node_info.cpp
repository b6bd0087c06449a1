// src/dist/node_info.cpp
#include "src/dist/node_info.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/protocol.hpp"

namespace snow::dist {

namespace {

using detail::Tag;

// Fixed part of a body: u8 last, six u64 limits, u32 entry count.
constexpr std::size_t kFixedBytes = 1 + 6 * 8 + 4;

FrameWriter start_piece(const ReceiveLimits& limits, bool last) {
  FrameWriter w(FrameKind::node_info);
  w.u8(last ? 1 : 0)
      .u64(limits.max_message_bytes)
      .u64(limits.decode.max_string_bytes)
      .u64(limits.decode.max_collection_count)
      .u64(limits.decode.max_depth)
      .u64(limits.decode.max_decoded_bytes_per_input_byte)
      .u64(limits.decode.min_decoded_bytes);
  return w;
}

std::size_t entry_bytes(const std::string& name) { return 2 + name.size() + 8; }

/// Walks an STF encoding as the decoder would and stops at the first limit it breaks,
/// building nothing: a sender's check of what its peer will accept.
class LimitScan {
 public:
  LimitScan(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  /// Empty when within the limits (or when the encoding is not one this scan can read:
  /// the receiver's decoder judges that); otherwise which limit, and by how much.
  std::string run() {
    if (!take(1)) return {};  // the version byte
    value();
    return broken_;
  }

 private:
  bool take(std::size_t n) {
    if (in_.size() - pos_ < n) return stop();
    pos_ += n;
    return true;
  }
  std::uint64_t le(std::size_t n) {
    if (in_.size() - pos_ < n) return stop();
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(in_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  bool name() { return take(le(1)); }
  bool stop() {
    done_ = true;
    return false;
  }
  bool broke(std::string what) {
    broken_ = std::move(what);
    return stop();
  }
  bool count(std::uint64_t n, std::string_view what) {
    if (n > limits_.max_collection_count) {
      return broke(absl::StrCat(detail::av(what), " of ", n, " elements is over max_collection_count (",
                                limits_.max_collection_count, ")"));
    }
    return !done_;
  }
  bool enter() {
    if (++depth_ > limits_.max_depth) {
      return broke(absl::StrCat("nesting deeper than max_depth (", limits_.max_depth, ")"));
    }
    return true;
  }
  bool fields(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n && !done_; ++i) {
      if (!name() || !value()) return false;
    }
    return !done_;
  }

  bool value() {
    if (done_) return false;
    const std::uint64_t tag = le(1);
    if (done_) return false;
    switch (static_cast<Tag>(tag)) {
      case Tag::unit:
      case Tag::false_:
      case Tag::true_:
      case Tag::none: return true;
      case Tag::int8: return take(1);
      case Tag::int16: return take(2);
      case Tag::int32: return take(4);
      case Tag::int64:
      case Tag::float64:
      case Tag::pid:
      case Tag::ref: return take(8);
      case Tag::string: {
        const std::uint64_t n = le(4);
        if (!done_ && n > limits_.max_string_bytes) {
          return broke(absl::StrCat("a string of ", n, " bytes is over max_string_bytes (", limits_.max_string_bytes, ")"));
        }
        return take(n);
      }
      case Tag::atom: return name();
      case Tag::some:
      case Tag::ok:
      case Tag::err: {
        if (!enter()) return false;
        const bool ok = value();
        --depth_;
        return ok;
      }
      case Tag::list:
      case Tag::tuple:
      case Tag::set:
      case Tag::map: {
        if (!enter()) return false;
        const std::uint64_t n = le(4);
        if (!count(n, "a collection")) return false;
        const std::uint64_t values = static_cast<Tag>(tag) == Tag::map ? 2 * n : n;
        for (std::uint64_t i = 0; i < values && !done_; ++i) value();
        --depth_;
        return !done_;
      }
      case Tag::structure:
      case Tag::sum: {
        if (!enter() || !name()) return false;
        if (static_cast<Tag>(tag) == Tag::sum && !name()) return false;
        const std::uint64_t n = le(4);
        if (!count(n, "a struct")) return false;
        fields(n);
        --depth_;
        return !done_;
      }
    }
    return stop();  // an unknown tag: the receiver's decoder says what is wrong
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  const DecodeLimits& limits_;
  std::size_t depth_ = 0;
  bool done_ = false;
  std::string broken_;
};

}  // namespace

std::vector<std::string> node_info_frames(const ReceiveLimits& limits, const Fingerprint& fingerprint,
                                          std::size_t piece_bytes) {
  std::vector<std::string> out;
  std::size_t next = 0;
  do {
    // The entries that fit this piece (at least one, so every piece makes progress).
    std::size_t end = next, bytes = kFixedBytes;
    while (end < fingerprint.size() && (end == next || bytes + entry_bytes(fingerprint[end].first) <= piece_bytes)) {
      bytes += entry_bytes(fingerprint[end].first);
      ++end;
    }
    FrameWriter w = start_piece(limits, end == fingerprint.size());
    w.u32(static_cast<std::uint32_t>(end - next));
    for (std::size_t i = next; i < end; ++i) {
      const std::string& name = fingerprint[i].first;
      w.u16(static_cast<std::uint16_t>(std::min<std::size_t>(name.size(), 0xFFFF)))
          .bytes(std::string_view(name).substr(0, 0xFFFF))
          .u64(fingerprint[i].second);
    }
    out.push_back(w.finish());
    next = end;
  } while (next < fingerprint.size());
  return out;
}

absl::StatusOr<NodeInfoPiece> parse_node_info(std::string_view body) {
  BodyReader r(body);
  NodeInfoPiece p;
  const std::uint8_t last = r.u8();
  p.last = last == 1;
  p.limits.max_message_bytes = r.u64();
  p.limits.decode.max_string_bytes = r.u64();
  p.limits.decode.max_collection_count = r.u64();
  p.limits.decode.max_depth = r.u64();
  p.limits.decode.max_decoded_bytes_per_input_byte = r.u64();
  p.limits.decode.min_decoded_bytes = r.u64();
  const std::uint32_t n = r.u32();
  // Each entry takes at least 10 bytes: a count the body cannot hold is refused before
  // anything is reserved for it.
  if (!r.ok() || last > 1 || n > body.size() / 10) return absl::InvalidArgumentError("malformed node_info frame");
  p.entries.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string_view name = r.take(r.u16());
    const std::uint64_t digest = r.u64();
    if (!r.ok()) return absl::InvalidArgumentError("malformed node_info frame");
    p.entries.emplace_back(name, digest);
  }
  if (!r.at_end()) return absl::InvalidArgumentError("malformed node_info frame: trailing bytes");
  return p;
}

std::size_t size_always_within(const ReceiveLimits& limits) {
  // A string over max_string_bytes, or a collection of more than max_collection_count
  // elements (a byte each at least), makes the encoding longer than that limit; nesting
  // past max_depth (a tag a level) longer than max_depth, and our encoder never nests
  // deeper than its own limit anyway.
  std::size_t n = std::min({limits.max_message_bytes, limits.decode.max_string_bytes,
                            limits.decode.max_collection_count});
  if (limits.decode.max_depth < EncodeLimits{}.max_depth) n = std::min(n, limits.decode.max_depth);
  return n;
}

absl::Status check_message_for(const ReceiveLimits& limits, std::string_view peer, std::string_view stf) {
  if (stf.size() > limits.max_message_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("a message of ", stf.size(), " bytes is over max_message_bytes (",
                                                     limits.max_message_bytes, ") of ", detail::av(peer)));
  }
  if (stf.size() <= size_always_within(limits)) return absl::OkStatus();
  std::string broken = LimitScan(stf, limits.decode).run();
  if (broken.empty()) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(broken, " of ", detail::av(peer)));
}

std::string_view message_type_name(std::string_view stf) {
  // version, tag, then for a struct or sum value its (type) name: u8 length and bytes.
  if (stf.size() < 3) return {};
  const auto tag = static_cast<Tag>(stf[1]);
  if (tag != Tag::structure && tag != Tag::sum) return {};
  const std::size_t n = static_cast<std::uint8_t>(stf[2]);
  if (stf.size() - 3 < n) return {};
  return stf.substr(3, n);
}

}  // namespace snow::dist
