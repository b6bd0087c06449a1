// snow/monitor.hpp: the message a monitor delivers.
//
// A monitor is one-way: `Ref r = self.monitor(pid)` asks for exactly one
// `Down{r, pid, reason}` when `pid` ends. A process that is already dead, or never
// existed, yields Down with reason noproc at once. `self.demonitor(r)` cancels it, and
// a Down in flight or already queued for `r` is then never received (Erlang's demonitor
// with flush); demonitor costs the same however long the mailbox is.
#pragma once

#include "snow/exit_reason.hpp"
#include "snow/pid.hpp"

namespace snow {

struct Down {
  Ref ref;
  Pid pid;
  ExitReason reason;
  friend std::ostream& operator<<(std::ostream& os, const Down& d) {
    return os << "Down(" << d.ref << ", " << d.pid << ", " << d.reason << ")";
  }
};

}  // namespace snow
