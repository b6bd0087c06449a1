// snow/detail/encoded_message.hpp: a message from another node, kept as its encoding.
//
// A message that arrives from another node is its STF encoding (docs/WIRE.md). The
// transport thread checks it (src/wire/localize_encoding.hpp: it would decode, within the
// node's limits, and its Pids and Refs are rewritten in place to this node's numbering)
// and queues those bytes as they are, in one node from the node pool. The receiving
// process decodes them when a receive clause looks at the message, straight into the
// clause's type: no Term is built for a message a typed clause takes, and the decoding
// runs on the receiver's worker instead of the node's one transport thread (before, that
// thread built a Term per message and the worker converted it again; in the remote
// throughput benchmark that was the bottleneck).
//
// To everything outside receive matching an encoded message is a Term: Message::type_name
// says snow::Term, printing decodes it, a catch-all clause (snow::any) is handed it as a
// boxed Term, and sending it on to another node copies the bytes (they are what this node
// would have written for the Term: its own numbering).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "snow/detail/message_node.hpp"
#include "snow/wire.hpp"

namespace snow::detail {

/// The node: the usual header, then `size` bytes of STF right after the struct.
struct EncodedMessage final : MessageNode {
  std::uint32_t size = 0;
  std::string_view stf() const noexcept { return {reinterpret_cast<const char*>(this + 1), size}; }
  char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
};

/// The one TypeInfo of encoded messages (src/wire/encoded_message.cpp); its std_type is Term.
extern const TypeInfo kEncodedMessageInfo;

inline bool is_encoded(const MessageNode* node) noexcept { return node->type == &kEncodedMessageInfo; }
inline std::string_view encoded_stf(const MessageNode* node) noexcept {
  return static_cast<const EncodedMessage*>(node)->stf();
}

/// A new encoded node holding a copy of `stf` (which the caller has checked).
EncodedMessage* box_encoded(std::string_view stf);

/// The Term an encoded node holds, boxed, in place of it (`node` is destroyed); other
/// nodes are returned as they are. A catch-all clause hands its handler this.
MessageNode* as_term_node(MessageNode* node);

/// The limits a receiver decodes an encoded message with. The transport thread has held
/// it to the node's own limits already (it decodes as a Term within them), so these only
/// keep a typed decode from refusing what the node accepted.
const DecodeLimits& received_limits() noexcept;

/// The head of the value an encoding holds (after its version byte): its kind, and a
/// struct's or sum's name. False for bytes too short to hold one.
inline bool encoded_head(std::string_view stf, Term::Kind& kind, std::string_view& name) {
  Decoder d(stf, received_limits());
  std::uint8_t version;
  return d.get_u8(version) && d.peek_head(kind, name);
}

/// The encoded message as a T, or nothing when it is not one: when the value's head (its
/// kind, and a struct's or sum's name) is one T accepts, T's decoder decides. A type's
/// decoder accepts what its from_term accepts from the decoded Term (snow/wire.hpp: the
/// same names, fields in order, integers of any width in range), so a clause takes the
/// messages it took when they arrived as Terms.
template <class T>
std::optional<T> decode_encoded(const MessageNode* node) {
  const std::string_view stf = encoded_stf(node);
  if constexpr (!std::is_same_v<T, Term>) {
    Term::Kind kind;
    std::string_view name;
    if (!encoded_head(stf, kind, name) || !Wire<T>::accepts(kind, name)) return std::nullopt;
  }
  std::optional<T> value(std::in_place);
  if (!decode_into(stf, *value, received_limits()).ok()) return std::nullopt;
  return value;
}

}  // namespace snow::detail
