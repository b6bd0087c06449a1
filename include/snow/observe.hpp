// snow/observe.hpp: looking inside a running runtime.
//
// Three levels, from cheap to thorough:
//
//     std::vector<snow::ProcessSummary> all = snow::processes(rt);       // every process, now
//     absl::StatusOr<snow::ProcessInfo> one = snow::process_info(rt, pid); // asks the process
//     snow::RuntimeMetrics m = snow::metrics(rt);                        // counters, histograms
//
// and three ways to show them: `prometheus_text(rt)` (the Prometheus text format, for a
// scraper or a file), a `MetricsEndpoint` serving it over HTTP (GET /metrics), and
// `top_text(rt)`, a top-like table for people.
//
// Why two ways to ask about a process. A process's links, monitors and mailbox belong to
// the thread running it, so no other thread may read them. `process_info` therefore asks
// the process, Erlang's way: a signal goes through its mailbox's intake (behind every
// message sent to it before), the process answers when it next takes its intake (a
// parked process is woken for it, answers and parks again), and the caller waits for
// the answer, at most `timeout`. A process stuck in a long computation answers at its
// next receive or yield; a ScopedActor only while its thread is in receive. The summary
// rows of `processes(rt)` need no answer: they are counters each process publishes for
// any thread to read (its mailbox length as of its last receive or intake, its
// reductions as of its last turn), so listing a million processes never waits on one.
//
// Counters with reasons. Dead letters (messages to nobody) by reason, messages dropped
// by full mailboxes, messages left unmatched in the mailbox of a process that ended, and
// late replies discarded. They are counted where the runtime already knows something
// went wrong, never on the fast path of a delivered message.
//
// Histograms (time a message spent in a mailbox, time a process spent handling one)
// cost clock reads and a small allocation per message (a message-bound benchmark runs
// two to three times slower), so they are off unless `RuntimeOptions::histograms` is
// set; when off, the send path pays one predictable branch. Under a deterministic
// runtime they measure its virtual clock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "snow/node.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"

namespace snow {

class Runtime;
class ScopedActor;
class Self;

/// How long process_info waits for the process to answer, by default.
inline constexpr absl::Duration kDefaultInfoTimeout = absl::Seconds(5);

enum class ProcessStatus : std::uint8_t {
  waiting,   // parked in a receive
  runnable,  // in a run queue
  running,   // on a thread now (in ProcessInfo: between two receives; for a ScopedActor:
             // its thread is not in receive)
};
std::string_view to_string(ProcessStatus status);

/// What any thread can learn about a process without asking it.
struct ProcessSummary {
  Pid pid;
  std::string name;  // its registered name, "" if none
  ProcessStatus status = ProcessStatus::runnable;
  bool scoped_actor = false;  // a host thread's ScopedActor, not a scheduled process
  bool system = false;        // one of the runtime's own processes (a node's, ...)
  /// Messages in its mailbox that no receive has taken yet, as of the last time the
  /// process took its intake (exact in ProcessInfo; see the header comment).
  std::size_t mailbox_length = 0;
  std::uint32_t mailbox_capacity = 0;  // 0: unbounded
  std::uint64_t dropped = 0;           // messages its full mailbox refused
  /// Reductions spent (messages received and sent, ticks), as of its last turn. Zero for
  /// ScopedActors, which are not scheduled.
  std::uint64_t reductions = 0;
  std::uint64_t messages_received = 0;  // messages taken by a receive
  /// Bytes the process holds, Erlang's process_info(P, memory): its control block, its
  /// body (callable, arguments, coroutine frame), the snow::Task frames it is suspended
  /// in, and the nodes of the messages in its mailbox (as of the last time it took its
  /// intake, as mailbox_length). Not the heap that values in them own (a string's
  /// characters). docs/observer.md says exactly what is counted.
  std::size_t memory_bytes = 0;
};

/// Everything about one process, as the process itself saw it when it answered.
struct ProcessInfo : ProcessSummary {
  bool traps_exits = false;
  std::vector<Pid> links;         // sorted
  std::vector<Pid> monitors;      // the processes it monitors, in the order it began to
  std::vector<Pid> monitored_by;  // the processes monitoring it, in the order they began to
};

/// A row for every live local process (ScopedActors included), by Pid. Never waits on a
/// process; any thread.
std::vector<ProcessSummary> processes(Runtime& rt);

/// Asks the local process `pid` for its ProcessInfo, from a host thread (a temporary
/// ScopedActor receives the answer; in a deterministic runtime, waiting runs the runtime
/// as ScopedActor::receive does). NotFound for a dead, unknown or null Pid;
/// InvalidArgument for a Pid on another node; DeadlineExceeded if the process did not
/// answer within `timeout` (busy in a long turn, or a ScopedActor not in receive);
/// FailedPrecondition once the runtime is stopping.
absl::StatusOr<ProcessInfo> process_info(Runtime& rt, Pid pid, absl::Duration timeout = kDefaultInfoTimeout);
/// The same through an existing ScopedActor (`me` itself is described directly).
absl::StatusOr<ProcessInfo> process_info(const ScopedActor& me, Pid pid,
                                         absl::Duration timeout = kDefaultInfoTimeout);
/// The same from a process: `co_await snow::process_info(self, pid)` (self: at once).
Task<absl::StatusOr<ProcessInfo>> process_info(Self self, Pid pid, absl::Duration timeout = kDefaultInfoTimeout);

/// A latency histogram: counts per bucket (not cumulative), bucket i holding the values
/// above upper_bound(i - 1) and at most upper_bound(i), the last one unbounded. Bounds go
/// from 1 us up by factors of 4 (1 us, 4 us, 16 us, ..., about 16.8 s).
struct LatencyHistogram {
  static constexpr int kBuckets = 14;
  /// absl::InfiniteDuration() for the last bucket.
  static absl::Duration upper_bound(int bucket);
  std::array<std::uint64_t, kBuckets> counts{};
  std::uint64_t count = 0;
  absl::Duration sum = absl::ZeroDuration();
};

/// Messages that reached nobody, by why.
struct DeadLetterCounts {
  std::uint64_t no_process = 0;  // a local Pid whose process has ended (or never was)
  std::uint64_t no_name = 0;     // a send by name to a name nobody holds here
  std::uint64_t not_a_node = 0;  // a remote Pid or node while this runtime is not a node
  /// Dropped by the node layer: the peer was not connected (NodeStats::dropped_unreachable),
  /// its outbound queue was over its bound (dropped_overflow), the value could not be
  /// encoded, or a name sent to from another node is not registered here.
  std::uint64_t node = 0;
  std::uint64_t total() const { return no_process + no_name + not_a_node + node; }
};

/// A snapshot of a runtime's counters; any thread.
struct RuntimeMetrics {
  int workers = 0;
  std::uint64_t spawned = 0;            // processes ever spawned (ScopedActors excluded)
  std::uint64_t processes = 0;          // live processes now (ScopedActors included)
  std::uint64_t scoped_actors = 0;
  std::array<std::uint64_t, 3> by_status{};  // live processes by ProcessStatus
  std::uint64_t mailbox_messages = 0;   // messages waiting in all mailboxes (see ProcessSummary)
  std::uint64_t mailbox_max = 0;        // the longest mailbox
  DeadLetterCounts dead_letters;
  std::uint64_t dropped_mailbox_full = 0;  // refused by full bounded mailboxes
  std::uint64_t unmatched_at_exit = 0;     // left in the mailbox of a process that ended
  std::uint64_t late_replies = 0;          // replies to calls that had timed out, discarded
  std::array<std::uint64_t, 4> log_messages{};  // lines given to the log sink, by LogLevel
  bool histograms = false;                 // RuntimeOptions::histograms
  LatencyHistogram time_in_mailbox;        // from arrival in the mailbox to a receive taking it
  LatencyHistogram handling_time;          // from a receive taking a message to the next receive
  /// Messages taken by a receive, summed over the live processes (a process that ends
  /// takes its count with it: a rate from two snapshots undercounts the dead, never
  /// overcounts; see docs/observer.md).
  std::uint64_t messages_received_live = 0;
  /// Processes waiting in each worker's run queue now (one entry per worker; empty in a
  /// deterministic runtime).
  std::vector<std::uint64_t> run_queues;
  /// Set when the runtime is a node.
  std::optional<NodeStats> node;
  std::vector<PeerInfo> peers;
};
RuntimeMetrics metrics(Runtime& rt);

/// A supervisor as it last published itself: at start-up, after each child ended or
/// was restarted, and on the dynamic API's changes (off every message path).
struct SupervisorChildSummary {
  std::string id;
  Pid pid;                        // null while not running
  bool supervisor = false;        // ChildType::supervisor
  std::string restart;            // "permanent", "transient", "temporary"
  std::uint64_t restarts = 0;     // times this supervisor restarted it
  std::string last_exit_reason;   // how it last ended; "" if it never did
};
struct SupervisorSummary {
  Pid pid;
  Pid parent;            // null when started from a host thread
  std::string strategy;  // "one_for_one", ...
  std::uint64_t restarts = 0;  // restarts of any child, in all
  std::vector<SupervisorChildSummary> children;
};
/// Every live local supervisor, by Pid. Never waits on one; any thread.
std::vector<SupervisorSummary> supervisors(Runtime& rt);

/// The metrics in the Prometheus text exposition format (version 0.0.4): `snow_*`
/// names, each with HELP and TYPE lines. Any thread.
std::string prometheus_text(Runtime& rt);

/// A top-like table: a header with the runtime's (and node's) totals, then one line per
/// process, the `limit` first in `order` (0: all).
struct TopOptions {
  enum class Order { mailbox, reductions };
  Order order = Order::mailbox;
  std::size_t limit = 20;
};
std::string top_text(Runtime& rt, TopOptions options = {});

struct MetricsEndpointOptions {
  /// A numeric IPv4 or IPv6 address, or "localhost". The endpoint is reachable by anyone
  /// who can reach this address: bind to 127.0.0.1 unless the network is trusted.
  std::string host = "127.0.0.1";
  std::uint16_t port = 9464;  // 0 picks a free port (see port())
  /// A client connection is closed this long after it was accepted, answered or not.
  absl::Duration client_timeout = absl::Seconds(5);
  /// A connection that has not sent its whole request is closed once it has sent nothing
  /// for this long (a scraper sends its request as it connects).
  absl::Duration idle_timeout = absl::Seconds(2);
  /// At most this many connections at once. A new one beyond it takes the place of the
  /// oldest connection still waiting for its request, so idle connections cannot starve
  /// a scrape; it is closed on arrival only if every connection is being answered.
  int max_clients = 32;

  // -- the Observer (docs/observer.md): a dashboard and a JSON API on the same server --
  /// Serves the dashboard page at / and the JSON API under /api/. Off: the server
  /// answers /metrics only, as before.
  bool observer = false;
  /// Allows the API's actions (POST: kill a process, send it an exit signal), each only
  /// with `observer_token` in an X-Snow-Token header. Off: every POST is refused (403).
  bool observer_actions = true;
  /// The actions' token. Empty: start() makes a random one (128 bits, hex) and prints it
  /// on stderr with the page's address; read it back with observer_token().
  std::string observer_token;
  /// /api/processes lists at most this many processes (the longest mailboxes first).
  std::size_t observer_max_processes = 2000;
  /// How long /api/process/<id> waits for the process to answer process_info (the
  /// server answers nothing else meanwhile, so keep it short).
  absl::Duration observer_info_timeout = absl::Milliseconds(500);
};

/// A tiny HTTP server, on its own thread (a libuv loop), answering `GET /metrics` with
/// prometheus_text(rt), `GET /health` with 200 while it serves (for an orchestrator's
/// probes; the body names the node and its peer count), with the Observer's page and API
/// when `observer` is set, and
/// anything else with 404 (400 for what is not HTTP). Nothing of it exists (no thread,
/// no socket) until start(). One request
/// per connection. What comes from the network never crashes it: requests are bounded
/// (8 KiB), slow clients are cut at `client_timeout`, silent ones at `idle_timeout` or
/// sooner when a newcomer needs their place (so idle connections cannot starve a scrape),
/// and a client that resets costs nothing. Stop it (or destroy it) before its Runtime.
class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(Runtime& rt);
  ~MetricsEndpoint();  // stops
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  /// Listens and starts serving. InvalidArgument (a host that is not an address),
  /// Unavailable (the port is in use, or the OS refused), FailedPrecondition (running).
  absl::Status start(MetricsEndpointOptions options = {});
  /// Closes the listener and every connection and joins the thread. FailedPrecondition
  /// if it is not running.
  absl::Status stop();
  bool running() const;
  /// The port listened on (the one picked, for port 0); 0 when not running.
  std::uint16_t port() const;
  /// The Observer's action token ("" when not running, or the observer or its actions
  /// are off).
  std::string observer_token() const;
  /// Requests refused for want of the right token (403), since start.
  std::uint64_t refused_actions() const;

 private:
  struct Impl;
  Runtime& rt_;
  mutable std::mutex mu_;  // start, stop and the accessors may come from different threads
  std::unique_ptr<Impl> impl_;
};

}  // namespace snow
