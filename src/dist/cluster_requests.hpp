// src/dist/cluster_requests.hpp: what the public cluster API (src/dist/cluster_api.cpp)
// tells its own node's cluster process (src/dist/cluster.cpp). Local only: these never
// cross nodes (what cluster processes tell each other is in cluster.cpp, as wire types).
//
// Separate so that the two files agree on one declaration of each request.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "snow/pid.hpp"
#include "snow/term.hpp"

namespace snow::detail {

struct LocalRegistered {
  std::string name;
  Pid pid;
  std::int64_t claimed = 0;
};
struct LocalUnregistered {
  std::string name;
  Pid pid;
};
struct LocalJoined {
  std::string group;
  Pid pid;
};
struct LocalLeft {
  std::string group;
  Pid pid;
};
/// A remote spawn, handed to this node's cluster process, which sends the request, waits
/// for the answer and makes sure the caller gets exactly one (see ClusterProcess::spawn).
struct LocalSpawn {
  Pid caller;
  Ref ref;
  std::string node;
  std::string function;
  Term args;
  absl::Duration timeout;
};
struct SpawnTimedOut {
  Ref ref;
};
/// A process's lookup of a name on another node: a call (detail::call) to this node's
/// cluster process, answered with a CallReply holding the Pid, so the caller's monitor,
/// timeout and dropping of a late answer are those of every call.
struct LookupOnNode {
  Pid from;
  Ref ref;
  absl::Time deadline;
  std::string node;
  std::string name;
};

}  // namespace snow::detail
