// The node type of a message kept as its encoding (snow/detail/encoded_message.hpp).
#include "snow/detail/encoded_message.hpp"

#include <cstring>
#include <limits>
#include <new>

namespace snow::detail {

namespace {

std::size_t block_bytes(std::uint32_t size) { return sizeof(EncodedMessage) + size; }

void destroy_encoded(MessageNode* node) noexcept {
  auto* m = static_cast<EncodedMessage*>(node);
  const std::size_t bytes = block_bytes(m->size);
  m->~EncodedMessage();
  release_node(m, bytes);
}

// The Term it holds, printed as a boxed Term is; the bytes were checked when they came.
std::string print_encoded(const MessageNode* node) {
  absl::StatusOr<Term> term = decode_term(encoded_stf(node), received_limits());
  return term.ok() ? print_value(*term) : "<undecodable: " + std::string(term.status().message()) + ">";
}

// What this node would write for the Term: the bytes already use its numbering.
absl::Status encode_encoded(const MessageNode* node, std::string& out) {
  out.append(encoded_stf(node));
  return absl::OkStatus();
}

std::size_t encoded_bytes(const MessageNode* node) {
  return pool_block_bytes(block_bytes(static_cast<const EncodedMessage*>(node)->size));
}

}  // namespace

const TypeInfo kEncodedMessageInfo{&typeid(Term), &destroy_encoded, &print_encoded, false, &encode_encoded, 0,
                                   &encoded_bytes};

const DecodeLimits& received_limits() noexcept {
  static const DecodeLimits limits = [] {
    DecodeLimits l;
    constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
    l.max_string_bytes = kNone;
    l.max_collection_count = kNone;
    l.max_depth = kNone;
    l.max_decoded_bytes_per_input_byte = 0;  // the budget is min_decoded_bytes: no bound
    l.min_decoded_bytes = kNone;
    return l;
  }();
  return limits;
}

EncodedMessage* box_encoded(std::string_view stf) {
  const auto size = static_cast<std::uint32_t>(stf.size());
  auto* m = ::new (allocate_node(block_bytes(size))) EncodedMessage;
  m->type = &kEncodedMessageInfo;
  m->size = size;
  std::memcpy(m->bytes(), stf.data(), size);
  return m;
}

MessageNode* as_term_node(MessageNode* node) {
  if (!is_encoded(node)) return node;
  absl::StatusOr<Term> term = decode_term(encoded_stf(node), received_limits());
  destroy(node);
  // Cannot fail: the transport thread checked that it decodes, within stricter limits.
  return box(term.ok() ? *std::move(term) : Term());
}

}  // namespace snow::detail
