// The walk of src/wire/localize_encoding.hpp. Each case follows decode_term's
// (src/wire/codec.cpp) for the same tag: the same Decoder calls, so the same limits and
// the same checks, and the same charges against the decoded-size budget, except where
// noted (an atom is charged as if it were not interned: never less than decode_term).
#include "localize_encoding.hpp"

#include "decoded_cost.hpp"

namespace snow::detail {

namespace {

class Walk {
 public:
  Walk(std::span<char> stf, const DecodeLimits& limits, const NodeIndexMap& map)
      : base_(stf.data()), d_(std::string_view(stf.data(), stf.size()), limits) {
    d_.set_node_map(&map);
  }

  bool whole() { return check_version(d_) && value() && check_end(d_); }

 private:
  bool value() {
    std::uint8_t tag;
    if (!d_.peek_tag(tag)) return false;
    switch (static_cast<Tag>(tag)) {
      case Tag::unit:
      case Tag::false_:
      case Tag::true_: return d_.get_tag(tag);
      case Tag::int8:
      case Tag::int16:
      case Tag::int32:
      case Tag::int64: {
        std::int64_t v;
        return d_.get_int(v);
      }
      case Tag::float64: {
        double v;
        return d_.get_double(v);
      }
      case Tag::string: {
        std::string_view s;
        return d_.get_string(s) && d_.charge_decoded(decoded_cost::kSharedNode + decoded_cost::string_heap(s.size()));
      }
      case Tag::atom: {
        // Wire<Atom>::decode's checks (Atom::from_outside: length, UTF-8), without
        // looking the name up in the atom table: charged as an atom that owns its text.
        std::string_view s;
        return d_.expect(Tag::atom, "Atom") && d_.get_name(s, true) && s.size() <= Atom::kMaxBytes &&
               d_.charge_decoded(decoded_cost::kSharedNode + decoded_cost::string_heap(s.size()));
      }
      case Tag::pid: {
        char* at = base_ + d_.offset() + 1;  // the 8 bytes after the tag
        Pid p;
        if (!Wire<Pid>::decode(d_, p)) return false;
        store_le(at, p.raw());
        return true;
      }
      case Tag::ref: {
        char* at = base_ + d_.offset() + 1;
        Ref r;
        if (!Wire<Ref>::decode(d_, r)) return false;
        store_le(at, r.raw());
        return true;
      }
      case Tag::map:
      case Tag::set: return false;  // not known: see the header
      default: break;
    }
    return compound(tag);
  }

  bool compound(std::uint8_t tag) {
    d_.get_tag(tag);
    if (!d_.enter()) return false;
    const Tag t = static_cast<Tag>(tag);
    std::uint32_t n = 0;
    if (t == Tag::list || t == Tag::tuple) {
      if (!d_.get_count(n, 1)) return false;
      if (n == 0) return leave();  // the shared empty node: nothing charged
    }
    if (t == Tag::none) return leave();
    if (!d_.charge_decoded(decoded_cost::kSharedNode)) return false;
    switch (t) {
      case Tag::list:
      case Tag::tuple:
        if (!d_.charge_decoded(decoded_cost::array(n, sizeof(Term)))) return false;
        for (std::uint32_t i = 0; i < n; ++i) {
          if (!value()) return false;
        }
        break;
      case Tag::structure:
        if (!name() || !fields()) return false;
        break;
      case Tag::sum:
        if (!name() || !name() || !fields()) return false;
        break;
      case Tag::some:
      case Tag::ok:
      case Tag::err:
        if (!d_.charge_decoded(decoded_cost::array(1, sizeof(Term))) || !value()) return false;
        break;
      default: return false;  // unreachable: value() took every other tag
    }
    return leave();
  }

  bool name() {
    std::string_view s;
    return d_.get_name(s, true) && d_.charge_decoded(decoded_cost::string_heap(s.size()));
  }

  bool fields() {
    std::uint32_t n;
    if (!d_.get_count(n, 2) ||
        !d_.charge_decoded(decoded_cost::array(n, sizeof(Term)) + decoded_cost::array(n, sizeof(std::string))))
      return false;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!name() || !value()) return false;
    }
    return true;
  }

  bool leave() {
    d_.leave();
    return true;
  }

  char* base_;
  Decoder d_;
};

}  // namespace

bool localize_encoding(std::span<char> stf, const DecodeLimits& limits, const NodeIndexMap& map) {
  return Walk(stf, limits, map).whole();
}

}  // namespace snow::detail
