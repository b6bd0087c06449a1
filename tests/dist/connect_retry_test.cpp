// connect() makes another attempt when the peer accepts and then drops it before the
// handshake is done (what a node under a flood of unauthenticated connections does to the
// least advanced one, a newcomer's when the flood shares its address), for as long as its
// timeout allows; and only then: nothing listening, or a disconnect(), ends it at once.
// Real sockets: the peer that drops is a plain socket in the test, standing where the
// node will listen.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "snow/snow.hpp"
#include "support/runtime_fixture.hpp"

namespace connect_retry_test {
namespace {

/// A listening socket on 127.0.0.1 that accepts connections, reads what each sends first
/// (a ClientHello) and closes it: a node dropping newcomers before TLS is done. Until
/// `stop()`, which also frees its port for a real node.
class DroppingPeer {
 public:
  DroppingPeer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~DroppingPeer() { stop(); }

  std::uint16_t port() const { return port_; }
  /// Connections accepted and dropped so far.
  int dropped() const { return dropped_.load(); }
  /// Waits until `n` connections were dropped, or 20 s.
  bool wait_dropped(int n) const {
    const absl::Time until = absl::Now() + absl::Seconds(20);
    while (dropped() < n && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
    return dropped() >= n;
  }
  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    thread_.join();
    ::close(fd_);
  }

 private:
  void run() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      char hello[512];
      pollfd q{conn, POLLIN, 0};
      if (::poll(&q, 1, 2000) > 0) (void)::read(conn, hello, sizeof hello);  // the ClientHello, left unanswered
      ::close(conn);
      dropped_.fetch_add(1);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

const snow::NodeOptions kOptions{.cookie = "connect-retry-test", .reconnect_min = absl::Milliseconds(300)};

/// The connecting node, a@127.0.0.1, on a threaded runtime.
struct Connector {
  explicit Connector(const snow::NodeOptions& options = kOptions) : node(snow::Node::start(rt, "a@127.0.0.1:0", options).value()) {}
  snow::testing::LogCapture log;
  snow::Runtime rt{snow::testing::threaded(log)};
  snow::Node node;
};

}  // namespace

TEST_SUITE("connect retry") {
  TEST_CASE("an attempt the peer drops before the handshake is done is made again, and connects once the node is there") {
    // A second between attempts: the real node takes the port well before the next one,
    // even on a loaded machine (an attempt that found nothing listening would end it).
    snow::NodeOptions patient = kOptions;
    patient.reconnect_min = absl::Seconds(1);
    Connector a(patient);
    snow::Runtime b_rt(snow::testing::threaded(a.log));
    DroppingPeer dropping;
    const std::string b_name = "b@127.0.0.1:" + std::to_string(dropping.port());
    auto connected = std::async(std::launch::async, [&] { return a.node.connect(b_name, absl::Seconds(20)); });
    REQUIRE(dropping.wait_dropped(1));
    dropping.stop();
    absl::StatusOr<snow::Node> b = snow::Node::start(b_rt, b_name, kOptions);
    REQUIRE(b.ok());
    const absl::Status status = connected.get();
    CHECK_MESSAGE(status.ok(), status.ToString());
    CHECK(dropping.dropped() == 1);
    const std::vector<std::string> peers = a.node.list();
    CHECK(std::find(peers.begin(), peers.end(), b_name) != peers.end());
  }

  TEST_CASE("attempts dropped until the timeout: connect() says why the last one failed, after trying more than once") {
    Connector a;
    DroppingPeer dropping;
    const absl::Status status = a.node.connect("b@127.0.0.1:" + std::to_string(dropping.port()), absl::Seconds(2));
    CHECK_MESSAGE(absl::IsUnavailable(status), status.ToString());
    CHECK_MESSAGE(status.message().find("during the TLS handshake") != std::string_view::npos, status.ToString());
    // 300 ms apart within 2 s: a handful of attempts, not one.
    CHECK(dropping.dropped() >= 3);
  }

  TEST_CASE("nothing listening is not retried: connect() answers Unavailable without waiting out its timeout") {
    Connector a;
    DroppingPeer closed;
    const std::uint16_t port = closed.port();
    closed.stop();  // the port is free: connecting to it is refused
    const absl::Time start = absl::Now();
    const absl::Status status = a.node.connect("b@127.0.0.1:" + std::to_string(port), absl::Seconds(60));
    CHECK_MESSAGE(absl::IsUnavailable(status), status.ToString());
    CHECK(absl::Now() - start < absl::Seconds(30));
  }

  TEST_CASE("disconnect() ends a connect() waiting for its next attempt: Cancelled, not its timeout") {
    Connector a;
    DroppingPeer dropping;
    const std::string b_name = "b@127.0.0.1:" + std::to_string(dropping.port());
    const absl::Time start = absl::Now();
    auto connected = std::async(std::launch::async, [&] { return a.node.connect(b_name, absl::Seconds(60)); });
    REQUIRE(dropping.wait_dropped(2));
    a.node.disconnect(b_name);
    const absl::Status status = connected.get();
    CHECK_MESSAGE(absl::IsCancelled(status), status.ToString());
    CHECK(absl::Now() - start < absl::Seconds(30));
  }
}

}  // namespace connect_retry_test
