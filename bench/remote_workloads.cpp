// bench/remote_workloads.cpp: messages between two OS processes over 127.0.0.1.
//
//   remote_pingpong   [N=20,000]    rt_per_s, us_per_rt   sequential round trips between
//                                                          two nodes (TCP + TLS 1.3)
//   remote_throughput [N=1,000,000] msgs_per_s, mb_per_s  N one-way 64-byte messages from
//                                                          one node to the other, then an ack
//   socket_pingpong   [N=20,000]    rt_per_s, us_per_rt   the floor: 8 bytes bounced over a
//                                                          plain TCP socket, no TLS, no actors
//   remote_connect    [N=1,000]     p50_us, p99_us        connect() from call to OK: TCP, TLS
//                                                          and the cookie handshake, N times
//                                                          (disconnect between them)
//
// The second side is a separate process that snow_bench starts itself: it re-executes its
// own binary (/proc/self/exe) as
//
//   snow_bench --serve WORKLOAD N
//
// which starts a node named b@127.0.0.1:<free port> with the serving process registered
// ("pong" or "sink"), or for socket_pingpong a plain listening socket, prints one line on
// stdout (the node name, or "127.0.0.1:<port>"), and serves until its stdin reaches end of
// file. The parent (node a, the measuring side) reads that line, connects, measures, stops
// its own node, closes the child's stdin and waits for it to exit (SIGKILL after 10 s).
// The child also dies with the parent (PR_SET_PDEATHSIG, and the EOF on stdin), so a
// parent killed by a timeout or a failed check leaves no process behind; fail() kills it
// explicitly before exiting.
//
// Each process runs a default Runtime (one worker per hardware thread), as an application
// would, or SNOW_BENCH_WORKERS workers (the child inherits it). Timing is done by the measuring process itself, after a warm-up (pingpong: N/10
// round trips; throughput: one round trip, which also tells the source where the sink is);
// process start-up and the connection handshake are not counted.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "snow/snow.hpp"

snow::RuntimeOptions bench_runtime_options();  // bench/snow_bench.cpp

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The serving child of this (parent) process, if one is running; fail() kills it.
std::atomic<pid_t> g_child{-1};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "snow_bench: FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  if (const pid_t child = g_child.exchange(-1); child > 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  std::_Exit(1);  // may be called on a worker thread: skip static destructors
}

// -- the second process ------------------------------------------------------------------

struct ServeProcess {
  pid_t pid = -1;
  int to_child = -1;  // the child's stdin; closing it tells the child to exit
  std::string line;   // the first line the child printed (its node name or address)
};

/// Starts `snow_bench --serve WORKLOAD N` and waits (up to 30 s) for its first line.
/// Called before this process starts any thread, so fork() is safe.
ServeProcess start_serve(std::string_view workload, long n) {
  // Run with a standard descriptor closed, a pipe or (later) a libuv socket would get it,
  // and libuv refuses descriptors 0-2: occupy them with /dev/null first.
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) != fd) fail("cannot open /dev/null");
  }
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) fail("pipe: " + std::string(std::strerror(errno)));
  const std::string w(workload), count = std::to_string(n);
  const pid_t parent = ::getpid();
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The child: dies with its parent; stdin and stdout are the pipes (dup2 clears
    // O_CLOEXEC on the copies, the originals close at exec); stderr is shared.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0) ::_exit(127);
    ::fcntl(0, F_SETFD, 0);  // in case a pipe end already was fd 0 or 1 (dup2 is then a no-op)
    ::fcntl(1, F_SETFD, 0);
    const char* argv[] = {"snow_bench", "--serve", w.c_str(), count.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  g_child.store(pid);
  ::close(in[0]);
  ::close(out[1]);
  ServeProcess p;
  p.pid = pid;
  p.to_child = in[1];
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) fail("the serving process printed no address within 30 s");
    pollfd pfd{out[0], POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("poll: " + std::string(std::strerror(errno)));
    if (r == 0) continue;
    char c;
    const ssize_t got = ::read(out[0], &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("the serving process exited before printing its address");
    if (c == '\n') break;
    p.line.push_back(c);
  }
  ::close(out[0]);  // the child prints nothing more on stdout
  std::fprintf(stderr, "snow_bench: serving process %d: %s\n", static_cast<int>(pid), p.line.c_str());
  return p;
}

/// Closes the child's stdin and waits for it to exit; fails if it does not exit cleanly.
void stop_serve(ServeProcess& p) {
  ::close(p.to_child);
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
    if (r == p.pid) break;
    if (r < 0 && errno != EINTR) fail("waitpid: " + std::string(std::strerror(errno)));
    if (Clock::now() > deadline) fail("the serving process did not exit within 10 s of its stdin closing");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  g_child.store(-1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail("the serving process ended badly (wait status " + std::to_string(status) + ")");
  }
}

/// The child's side: blocks until stdin reaches end of file (or fails).
void wait_for_eof_on_stdin() {
  char buf[64];
  for (;;) {
    const ssize_t r = ::read(0, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EINTR)) return;
  }
}

void print_line(const std::string& s) {
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

// -- messages and processes -------------------------------------------------------------------

struct RPing {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(RPing, from, n)
struct RData {
  std::int64_t n = 0;
  std::string payload;
};
SNOW_WIRE(RData, n, payload)
struct RDone {
  std::int64_t count = 0;
};
SNOW_WIRE(RDone, count)

// Sent inside the measuring process only: the timed run's duration.
struct Timed {
  double seconds = 0;
};

constexpr std::size_t kPayloadBytes = 64 - 8;  // RData is 64 bytes of content

snow::NodeOptions node_options() {
  snow::NodeOptions o;
  o.cookie = "bench-cookie-0f3a9c2e71d84b56";
  return o;
}

// Node b (the child): replies to every RPing with its own pid and the same number.
snow::Proc pong_server(snow::Self self) {
  for (;;) co_await self.receive(snow::on<RPing>([&](RPing p) { self.send(p.from, RPing{self.pid(), p.n}); }));
}

// Node b (the child): answers the source's RPing with its pid, then counts n RData in
// order and acknowledges with RDone.
snow::Proc sink(snow::Self self, std::int64_t n) {
  std::int64_t count = 0;
  snow::Pid reply_to;
  while (count < n || !reply_to) {
    co_await self.receive(snow::on<RData>([&](RData d) {
                            if (d.n != count) fail("remote_throughput: out of order");
                            ++count;
                          }),
                          snow::on<RPing>([&](RPing p) {
                            reply_to = p.from;
                            self.send(p.from, RPing{self.pid(), p.n});
                          }));
  }
  self.send(reply_to, RDone{count});
}

int serve_node(std::string_view workload, long n) {
  snow::Runtime rt(bench_runtime_options());
  auto node = snow::Node::start(rt, "b@127.0.0.1:0", node_options());
  if (!node.ok()) fail("cannot start node b: " + node.status().ToString());
  if (workload == "remote_pingpong") {
    if (!rt.register_name("pong", rt.spawn(pong_server)).ok()) fail("cannot register pong");
  } else {
    if (!rt.register_name("sink", rt.spawn(sink, static_cast<std::int64_t>(n))).ok()) fail("cannot register sink");
  }
  print_line(node->name());
  wait_for_eof_on_stdin();
  return 0;
}

/// Node a (the parent): starts, connects to b and runs `body(rt, node)`; the node is
/// stopped (its Runtime destroyed) before returning, so b sees the connection close
/// before its stdin does (and a does not try to reconnect to a b that has exited).
template <class F>
void with_node_a(const std::string& b_name, F body) {
  snow::Runtime rt(bench_runtime_options());
  auto node = snow::Node::start(rt, "a@127.0.0.1:0", node_options());
  if (!node.ok()) fail("cannot start node a: " + node.status().ToString());
  if (absl::Status st = node->connect(b_name); !st.ok()) fail("cannot connect to " + b_name + ": " + st.ToString());
  body(rt, *node);
}

/// Waits in `me` for the Timed result of a benchmark process; fails if node b goes down.
double await_timed(snow::ScopedActor& me, const std::string& what) {
  double seconds = -1;
  me.receive(snow::on<Timed>([&](Timed t) { seconds = t.seconds; }),
             snow::on<snow::NodeDown>([&](snow::NodeDown d) { fail(what + ": node " + d.node + " down: " + d.reason); }),
             snow::after(absl::Seconds(300), [&] { fail(what + ": no result within 300 s"); }));
  return seconds;
}

void run_remote_pingpong(long n) {
  ServeProcess b = start_serve("remote_pingpong", n);
  double s = 0;
  with_node_a(b.line, [&](snow::Runtime& rt, snow::Node& node) {
    snow::ScopedActor me(rt);
    node.monitor_node(me.pid(), b.line);
    const snow::Pid main = me.pid();
    const std::string b_name = b.line;
    rt.spawn([main, b_name, n](snow::Self self) -> snow::Proc {
      // The first ping goes by name and tells us the server's pid.
      self.send("pong", b_name, RPing{self.pid(), -1});
      const snow::Pid server = co_await self.receive(snow::on<RPing>([](RPing p) { return p.from; }),
                                                     snow::after(absl::Seconds(10), [] { return snow::Pid(); }));
      if (!server) fail("remote_pingpong: no reply from pong");
      for (long i = 0; i < n / 10; ++i) {  // warm-up
        self.send(server, RPing{self.pid(), i});
        const std::int64_t got = co_await self.receive(snow::on<RPing>([](RPing p) { return p.n; }));
        if (got != i) fail("remote_pingpong: reply out of order");
      }
      const auto t0 = Clock::now();
      for (long i = 0; i < n; ++i) {
        self.send(server, RPing{self.pid(), i});
        const std::int64_t got = co_await self.receive(snow::on<RPing>([](RPing p) { return p.n; }));
        if (got != i) fail("remote_pingpong: reply out of order");
      }
      self.send(main, Timed{seconds_since(t0)});
    });
    s = await_timed(me, "remote_pingpong");
    node.demonitor_node(me.pid(), b.line);
  });
  stop_serve(b);
  std::printf("RESULT remote_pingpong rt_per_s=%.0f us_per_rt=%.1f\n", n / s, s * 1e6 / n);
}

void run_remote_throughput(long n) {
  ServeProcess b = start_serve("remote_throughput", n);
  double s = 0;
  with_node_a(b.line, [&](snow::Runtime& rt, snow::Node& node) {
    snow::ScopedActor me(rt);
    node.monitor_node(me.pid(), b.line);
    const snow::Pid main = me.pid();
    const std::string b_name = b.line;
    rt.spawn([main, b_name, n](snow::Self self) -> snow::Proc {
      // One round trip by name first: the sink learns where to report, we learn its pid.
      self.send("sink", b_name, RPing{self.pid(), 0});
      const snow::Pid sink_pid = co_await self.receive(snow::on<RPing>([](RPing p) { return p.from; }),
                                                       snow::after(absl::Seconds(10), [] { return snow::Pid(); }));
      if (!sink_pid) fail("remote_throughput: no reply from sink");
      const std::string payload(kPayloadBytes, 'p');
      const auto t0 = Clock::now();
      for (long i = 0; i < n; ++i) self.send(sink_pid, RData{i, payload});
      const std::int64_t got = co_await self.receive(snow::on<RDone>([](RDone d) { return d.count; }));
      if (got != n) fail("remote_throughput: the sink counted " + std::to_string(got));
      self.send(main, Timed{seconds_since(t0)});
    });
    s = await_timed(me, "remote_throughput");
    node.demonitor_node(me.pid(), b.line);
  });
  stop_serve(b);
  std::printf("RESULT remote_throughput msgs_per_s=%.0f mb_per_s=%.1f\n", n / s, n * 64.0 / s / 1e6);
}

// -- the plain-socket floor -----------------------------------------------------------------

int serve_socket() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail("socket_pingpong: cannot listen");
  }
  print_line("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  const int s = ::accept(listener, nullptr, nullptr);
  if (s < 0) fail("socket_pingpong: accept failed");
  const int one = 1;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::int64_t v;
  while (::recv(s, &v, sizeof v, MSG_WAITALL) == sizeof v) {
    if (::send(s, &v, sizeof v, 0) != sizeof v) break;
  }
  ::close(s);
  ::close(listener);
  wait_for_eof_on_stdin();
  return 0;
}

void run_socket_pingpong(long n) {
  ServeProcess b = start_serve("socket_pingpong", n);
  const auto colon = b.line.rfind(':');
  long port = 0;
  if (colon == std::string::npos ||
      std::from_chars(b.line.data() + colon + 1, b.line.data() + b.line.size(), port).ec != std::errc()) {
    fail("socket_pingpong: bad address '" + b.line + "'");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("socket_pingpong: cannot connect");
  auto round_trips = [&](std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t v = i;
      if (::send(c, &v, sizeof v, 0) != sizeof v || ::recv(c, &v, sizeof v, MSG_WAITALL) != sizeof v || v != i) {
        fail("socket_pingpong: bad echo");
      }
    }
  };
  round_trips(n / 10);  // warm-up
  const auto t0 = Clock::now();
  round_trips(n);
  const double s = seconds_since(t0);
  ::close(c);
  stop_serve(b);
  std::printf("RESULT socket_pingpong rt_per_s=%.0f us_per_rt=%.1f\n", n / s, s * 1e6 / n);
}

}  // namespace

void run_remote_connect(long n) {
  ServeProcess b = start_serve("remote_pingpong", n);
  std::vector<double> micros;
  long retries = 0;
  {
    snow::Runtime rt(bench_runtime_options());
    auto node = snow::Node::start(rt, "a@127.0.0.1:0", node_options());
    if (!node.ok()) fail("cannot start node a: " + node.status().ToString());
    for (long i = 0; i < n + n / 10; ++i) {  // the first tenth warms up
      const auto t0 = Clock::now();
      absl::Status st = node->connect(b.line);
      const double us = seconds_since(t0) * 1e6;
      if (!st.ok()) {
        // b may still be closing the previous connection (a duplicate): try again.
        if (++retries > n) fail("remote_connect: " + st.ToString());
        --i;
      } else if (i >= n / 10) {
        micros.push_back(us);
      }
      node->disconnect(b.line);
      while (!node->list().empty()) std::this_thread::sleep_for(std::chrono::microseconds(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // b sees the close first
    }
  }
  stop_serve(b);
  std::sort(micros.begin(), micros.end());
  const double p50 = micros[micros.size() / 2];
  const double p99 = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
  std::printf("RESULT remote_connect p50_us=%.0f p99_us=%.0f retries=%ld\n", p50, p99, retries);
}

int run_remote_workload(std::string_view name, long n) {
  if (name == "remote_connect") {
    run_remote_connect(n == 0 ? 1'000 : n);
    return 0;
  }
  if (name == "remote_pingpong") {
    run_remote_pingpong(n == 0 ? 20'000 : n);
    return 0;
  }
  if (name == "remote_throughput") {
    run_remote_throughput(n == 0 ? 1'000'000 : n);
    return 0;
  }
  if (name == "socket_pingpong") {
    run_socket_pingpong(n == 0 ? 20'000 : n);
    return 0;
  }
  return 2;
}

int serve_remote_workload(int argc, char** argv) {
  // argv: WORKLOAD N (as start_serve passes them).
  if (argc != 2) {
    std::fprintf(stderr, "snow_bench --serve: usage: snow_bench --serve WORKLOAD N\n");
    return 2;
  }
  const std::string_view name = argv[0];
  long n = 0;
  const char* last = argv[1] + std::strlen(argv[1]);
  if (std::from_chars(argv[1], last, n).ec != std::errc() || n <= 0) {
    std::fprintf(stderr, "snow_bench --serve: bad N '%s'\n", argv[1]);
    return 2;
  }
  if (name == "remote_pingpong" || name == "remote_throughput") return serve_node(name, n);
  if (name == "socket_pingpong") return serve_socket();
  std::fprintf(stderr, "snow_bench --serve: unknown workload '%s'\n", argv[0]);
  return 2;
}
