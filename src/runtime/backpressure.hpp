// src/runtime/backpressure.hpp: a sender to a backlogged process waits for its turn to end.
//
// Mailboxes are unbounded (as in Erlang) and turns are fair, so N processes sending to one
// get N turns to its one: they out-produce it, its queue grows without bound and its
// messages go cold in memory (the fan-in benchmark queued millions; Go's bounded channel
// keeps 1,024 in flight). Muting, after Pony's: a process whose queue holds more than
// kBacklogHigh messages at the end of a drain is *backlogged*; a process that sends to
// it does not stop there (a send never suspends), but at its next `tick()` or `yield()`
// it parks until the receiver's current turn ends, instead of taking a turn of its own.
//
// Why a turn and not "until the queue is short again": a receive may leave most of a
// queue in place (selective receive), so a queue can stay long while its owner works; a
// turn always ends (the budget runs out, the process parks, or it exits), so a muted
// sender always runs again, and a receiver that waits for a muted sender's message
// releases it by parking. A receiver that parks or exits is no longer backlogged.
//
// Who touches what. The receiver R sets `backlogged` and takes its `muted` stack; a sender
// S pushes itself on R's `muted` (a Treiber stack, taken whole). S's `mute_link` is R
// (referenced) from the send to the tick, and the next process in R's stack while S is
// listed: one field, since the two never overlap; `mute_pending` (S's alone) says which,
// and makes S's next tick give way. S's `mute_state`: free -> listed when S pushes itself (S); listed ->
// released when the stack is taken (R, or S itself, below); released -> free at S's next
// turn (S). S pushes only from `free`, so it is linked into one stack at a time. A lost
// wake-up is excluded by two seq_cst pairs: S pushes and then reads `backlogged`, while R
// clears `backlogged` (parking, exiting) and then takes the stack, so if S finds it
// cleared, S takes the stack itself (R will not) and runs on; and the taker marks S
// released and then tries the wake, while S publishes `waiting` and then reads its mark
// (run_slice re-checks it as it re-checks the intake). A process parked because it is
// muted has no receive waiter, so a message also wakes it: it then runs on, harmlessly.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace snow::detail {

class Process;

/// Queue length past which a process is backlogged. Four turns' worth at the default
/// budget (500): a receiver takes at most a budget's worth per turn.
inline constexpr std::size_t kBacklogHigh = 2000;

/// Where a backlogged fan-in runs. Muting bounds a receiver's queue; it does not stop work
/// stealing from spreading the receiver and its senders over the workers, where the
/// receiver takes each message sent from another core as a cache miss and the fan-in ran
/// 9x slower than on one worker. So for this many of its intake takes after it was last
/// backlogged, an idle worker does not steal a receiver, nor a process whose last send went
/// to it (keeps_its_worker), unless their worker has stopped starting turns
/// (Scheduler::steal). A fan-in then settles where it is (measured, 8 senders on two
/// workers: the receiver on one worker and the senders on the other, or all on one; the
/// receiver took 2-3% or 94-96% of its messages from its own thread, against 43-76%
/// before), and `snow_bench fanin` ran 2-3x faster (docs/DESIGN.md). A process that is
/// not backlogged, and whose last send did not go to one, is stolen as before, so
/// independent work still spreads.
inline constexpr std::uint16_t kBacklogMemory = 4096;

enum class MuteState : std::uint8_t { free, listed, released };

/// After `r` took its intake: is it backlogged now? (Not for host processes: a
/// ScopedActor has no turns to end.) Also counts down its backlog memory.
void note_backlog(Process* r) noexcept;
/// Whether `p`, waiting in a run queue, should stay on its worker: it was backlogged in
/// its last kBacklogMemory intake takes, or its last send went to such a process. Called
/// by another worker holding the lock of the queue `p` is in.
bool keeps_its_worker(const Process* p) noexcept;
/// `from` just sent to `to`: if `to` is backlogged, `from` will park at its next tick.
void note_send_to(Process* from, Process* to) noexcept;
/// At a tick or yield of `s` with a backlogged receiver noted: lists `s` with it and
/// returns true (run_slice parks `s`), or false when `s` should simply yield.
bool mute(Process* s, std::coroutine_handle<> h) noexcept;
/// `r`'s turn ends: its muted senders run again. `stays_backlogged` is false when `r`
/// parks or exits.
void release_muted(Process* r, bool stays_backlogged) noexcept;
/// At the start of `s`'s turn: a release is consumed.
void start_turn(Process* s) noexcept;
/// True if `s`, parking, was released meanwhile (it must not park).
bool released_while_parking(const Process* s) noexcept;
/// `p` sent to a backlogged process since its last tick (it mutes at the next).
bool has_mute_target(const Process* p) noexcept;
/// `p` ends: drops its reference to the backlogged process it last sent to, if any.
void drop_mute_target(Process* p) noexcept;
/// Runtime stop: drops `p`'s references to other processes' mutes, waking nobody.
void forget_mutes(Process* p) noexcept;

}  // namespace snow::detail
