// snow/link.hpp: the message a trapping process gets for an exit signal.
//
// Links are bidirectional: when a linked process ends abnormally, the other one ends too
// with the same reason, unless it traps exits (`self.trap_exits(true)`), in which case it
// receives `Exit{from, reason}` as an ordinary message. A `normal` exit does not kill a
// non-trapping linked process. `kill` cannot be trapped. Link with `self.link(pid)` or
// `self.spawn_link(...)`, undo with `self.unlink(pid)`: after unlink, no exit signal from
// that link arrives, even one already in flight.
#pragma once

#include "snow/exit_reason.hpp"
#include "snow/pid.hpp"

namespace snow {

struct Exit {
  Pid from;
  ExitReason reason;
  friend std::ostream& operator<<(std::ostream& os, const Exit& e) {
    return os << "Exit(" << e.from << ", " << e.reason << ")";
  }
};

}  // namespace snow
