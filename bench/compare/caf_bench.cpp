// caf_bench.cpp: the CAF (C++ Actor Framework 0.17) side of snow's peer comparison.
//
//   caf_bench WORKLOAD [N]
//
// WORKLOAD is one of spawn, pingpong, fanin, ring, selective, call, call_queued. Prints exactly one
// line `RESULT <workload> <metric>=<value> ...` on stdout; diagnostics go to stderr.
// The scheduler is limited to 2 worker threads (the comparison machine has 2 cores and
// Erlang runs with +S 2). Each workload is written the way CAF's own examples write it:
// function-based event-based actors, `return` from a handler to reply, `request` for
// request/response, `scoped_actor` for the main thread.
//
//   caf_bench remote_pingpong|remote_throughput N tcp|tls [CERT_DIR]
//
// runs between two OS processes over 127.0.0.1 with CAF's network layer (caf::io, BASP;
// with `tls` the caf::openssl module, certificates CERT_DIR/{cert,key,ca}.pem). The
// second process is this binary again, started by the first as
// `caf_bench --serve WORKLOAD N tcp|tls [CERT_DIR]`: it publishes its actor on a free
// port, prints "127.0.0.1:<port>" on stdout and serves until its stdin is closed.
//
// Build (one command):
//   g++ -O2 -std=c++17 caf_bench.cpp -o caf_bench -lcaf_openssl -lcaf_io -lcaf_core
//       -lssl -lcrypto -pthread

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

using namespace caf;

// Atoms of our own (0.17 style: an atom_constant is a type, `_v` its value).
using call_atom = atom_constant<atom("call")>;
using junk_atom = atom_constant<atom("junk")>;
using done_atom = atom_constant<atom("done")>;
using token_atom = atom_constant<atom("token")>;
using go_atom = atom_constant<atom("go")>;
using data_atom = atom_constant<atom("data")>;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Resident set size of this process in bytes (VmRSS from /proc/self/status).
long rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 6, "VmRSS:") == 0)
      return std::atol(line.c_str() + 6) * 1024L;
  return -1;
}

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.')
        ++n;
    closedir(d);
  }
  return n;
}

struct bench_config : actor_system_config {
  bench_config() {
    // Two workers, one per core: the same footing as `erl +S 2` and snow's default.
    // CAF_BENCH_THREADS overrides it for experiments.
    const char* env = std::getenv("CAF_BENCH_THREADS");
    set("scheduler.max-threads", env != nullptr ? std::atoi(env) : 2);
  }
};

// -- spawn --------------------------------------------------------------------

// N actors, each waits for one message and then quits. bytes_per_proc is the growth of
// VmRSS between "nothing spawned" and "all N spawned, initialised and waiting", over N;
// it includes CAF's mailbox, behavior stack and actor control block, plus the 8-byte
// handle the benchmark keeps per actor (the Erlang side keeps a list of pids likewise).
void bench_spawn(actor_system& sys, int64_t n) {
  std::atomic<int64_t> ready{0};
  std::vector<actor> actors;
  actors.reserve(static_cast<size_t>(n));
  long rss0 = rss_bytes();
  auto t0 = clock_type::now();
  for (int64_t i = 0; i < n; ++i)
    actors.emplace_back(sys.spawn([&ready](event_based_actor* self) -> behavior {
      ready.fetch_add(1, std::memory_order_relaxed);
      return {
        [=](int64_t) { self->quit(); },
      };
    }));
  // Spawning schedules each actor's initialisation; wait until every actor has run it
  // and sits in its behavior, waiting for its message.
  // Poll with a sleep, not a spin: a spinning main thread would take a core from the two
  // workers.
  double t_spawned = seconds_since(t0);
  while (ready.load(std::memory_order_relaxed) < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double t_ready = seconds_since(t0);
  long rss1 = rss_bytes();
  for (auto& a : actors)
    anon_send(a, int64_t{1});
  actors.clear();
  double t_sent = seconds_since(t0);
  sys.await_all_actors_done();
  double wall = seconds_since(t0);
  std::fprintf(stderr,
               "spawn: spawned %.3f s, all waiting %.3f s, sent %.3f s, all done %.3f s\n",
               t_spawned, t_ready, t_sent, wall);
  double per = static_cast<double>(rss1 - rss0) / static_cast<double>(n);
  std::printf("RESULT spawn wall_s=%.3f bytes_per_proc=%.0f\n", wall, per);
}

// -- pingpong -----------------------------------------------------------------

behavior pong_actor(event_based_actor*) {
  return {
    // Returning a value replies to the sender (an ordinary async message here).
    [](ping_atom, int64_t x) { return std::make_tuple(pong_atom_v, x); },
  };
}

behavior ping_actor(event_based_actor* self, actor pong, int64_t n, actor parent) {
  self->send(pong, ping_atom_v, int64_t{0});
  return {
    [=](pong_atom, int64_t x) {
      if (x + 1 >= n) {
        self->send(parent, done_atom::value);
        self->quit();
        return;
      }
      self->send(pong, ping_atom_v, x + 1);
    },
  };
}

void bench_pingpong(actor_system& sys, int64_t n) {
  scoped_actor self{sys};
  auto pong = sys.spawn(pong_actor);
  auto t0 = clock_type::now();
  sys.spawn(ping_actor, pong, n, actor{self});
  self->receive([](done_atom) {});
  double wall = seconds_since(t0);
  anon_send_exit(pong, exit_reason::user_shutdown);
  std::printf("RESULT pingpong rt_per_s=%.0f\n", static_cast<double>(n) / wall);
}

// -- fanin --------------------------------------------------------------------

constexpr int fanin_senders = 16;

behavior fanin_receiver(event_based_actor* self, int64_t total, actor parent) {
  auto got = std::make_shared<int64_t>(0);
  return {
    [=](int64_t) {
      if (++*got == total) {
        self->send(parent, done_atom::value);
        self->quit();
      }
    },
  };
}

void fanin_sender(event_based_actor* self, actor receiver, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    self->send(receiver, i);
  // No behavior returned: the actor terminates after this function.
}

void bench_fanin(actor_system& sys, int64_t n) {
  scoped_actor self{sys};
  int64_t total = n * fanin_senders;
  auto t0 = clock_type::now();
  auto receiver = sys.spawn(fanin_receiver, total, actor{self});
  for (int i = 0; i < fanin_senders; ++i)
    sys.spawn(fanin_sender, receiver, n);
  self->receive([](done_atom) {});
  double wall = seconds_since(t0);
  std::printf("RESULT fanin msgs_per_s=%.0f\n", static_cast<double>(total) / wall);
}

// -- ring ---------------------------------------------------------------------

constexpr int ring_size = 1000;

// A ring member first learns its successor, then forwards the token, decrementing it;
// the member that sees 0 tells the parent. N hops in all.
behavior ring_node(event_based_actor* self, actor parent) {
  return {
    [=](const actor& next) {
      self->become([=](token_atom, int64_t t) {
        if (t == 0)
          self->send(parent, done_atom::value);
        else
          self->send(next, token_atom::value, t - 1);
      });
    },
  };
}

void bench_ring(actor_system& sys, int64_t n) {
  scoped_actor self{sys};
  std::vector<actor> ring;
  ring.reserve(ring_size);
  for (int i = 0; i < ring_size; ++i)
    ring.emplace_back(sys.spawn(ring_node, actor{self}));
  for (int i = 0; i < ring_size; ++i)
    self->send(ring[i], ring[(i + 1) % ring_size]);
  auto t0 = clock_type::now();
  self->send(ring[0], token_atom::value, n);
  self->receive([](done_atom) {});
  double wall = seconds_since(t0);
  for (auto& a : ring)
    anon_send_exit(a, exit_reason::user_shutdown);
  std::printf("RESULT ring hops_per_s=%.0f\n", static_cast<double>(n) / wall);
}

// -- call / selective -------------------------------------------------------------

// The service: replies to (call, x) with x.
behavior echo_server(event_based_actor*) {
  return {
    [](call_atom, int64_t x) { return x; },
  };
}

// `calls` sequential request/response round trips from a blocking actor. Its mailbox is
// first filled with `junk` unrelated messages, which its receives never match: CAF's
// blocking receive for a response skips them (they stay queued for a later receive),
// the counterpart of an Erlang selective receive with messages already in the mailbox.
double blocking_calls(actor_system& sys, const actor& server, int64_t calls,
                      int junk) {
  double result = 0;
  auto client = sys.spawn([&, server, calls, junk](blocking_actor* self) {
    for (int i = 0; i < junk; ++i)
      self->send(self, junk_atom::value, int64_t{i});
    int64_t sum = 0;
    auto t0 = clock_type::now();
    for (int64_t i = 0; i < calls; ++i)
      self->request(server, infinite, call_atom::value, i)
        .receive([&](int64_t r) { sum += r; },
                 [&](error& err) {
                   std::cerr << "request failed: " << sys.render(err) << "\n";
                   std::exit(1);
                 });
    result = static_cast<double>(calls) / seconds_since(t0);
    if (sum != calls * (calls - 1) / 2)
      std::cerr << "bad sum\n";
  });
  scoped_actor self{sys};
  self->wait_for(client);
  return result;
}

// The same from an event-based actor: sequential request(...).await, the junk stays in
// its mailbox because the default handler skips what no handler matches.
double await_calls(actor_system& sys, const actor& server, int64_t calls, int junk) {
  scoped_actor self{sys};
  auto t0 = std::make_shared<clock_type::time_point>();
  actor parent{self};
  auto client = sys.spawn([=](event_based_actor* ea) -> behavior {
    ea->set_default_handler(skip);
    for (int i = 0; i < junk; ++i)
      ea->send(ea, junk_atom::value, int64_t{i});
    auto next = std::make_shared<std::function<void(int64_t)>>();
    *next = [=](int64_t i) {
      if (i == calls) {
        double r = static_cast<double>(calls) / seconds_since(*t0);
        ea->send(parent, done_atom::value, r);
        ea->quit();
        return;
      }
      ea->request(server, infinite, call_atom::value, i)
        .await([=](int64_t) { (*next)(i + 1); },
               [=](error&) { std::exit(1); });
    };
    // Start once the junk is in the mailbox.
    return {
      [=](go_atom) {
        *t0 = clock_type::now();
        (*next)(0);
      },
    };
  });
  self->send(client, go_atom::value);
  double r = 0;
  self->receive([&](done_atom, double x) { r = x; });
  return r;
}

constexpr int selective_junk = 10000;

// `selective` and `call_queued`: in CAF both are request/response calls (snow's
// `selective` is a bare make_ref/send/receive, its `call_queued` a service call), so
// one run serves both, printed under the workload's name.
void bench_queued_calls(actor_system& sys, int64_t n, const char* workload) {
  auto server = sys.spawn(echo_server);
  // Warm-up, then empty and queued mailboxes.
  blocking_calls(sys, server, n / 10 + 1, 0);
  double empty = blocking_calls(sys, server, n, 0);
  double queued = blocking_calls(sys, server, n, selective_junk);
  double eb_empty = await_calls(sys, server, n, 0);
  double eb_queued = await_calls(sys, server, n, selective_junk);
  anon_send_exit(server, exit_reason::user_shutdown);
  std::printf("RESULT %s calls_per_s_queued=%.0f calls_per_s_empty=%.0f "
              "ratio=%.3f await_calls_per_s_queued=%.0f "
              "await_calls_per_s_empty=%.0f await_ratio=%.3f\n",
              workload, queued, empty, queued / empty, eb_queued, eb_empty,
              eb_queued / eb_empty);
}

// Sequential request/response from an event-based actor (`request(...).await`).
void bench_call(actor_system& sys, int64_t n) {
  auto server = sys.spawn(echo_server);
  await_calls(sys, server, n / 10 + 1, 0); // warm-up
  double r = await_calls(sys, server, n, 0);
  anon_send_exit(server, exit_reason::user_shutdown);
  std::printf("RESULT call calls_per_s=%.0f\n", r);
}

// -- remote workloads: two OS processes ---------------------------------------------

// The serving child of this (parent) process, if one is running; fail() kills it.
pid_t g_child = -1;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "caf_bench: FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  if (g_child > 0) {
    ::kill(g_child, SIGKILL);
    ::waitpid(g_child, nullptr, 0);
  }
  std::_Exit(1);
}

struct remote_setup {
  std::string workload;
  int64_t n = 0;
  bool tls = false;
  std::string cert_dir;
};

// Loads the network layer (and OpenSSL with certificates for `tls`).
void configure_network(bench_config& cfg, const remote_setup& r) {
  cfg.load<io::middleman>();
  if (r.tls) {
    cfg.load<openssl::manager>();
    // Certificates on both sides: CAF then requires and verifies the peer's
    // certificate (without them it would fall back to an anonymous cipher).
    cfg.openssl_certificate = r.cert_dir + "/cert.pem";
    cfg.openssl_key = r.cert_dir + "/key.pem";
    cfg.openssl_cafile = r.cert_dir + "/ca.pem";
  }
}

struct serve_process {
  pid_t pid = -1;
  int to_child = -1;
  std::string line;
};

// Starts `caf_bench --serve ...` (before this process has any thread) and waits up to
// 30 s for its address line. The child dies with this process (PR_SET_PDEATHSIG) and
// exits when its stdin is closed.
serve_process start_serve(const remote_setup& r) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    fail("pipe failed");
  std::string n = std::to_string(r.n);
  std::string mode = r.tls ? "tls" : "tcp";
  pid_t parent = ::getpid();
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(1);
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0)
      ::_exit(127);
    ::fcntl(0, F_SETFD, 0); // a pipe end that already was fd 0 or 1 keeps O_CLOEXEC
    ::fcntl(1, F_SETFD, 0);
    const char* argv[] = {"caf_bench", "--serve", r.workload.c_str(), n.c_str(),
                          mode.c_str(), r.cert_dir.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  g_child = pid;
  ::close(in[0]);
  ::close(out[1]);
  serve_process p;
  p.pid = pid;
  p.to_child = in[1];
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - clock_type::now())
                  .count();
    if (left <= 0)
      fail("the serving process printed no address within 30 s");
    pollfd pfd{out[0], POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(left));
    if (rc <= 0)
      continue;
    char c;
    ssize_t got = ::read(out[0], &c, 1);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      fail("the serving process exited before printing its address");
    if (c == '\n')
      break;
    p.line.push_back(c);
  }
  ::close(out[0]);
  std::fprintf(stderr, "caf_bench: serving process %d at %s\n", static_cast<int>(pid),
               p.line.c_str());
  return p;
}

void stop_serve(serve_process& p) {
  ::close(p.to_child);
  int status = 0;
  auto deadline = clock_type::now() + std::chrono::seconds(10);
  for (;;) {
    pid_t r = ::waitpid(p.pid, &status, WNOHANG);
    if (r == p.pid)
      break;
    if (r < 0 && errno != EINTR)
      fail("waitpid failed");
    if (clock_type::now() > deadline)
      fail("the serving process did not exit within 10 s of its stdin closing");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  g_child = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("the serving process ended badly (wait status " + std::to_string(status)
         + ")");
}

// The pingpong server is pong_actor (above). The throughput sink: answers the source's
// ping (which tells it where to report), then counts n data messages in order and
// reports (done, count).
behavior remote_sink(event_based_actor* self, int64_t n) {
  auto count = std::make_shared<int64_t>(0);
  auto reply_to = std::make_shared<actor>();
  return {
    [=](ping_atom, int64_t x) {
      *reply_to = actor_cast<actor>(self->current_sender());
      return std::make_tuple(pong_atom_v, x);
    },
    [=](data_atom, int64_t i, const std::string&) {
      if (i != *count)
        fail("remote_throughput: out of order");
      if (++*count == n)
        self->send(*reply_to, done_atom::value, *count);
    },
  };
}

// `warm` untimed round trips, then `n` timed ones; reports (done, seconds) to parent.
behavior remote_ping(event_based_actor* self, actor pong, int64_t warm, int64_t n,
                     actor parent) {
  auto t0 = std::make_shared<clock_type::time_point>();
  auto next = [=](int64_t i) {
    if (i == warm)
      *t0 = clock_type::now();
    self->send(pong, ping_atom_v, i);
  };
  next(0);
  return {
    [=](pong_atom, int64_t x) {
      if (x + 1 == warm + n) {
        self->send(parent, done_atom::value, seconds_since(*t0));
        self->quit();
        return;
      }
      next(x + 1);
    },
  };
}

// One round trip (the sink learns where to report), then n data messages; the clock
// stops when the sink's (done, n) arrives.
behavior remote_source(event_based_actor* self, actor sink, int64_t n, actor parent) {
  auto t0 = std::make_shared<clock_type::time_point>();
  self->send(sink, ping_atom_v, int64_t{0});
  return {
    [=](pong_atom, int64_t) {
      std::string payload(64 - 8, 'p');
      *t0 = clock_type::now();
      for (int64_t i = 0; i < n; ++i)
        self->send(sink, data_atom::value, i, payload);
    },
    [=](done_atom, int64_t count) {
      if (count != n)
        fail("remote_throughput: the sink counted " + std::to_string(count));
      self->send(parent, done_atom::value, seconds_since(*t0));
      self->quit();
    },
  };
}

// The second process.
int serve_remote(const remote_setup& r) {
  bench_config cfg;
  configure_network(cfg, r);
  actor_system sys{cfg};
  actor served = r.workload == "remote_pingpong" ? sys.spawn(pong_actor)
                                                  : sys.spawn(remote_sink, r.n);
  auto port = r.tls ? openssl::publish(served, 0, "127.0.0.1")
                    : sys.middleman().publish(served, 0, "127.0.0.1");
  if (!port)
    fail("publish failed: " + sys.render(port.error()));
  std::printf("127.0.0.1:%d\n", static_cast<int>(*port));
  std::fflush(stdout);
  char buf[64];
  for (;;) {
    ssize_t got = ::read(0, buf, sizeof buf);
    if (got == 0 || (got < 0 && errno != EINTR))
      break;
  }
  anon_send_exit(served, exit_reason::user_shutdown);
  return 0;
}

// The measuring process.
int run_remote(const remote_setup& r) {
  serve_process child = start_serve(r);
  auto colon = child.line.rfind(':');
  auto port = colon == std::string::npos
                ? uint16_t{0}
                : static_cast<uint16_t>(std::atoi(child.line.c_str() + colon + 1));
  if (port == 0)
    fail("bad address from the serving process: '" + child.line + "'");
  double seconds = 0;
  {
    bench_config cfg;
    configure_network(cfg, r);
    actor_system sys{cfg};
    std::fprintf(stderr, "caf_bench: CAF %d.%d.%d, %s, %d threads in process\n",
                 CAF_MAJOR_VERSION, CAF_MINOR_VERSION, CAF_PATCH_VERSION,
                 r.tls ? "caf::openssl" : "caf::io (plain TCP)", thread_count());
    auto remote = r.tls ? openssl::remote_actor(sys, "127.0.0.1", port)
                        : sys.middleman().remote_actor("127.0.0.1", port);
    if (!remote)
      fail("remote_actor failed: " + sys.render(remote.error()));
    scoped_actor self{sys};
    self->monitor(*remote);
    if (r.workload == "remote_pingpong")
      sys.spawn(remote_ping, *remote, r.n / 10, r.n, actor{self});
    else
      sys.spawn(remote_source, *remote, r.n, actor{self});
    self->receive([&](done_atom, double s) { seconds = s; },
                  [&](const down_msg& d) {
                    fail("remote actor down: " + sys.render(d.reason));
                  },
                  after(std::chrono::seconds(300)) >>
                    [&] { fail(r.workload + ": no result within 300 s"); });
    self->demonitor(*remote);
  }
  stop_serve(child);
  if (r.workload == "remote_pingpong")
    std::printf("RESULT remote_pingpong rt_per_s=%.0f us_per_rt=%.1f\n",
                static_cast<double>(r.n) / seconds,
                seconds * 1e6 / static_cast<double>(r.n));
  else
    std::printf("RESULT remote_throughput msgs_per_s=%.0f mb_per_s=%.1f\n",
                static_cast<double>(r.n) / seconds,
                static_cast<double>(r.n) * 64.0 / seconds / 1e6);
  std::fflush(stdout);
  return 0;
}

// argv[first...]: WORKLOAD [N] [tcp|tls] [CERT_DIR]
bool parse_remote(int argc, char** argv, int first, remote_setup& r) {
  r.workload = argv[first];
  r.n = argc > first + 1 ? static_cast<int64_t>(std::atof(argv[first + 1]))
                         : (r.workload == "remote_pingpong" ? 20000 : 1000000);
  std::string mode = argc > first + 2 ? argv[first + 2] : "tcp";
  r.tls = mode == "tls";
  r.cert_dir = argc > first + 3 ? argv[first + 3] : "";
  if (r.n <= 0 || (mode != "tcp" && mode != "tls") || (r.tls && r.cert_dir.empty())) {
    std::fprintf(stderr, "usage: caf_bench remote_pingpong|remote_throughput N "
                         "tcp|tls [CERT_DIR (for tls)]\n");
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s spawn|pingpong|fanin|ring|selective|call|call_queued [N]\n"
                 "       %s remote_pingpong|remote_throughput N tcp|tls [CERT_DIR]\n",
                 argv[0], argv[0]);
    return 2;
  }
  std::string w = argv[1];
  if (w == "--serve" || w == "remote_pingpong" || w == "remote_throughput") {
    remote_setup r;
    int first = w == "--serve" ? 2 : 1;
    if (argc <= first || !parse_remote(argc, argv, first, r))
      return 2;
    return w == "--serve" ? serve_remote(r) : run_remote(r);
  }
  auto n_or = [&](int64_t def) {
    return argc > 2 ? static_cast<int64_t>(std::atof(argv[2])) : def;
  };
  bench_config cfg;
  actor_system sys{cfg};
  std::fprintf(stderr, "caf_bench: CAF %d.%d.%d, %d threads in process after start\n",
               CAF_MAJOR_VERSION, CAF_MINOR_VERSION, CAF_PATCH_VERSION,
               thread_count());
  if (w == "spawn")
    bench_spawn(sys, n_or(1000000));
  else if (w == "pingpong")
    bench_pingpong(sys, n_or(1000000));
  else if (w == "fanin")
    bench_fanin(sys, n_or(500000));
  else if (w == "ring")
    bench_ring(sys, n_or(10000000));
  else if (w == "selective")
    bench_queued_calls(sys, n_or(100000), "selective");
  else if (w == "call_queued")
    bench_queued_calls(sys, n_or(200000), "call_queued");
  else if (w == "call")
    bench_call(sys, n_or(1000000));
  else {
    std::fprintf(stderr, "unknown workload %s\n", w.c_str());
    return 2;
  }
  std::fflush(stdout);
  return 0;
}
