// src/discovery/dns_lookup.hpp: asking DNS for a discovery source's members.
//
// A lookup blocks (getaddrinfo for A/AAAA, res_nquery for SRV, each bounded only by the
// resolver's own timeouts in /etc/resolv.conf: 5 s x 2 attempts per server by default),
// so it never runs on the node's network thread. LookupWorker runs one at a time on a
// thread of its own and the node collects the answer at its next tick. The thread is
// detached and shares only the slot its answer goes in: a resolver that hangs holds that
// thread, never the node, not even its stop (why not libuv's thread pool: DESIGN.md,
// "Discovery from DNS").
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/statusor.h"
#include "src/discovery/discovery_source.hpp"
#include "src/discovery/dns_answer.hpp"

namespace snow::discovery {

/// The members `source` names now, at most `max_members` (the rest counted as ignored).
/// Blocks. NotFound when the name does not exist, Unavailable when no answer came.
absl::StatusOr<DnsAnswer> lookup_members(const DiscoverySource& source, std::size_t max_members);

class LookupWorker {
 public:
  /// Starts a lookup on a new thread unless one is still running (then false).
  bool start(const DiscoverySource& source, std::size_t max_members);
  /// The answer of the lookup that finished, once; nullopt while it runs (or none ran).
  std::optional<absl::StatusOr<DnsAnswer>> take();

 private:
  struct Slot {
    std::mutex mu;
    bool running = false;
    std::optional<absl::StatusOr<DnsAnswer>> answer;
  };
  std::shared_ptr<Slot> slot_ = std::make_shared<Slot>();
};

}  // namespace snow::discovery
