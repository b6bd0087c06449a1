#include "src/transport/tcp_transport.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "transport/test_certs.hpp"

using snow::TlsOptions;
using snow::transport::ConnId;
using snow::transport::dropped_by_peer;
using snow::transport::TcpTransport;
using snow::transport::TcpTransportOptions;
using snow::transport::TransportHandler;

namespace {

// Generous: these deadlines only matter when something is broken (or the machine is
// very busy); passing runs finish far sooner.
constexpr absl::Duration kDeadline = absl::Seconds(20);

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
// Debian's Abseil has its own string_view, so a Status's message needs converting.
bool contains(const absl::Status& status, std::string_view needle) {
  return contains(std::string_view(status.message().data(), status.message().size()), needle);
}

// Records every callback, and runs closures on the transport's thread (through wake()),
// since that is the only thread allowed to call connect/write/close. std::mutex rather than
// absl::Mutex so a TSan build sees the synchronisation (Debian's Abseil is not instrumented).
class Recorder final : public TransportHandler {
 public:
  void on_open(ConnId id, bool inbound) override {
    update([&] { opened[id] = inbound; });
  }
  void on_data(ConnId id, std::string_view bytes) override {
    update([&] { data[id].append(bytes); });
  }
  void on_closed(ConnId id, const absl::Status& why) override {
    update([&] {
      ++closed_calls[id];
      closed[id] = why;
    });
  }
  void on_drained(ConnId id) override {
    update([&] { ++drained[id]; });
  }
  void on_wake() override {
    std::deque<std::function<void()>> run;
    update([&] {
      ++wakes;
      run.swap(tasks_);
    });
    for (auto& f : run) f();
  }
  void on_tick() override {
    update([&] { ++ticks; });
  }

  /// Runs `f` on the transport's thread and waits for it.
  template <class F>
  auto on_loop(TcpTransport& t, F f) -> decltype(f()) {
    using R = decltype(f());
    auto done = std::make_shared<bool>(false);
    if constexpr (std::is_void_v<R>) {
      post(t, [this, f, done]() mutable {
        f();
        update([&] { *done = true; });
      });
      REQUIRE(wait([&] { return *done; }));
    } else {
      auto out = std::make_shared<R>();
      post(t, [this, f, done, out]() mutable {
        R r = f();
        update([&] {
          *out = std::move(r);
          *done = true;
        });
      });
      REQUIRE(wait([&] { return *done; }));
      return *out;
    }
  }

  /// Waits until `pred` (evaluated under the recorder's lock) holds.
  template <class Pred>
  bool wait(Pred pred, absl::Duration timeout = kDeadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), pred);
  }

  /// Reads recorded state under the lock.
  template <class F>
  auto read(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f();
  }

  // Guarded by mu_; read them through wait() or read().
  std::map<ConnId, bool> opened;
  std::map<ConnId, std::string> data;
  std::map<ConnId, absl::Status> closed;
  std::map<ConnId, int> closed_calls;
  std::map<ConnId, int> drained;
  int wakes = 0;
  int ticks = 0;

 private:
  template <class F>
  void update(F f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      f();
    }
    cv_.notify_all();
  }

  void post(TcpTransport& t, std::function<void()> f) {
    update([&] { tasks_.push_back(std::move(f)); });
    t.wake();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
};

struct LogLines {
  std::mutex mu;
  std::vector<std::string> lines;
  TcpTransport::LogFn fn() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(line);
    };
  }
  std::size_t count(std::string_view needle) {
    std::lock_guard<std::mutex> lock(mu);
    std::size_t n = 0;
    for (const auto& l : lines) n += contains(l, needle);
    return n;
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mu);
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
};

// One transport with its handler and log, listening on 127.0.0.1 and started.
struct Peer {
  LogLines log;
  Recorder rec;
  std::unique_ptr<TcpTransport> t;  // last: stopped before the recorder goes
  std::uint16_t port = 0;

  explicit Peer(TcpTransportOptions options = {}, const TlsOptions& tls = {}, bool listen = true) {
    auto made = TcpTransport::create(tls, log.fn(), options);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    t = std::move(*made);
    if (listen) {
      auto p = t->listen("127.0.0.1", 0);
      REQUIRE_MESSAGE(p.ok(), p.status().ToString());
      port = *p;
      CHECK(port != 0);
    }
    t->start(&rec, absl::Milliseconds(10));
  }

  ConnId connect(const Peer& to, const std::string& host = "127.0.0.1") {
    return rec.on_loop(*t, [&] { return t->connect(host, to.port); });
  }
  void write(ConnId id, std::string bytes) {
    rec.on_loop(*t, [&] { t->write(id, std::move(bytes)); });
  }
  bool opened(ConnId id) {
    return rec.wait([&] { return rec.opened.count(id) > 0; });
  }
  /// The id of the single connection this peer accepted.
  ConnId accepted() {
    ConnId id = 0;
    REQUIRE(rec.wait([&] {
      for (auto& [i, inbound] : rec.opened) {
        if (inbound) id = i;
      }
      return id != 0;
    }));
    return id;
  }
  bool received(ConnId id, std::size_t n) {
    return rec.wait([&] { return rec.data[id].size() >= n; });
  }
  std::string data(ConnId id) {
    return rec.read([&] { return rec.data[id]; });
  }
};

// Two started peers, `b` connected to `a`.
struct Pair {
  Peer a, b;
  ConnId b_to_a = 0, a_from_b = 0;
  explicit Pair(TcpTransportOptions options = {}) : a(options), b(options, {}, /*listen=*/false) {
    b_to_a = b.connect(a);
    REQUIRE(b.opened(b_to_a));
    a_from_b = a.accepted();
  }
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A plain TCP client that speaks no TLS at all.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  /// Closes with a TCP reset instead of a FIN.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }
  void send(std::string_view bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  /// True once the server has closed (EOF or reset) within `timeout`; whatever it sent
  /// before (a TLS alert) is skipped.
  bool wait_closed(absl::Duration timeout = kDeadline) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // ECONNRESET
    }
  }

 private:
  int fd_ = -1;
};

// A port nothing listens on: bound once (so nobody else has it just now), then released.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Every byte both ways arrives, and the other side still works.
void check_still_works(Pair& p, const std::string& tag) {
  const std::size_t a_had = p.a.data(p.a_from_b).size();
  const std::size_t b_had = p.b.data(p.b_to_a).size();
  p.b.write(p.b_to_a, "still-" + tag);
  p.a.write(p.a_from_b, "alive-" + tag);
  REQUIRE(p.a.received(p.a_from_b, a_had + 6 + tag.size()));
  REQUIRE(p.b.received(p.b_to_a, b_had + 6 + tag.size()));
  CHECK(p.a.data(p.a_from_b).substr(a_had) == "still-" + tag);
  CHECK(p.b.data(p.b_to_a).substr(b_had) == "alive-" + tag);
}

}  // namespace

TEST_SUITE("tcp_transport") {
TEST_CASE("two transports on 127.0.0.1 open a TLS connection and exchange bytes both ways") {
  Pair p;
  CHECK(p.a.rec.read([&] { return p.a.rec.opened[p.a_from_b]; }) == true);
  CHECK(p.b.rec.read([&] { return p.b.rec.opened[p.b_to_a]; }) == false);

  p.b.write(p.b_to_a, "ping");
  REQUIRE(p.a.received(p.a_from_b, 4));
  CHECK(p.a.data(p.a_from_b) == "ping");
  p.a.write(p.a_from_b, "pong");
  REQUIRE(p.b.received(p.b_to_a, 4));
  CHECK(p.b.data(p.b_to_a) == "pong");

  // The channel binding: 32 bytes, equal at both ends.
  const std::string ba = p.a.rec.on_loop(*p.a.t, [&] { return p.a.t->channel_binding(p.a_from_b); });
  const std::string bb = p.b.rec.on_loop(*p.b.t, [&] { return p.b.t->channel_binding(p.b_to_a); });
  CHECK(ba.size() == 32);
  CHECK(ba == bb);

  const std::string peer = p.b.rec.on_loop(*p.b.t, [&] { return p.b.t->peer_address(p.b_to_a); });
  CHECK(peer == "127.0.0.1:" + std::to_string(p.a.port));
  const std::string back = p.a.rec.on_loop(*p.a.t, [&] { return p.a.t->peer_address(p.a_from_b); });
  CHECK(contains(back, "127.0.0.1:"));

  // Unknown ids are harmless.
  p.a.rec.on_loop(*p.a.t, [&] {
    p.a.t->write(999, "nobody");
    p.a.t->close(999, absl::CancelledError("nobody"));
    CHECK(p.a.t->pending_bytes(999) == 0);
    CHECK(p.a.t->channel_binding(999).empty());
  });
  CHECK(p.a.log.all().empty());
}

TEST_CASE("a second connection has its own channel binding") {
  Pair p;
  const ConnId second = p.b.connect(p.a);
  REQUIRE(p.b.opened(second));
  const std::string first_binding = p.b.rec.on_loop(*p.b.t, [&] { return p.b.t->channel_binding(p.b_to_a); });
  const std::string second_binding = p.b.rec.on_loop(*p.b.t, [&] { return p.b.t->channel_binding(second); });
  CHECK(first_binding.size() == 32);
  CHECK(first_binding != second_binding);
}

TEST_CASE("10 MiB each way arrive intact and in order, then on_drained") {
  Pair p;
  const std::string up = random_bytes(10 << 20, 11);
  const std::string down = random_bytes(10 << 20, 12);
  const std::size_t queued = p.b.rec.on_loop(*p.b.t, [&] {
    p.b.t->write(p.b_to_a, up);
    p.b.t->write(p.b_to_a, "!tail");  // after the big one, in order
    return p.b.t->pending_bytes(p.b_to_a);
  });
  CHECK(queued > (std::size_t{9} << 20));  // far more than one write's worth waits
  p.a.write(p.a_from_b, down);

  REQUIRE(p.a.received(p.a_from_b, up.size() + 5));
  REQUIRE(p.b.received(p.b_to_a, down.size()));
  CHECK(p.a.data(p.a_from_b) == up + "!tail");
  CHECK(p.b.data(p.b_to_a) == down);

  REQUIRE(p.b.rec.wait([&] { return p.b.rec.drained[p.b_to_a] >= 1; }));
  REQUIRE(p.a.rec.wait([&] { return p.a.rec.drained[p.a_from_b] >= 1; }));
  CHECK(p.b.rec.on_loop(*p.b.t, [&] { return p.b.t->pending_bytes(p.b_to_a); }) == 0);
}

TEST_CASE("connecting to a closed port gives on_closed with Unavailable, no on_open") {
  Peer b({}, {}, /*listen=*/false);
  const std::uint16_t port = closed_port();
  const ConnId id = b.rec.on_loop(*b.t, [&] { return b.t->connect("127.0.0.1", port); });
  REQUIRE(b.rec.wait([&] { return b.rec.closed.count(id) > 0; }));
  const absl::Status why = b.rec.read([&] { return b.rec.closed[id]; });
  CHECK(why.code() == absl::StatusCode::kUnavailable);
  CHECK(contains(why, "connection refused"));
  CHECK(b.rec.read([&] { return b.rec.opened.count(id); }) == 0);
  CHECK(b.rec.read([&] { return b.rec.closed_calls[id]; }) == 1);
  CHECK(b.t->connection_count() == 0);
}

TEST_CASE("connect() resolves localhost and IPv6 literals") {
  Peer a;
  Peer b({}, {}, /*listen=*/false);
  const ConnId id = b.connect(a, "localhost");
  REQUIRE(b.opened(id));
  // ::1 has no listener (a listens on 127.0.0.1), or no IPv6 at all: either way a clean
  // Unavailable, not a hang or a crash.
  const ConnId v6 = b.rec.on_loop(*b.t, [&] { return b.t->connect("::1", a.port); });
  REQUIRE(b.rec.wait([&] { return b.rec.closed.count(v6) > 0; }));
  CHECK(b.rec.read([&] { return b.rec.closed[v6]; }).code() == absl::StatusCode::kUnavailable);
  // A name that does not resolve: Unavailable, or DeadlineExceeded where the resolver
  // hangs for longer than the handshake timeout (no DNS at all).
  const ConnId bad = b.rec.on_loop(*b.t, [&] { return b.t->connect("no-such-host.invalid", a.port); });
  REQUIRE(b.rec.wait([&] { return b.rec.closed.count(bad) > 0; }));
  const absl::StatusCode code = b.rec.read([&] { return b.rec.closed[bad]; }).code();
  CHECK((code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded));
  CHECK(b.rec.read([&] { return b.rec.opened.count(bad); }) == 0);
}

TEST_CASE("listening on a port in use fails with Unavailable and libuv's words") {
  Peer a;
  auto other = TcpTransport::create({}, {});
  REQUIRE(other.ok());
  auto port = (*other)->listen("127.0.0.1", a.port);
  REQUIRE_FALSE(port.ok());
  CHECK(port.status().code() == absl::StatusCode::kUnavailable);
  CHECK(contains(port.status(), "address already in use"));
  auto bad = (*other)->listen("not an address!", 0);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("garbage and plain-text clients are dropped; an open TLS connection keeps working") {
  Pair p;
  SUBCASE("random bytes") {
    RawClient raw(p.a.port);
    raw.send(random_bytes(4096, 21));
    CHECK(raw.wait_closed());
    check_still_works(p, "after-garbage");
  }
  SUBCASE("an HTTP request") {
    RawClient raw(p.a.port);
    raw.send("GET / HTTP/1.0\r\n\r\n");
    CHECK(raw.wait_closed());
    check_still_works(p, "after-http");
  }
  SUBCASE("a client that connects and resets at once") {
    for (int i = 0; i < 20; ++i) {
      RawClient raw(p.a.port);
      raw.send("\x16\x03\x01");  // the start of a ClientHello, then gone
      raw.reset();
    }
    check_still_works(p, "after-resets");
  }
  // The bad clients were never announced, and each left one line in the log.
  REQUIRE(p.a.rec.wait([&] { return p.a.t->connection_count() == 1; }));
  CHECK(p.a.rec.read([&] { return p.a.rec.opened.size(); }) == 1);
  CHECK(p.a.rec.read([&] { return p.a.rec.closed.size(); }) == 0);
  CHECK(p.a.log.count("before TLS was established") >= 1);
}

TEST_CASE("a client that sends nothing is closed after the handshake timeout") {
  TcpTransportOptions options;
  options.handshake_timeout = absl::Milliseconds(300);
  Pair p(options);
  const absl::Time start = absl::Now();
  RawClient silent(p.a.port);
  REQUIRE(silent.wait_closed());
  CHECK(absl::Now() - start >= absl::Milliseconds(250));
  REQUIRE(p.a.rec.wait([&] { return p.a.t->connection_count() == 1; }));
  CHECK(p.a.log.count("TLS handshake did not complete within 300ms") == 1);
  check_still_works(p, "after-silence");
}

TEST_CASE("past the cap on unauthenticated connections, a real client evicts a silent one and gets in") {
  TcpTransportOptions options;
  options.max_unauthenticated = 8;
  options.silent_timeout = absl::Seconds(30);  // the silent ones stay unless evicted
  options.handshake_timeout = absl::Seconds(30);
  Pair p(options);
  p.a.rec.on_loop(*p.a.t, [&] { p.a.t->admit(p.a_from_b); });  // as the node does after its handshake
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 20; ++i) silent.push_back(std::make_unique<RawClient>(p.a.port));
  // Each newcomer evicted the oldest silent one: the first 12 are gone, the last 8 held.
  for (int i = 0; i < 12; ++i) CHECK_MESSAGE(silent[i]->wait_closed(absl::Seconds(5)), "silent client " << i);
  REQUIRE(p.a.rec.wait([&] { return p.a.t->connection_count() == 1 + 8; }));
  CHECK(p.a.t->counters().evicted_total_cap == 12);

  // A real client now: it is kept (another silent one goes) and completes TLS.
  Peer c(options, {}, /*listen=*/false);
  const ConnId c_to_a = c.connect(p.a);
  CHECK_MESSAGE(c.opened(c_to_a), "a's log:\n" << p.a.log.all() << "c closed: "
                                               << c.rec.read([&] { return c.rec.closed[c_to_a].ToString(); }));
  CHECK(p.a.rec.wait([&] { return p.a.rec.opened.size() == 2; }));  // a announced it too
  CHECK(silent[12]->wait_closed(absl::Seconds(5)));
  CHECK(p.a.t->counters().evicted_total_cap == 13);
  // The admitted connection was never a candidate, and still carries bytes.
  check_still_works(p, "after-flood");
  CHECK(p.a.rec.read([&] { return p.a.rec.closed.size(); }) == 0);  // the evicted were never announced
  CHECK(p.a.log.count("evicted: too many unauthenticated connections") >= 1);
}

TEST_CASE("connections that finished TLS but were not admitted count: the next one evicts the oldest") {
  TcpTransportOptions options;
  options.max_unauthenticated = 8;
  options.handshake_timeout = absl::Seconds(30);
  Peer a(options);
  Peer c(options, {}, /*listen=*/false);
  std::vector<ConnId> mine;  // c's side, in the order a accepted them
  for (int i = 0; i < 8; ++i) {
    mine.push_back(c.connect(a));
    REQUIRE(c.opened(mine.back()));
    REQUIRE(a.rec.wait([&] { return a.rec.opened.size() == mine.size(); }));
  }
  const ConnId oldest = a.rec.read([&] { return a.rec.opened.begin()->first; });  // ids grow with accepts
  CHECK(a.t->counters().evicted_total_cap == 0);

  const ConnId ninth = c.connect(a);
  REQUIRE(c.opened(ninth));
  // a knew the oldest (on_open): it hears why it went; c sees its first connection close.
  REQUIRE(a.rec.wait([&] { return a.rec.closed.count(oldest) > 0; }));
  const absl::Status why = a.rec.read([&] { return a.rec.closed[oldest]; });
  CHECK(why.code() == absl::StatusCode::kResourceExhausted);
  CHECK(contains(why, "evicted: too many unauthenticated connections"));
  CHECK(c.rec.wait([&] { return c.rec.closed.count(mine[0]) > 0; }));
  CHECK(a.rec.read([&] { return a.rec.closed.size(); }) == 1);  // only the oldest
  CHECK(a.t->counters().evicted_total_cap == 1);
  // Evicted with a reset: c can tell "dropped to make room" (worth another attempt) from a
  // node that closes the connection (a refusal), below.
  const absl::Status evicted = c.rec.read([&] { return c.rec.closed[mine[0]]; });
  CHECK_MESSAGE(dropped_by_peer(evicted), evicted.ToString());
  const ConnId refused = a.rec.read([&] { return std::next(a.rec.opened.begin())->first; });
  a.rec.on_loop(*a.t, [&] { a.t->close(refused, absl::PermissionDeniedError("refused")); });
  REQUIRE(c.rec.wait([&] { return c.rec.closed.count(mine[1]) > 0; }));
  const absl::Status closed = c.rec.read([&] { return c.rec.closed[mine[1]]; });
  CHECK_MESSAGE(!dropped_by_peer(closed), closed.ToString());

  // Admitted, a connection no longer counts: with all eight admitted, eight more fit.
  a.rec.on_loop(*a.t, [&] {
    for (auto& [id, inbound] : a.rec.opened) a.t->admit(id);
  });
  for (int i = 0; i < 8; ++i) REQUIRE(c.opened(c.connect(a)));
  CHECK(a.t->counters().evicted_total_cap == 1);
  CHECK(a.rec.read([&] { return a.rec.closed.size(); }) == 2);  // the evicted and the refused
}

TEST_CASE("a client that sends no byte is closed at the silent deadline; one that sent a byte is not") {
  TcpTransportOptions options;
  options.silent_timeout = absl::Milliseconds(300);
  options.handshake_timeout = absl::Milliseconds(1500);
  Peer a(options);
  const absl::Time start = absl::Now();
  RawClient silent(a.port);
  RawClient started(a.port);
  started.send("\x16\x03\x01");  // the start of a ClientHello, never finished
  REQUIRE(silent.wait_closed(absl::Seconds(5)));
  const absl::Duration silent_for = absl::Now() - start;
  CHECK(silent_for >= absl::Milliseconds(250));
  CHECK(silent_for < absl::Milliseconds(1200));  // well before the handshake timeout
  CHECK(a.t->counters().closed_silent == 1);
  CHECK(a.log.count("sent nothing within 300ms") == 1);
  // The other one is only bounded by the handshake timeout.
  REQUIRE(started.wait_closed(absl::Seconds(5)));
  CHECK(absl::Now() - start >= absl::Milliseconds(1400));
  CHECK(a.t->counters().closed_silent == 1);
  CHECK(a.t->counters().tls_timeout == 1);
  CHECK(a.log.count("TLS handshake did not complete within 1.5s") == 1);
}

TEST_CASE("1,000 failing connections leave a few log lines a second and summaries that count the rest") {
  TcpTransportOptions options;
  options.log_lines_per_second = 5;
  options.log_summary_period = absl::Seconds(1);
  Peer a(options);
  constexpr int kClients = 1000;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kClients; ++i) {
    RawClient raw(a.port);
    raw.send("GET / HTTP/1.0\r\n\r\n");  // a TLS failure each
    REQUIRE(raw.wait_closed());
  }
  // Every failure is accounted for: written in full, or counted in a summary line.
  auto accounted = [&] {
    std::lock_guard<std::mutex> lock(a.log.mu);
    std::uint64_t n = 0;
    for (const std::string& line : a.log.lines) {
      if (contains(line, "more lines suppressed")) {  // "<kind>: N more lines suppressed ..."
        n += std::stoull(line.substr(line.rfind(": ", line.find(" more lines")) + 2));
      } else if (contains(line, "closed the connection from")) {
        ++n;
      }
    }
    return n;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (accounted() < kClients && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  CHECK(accounted() == kClients);
  CHECK(a.t->counters().tls_failed == kClients);
  const std::size_t full = a.log.count("closed the connection from");
  const std::size_t summaries = a.log.count("transport: TLS failed: ");
  MESSAGE(kClients << " failures in " << seconds << " s: " << full << " full lines, " << summaries << " summaries");
  CHECK(full <= static_cast<std::size_t>(5 * (seconds + 1)));
  CHECK(summaries >= 1);
  CHECK(summaries <= static_cast<std::size_t>(seconds + 1));
  CHECK(a.log.lines.size() == full + summaries);
}

TEST_CASE("wake() from another thread calls on_wake; on_tick runs") {
  Peer a({}, {}, /*listen=*/false);
  const int before = a.rec.read([&] { return a.rec.wakes; });
  std::thread other([&] { a.t->wake(); });
  other.join();
  CHECK(a.rec.wait([&] { return a.rec.wakes > before; }));
  CHECK(a.rec.wait([&] { return a.rec.ticks >= 3; }));
}

TEST_CASE("close() delivers what was queued, then both sides see on_closed") {
  Pair p;
  const std::string payload = random_bytes(1 << 20, 31);
  p.b.rec.on_loop(*p.b.t, [&] {
    p.b.t->write(p.b_to_a, payload);
    p.b.t->close(p.b_to_a, absl::CancelledError("done here"));
    p.b.t->write(p.b_to_a, "ignored after close");
  });
  REQUIRE(p.b.rec.wait([&] { return p.b.rec.closed.count(p.b_to_a) > 0; }));
  CHECK(p.b.rec.read([&] { return p.b.rec.closed[p.b_to_a]; }) == absl::CancelledError("done here"));
  REQUIRE(p.a.rec.wait([&] { return p.a.rec.closed.count(p.a_from_b) > 0; }));
  CHECK(p.a.data(p.a_from_b) == payload);
  CHECK(p.a.rec.read([&] { return p.a.rec.closed[p.a_from_b]; }).code() == absl::StatusCode::kUnavailable);
  CHECK(p.a.rec.read([&] { return p.a.rec.closed_calls[p.a_from_b]; }) == 1);
  CHECK(p.b.rec.read([&] { return p.b.rec.closed_calls[p.b_to_a]; }) == 1);
}

TEST_CASE("stop() with open connections and data in flight") {
  Pair p;
  p.b.write(p.b_to_a, random_bytes(4 << 20, 41));
  p.b.t->stop();
  // The other side sees the connection go.
  REQUIRE(p.a.rec.wait([&] { return p.a.rec.closed.count(p.a_from_b) > 0; }));
  CHECK(p.a.rec.read([&] { return p.a.rec.closed[p.a_from_b]; }).code() == absl::StatusCode::kUnavailable);
  // stop() itself calls nobody back, and is idempotent.
  CHECK(p.b.rec.read([&] { return p.b.rec.closed.size(); }) == 0);
  p.b.t->stop();
  p.a.t->stop();
  p.a.t->stop();
  p.b.t->wake();  // after stop: nothing, no crash
  CHECK(p.b.t->connection_count() == 0);
  CHECK(p.a.t->connection_count() == 0);
}

TEST_CASE("a transport that never started stops cleanly") {
  auto t = TcpTransport::create({}, {});
  REQUIRE(t.ok());
  REQUIRE((*t)->listen("127.0.0.1", 0).ok());
  (*t)->wake();
  (*t)->stop();
  (*t)->stop();
}

TEST_CASE("mutual TLS: CA-signed peers connect, a rogue one is refused") {
  snow::testing::MutualTlsFiles files;
  Peer a({}, files.a());
  SUBCASE("a CA-signed client") {
    Peer b({}, files.b(), /*listen=*/false);
    const ConnId id = b.connect(a);
    REQUIRE(b.opened(id));
    b.write(id, "signed");
    const ConnId in = a.accepted();
    REQUIRE(a.received(in, 6));
    CHECK(a.data(in) == "signed");
    // Each end sees the subjectAltNames of the other's certificate; an unknown id none.
    using Names = std::vector<std::string>;
    CHECK(a.rec.on_loop(*a.t, [&] { return a.t->peer_certificate_names(in); }) == Names{"URI:snow://b@127.0.0.1"});
    CHECK(b.rec.on_loop(*b.t, [&] { return b.t->peer_certificate_names(id); }) ==
          Names{"URI:snow://a@127.0.0.1", "DNS:a.example", "IP:127.0.0.1", "IP:::1"});
    CHECK(a.rec.on_loop(*a.t, [&] { return a.t->peer_certificate_names(in + 1000); }).empty());
  }
  SUBCASE("a rogue client gets PermissionDenied; the server never announces it") {
    Peer rogue({}, files.rogue(), /*listen=*/false);
    const ConnId id = rogue.connect(a);
    REQUIRE(rogue.rec.wait([&] { return rogue.rec.closed.count(id) > 0; }));
    CHECK(rogue.rec.read([&] { return rogue.rec.closed[id]; }).code() == absl::StatusCode::kPermissionDenied);
    REQUIRE(a.rec.wait([&] { return a.t->connection_count() == 0; }));
    CHECK(a.rec.read([&] { return a.rec.opened.size(); }) == 0);
    CHECK(a.log.count("CERTIFICATE_VERIFY_FAILED") == 1);
  }
  SUBCASE("a client refuses a rogue server before on_open") {
    Peer rogue({}, files.rogue());
    Peer b({}, files.b(), /*listen=*/false);
    const ConnId id = b.connect(rogue);
    REQUIRE(b.rec.wait([&] { return b.rec.closed.count(id) > 0; }));
    CHECK(b.rec.read([&] { return b.rec.closed[id]; }).code() == absl::StatusCode::kPermissionDenied);
    CHECK(b.rec.read([&] { return b.rec.opened.size(); }) == 0);
  }
}

TEST_CASE("create() reports bad TLS files") {
  TlsOptions tls;
  tls.mode = TlsOptions::Mode::mutual;
  tls.cert_file = "/nonexistent/cert.pem";
  tls.key_file = "/nonexistent/key.pem";
  tls.ca_file = "/nonexistent/ca.pem";
  auto t = TcpTransport::create(tls, {});
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(contains(t.status(), "/nonexistent/cert.pem"));
}
}  // TEST_SUITE
