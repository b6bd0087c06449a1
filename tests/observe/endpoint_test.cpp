// The HTTP endpoint, over real sockets on 127.0.0.1: it serves /metrics, refuses the
// rest, and survives garbage, floods, slow and vanishing clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "snow/actor.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "support/loopback_http.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::connect_loopback;
using snow::testing::http_exchange;
using snow::testing::read_all;
using snow::testing::send_all;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

/// True once a GET /metrics is answered with 200, trying for about two seconds.
bool served_within_2s(std::uint16_t port) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (starts_with(http_exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 OK")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_SUITE("metrics endpoint") {
TEST_CASE("GET /metrics serves the Prometheus text; anything else is 404 or 400") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid gone = rt.spawn([](Self) -> Proc { co_return; });
  REQUIRE(rt.join(absl::Seconds(5)).ok());
  rt.send(gone, 1);  // one dead letter to see over HTTP

  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.host = "127.0.0.1", .port = 0}).ok());
  REQUIRE(endpoint.running());
  const std::uint16_t port = endpoint.port();
  REQUIRE(port != 0);

  const std::string ok = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  CHECK(starts_with(ok, "HTTP/1.1 200 OK\r\n"));
  CHECK(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(ok.find("\r\n\r\n# HELP snow_workers ") != std::string::npos);
  CHECK(ok.find("snow_dead_letters_total{reason=\"no_process\"} 1\n") != std::string::npos);
  const std::size_t body_at = ok.find("\r\n\r\n") + 4;
  CHECK(ok.find("Content-Length: " + std::to_string(ok.size() - body_at) + "\r\n") != std::string::npos);

  // /health, for an orchestrator's probes: 200 and "ok" (no node here, so nothing more).
  const std::string health = http_exchange(port, "GET /health HTTP/1.1\r\n\r\n");
  CHECK(starts_with(health, "HTTP/1.1 200 OK\r\n"));
  CHECK(health.substr(health.find("\r\n\r\n") + 4) == "ok\n");
  CHECK(starts_with(http_exchange(port, "POST /health HTTP/1.1\r\n\r\n"), "HTTP/1.1 404"));

  CHECK(starts_with(http_exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK"));
  CHECK(starts_with(http_exchange(port, "GET /metrics HTTP/1.1\n\n"), "HTTP/1.1 200 OK"));  // bare newlines
  CHECK(starts_with(http_exchange(port, "GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 Not Found"));
  CHECK(starts_with(http_exchange(port, "GET /metricsX HTTP/1.1\r\n\r\n"), "HTTP/1.1 404"));
  CHECK(starts_with(http_exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"), "HTTP/1.1 404"));
  CHECK(starts_with(http_exchange(port, "hello\r\n\r\n"), "HTTP/1.1 400 Bad Request"));
  CHECK(starts_with(http_exchange(port, "GET /metrics SPDY/3\r\n\r\n"), "HTTP/1.1 400"));
  CHECK(starts_with(http_exchange(port, std::string("\x00\x01\x02\xff\r\n\r\n", 8)), "HTTP/1.1 400"));
  CHECK(starts_with(http_exchange(port, std::string(20'000, 'A')), "HTTP/1.1 400"));  // no end of head in 8 KiB
  CHECK(http_exchange(port, "").empty());  // says nothing and half-closes: closed, no answer

  REQUIRE(endpoint.stop().ok());
  CHECK_FALSE(endpoint.running());
  CHECK(endpoint.stop().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(connect_loopback(port) < 0);  // nobody listens any more
}

TEST_CASE("slow, silent, vanishing and too many clients do not stop it") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.host = "127.0.0.1", .port = 0, .client_timeout = absl::Milliseconds(300),
                          .max_clients = 4})
              .ok());
  const std::uint16_t port = endpoint.port();

  // A silent client is cut at the client timeout.
  {
    const int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    const auto start = std::chrono::steady_clock::now();
    CHECK(read_all(fd).empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    ::close(fd);
  }
  // A slow client (one byte at a time) gets its answer if it finishes in time...
  {
    const int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    for (char c : std::string("GET /metrics HTTP/1.1\r\n\r\n")) {
      send_all(fd, std::string_view(&c, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(starts_with(read_all(fd), "HTTP/1.1 200 OK"));
    ::close(fd);
  }
  // ...and clients that reset at once, mid-request or without reading the answer cost nothing.
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_loopback(port);
    REQUIRE(fd >= 0);
    if (i % 3 == 1) send_all(fd, "GET /met");
    if (i % 3 == 2) send_all(fd, "GET /metrics HTTP/1.1\r\n\r\n");
    linger hard{1, 0};  // close with a reset
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
  }
  // After all that it still answers (the resets may still fill its max_clients slots
  // until its loop has read them, so a first try may be turned away).
  CHECK(served_within_2s(port));
  CHECK(endpoint.stop().ok());

  // As many silent clients as max_clients: a newcomer takes the place of the oldest
  // one (closed by the server), not of any other, and is served at once.
  MetricsEndpoint crowded(rt);
  REQUIRE(crowded.start({.host = "127.0.0.1", .port = 0, .client_timeout = absl::Seconds(30), .max_clients = 4}).ok());
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connect_loopback(crowded.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // accepted in this order
  }
  CHECK(starts_with(http_exchange(crowded.port(), "GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 OK"));
  CHECK(read_all(idle[0]).empty());  // evicted: the server closed it (EOF, well before the 5 s receive timeout)
  for (int i = 1; i < 4; ++i) {
    char byte;
    CHECK(::recv(idle[i], &byte, 1, MSG_DONTWAIT) < 0);  // still open, nothing to read
  }
  for (int fd : idle) ::close(fd);
}

TEST_CASE("a client silent for idle_timeout is closed, long before client_timeout") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.host = "127.0.0.1", .port = 0, .client_timeout = absl::Seconds(30),
                          .idle_timeout = absl::Milliseconds(200)})
              .ok());
  // Half a request, then silence: cut at the idle deadline, counted from its last byte.
  const int fd = connect_loopback(endpoint.port());
  REQUIRE(fd >= 0);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    send_all(fd, "G");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // each byte within the idle limit
  }
  CHECK(read_all(fd).empty());
  const auto took = std::chrono::steady_clock::now() - start;
  // Its last byte went at 200 ms: cut at about 400 ms, not 200 ms after it connected.
  CHECK(took >= std::chrono::milliseconds(350));
  CHECK(took < std::chrono::seconds(3));
  ::close(fd);
  CHECK(endpoint.stop().ok());
  MetricsEndpoint bad(rt);
  CHECK(bad.start({.port = 0, .idle_timeout = absl::ZeroDuration()}).code() == absl::StatusCode::kInvalidArgument);
}

// Issue 10: 32 idle connections, renewed every 5 s, denied 60 of 60 scrapes. Here 200
// are held open, and before each scrape more than max_clients of those the server closed
// are opened again, so every slot holds a fresh idle connection when the scrape comes:
// every scrape must still be answered, and quickly.
TEST_CASE("200 idle connections held open do not starve scrapes") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.host = "127.0.0.1", .port = 0}).ok());  // the defaults: 32 clients, 5 s
  const std::uint16_t port = endpoint.port();
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(connect_loopback(port));
  // Reopens up to 48 of the idle connections the server has closed: more than its 32
  // slots, fewer than its listen backlog (a full backlog stalls connect() for a second).
  auto renew = [&] {
    int renewed = 0;
    for (int& fd : idle) {
      char byte;
      if (renewed == 48) break;
      if (fd >= 0 && ::recv(fd, &byte, 1, MSG_DONTWAIT) != 0) continue;  // open and silent
      if (fd >= 0) ::close(fd);
      fd = connect_loopback(port);
      ++renewed;
    }
    return renewed;
  };
  int renewed = 0;
  for (int scrape = 0; scrape < 20; ++scrape) {
    INFO("scrape " << scrape);
    renewed += renew();
    const auto start = std::chrono::steady_clock::now();
    CHECK(starts_with(http_exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 OK"));
    // A starved scrape waits for an idle connection's 5 s timeout to free a slot; one that
    // took a slot at once is far below that even on a loaded machine (a 1 s bound failed
    // there at 1.02 s).
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  }
  MESSAGE(renewed << " idle connections renewed over 20 scrapes");
  for (int fd : idle) {
    if (fd >= 0) ::close(fd);
  }
}

TEST_CASE("random bytes, split anywhere, never get anything but 400 or 404 and never stop it") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.host = "127.0.0.1", .port = 0, .client_timeout = absl::Seconds(2)}).ok());
  std::mt19937 random(12345);
  const std::vector<std::string> pieces = {"GET", " ", "/metrics", "HTTP/1.1", "\r\n", "\n",
                                           "\r", "?", std::string(1, '\0'), "\xff", "POST"};
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    std::string request;
    const int parts = 1 + static_cast<int>(random() % 12);
    for (int k = 0; k < parts; ++k) {
      if (random() % 3 == 0) {
        request += static_cast<char>(random() % 256);
      } else {
        request += pieces[random() % pieces.size()];
      }
    }
    request += "\r\n\r\n";
    const std::string response = http_exchange(endpoint.port(), request);
    if (response.empty()) continue;  // a head that parses as nothing yet may just be closed
    ++answered;
    const bool expected = starts_with(response, "HTTP/1.1 400 ") || starts_with(response, "HTTP/1.1 404 ") ||
                          starts_with(response, "HTTP/1.1 200 ");
    CHECK_MESSAGE(expected, request);
  }
  CHECK(answered == 200);  // every one ends with a blank line, so every one is answered
  CHECK(served_within_2s(endpoint.port()));
}

TEST_CASE("start errors: a bad host, a port in use, twice; stop with clients connected") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint a(rt), b(rt);
  CHECK(a.start({.host = "not an address", .port = 0}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(a.start({.host = "127.0.0.1", .port = 0, .max_clients = 0}).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(a.start({.host = "localhost", .port = 0}).ok());
  CHECK(a.start({.host = "127.0.0.1", .port = 0}).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(b.start({.host = "127.0.0.1", .port = a.port()}).code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(b.running());
  CHECK(b.port() == 0);
  const int fd = connect_loopback(a.port());  // left open across stop
  REQUIRE(fd >= 0);
  send_all(fd, "GET /met");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(a.stop().ok());
  CHECK(read_all(fd).empty());  // closed by the stop
  ::close(fd);
  // Restartable, and the destructor stops a running endpoint.
  const bool restarted = a.start({.host = "::1", .port = 0}).ok() || a.start({.host = "127.0.0.1", .port = 0}).ok();
  REQUIRE(restarted);
  CHECK(a.running());
}
}  // TEST_SUITE
