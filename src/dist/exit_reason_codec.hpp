// src/dist/exit_reason_codec.hpp: an exit reason on the wire, as exit and down frames
// carry it (src/dist/protocol.hpp lists those frames; docs/WIRE.md has the bytes).
//
// Separate because a reason nests (a linked reason carries its partner's) and may carry
// a user's value: the one part of a signal frame with a decoder of its own, used both
// on the transport thread and on the decode worker.
#pragma once

#include "snow/exit_reason.hpp"
#include "snow/wire.hpp"
#include "src/dist/protocol.hpp"

namespace snow::dist {

/// Appends `r` to the frame being written.
void write_exit_reason(FrameWriter& w, const ExitReason& r);

/// Reads a reason written by write_exit_reason into `out`, its Pids made local with
/// `map`, its value decoded within `limits`; false when the bytes are not a reason.
/// `depth`: how many linked reasons enclose this one (the reader's bound on nesting).
bool read_exit_reason(BodyReader& r, const DecodeLimits& limits, const detail::NodeIndexMap& map, ExitReason& out,
                      int depth = 0);

}  // namespace snow::dist
