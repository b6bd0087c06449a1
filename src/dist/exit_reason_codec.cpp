// src/dist/exit_reason_codec.cpp
#include "src/dist/exit_reason_codec.hpp"

#include <string>

namespace snow::dist {

// Exit reasons on the wire (docs/WIRE.md): u8 kind, u64 text length, text, then for a
// user reason with a wire value the value's STF encoding (otherwise its printed form is
// the text), for a linked reason the partner's pid and its reason (nested at most
// ExitReason::kMaxLinkedDepth deep, which the constructor guarantees and the reader checks).
void write_exit_reason(FrameWriter& w, const ExitReason& r) {
  std::string text = r.kind() == ExitReason::Kind::user ? r.to_string() : r.text();
  std::string value;
  if (const detail::MessageNode* n = r.user_node(); n != nullptr && n->type->encode != nullptr) {
    if (!n->type->encode(n, value).ok()) value.clear();
  }
  const auto len = static_cast<std::uint32_t>(text.size());
  w.u8(static_cast<std::uint8_t>(r.kind())).u64(len).bytes(text).u8(value.empty() ? 0 : 1).bytes(value);
  if (r.is(ExitReason::Kind::linked)) {
    w.pid(r.partner());
    write_exit_reason(w, *r.partner_reason());
  }
}

bool read_exit_reason(BodyReader& r, const DecodeLimits& limits, const detail::NodeIndexMap& map, ExitReason& out,
                      int depth) {
  const std::uint8_t kind = r.u8();
  const std::uint64_t len = r.u64();
  if (!r.ok() || len > limits.max_string_bytes) return false;
  const std::string_view text = r.take(len);
  const std::uint8_t has_value = r.u8();
  if (!r.ok() || !detail::is_valid_utf8(text)) return false;
  using K = ExitReason::Kind;
  switch (static_cast<K>(kind)) {
    case K::normal: out = ExitReason::normal(); return r.at_end();
    case K::shutdown: out = ExitReason::shutdown(); return r.at_end();
    case K::kill: out = ExitReason::kill(); return r.at_end();
    case K::killed: out = ExitReason::killed(); return r.at_end();
    case K::noproc: out = ExitReason::noproc(); return r.at_end();
    case K::noconnection: out = ExitReason::noconnection(); return r.at_end();
    case K::error: out = ExitReason::error(std::string(text)); return r.at_end();
    case K::user: {
      if (has_value == 0) {
        out = ExitReason::user(Term(std::string(text)));
        return r.at_end();
      }
      absl::StatusOr<Term> t = detail::decode_term_with(r.rest(), limits, map);
      if (!t.ok()) return false;
      out = ExitReason::user(std::move(*t));
      return true;
    }
    case K::linked: {
      if (!text.empty() || has_value != 0 || depth >= ExitReason::kMaxLinkedDepth) return false;
      const Pid wire = Pid::from_raw(r.u64());
      std::uint16_t node = 0;
      ExitReason partner_reason;
      if (!r.ok() || !map.to_local(wire.node(), node) || !read_exit_reason(r, limits, map, partner_reason, depth + 1)) {
        return false;
      }
      out = ExitReason::linked(Pid::make(node, wire.creation(), wire.serial()), std::move(partner_reason));
      return true;
    }
  }
  return false;
}

}  // namespace snow::dist
