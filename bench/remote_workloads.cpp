// bench/remote_workloads.cpp: messages between two nodes over TCP + TLS on 127.0.0.1.
//
//   remote_pingpong   [N=20,000]    rt_per_s, us_per_rt   sequential round trips
//   remote_throughput [N=1,000,000] msgs_per_s, mb_per_s  one-way stream, 64-byte payloads
//   socket_pingpong   [N=20,000]    rt_per_s, us_per_rt   the floor: two threads bouncing
//                                                          8 bytes over a plain TCP socket
//
// Both nodes live in this process (two Runtimes with two workers each), so the numbers
// are the node machinery and the loopback, not the machine's network.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "snow/snow.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "snow_bench: FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

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

struct TwoNodes {
  snow::Runtime a{snow::RuntimeOptions{.workers = 2}};
  snow::Runtime b{snow::RuntimeOptions{.workers = 2}};
  std::string b_name;
  TwoNodes() {
    snow::NodeOptions o;
    o.cookie = "bench";
    auto na = snow::Node::start(a, "a@127.0.0.1:0", o);
    auto nb = snow::Node::start(b, "b@127.0.0.1:0", o);
    if (!na.ok() || !nb.ok()) fail("cannot start nodes");
    b_name = nb->name();
    if (absl::Status st = na->connect(b_name); !st.ok()) fail(st.ToString());
  }
};

snow::Proc pong_server(snow::Self self) {
  for (;;) co_await self.receive(snow::on<RPing>([&](RPing p) { self.send(p.from, RPing{self.pid(), p.n}); }));
}

snow::Proc sink(snow::Self self, std::int64_t n) {
  std::int64_t count = 0;
  snow::Pid reply_to;
  while (count < n) {
    co_await self.receive(snow::on<RData>([&](RData d) {
                            if (d.n != count) fail("remote_throughput: out of order");
                            ++count;
                          }),
                          snow::on<RPing>([&](RPing p) { reply_to = p.from; }));
  }
  // The source asked where to report before streaming.
  self.send(reply_to, RDone{count});
}

}  // namespace

int run_remote_workload(std::string_view name, long n) {
  if (name == "remote_pingpong") {
    if (n == 0) n = 20'000;
    TwoNodes nodes;
    nodes.b.register_name("pong", nodes.b.spawn(pong_server)).IgnoreError();
    snow::ScopedActor me(nodes.a);
    me.send("pong", nodes.b_name, RPing{me.pid(), -1});
    snow::Pid server;
    me.receive(snow::on<RPing>([&](RPing p) { server = p.from; }), snow::after(absl::Seconds(5), [] {}));
    if (!server) fail("remote_pingpong: no pong");
    std::atomic<bool> done{false};
    const auto t0 = Clock::now();
    nodes.a.spawn([&, server, n](snow::Self self) -> snow::Proc {
      for (long i = 0; i < n; ++i) {
        self.send(server, RPing{self.pid(), i});
        const std::int64_t got = co_await self.receive(snow::on<RPing>([](RPing p) { return p.n; }));
        if (got != i) fail("remote_pingpong: reply out of order");
      }
      done.store(true);
    });
    while (!done.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    const double s = seconds_since(t0);
    std::printf("RESULT remote_pingpong rt_per_s=%.0f us_per_rt=%.1f\n", n / s, s * 1e6 / n);
    return 0;
  }
  if (name == "remote_throughput") {
    if (n == 0) n = 1'000'000;
    TwoNodes nodes;
    nodes.b.register_name("sink", nodes.b.spawn(sink, static_cast<std::int64_t>(n))).IgnoreError();
    snow::ScopedActor me(nodes.a);
    me.send("sink", nodes.b_name, RPing{me.pid(), 0});
    const std::string payload(64 - 8, 'p');
    const auto t0 = Clock::now();
    for (long i = 0; i < n; ++i) me.send("sink", nodes.b_name, RData{i, payload});
    std::int64_t got = 0;
    me.receive(snow::on<RDone>([&](RDone d) { got = d.count; }), snow::after(absl::Seconds(120), [] {}));
    const double s = seconds_since(t0);
    if (got != n) fail("remote_throughput: not all messages arrived");
    std::printf("RESULT remote_throughput msgs_per_s=%.0f mb_per_s=%.1f\n", n / s, n * 64.0 / s / 1e6);
    return 0;
  }
  if (name == "socket_pingpong") {
    if (n == 0) n = 20'000;
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      fail("socket_pingpong: cannot listen");
    }
    std::thread server([&] {
      const int s = ::accept(listener, nullptr, nullptr);
      const int one = 1;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::int64_t v;
      while (::recv(s, &v, sizeof v, MSG_WAITALL) == sizeof v) ::send(s, &v, sizeof v, 0);
      ::close(s);
    });
    const int c = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("socket_pingpong: cannot connect");
    const auto t0 = Clock::now();
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t v = i;
      if (::send(c, &v, sizeof v, 0) != sizeof v || ::recv(c, &v, sizeof v, MSG_WAITALL) != sizeof v || v != i) {
        fail("socket_pingpong: bad echo");
      }
    }
    const double s = seconds_since(t0);
    ::close(c);
    server.join();
    ::close(listener);
    std::printf("RESULT socket_pingpong rt_per_s=%.0f us_per_rt=%.1f\n", n / s, s * 1e6 / n);
    return 0;
  }
  return 2;
}
