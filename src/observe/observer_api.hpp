// src/observe/observer_api.hpp: the Observer's JSON documents (docs/observer.md), built
// from what snow/observe.hpp already offers. The HTTP side is metrics_endpoint.cpp.
//
// Every document is made on the endpoint's thread when asked for, from counters any
// thread may read, so nothing here costs a running system anything while nobody asks.
// Only /api/process/<id> waits on a process (process_info), at most a bounded time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/pid.hpp"

namespace snow {
class Runtime;
}

namespace snow::internal {

/// GET /api/node: this runtime, its node (if any), peers and their ups and downs.
std::string node_json(Runtime& rt);
/// GET /api/processes: at most `limit` processes, the longest mailboxes first.
std::string processes_json(Runtime& rt, std::size_t limit);
/// GET /api/process/<id>: one process's ProcessInfo (NotFound, DeadlineExceeded, ...).
absl::StatusOr<std::string> process_json(Runtime& rt, Pid pid, absl::Duration timeout);
/// GET /api/supervisors: every supervisor as it last published itself.
std::string supervisors_json(Runtime& rt);
/// GET /api/metrics: counters, histograms, run queues; `refused_actions` from the server.
std::string metrics_json(Runtime& rt, std::uint64_t refused_actions);

/// The Pid an API path names: the decimal of Pid::raw() (what the documents call "id").
/// Only local Pids: nullopt for anything else.
std::optional<Pid> parse_process_id(std::string_view text);

}  // namespace snow::internal
