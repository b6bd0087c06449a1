// snow_bench: snow's own micro-benchmarks.
//
//   snow_bench WORKLOAD [N]
//
// Runs one workload on a default Runtime (one worker per hardware thread) and prints
// exactly one line on stdout:
//
//   RESULT <workload> <metric>=<value> ...
//
// SNOW_BENCH_WORKERS=K runs the local workloads (spawn to restart), and both nodes of the
// remote ones, on K workers instead: `SNOW_BENCH_WORKERS=1 snow_bench fanin` shows what
// crossing cores costs a workload.
//
// Diagnostics (phase timings, sanity checks) go to stderr. An unknown workload or a bad
// N prints usage on stderr and exits with 2. The workloads mirror bench/compare/ (CAF and
// Erlang), so their numbers can be set side by side:
//
//   spawn     [N=1,000,000]   wall_s, bytes_per_proc
//   pingpong  [N=1,000,000]   rt_per_s
//   fanin     [N=500,000]     msgs_per_s        (16 senders x N messages)
//   ring      [N=10,000,000]  hops_per_s        (1,000 processes)
//   selective [N=100,000]     calls_per_s_queued, calls_per_s_empty, ratio
//   call      [N=1,000,000]   calls_per_s       (service calls from a process)
//   call_host [N=1,000,000]   calls_per_s       (service calls from a host thread)
//   call_queued [N=200,000]   calls_per_s_empty, calls_per_s_queued, ratio
//                                               (`call` with 10,000 messages queued)
//   restart   [N=10,000]      p50_us, p99_us    (crash -> replacement serving)
//   stf_int, stf_tuple3, stf_struct5, stf_string1m   ns_per_roundtrip (+ mb_per_s)
//             STF encode + decode round trips (bench/stf_workloads.cpp)
//   remote_pingpong   [N=20,000]     rt_per_s, us_per_rt
//   remote_throughput [N=1,000,000]  msgs_per_s, mb_per_s
//   socket_pingpong   [N=20,000]     rt_per_s, us_per_rt (plain TCP socket: the floor)
//   remote_connect    [N=1,000]      p50_us, p99_us (connect: TCP, TLS, cookie handshake)
//             two OS processes over 127.0.0.1, nodes talking TCP + TLS 1.3; snow_bench
//             starts the second process itself as `snow_bench --serve WORKLOAD N`
//             (an internal role, not for direct use; bench/remote_workloads.cpp)
//   global            [N=1,000]      register_us, whereis_us, visible_elsewhere_us (three nodes)
//   group_broadcast   [N=100]        msgs_per_s (a 1,000-member group over three nodes)
//             three nodes in this process (bench/cluster_workloads.cpp)

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "snow/snow.hpp"
#include "snow/service.hpp"
#include "snow/supervisor.hpp"

int run_stf_workload(std::string_view name, long n);     // bench/stf_workloads.cpp
int run_remote_workload(std::string_view name, long n);  // bench/remote_workloads.cpp
int serve_remote_workload(int argc, char** argv);        // the second process of those
int run_cluster_workload(std::string_view name, long n); // bench/cluster_workloads.cpp

/// The Runtime of the local and remote workloads: the default, or SNOW_BENCH_WORKERS workers.
snow::RuntimeOptions bench_runtime_options() {
  snow::RuntimeOptions options;
  if (const char* workers = std::getenv("SNOW_BENCH_WORKERS")) options.workers = std::atoi(workers);
  return options;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Resident set size of this process in bytes (VmRSS of /proc/self/status), or -1.
long rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 6, "VmRSS:") == 0) return std::atol(line.c_str() + 6) * 1024L;
  }
  return -1;
}

/// A benchmark found a wrong answer: there is no meaningful number to print.
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "snow_bench: FAILED: %s\n", what);
  std::fflush(stderr);
  std::_Exit(1);  // may be called on a worker thread: skip static destructors
}

// Messages shared by several workloads.
struct Stop {};
struct Done {};

// -- spawn ----------------------------------------------------------------------------
//
// N processes, each waiting for one message and then ending. wall_s covers spawning all
// N, waiting until every one of them has run to its receive, sending each its message,
// and waiting (rt.join()) until all have ended; the sampling pause in the middle (20 ms
// sleep, stats, RSS read) is left out. Processes are spawned and sent to from the main
// thread, as CAF's side does; no ScopedActor is needed. bytes_per_proc is the VmRSS growth between
// "runtime started, nothing spawned" and "all N alive and parked in receive", over N. It
// includes everything snow allocates per process (control block, body, coroutine frame,
// process-table slot) plus allocator slack and the 8-byte Pid the benchmark keeps for each
// process (as the CAF and Erlang sides keep one handle per actor).
//
// Knowing that all N are parked: a process counts itself in `g_spawn_ready` (one relaxed
// increment on a shared counter, no memory per process) as the very first thing it does,
// immediately before its receive; the receive has no timeout, so parking allocates
// nothing. Main polls the counter with a 1 ms sleep (a spinning main thread would take a
// core from the two workers). Once it reads N, each worker is at most a few instructions
// from parking the last process it ran; a further 20 ms sleep lets that finish before RSS
// is sampled. rt.stats().live == N is checked too (every spawned process is alive).

std::atomic<std::int64_t> g_spawn_ready{0};
struct Go {};

snow::Proc spawn_waiter(snow::Self self) {
  g_spawn_ready.fetch_add(1, std::memory_order_relaxed);
  co_await self.receive(snow::on<Go>([] {}));
}

void bench_spawn(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  std::vector<snow::Pid> pids;
  pids.reserve(static_cast<std::size_t>(n));  // reserved, untouched: not in the baseline
  g_spawn_ready.store(0);
  const long rss0 = rss_bytes();

  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < n; ++i) pids.push_back(rt.spawn(spawn_waiter));
  const double t_spawned = seconds_since(t0);
  while (g_spawn_ready.load(std::memory_order_relaxed) < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double t_ready = seconds_since(t0);

  // Sampling pause, left out of wall_s.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const snow::RuntimeStats st = rt.stats();
  if (st.live != static_cast<std::uint64_t>(n)) fail("spawn: stats().live != N with every process waiting");
  const long rss1 = rss_bytes();
  const auto t1 = Clock::now();

  for (snow::Pid pid : pids) rt.send(pid, Go{});
  const double t_sent = t_ready + seconds_since(t1);
  if (!rt.join(absl::Seconds(120)).ok()) fail("spawn: processes still alive 120 s after their message");
  const double wall = t_ready + seconds_since(t1);
  if (rt.stats().live != 0 || rt.stats().dead_letters != 0) fail("spawn: live processes or dead letters at the end");

  std::fprintf(stderr,
               "spawn: spawned %.3f s, all waiting %.3f s, sent %.3f s, all done %.3f s; "
               "RSS %ld -> %ld bytes\n",
               t_spawned, t_ready, t_sent, wall, rss0, rss1);
  std::printf("RESULT spawn wall_s=%.3f bytes_per_proc=%.0f\n", wall,
              static_cast<double>(rss1 - rss0) / static_cast<double>(n));
}

// -- pingpong -------------------------------------------------------------------------
//
// N sequential round trips between two processes: ping sends Ping, waits for the Pong
// carrying the same number, repeats. Timed from spawning ping to main getting Done.

struct Ping {
  snow::Pid from;
  std::int64_t n;
};
struct Pong {
  std::int64_t n;
};

snow::Proc pong_proc(snow::Self self) {
  bool running = true;
  while (running) {
    co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Pong{p.n}); }),
                          snow::on<Stop>([&] { running = false; }));
  }
}

snow::Proc ping_proc(snow::Self self, snow::Pid pong, std::int64_t n, snow::Pid report) {
  for (std::int64_t i = 0; i < n; ++i) {
    self.send(pong, Ping{self.pid(), i});
    const std::int64_t got = co_await self.receive(snow::on<Pong>([](Pong p) { return p.n; }));
    if (got != i) fail("pingpong: a Pong out of order");
  }
  self.send(report, Done{});
}

void bench_pingpong(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  // SNOW_BENCH_OBSERVER=1: the Observer on a free port (its address on stderr) for
  // bench/observer_cost.py, which points a headless browser at it; both runs wait
  // SNOW_BENCH_WAIT_MS first, so the page is watching when the timing starts.
  snow::MetricsEndpoint endpoint(rt);
  if (const char* on = std::getenv("SNOW_BENCH_OBSERVER"); on != nullptr && std::string_view(on) == "1") {
    if (!endpoint.start({.port = 0, .observer = true}).ok()) fail("pingpong: the observer did not start");
  }
  if (const char* wait = std::getenv("SNOW_BENCH_WAIT_MS")) absl::SleepFor(absl::Milliseconds(std::atoi(wait)));
  const snow::Pid pong = rt.spawn(pong_proc);
  const auto t0 = Clock::now();
  rt.spawn(ping_proc, pong, n, me.pid());
  me.receive(snow::on<Done>([] {}));
  const double secs = seconds_since(t0);
  me.send(pong, Stop{});
  if (endpoint.running()) (void)endpoint.stop();
  if (!rt.join(absl::Seconds(10)).ok()) fail("pingpong: pong did not stop");
  std::fprintf(stderr, "pingpong: %lld round trips in %.3f s\n", static_cast<long long>(n), secs);
  std::printf("RESULT pingpong rt_per_s=%.0f\n", static_cast<double>(n) / secs);
}

// -- fanin ----------------------------------------------------------------------------
//
// 16 sender processes each send N std::int64_t (0..N-1) to one receiver as fast as they
// can; the receiver takes all 16*N and reports their sum. Timed from spawning the
// receiver to main getting the report. Each sender ticks, the idiom for a loop that never
// waits: without it a sender keeps its worker for all N sends, and whether the receiver
// runs meanwhile depends on where the scheduler put it (runs differed by 1.4x).
// Go's senders get the same from its preemptive scheduler and blocking channel.

constexpr int kFaninSenders = 16;

struct FaninDone {
  std::int64_t sum;
};

snow::Proc fanin_receiver(snow::Self self, std::int64_t total, snow::Pid report) {
  std::int64_t sum = 0;
  for (std::int64_t k = 0; k < total; ++k) {
    co_await self.receive(snow::on<std::int64_t>([&](std::int64_t v) { sum += v; }));
  }
  self.send(report, FaninDone{sum});
}

snow::Proc fanin_sender(snow::Self self, snow::Pid to, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    self.send(to, std::int64_t{i});
    co_await self.tick();  // a loop that never waits gives way now and then (snow/actor.hpp)
  }
}

void bench_fanin(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  const std::int64_t total = n * kFaninSenders;
  const auto t0 = Clock::now();
  const snow::Pid receiver = rt.spawn(fanin_receiver, total, me.pid());
  for (int s = 0; s < kFaninSenders; ++s) rt.spawn(fanin_sender, receiver, n);
  const std::int64_t sum = me.receive(snow::on<FaninDone>([](FaninDone d) { return d.sum; }));
  const double secs = seconds_since(t0);
  if (sum != kFaninSenders * (n * (n - 1) / 2)) fail("fanin: wrong sum");
  if (!rt.join(absl::Seconds(10)).ok()) fail("fanin: processes still alive");
  std::fprintf(stderr, "fanin: %lld messages in %.3f s\n", static_cast<long long>(total), secs);
  std::printf("RESULT fanin msgs_per_s=%.0f\n", static_cast<double>(total) / secs);
}

// -- ring -----------------------------------------------------------------------------
//
// 1,000 processes in a ring. Each first learns its successor, then forwards a token,
// decrementing it; the one that gets 0 tells main. Main injects Token{N}, so the token
// makes N process-to-process hops. Timed from the injection to main getting Done.

constexpr int kRingSize = 1000;

struct Next {
  snow::Pid pid;
};
struct Token {
  std::int64_t left;
};

snow::Proc ring_node(snow::Self self, snow::Pid report) {
  const snow::Pid next = co_await self.receive(snow::on<Next>([](Next m) { return m.pid; }));
  bool running = true;
  while (running) {
    co_await self.receive(snow::on<Token>([&](Token t) {
                            if (t.left == 0) {
                              self.send(report, Done{});
                            } else {
                              self.send(next, Token{t.left - 1});
                            }
                          }),
                          snow::on<Stop>([&] { running = false; }));
  }
}

void bench_ring(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  std::vector<snow::Pid> nodes;
  for (int i = 0; i < kRingSize; ++i) nodes.push_back(rt.spawn(ring_node, me.pid()));
  for (int i = 0; i < kRingSize; ++i) rt.send(nodes[i], Next{nodes[(i + 1) % kRingSize]});
  const auto t0 = Clock::now();
  rt.send(nodes[0], Token{n});
  me.receive(snow::on<Done>([] {}));
  const double secs = seconds_since(t0);
  for (snow::Pid p : nodes) rt.send(p, Stop{});
  if (!rt.join(absl::Seconds(10)).ok()) fail("ring: nodes did not stop");
  std::fprintf(stderr, "ring: %lld hops in %.3f s\n", static_cast<long long>(n), secs);
  std::printf("RESULT ring hops_per_s=%.0f\n", static_cast<double>(n) / secs);
}

// -- selective ------------------------------------------------------------------------
//
// Request/reply calls from a client to an echo server, each waiting for its reply with a
// selective receive on a fresh ref (the receive-marker optimisation, which applies as
// the only clause tests the ref with has_ref):
//
//   const snow::Ref tag = self.make_ref();
//   self.send(server, Request{self.pid(), tag, i});
//   co_await self.receive(snow::on<Reply>(snow::has_ref(&Reply::tag, tag), ...));
//
// Measured twice in one run, each time with a fresh client: with an empty mailbox, and
// with 10,000 Junk messages (a type no clause matches) that the client sends itself
// before its first call. With the marker the junk is never rescanned, so the ratio
// queued/empty should be near 1. A warm-up run of N/10+1 calls comes first. Afterwards
// each client counts the junk left (it must be exactly what it sent).

constexpr std::int64_t kSelectiveJunk = 10000;

struct Request {
  snow::Pid from;
  snow::Ref tag;
  std::int64_t n;
};
struct Reply {
  snow::Ref tag;
  std::int64_t n;
};
struct Junk {
  std::int64_t i;
};
struct CallsDone {
  double seconds;
  std::int64_t junk_left;
};

snow::Proc echo_server(snow::Self self) {
  bool running = true;
  while (running) {
    co_await self.receive(snow::on<Request>([&](Request r) { self.send(r.from, Reply{r.tag, r.n}); }),
                          snow::on<Stop>([&] { running = false; }));
  }
}

/// Takes the Junk left in the caller's mailbox and counts it (a client's last step).
snow::Task<std::int64_t> count_junk(snow::Self self) {
  std::int64_t left = 0;
  bool more = true;
  while (more) {
    co_await self.receive(snow::on<Junk>([&] { ++left; }), snow::after(absl::ZeroDuration(), [&] { more = false; }));
  }
  co_return left;
}

snow::Proc selective_client(snow::Self self, snow::Pid server, std::int64_t calls, std::int64_t junk,
                            snow::Pid report) {
  for (std::int64_t i = 0; i < junk; ++i) self.send(self.pid(), Junk{i});
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < calls; ++i) {
    const snow::Ref tag = self.make_ref();
    self.send(server, Request{self.pid(), tag, i});
    std::int64_t got = -1;
    co_await self.receive(snow::on<Reply>(snow::has_ref(&Reply::tag, tag), [&](Reply r) { got = r.n; }));
    if (got != i) fail("selective: a reply to the wrong request");
  }
  const double secs = seconds_since(t0);
  self.send(report, CallsDone{secs, co_await count_junk(self)});
}

/// Calls per second of one `client` process making `calls` calls to `server` with `junk`
/// messages queued; `workload` names the benchmark in a failure.
template <class Client, class Server>
double timed_calls(snow::Runtime& rt, snow::ScopedActor& me, Client client, Server server, std::int64_t calls,
                   std::int64_t junk, const char* workload) {
  rt.spawn(client, server, calls, junk, me.pid());
  const CallsDone d = me.receive(snow::on<CallsDone>([](CallsDone c) { return c; }));
  if (d.junk_left != junk) fail(workload);
  return static_cast<double>(calls) / d.seconds;
}

void bench_selective(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  const snow::Pid server = rt.spawn(echo_server);
  constexpr const char* kChanged = "selective: the junk in the client's mailbox changed";
  (void)timed_calls(rt, me, selective_client, server, n / 10 + 1, 0, kChanged);  // warm-up
  const double empty = timed_calls(rt, me, selective_client, server, n, 0, kChanged);
  const double queued = timed_calls(rt, me, selective_client, server, n, kSelectiveJunk, kChanged);
  me.send(server, Stop{});
  if (!rt.join(absl::Seconds(10)).ok()) fail("selective: processes still alive");
  std::fprintf(stderr, "selective: %lld calls each; %.0f calls/s empty, %.0f calls/s with %lld queued\n",
               static_cast<long long>(n), empty, queued, static_cast<long long>(kSelectiveJunk));
  std::printf("RESULT selective calls_per_s_queued=%.0f calls_per_s_empty=%.0f ratio=%.3f\n", queued, empty,
              queued / empty);
}


// -- call, call_host ----------------------------------------------------------------------
//
// N sequential service calls (snow::Service, the gen_server of snow) answered by a
// counter service: from a process (`call`, co_await) and from a host thread through a
// ScopedActor (`call_host`, blocking). Each call monitors the service, sends the request
// with its deadline, and waits selectively for the reply from the marker on.

struct CallGet {};
struct CallCounter {
  std::int64_t served = 0;
  std::int64_t handle_call(const CallGet&) { return ++served; }
};

snow::Proc call_client(snow::Self self, snow::Service<CallCounter> svc, std::int64_t n, snow::Pid report) {
  for (std::int64_t i = 0; i < n; ++i) {
    auto r = co_await svc.call(self, CallGet{});
    if (!r.ok() || *r != i + 1) fail("call: wrong reply");
  }
  self.send(report, Done{});
}

void bench_call(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  auto svc = snow::spawn_service(rt, CallCounter{});
  const auto t0 = Clock::now();
  rt.spawn(call_client, svc, n, me.pid());
  me.receive(snow::on<Done>([] {}));
  const double s = seconds_since(t0);
  std::printf("RESULT call calls_per_s=%.0f\n", static_cast<double>(n) / s);
}

void bench_call_host(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  auto svc = snow::spawn_service(rt, CallCounter{});
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < n; ++i) {
    auto r = svc.call(me, CallGet{});
    if (!r.ok() || *r != i + 1) fail("call_host: wrong reply");
  }
  const double s = seconds_since(t0);
  std::printf("RESULT call_host calls_per_s=%.0f\n", static_cast<double>(n) / s);
}

// -- call_queued ----------------------------------------------------------------------
//
// The `call` workload (snow::Service calls from a process) with a long mailbox: a
// fresh client sends itself 10,000 Junk messages (a type no receive of the call matches),
// then makes N calls to an echo service; the junk stays queued for the whole run, and the
// client counts it at the end (it must be exactly what it sent). The same from a fresh
// client with an empty mailbox, after a warm-up of N/10+1 calls. A call monitors the
// service, sends, waits from the monitor's marker on, and demonitors: every one of those
// steps must cost the same however long the mailbox is, so `ratio` (queued / empty)
// should be near 1.

struct CallEcho {
  std::int64_t n;
};
struct EchoService {
  std::int64_t handle_call(const CallEcho& e) { return e.n; }
};

snow::Proc call_queued_client(snow::Self self, snow::Service<EchoService> svc, std::int64_t calls, std::int64_t junk,
                              snow::Pid report) {
  for (std::int64_t i = 0; i < junk; ++i) self.send(self.pid(), Junk{i});
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < calls; ++i) {
    auto r = co_await svc.call(self, CallEcho{i});
    if (!r.ok() || *r != i) fail("call_queued: a wrong reply");
  }
  const double secs = seconds_since(t0);
  self.send(report, CallsDone{secs, co_await count_junk(self)});
}

void bench_call_queued(std::int64_t n) {
  snow::Runtime rt(bench_runtime_options());
  snow::ScopedActor me(rt);
  auto svc = snow::spawn_service(rt, EchoService{});
  constexpr const char* kChanged = "call_queued: the junk in the client's mailbox changed";
  (void)timed_calls(rt, me, call_queued_client, svc, n / 10 + 1, 0, kChanged);  // warm-up
  const double empty = timed_calls(rt, me, call_queued_client, svc, n, 0, kChanged);
  const double queued = timed_calls(rt, me, call_queued_client, svc, n, kSelectiveJunk, kChanged);
  if (!svc.stop(me).ok()) fail("call_queued: the service did not stop");
  if (!rt.join(absl::Seconds(10)).ok()) fail("call_queued: processes still alive");
  std::fprintf(stderr, "call_queued: %lld calls each; %.0f calls/s empty, %.0f calls/s with %lld queued\n",
               static_cast<long long>(n), empty, queued, static_cast<long long>(kSelectiveJunk));
  std::printf("RESULT call_queued calls_per_s_empty=%.0f calls_per_s_queued=%.0f ratio=%.3f\n", empty, queued,
              queued / empty);
}

// -- restart --------------------------------------------------------------------------
//
// A one_for_one supervisor with one permanent child. N times: crash the child, and time
// until its replacement has answered a message. The replacement announces itself to the
// benchmark as the first thing it does (Ready with its Pid), and the benchmark then
// sends it a Ping and waits for the Pong: crash -> Exit at the supervisor -> restart ->
// new child running and serving. Reports the median and the 99th percentile.

struct Ready {
  snow::Pid pid;
};
struct RestartCrash {};
struct RestartPing {
  snow::Pid from;
};
struct RestartPong {};

snow::Proc restartable(snow::Self self, snow::Pid announce) {
  self.send(announce, Ready{self.pid()});
  for (;;) {
    const bool crash = co_await self.receive(snow::on<RestartCrash>([] { return true; }),
                                             snow::on<RestartPing>([&](RestartPing p) {
                                               self.send(p.from, RestartPong{});
                                               return false;
                                             }));
    if (crash) throw std::runtime_error("crash on request");
  }
}

void bench_restart(std::int64_t n) {
  snow::RuntimeOptions options = bench_runtime_options();
  options.log_sink = [](snow::LogLevel, std::string_view) {};  // N crashes: keep the log quiet
  snow::Runtime rt(options);
  snow::ScopedActor me(rt);
  snow::SupervisorSpec spec;
  spec.max_restarts = 1'000'000'000;  // measure restarts, not the intensity limit
  spec.max_seconds = 1;
  snow::ChildSpec child;
  child.id = "worker";
  child.start = [announce = me.pid()](snow::Self self) { return self.spawn(restartable, announce); };
  spec.children.push_back(child);
  if (!snow::start_supervisor(me, spec).ok()) fail("restart: supervisor did not start");
  snow::Pid current = me.receive(snow::on<Ready>([](Ready r) { return r.pid; }));
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    me.send(current, RestartCrash{});
    current = me.receive(snow::on<Ready>([](Ready r) { return r.pid; }),
                         snow::after(absl::Seconds(10), [] { return snow::Pid(); }));
    if (!current) fail("restart: no replacement within 10 s");
    me.send(current, RestartPing{me.pid()});
    me.receive(snow::on<RestartPong>([] {}));
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) { return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))]; };
  std::printf("RESULT restart p50_us=%.1f p99_us=%.1f\n", pct(0.50), pct(0.99));
}

// -- main -----------------------------------------------------------------------------

struct Workload {
  std::string_view name;
  std::int64_t default_n;
  void (*run)(std::int64_t);
};

constexpr Workload kWorkloads[] = {
    {"spawn", 1'000'000, bench_spawn},   {"pingpong", 1'000'000, bench_pingpong},
    {"fanin", 500'000, bench_fanin},     {"ring", 10'000'000, bench_ring},
    {"selective", 100'000, bench_selective},
    {"call", 1'000'000, bench_call},     {"call_host", 1'000'000, bench_call_host},
    {"call_queued", 200'000, bench_call_queued},
    {"restart", 10'000, bench_restart},
};

int usage(const char* msg) {
  if (msg != nullptr) std::fprintf(stderr, "snow_bench: %s\n", msg);
  std::fprintf(stderr, "usage: snow_bench WORKLOAD [N]\n  N: a positive integer\n  workloads (default N):\n");
  for (const Workload& w : kWorkloads) {
    std::fprintf(stderr, "    %-10s %lld\n", std::string(w.name).c_str(), static_cast<long long>(w.default_n));
  }
  std::fprintf(stderr, "    stf_int, stf_tuple3, stf_struct5, stf_string1m (STF round trips)\n");
  std::fprintf(stderr, "    remote_pingpong, remote_throughput, socket_pingpong, remote_connect (two processes, TCP + TLS)\n");
  std::fprintf(stderr, "    global, group_broadcast (three nodes in this process, TLS)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // The second process of a remote workload, started by the first one.
  if (argc >= 2 && std::string_view(argv[1]) == "--serve") return serve_remote_workload(argc - 2, argv + 2);
  if (argc < 2 || argc > 3) return usage(nullptr);
  const std::string_view name = argv[1];
  const Workload* workload = nullptr;
  for (const Workload& w : kWorkloads) {
    if (w.name == name) workload = &w;
  }
  if (workload == nullptr && (name.substr(0, 4) == "stf_" || name.substr(0, 7) == "remote_" ||
                              name == "socket_pingpong" || name == "global" || name == "group_broadcast")) {
    // The STF encode/decode workloads live in stf_workloads.cpp.
    long n = 0;
    if (argc == 3) {
      const char* last = argv[2] + std::strlen(argv[2]);
      const auto [end, ec] = std::from_chars(argv[2], last, n);
      if (ec != std::errc() || end != last || n <= 0) return usage(("bad N '" + std::string(argv[2]) + "'").c_str());
    }
    const int rc = name.substr(0, 4) == "stf_"                      ? run_stf_workload(name, n)
                   : (name == "global" || name == "group_broadcast") ? run_cluster_workload(name, n)
                                                                     : run_remote_workload(name, n);
    if (rc != 2) return rc;
  }
  if (workload == nullptr) return usage(("unknown workload '" + std::string(name) + "'").c_str());

  std::int64_t n = workload->default_n;
  if (argc == 3) {
    const char* first = argv[2];
    const char* last = first + std::strlen(first);
    const auto [end, ec] = std::from_chars(first, last, n);
    // The fanin sum (16 * N * (N-1) / 2) must fit in 63 bits.
    if (ec != std::errc() || end != last || n <= 0 || n > 1'000'000'000) {
      return usage(("bad N '" + std::string(argv[2]) + "'").c_str());
    }
  }
  std::fprintf(stderr, "snow_bench: %s N=%lld, %u hardware threads\n", argv[1], static_cast<long long>(n),
               std::thread::hardware_concurrency());
  workload->run(n);
  return 0;
}
