// snow/mailbox.hpp: mailbox limits (overload control).
//
// A mailbox is unbounded by default, as in Erlang: a send never blocks and never fails.
// A process that can be flooded may be given a capacity when it is spawned:
//
//     snow::Pid logger = self.spawn_with({.mailbox_capacity = 10'000}, logger_body);
//
// A plain `send` to a full mailbox drops the message (the newest) and counts it, in the
// process's `dropped` and the runtime's stats; `try_send` tells the sender instead,
// with ResourceExhausted (the message is not delivered either way), and a host thread's
// `rt.send_wait(pid, msg, timeout)` waits for room (DeadlineExceeded if none comes; the
// waiting thread polls with a backoff up to 1 ms, as nothing signals room). The count covers
// messages queued and not yet taken by a receive; signals (exits, monitors, Down,
// timeouts) are never refused, so overload never breaks supervision.
#pragma once

#include <cstdint>

#include "snow/exit_rules.hpp"

namespace snow {

struct SpawnOptions {
  /// Messages the mailbox holds at most; 0 means unbounded.
  std::uint32_t mailbox_capacity = 0;
  /// Link the new process to the spawning one (from a process only).
  bool link = false;
  /// How exit signals through links act on the new process (see exit_rules.hpp).
  ExitRules exit_rules = ExitRules::erlang;
};

struct MailboxStats {
  std::uint32_t capacity = 0;   // 0: unbounded
  std::int64_t queued = 0;      // tracked for bounded mailboxes only
  std::uint64_t dropped = 0;    // messages refused because the mailbox was full
};

}  // namespace snow
