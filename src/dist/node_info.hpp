// src/dist/node_info.hpp: what a node tells a peer about itself once their connection is
// up (frame node_info, docs/WIRE.md §5.1): the limits on what it accepts, and its
// protocol fingerprint (each wire type and spawnable function, with its layout's digest).
//
// Each side's node core queues its node_info before anything else on the connection and
// takes the peer's before any other frame from it, so by the time a process frame
// arrives the receiver knows how the sender declares every type: a message of a type
// the two declare differently is dropped on receipt, never delivered mis-typed. And once
// a sender has the peer's node_info it refuses, itself, the messages the peer would
// refuse (a type declared differently, a message over the peer's limits), with an error
// the sending process can act on, instead of the peer closing the connection.
//
// A long fingerprint goes as several node_info frames (each at most about the sender's
// fragment size, as a fragment would be), the last one marked; every piece repeats the
// limits, so a receiver never waits for a piece to know them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snow/detail/wire_codec.hpp"

namespace snow::dist {

/// What a node accepts from its peers: the largest message (its STF encoding) and the
/// bounds its decoder puts on every message.
struct ReceiveLimits {
  std::size_t max_message_bytes = 0;
  DecodeLimits decode;
};

using Fingerprint = std::vector<std::pair<std::string, std::uint64_t>>;

/// The node_info frames (length prefixes included) saying `limits` and `fingerprint`,
/// each body at most about `piece_bytes` (one entry more when an entry alone is longer).
std::vector<std::string> node_info_frames(const ReceiveLimits& limits, const Fingerprint& fingerprint,
                                          std::size_t piece_bytes);

/// One node_info frame, read. `entries` views the frame's body.
struct NodeInfoPiece {
  bool last = false;
  ReceiveLimits limits;
  std::vector<std::pair<std::string_view, std::uint64_t>> entries;
};
/// InvalidArgument for a body that is not a node_info body.
absl::StatusOr<NodeInfoPiece> parse_node_info(std::string_view body);

/// Messages (encodings) of at most this many bytes are within every limit in `limits`
/// that check_message_for checks: the sender checks larger ones only.
std::size_t size_always_within(const ReceiveLimits& limits);

/// OK when a node with `limits` (named `peer`, for the error) accepts the STF message
/// `stf` as far as its size, strings, collection counts and nesting go; otherwise
/// ResourceExhausted naming the limit and the peer. Reads the encoding without building
/// anything. The decoder's budget on the memory a Term takes
/// (max_decoded_bytes_per_input_byte) is not predicted: only the receiver knows it.
absl::Status check_message_for(const ReceiveLimits& limits, std::string_view peer, std::string_view stf);

/// The type name a message carries at its top (a struct's name, or a sum value's type
/// name), read from its STF encoding; empty for any other value or a malformed encoding.
std::string_view message_type_name(std::string_view stf);

}  // namespace snow::dist
