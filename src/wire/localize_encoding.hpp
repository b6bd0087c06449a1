// src/wire/localize_encoding.hpp: is this message from another node sure to decode, and
// its Pids and Refs in this node's numbering.
//
// A message from another node used to be decoded into a Term on the node's transport
// thread, which both checked it (a message that does not decode is refused alone, with a
// counter: docs/WIRE.md) and translated its Pids and Refs from the peer's node numbering
// to this node's. The receiver now decodes the bytes itself, into the type its receive
// clause asks for (snow/detail/encoded_message.hpp), so the transport thread only walks
// them: this function checks each value as decode_term would, counts what the Term would
// cost against the same budget, and rewrites each Pid and Ref in place (both are a fixed
// 8 bytes on the wire, so the bytes keep their length).
//
// It may say "not sure" where decode_term would succeed; it never says "sure" where
// decode_term would fail. The caller then decodes as a Term the old way, which gives the
// exact verdict (and its error). Maps and sets are "not sure" always: their keys'
// uniqueness needs the ordering of Terms, which is what building them buys.
// tests/wire/localize_encoding_test.cpp holds the walk to decode_term_with on every kind,
// on hostile bytes, and on every truncation.
#pragma once

#include <span>

#include "snow/wire.hpp"

namespace snow::detail {

/// True when `stf` (a whole encoding: version byte, one value) decodes as a Term within
/// `limits`, Pids and Refs mapped through `map`; its Pids and Refs are then rewritten to
/// the mapped values, so decoding it without a map gives what decode_term_with gives.
/// False: not known (nothing useful was written; the caller decodes the original way,
/// and must do so from bytes it kept or that this call left unchanged: on false some
/// Pids may have been rewritten already, so the caller decodes a copy it did not pass).
bool localize_encoding(std::span<char> stf, const DecodeLimits& limits, const NodeIndexMap& map);

}  // namespace snow::detail
