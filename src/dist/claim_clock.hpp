// src/dist/claim_clock.hpp: the clock that orders two registrations of one global name.
//
// A hybrid logical clock: a stamp is the node's clock in microseconds, but never at or
// behind a stamp the node has already issued or seen in a peer's claim. So a name
// registered after this node heard of another registration of it is always stamped
// later (causality), and two registrations that did not hear of each other (a race with
// their own propagation, or the two sides of a partition) are ordered by the clocks of
// their nodes. The stamps are only compared, never waited on: nothing blocks on a skew.
#pragma once

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"

namespace snow::detail {

/// How far ahead of this node's clock a peer's stamp may be and still move the clock:
/// more than any honest skew, so a peer cannot push every node's clock into the future.
inline constexpr absl::Duration kMaxClaimSkew = absl::Minutes(1);

/// The stamp for a registration made now; `last` is the clock's state.
inline std::int64_t next_claim_stamp(std::int64_t& last, absl::Time now) {
  last = std::max(last + 1, absl::ToUnixMicros(now));
  return last;
}

/// A peer's claim carried stamp `seen`: later registrations here are stamped after it.
inline void observe_claim_stamp(std::int64_t& last, std::int64_t seen, absl::Time now) {
  if (seen <= absl::ToUnixMicros(now + kMaxClaimSkew)) last = std::max(last, seen);
}

}  // namespace snow::detail
