// src/runtime/process.hpp: the process control block and the signals between processes.
//
// Ownership and threads. A Process is reference counted: the process table holds one
// reference for as long as the process is alive, and whoever looks a Pid up holds one
// while it pushes. Everything except `state`, `intake`, `refs` and `name_state` belongs
// to the process itself: it is touched only by the thread currently running the process
// (a worker, or the host thread of a ScopedActor), and the scheduler's state machine
// guarantees at most one such thread at a time. The introspection counters (`reductions`,
// `received`, the queue's length) are atomics the owner alone writes, so any thread may
// read them; everything else another thread wants to know (links, monitors) it asks the
// process for with an InfoSignal (src/observe/process_info.cpp).
//
// Signals. Links, unlinks, exit signals, monitors, Down and receive timeouts travel
// through the same intake as messages, so everything one sender sends arrives in the
// order it was sent (a message sent before an exit signal is queued before the exit
// takes effect). The process handles signals as it takes its intake; only Exit and Down
// that the process should see become messages in its queue.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include <condition_variable>
#include <mutex>
#include "snow/detail/runtime_api.hpp"
#include "snow/exit_reason.hpp"
#include "snow/exit_rules.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "src/runtime/backpressure.hpp"
#include "src/runtime/mailbox.hpp"
#include "src/runtime/remote_router.hpp"

namespace snow::detail {

// -- signals --
struct LinkSignal { Pid from; };
struct UnlinkSignal { Pid from; };
struct ExitSignal {
  Pid from;
  ExitReason reason;
  bool via_link;  // from a link (ignored once unlinked) or from exit(pid, reason)
};
struct MonitorSignal { Pid from; Ref ref; };
struct DemonitorSignal { Ref ref; };
struct DownSignal { Ref ref; Pid pid; ExitReason reason; };
struct TimeoutSignal { std::uint64_t timer; };
// process_info (snow/observe.hpp): the process answers `reply_to` with a CallReply
// tagged `ref` holding its ProcessInfo, when it next takes its intake.
struct InfoSignal { Pid reply_to; Ref ref; };
// Histograms on (snow/observe.hpp): a message on its way through the intake with the
// time it arrived; drain() unwraps it. Wrapping only then keeps every message node at
// two pointers: a stamp field in every node cost up to a fifth of the fan-in benchmark
// (small messages move up a malloc size class).
struct ArrivalStamp {
  ArrivalStamp(MessageNode* message, std::int64_t nanos) : message(message), arrived_nanos(nanos) {}
  ArrivalStamp(ArrivalStamp&& o) noexcept
      : message(std::exchange(o.message, nullptr)), arrived_nanos(o.arrived_nanos) {}
  ~ArrivalStamp() {
    if (message) destroy(message);
  }
  MessageNode* message;  // owned until unwrapped
  std::int64_t arrived_nanos;
};

template <class T>
inline constexpr TypeInfo kSignalInfo{&typeid(T), &destroy_boxed<T>, &print_boxed<T>, true, nullptr,
                                      node_footprint<T>()};

template <class T>
MessageNode* box_signal(T value) {
  auto* node = new_boxed<T>(std::move(value));
  node->type = &kSignalInfo<T>;
  return node;
}
template <class T>
bool is_signal(const MessageNode* node) { return node->type == &kSignalInfo<T>; }

// -- the process --
enum class RunState : std::uint8_t {
  waiting,   // parked in a receive; a push makes it runnable
  runnable,  // in a run queue (or about to be)
  running,   // a thread is running it
  exited,
};

/// Links and monitors, allocated on first use: most processes have none. Ordered
/// containers, so exit signals and Downs go out in Pid and Ref order (the order monitors
/// were made): the same on every run, which deterministic tests and replays rely on.
/// Recognises the reply to an abandoned request (declared for ScopedActor::abandon in
/// snow/scoped_actor.hpp; repeated here so this header does not need that one).
using ReplyMatcher = bool (*)(MessageNode* node, std::uint64_t ref);

struct Relations {
  absl::btree_set<Pid> links;
  absl::btree_map<std::uint64_t, Pid> monitors;  // ref -> the process I watch
  absl::btree_map<std::uint64_t, Pid> watchers;  // ref -> the process watching me
  // Refs of calls this process gave up on (timed out): their late replies are dropped
  // as they arrive. An entry goes when its reply does; a server that never replies
  // leaves one entry (8 bytes) per abandoned call.
  absl::btree_set<std::uint64_t> abandoned_replies;
  // The same for replies of the program's own types (ScopedActor::abandon): a ref and how
  // to recognise its reply. Every arriving message is tried against each entry.
  absl::btree_map<std::uint64_t, ReplyMatcher> abandoned_matching;
  // The Downs in the queue, by ref: what lets demonitor flush one without a search
  // (src/runtime/queued_downs.hpp). An entry goes when its Down leaves the queue.
  absl::btree_map<std::uint64_t, MessageNode*> queued_downs;
};

/// What a host thread (ScopedActor) blocks on instead of being scheduled.
struct HostWaiter {
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;  // guarded by mu
  void notify() {
    std::lock_guard lock(mu);
    woken = true;
    cv.notify_one();
  }
};

enum class NameState : std::uint8_t { none, named, dead };

/// Histograms on: notes when `node`, a message the runtime queues itself (Exit, Down),
/// arrived (snow/observe.hpp).
void note_local_arrival(Process* p, MessageNode* node) noexcept;
/// Histograms on: forgets the arrival of `node`, leaving the queue other than through a
/// receive.
void forget_arrival(Process* p, const MessageNode* node) noexcept;

class Process {
 public:
  Process(RuntimeCore& core, Pid pid) : core(core), pid(pid) {}
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void add_ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the last releaser must see every write made by the others before it frees.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // A worker that parked this process may still be re-checking its intake (see
      // run_slice): wait for it to let go. Rarely more than a few instructions.
      while (parking.load(std::memory_order_acquire)) std::this_thread::yield();
      delete this;
    }
  }
  Relations& relations() {
    if (!relations_) relations_ = std::make_unique<Relations>();
    return *relations_;
  }
  bool has_relations() const { return relations_ != nullptr; }
  bool is_host() const { return host != nullptr; }

  RuntimeCore& core;
  const Pid pid;
  std::atomic<std::int32_t> refs{1};
  std::atomic<RunState> state{RunState::runnable};
  // Set by the worker parking this process while it re-checks the intake after
  // publishing `waiting` (run_slice), when another worker may already run the process,
  // end it and drop its last reference. Plain stores, not a reference count: parking
  // is on every message's path, freeing a process is not. A plain flag holds only if two
  // such windows never overlap, so a turn waits for the flag to clear before it starts
  // (run_slice): otherwise a second worker could run the process, park it (setting and
  // clearing the flag itself) and let it be freed while the first was still in its
  // window (ThreadSanitizer saw the unordered pair in supervisor_tests).
  std::atomic<bool> parking{false};
  std::atomic<NameState> name_state{NameState::none};
  bool trap_exit = false;
  ExitRules exit_rules = ExitRules::erlang;  // how link exits act on us (snow/exit_rules.hpp)
  bool yield_requested = false;
  // The runtime's own service processes (a node's cluster process): counted with host
  // processes, so rt.join() does not wait for them.
  bool system = false;
  std::atomic<bool> backlogged{false};  // backpressure: senders read it on every send
  // Overload control: 0 means unbounded (the default, as in Erlang). For a bounded
  // process `queued` counts the messages in its intake and queue (senders add, the owner
  // subtracts), and a message that would exceed the capacity is refused and counted.
  std::uint32_t capacity = 0;
  std::atomic<std::int64_t> queued{0};
  std::atomic<std::uint64_t> dropped{0};
  void count_out() noexcept {
    if (capacity != 0) queued.fetch_sub(1, std::memory_order_relaxed);
  }
  void append_local(MessageNode* node) noexcept {  // a runtime-made message (Exit, Down)
    if (capacity != 0) queued.fetch_add(1, std::memory_order_relaxed);
    queue.append(node);
    note_local_arrival(this, node);
  }
  std::int32_t budget = 0;
  std::atomic<MuteState> mute_state{MuteState::free};  // backpressure, as a sender
  bool mute_pending = false;  // backpressure: `mute_link` names a target; owner only
  // Backpressure: intake takes left until a process that was backlogged stops keeping
  // itself and its senders on their worker (kBacklogMemory, keeps_its_worker). Written by
  // the owner, read by other workers.
  std::atomic<std::uint16_t> backlog_memory{0};

  // Introspection (snow/observe.hpp). Written only by the thread running the process,
  // as a relaxed load and store (no locked instruction), and readable by any thread.
  std::atomic<std::uint64_t> reductions{0};  // published at the end of each turn
  std::atomic<std::uint64_t> received{0};    // messages taken by a receive
  // The body's object and coroutine frame (set at spawn) and the Task frames alive in
  // it (added and taken off as they are allocated and freed), for memory_bytes.
  std::atomic<std::size_t> body_bytes{0};
  // Queued messages the runtime looked at: receive scans and its own searches. What a
  // selective receive costs, counted rather than timed; owner only (tests read it to
  // show that a call looks at none of the messages queued before it).
  std::uint64_t scanned = 0;
  // Histograms on (made on first use): when each queued message arrived, in queue order
  // (so the message a receive takes is usually first or last), and when the message in
  // hand was taken. Behind a pointer: a process of a runtime without histograms (the
  // default) pays 8 bytes for them, not 16.
  struct Arrival {
    const MessageNode* message;
    std::int64_t nanos;
  };
  struct MessageTimes {
    std::deque<Arrival> arrivals;
    std::int64_t handling_since = 0;  // 0: no message in hand
  };
  std::unique_ptr<MessageTimes> times;
  bool handling() const noexcept { return times && times->handling_since != 0; }
  void count_turn() noexcept;

  internal::Intake intake;
  // Backpressure (src/runtime/backpressure.hpp): the senders muted until this process's
  // turn ends, and, as a sender, the backlogged process it sent to (while `mute_state`
  // is free) or the next process in the stack it is listed in (while listed). The two
  // flags sit in the holes above.
  std::atomic<Process*> muted{nullptr};
  Process* mute_link = nullptr;
  internal::MessageQueue queue;
  Process* run_next = nullptr;  // intrusive link for run queues

  // The last process this one sent to, referenced, so a process that keeps sending to
  // the same peer (a reply, a ring, a pipeline) skips the process-table lookup. A stale
  // entry is harmless: a dead process's intake is closed, so the push fails and the send
  // is answered as to a dead process. Cost: a dead peer's control block (not its frame or
  // mailbox, which are freed at exit) lives until the sender sends elsewhere or ends.
  // The hit test reads the cached process's own `pid`, on the cache line the push reads
  // next anyway (its `state`), rather than a copy of it here: 8 bytes a process.
  Process* send_cache = nullptr;
  bool send_cache_holds(Pid to) const noexcept { return send_cache != nullptr && send_cache->pid == to; }
  void drop_send_cache() noexcept {
    if (send_cache) std::exchange(send_cache, nullptr)->release();
  }

  std::coroutine_handle<> resume_point;  // innermost suspended coroutine
  std::coroutine_handle<Proc::promise_type> root;
  ReceiveState* waiter = nullptr;  // the receive the process is parked in
  std::unique_ptr<Body> body;
  std::unique_ptr<ExitReason> pending_exit;  // set: the process must end with this reason
  std::unique_ptr<HostWaiter> host;          // set for ScopedActors

 private:
  ~Process() = default;
  std::unique_ptr<Relations> relations_;
};

/// A counted reference to a Process.
class ProcessRef {
 public:
  ProcessRef() = default;
  explicit ProcessRef(Process* p) : p_(p) {}  // adopts a reference
  ProcessRef(ProcessRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ProcessRef& operator=(ProcessRef&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~ProcessRef() { reset(); }
  void reset() {
    if (p_) std::exchange(p_, nullptr)->release();
  }
  Process* get() const { return p_; }
  /// Gives up ownership of the reference without dropping it.
  Process* release() { return std::exchange(p_, nullptr); }
  Process* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  Process* p_ = nullptr;
};

// -- operations on a process, all run by its owner thread unless noted --

/// Moves the intake into the queue, handling signals on the way.
void drain(Process* p);
/// Delivers `node` (a message or signal) to `to`; any thread. Answers for a dead target.
/// `from` is the sending process for remote targets (their signals need it), or null.
Delivery deliver(RuntimeCore& core, Pid to, MessageNode* node, Pid from = Pid()) noexcept;
/// deliver() for a message sent by process `from`, through its send cache.
Delivery deliver_from(Process* from, Pid to, MessageNode* node) noexcept;
/// Makes a parked process runnable after a push; any thread.
void wake(Process* p) noexcept;
/// Ends the process: closes its intake, tells links and monitors, frees its frame.
void terminate(Process* p, ExitReason reason) noexcept;

enum class SliceOutcome { parked, yielded, ended };
/// Runs `p` for one turn on the calling thread.
SliceOutcome run_slice(Process* p) noexcept;

}  // namespace snow::detail
