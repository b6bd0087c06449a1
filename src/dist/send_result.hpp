// src/dist/send_result.hpp: what a node tells a peer about one message it could not
// deliver, and the answer to an acknowledged send (docs/WIRE.md §5.3).
//
// A message that arrives whole but cannot be delivered — the mailbox is full, the
// process or name does not exist, or the message does not decode under this node's
// DecodeLimits — is dropped alone: the connection and every other message on it carry
// on. The sender's node hears of it in a send_result frame, so a drop is visible on both
// sides (NodeStats::remote_refused), and an acknowledged send (send_acked) gets the
// answer its waiting sender needs, delivered included.
//
// A send_result is fixed-size (it never echoes the message, so a refused 50 MB message
// costs the receiver 34 bytes) and goes on the connection's control lane. Answers to
// acknowledged sends are one per request, each smaller than its request, so they are
// always sent. Notices about plain sends are paced by NoticeBudget: past a bound per
// second they are only counted, and a refusal_summary frame carries the counts once
// the second is over, so the sender's counters stay exact without a notice per drop.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/pid.hpp"
#include "snow/wire.hpp"

namespace snow::dist {

/// What became of one message at the receiving node. The values are on the wire.
enum class SendOutcome : std::uint8_t {
  delivered = 0,     // in the mailbox (answered for acknowledged sends only)
  mailbox_full = 1,  // detail: the mailbox's capacity
  no_process = 2,    // no live process with that Pid, or no process with that name
  undecodable = 3,   // detail: the limit passed, `limit` says which
};
inline constexpr int kSendOutcomes = 4;

/// Which of the receiver's DecodeLimits an undecodable message broke.
enum class DecodeLimit : std::uint8_t {
  malformed = 0,       // none: the encoding itself is wrong (bad UTF-8, an unknown tag, ...)
  string_bytes = 1,    // DecodeLimits::max_string_bytes
  collection = 2,      // DecodeLimits::max_collection_count
  depth = 3,           // DecodeLimits::max_depth
  decoded_budget = 4,  // DecodeLimits::max_decoded_bytes_per_input_byte
};

/// The body of a send_result frame (kind 0x18): u64 ticket (0 for a plain send), u64 to
/// (the addressed process, the receiver's own Pid; null for a send by name), u8 outcome,
/// u8 limit, u64 detail.
struct SendResult {
  std::uint64_t ticket = 0;
  std::uint64_t to = 0;
  SendOutcome outcome = SendOutcome::delivered;
  DecodeLimit limit = DecodeLimit::malformed;
  std::uint64_t detail = 0;
};
std::string write_send_result(const SendResult& r);
/// Nullopt when the body does not parse (a protocol error).
std::optional<SendResult> read_send_result(std::string_view body);

/// Which limit a decode failure of this node's decoder names, and that limit's value.
/// The decoder reports failures as text (src/wire/codec.cpp); this reads the limit's
/// name from it, so the sender is told which limit without a copy of the text.
std::pair<DecodeLimit, std::uint64_t> classify_decode_failure(const absl::Status& status, const DecodeLimits& limits);

/// The error a sender sees for a refusal from `node` about `to` (as the sender names it).
absl::Status refusal_status(const SendResult& r, std::string_view node, Pid to);

/// Counts of plain-send refusals by outcome (index: SendOutcome).
using RefusalCounts = std::array<std::uint64_t, kSendOutcomes>;
/// The body of a refusal_summary frame (kind 0x1A): u32 mailbox_full, u32 no_process,
/// u32 undecodable — refusals of plain sends not reported one by one.
std::string write_refusal_summary(const RefusalCounts& counts);
std::optional<RefusalCounts> read_refusal_summary(std::string_view body);

/// Paces one connection's notices about plain sends: at most kNoticesPerSecond a
/// second, the rest counted for the next summary.
class NoticeBudget {
 public:
  static constexpr int kNoticesPerSecond = 100;
  /// True if a notice about this refusal may be sent now; false: it was counted instead.
  bool take(SendOutcome outcome, absl::Time now);
  /// The counts to send in a summary once the second is over (then forgotten), or nullopt.
  std::optional<RefusalCounts> due_summary(absl::Time now);

 private:
  absl::Time window_start_ = absl::InfinitePast();
  int sent_ = 0;
  RefusalCounts held_{};
  bool holding_ = false;
};

}  // namespace snow::dist
