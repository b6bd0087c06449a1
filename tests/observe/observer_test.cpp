// The Observer's API (docs/observer.md) over real sockets on 127.0.0.1: its documents
// name what runs, supervisors publish their restarts, actions need the token, and an
// endpoint that was never started costs no thread and no socket.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>

#include "snow/actor.hpp"
#include "snow/node.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/supervisor.hpp"
#include "support/loopback_http.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;

namespace {

/// One request on a fresh connection; the whole response ("" if no connection).
std::string http(std::uint16_t port, const std::string& request) {
  const std::string response = snow::testing::http_exchange(port, request);
  return response == "<no connection>" ? "" : response;
}

std::string get(std::uint16_t port, const std::string& path) {
  return http(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
}

std::string post(std::uint16_t port, const std::string& path, const std::string& token) {
  std::string head = "POST " + path + " HTTP/1.1\r\nHost: localhost:" + std::to_string(port) + "\r\nContent-Length: 0\r\n";
  if (!token.empty()) head += "X-Snow-Token: " + token + "\r\n";
  return http(port, head + "\r\n");
}

bool status_is(const std::string& response, std::string_view code) {
  return response.rfind("HTTP/1.1 " + std::string(code), 0) == 0;
}

Proc idle(Self self) {
  for (;;) co_await self.receive(any([](Message) {}));
}

/// Entries in a /proc/self directory: threads (task) or open descriptors (fd).
int count_entries(const char* dir) {
  int n = 0;
  DIR* d = ::opendir(dir);
  if (d == nullptr) return -1;
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

/// Waits (at most 5 s) for `pred`; the runtime is threaded.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

SupervisorSpec one_worker_tree() {
  SupervisorSpec spec;
  ChildSpec c;
  c.id = "worker";
  c.start = [](Self self) {
    const Pid p = self.spawn(idle);
    (void)self.runtime().register_name("the_worker", p);
    return p;
  };
  spec.children.push_back(c);
  return spec;
}

}  // namespace

TEST_CASE("observer: an endpoint not started costs no thread and no socket") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const int threads = count_entries("/proc/self/task");
  const int fds = count_entries("/proc/self/fd");
  {
    MetricsEndpoint endpoint(rt);
    CHECK(count_entries("/proc/self/task") == threads);
    CHECK(count_entries("/proc/self/fd") == fds);
    CHECK(endpoint.observer_token().empty());
  }
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true}).ok());
  CHECK(count_entries("/proc/self/task") == threads + 1);  // started: its one thread
  CHECK(endpoint.observer_token().size() == 32);            // made up, 128 bits in hex
  REQUIRE(endpoint.stop().ok());
  CHECK(count_entries("/proc/self/task") == threads);
}

TEST_CASE("observer: without the option the API is not served") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0}).ok());
  CHECK(status_is(get(endpoint.port(), "/api/processes"), "404"));
  CHECK(status_is(get(endpoint.port(), "/"), "404"));
  CHECK(status_is(post(endpoint.port(), "/api/process/1/kill", ""), "404"));
  CHECK(status_is(get(endpoint.port(), "/metrics"), "200"));
}

TEST_CASE("observer: the page, the process list and one process, by name") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid worker = rt.spawn(idle);
  REQUIRE(rt.register_name("ledger", worker).ok());
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true}).ok());
  const std::uint16_t port = endpoint.port();

  const std::string page = get(port, "/");
  CHECK(status_is(page, "200"));
  CHECK(page.find("text/html") != std::string::npos);
  CHECK(page.find("/observer.js") != std::string::npos);
  CHECK(status_is(get(port, "/observer.js"), "200"));
  CHECK(status_is(get(port, "/observer.css"), "200"));

  const std::string list = get(port, "/api/processes");
  CHECK(status_is(list, "200"));
  CHECK(list.find("\"name\":\"ledger\"") != std::string::npos);
  CHECK(list.find("\"id\":\"" + std::to_string(worker.raw()) + "\"") != std::string::npos);
  // Each row has its memory figure, at least the control block: never 0.
  CHECK(list.find("\"memory_bytes\":") != std::string::npos);
  CHECK(list.find("\"memory_bytes\":0") == std::string::npos);

  const std::string one = get(port, "/api/process/" + std::to_string(worker.raw()));
  CHECK(status_is(one, "200"));
  CHECK(one.find("\"name\":\"ledger\"") != std::string::npos);
  CHECK(one.find("\"links\":[]") != std::string::npos);
  CHECK(one.find("\"memory_bytes\":") != std::string::npos);

  CHECK(status_is(get(port, "/api/process/999999"), "404"));
  CHECK(status_is(get(port, "/api/process/not-a-pid"), "404"));
  CHECK(status_is(get(port, "/api/nothing"), "404"));

  const std::string m = get(port, "/api/metrics");
  CHECK(status_is(m, "200"));
  CHECK(m.find("\"run_queues\":[") != std::string::npos);
  CHECK(m.find("\"dead_letters\":{") != std::string::npos);
  const std::string node = get(port, "/api/node");
  CHECK(node.find("\"node\":null") != std::string::npos);  // not a node
}

TEST_CASE("observer: supervisors publish their children, restarts and exit reasons") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  ScopedActor me(rt);
  absl::StatusOr<Pid> sup = start_supervisor(me, one_worker_tree());
  REQUIRE(sup.ok());
  REQUIRE(eventually([&] { return supervisors(rt).size() == 1; }));
  std::vector<SupervisorSummary> all = supervisors(rt);
  CHECK(all[0].pid == *sup);
  CHECK(all[0].strategy == "one_for_one");
  REQUIRE(all[0].children.size() == 1);
  CHECK(all[0].children[0].id == "worker");
  CHECK(all[0].children[0].restarts == 0);
  CHECK(all[0].children[0].last_exit_reason.empty());
  const Pid first = all[0].children[0].pid;
  CHECK(first == rt.whereis("the_worker").value_or(Pid()));

  rt.exit(first, ExitReason::kill());
  REQUIRE(eventually([&] {
    std::vector<SupervisorSummary> now = supervisors(rt);
    return now.size() == 1 && now[0].children[0].restarts == 1;
  }));
  all = supervisors(rt);
  CHECK(all[0].restarts == 1);
  CHECK(all[0].children[0].last_exit_reason == "killed");
  CHECK(all[0].children[0].pid != first);

  REQUIRE(stop_supervisor(me, *sup, absl::Seconds(5)).ok());
  CHECK(eventually([&] { return supervisors(rt).empty(); }));
}

TEST_CASE("observer: an action needs the token; refusals are counted and logged") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  ScopedActor me(rt);
  absl::StatusOr<Pid> sup = start_supervisor(me, one_worker_tree());
  REQUIRE(sup.ok());
  REQUIRE(eventually([&] { return rt.whereis("the_worker").has_value(); }));
  const Pid worker = *rt.whereis("the_worker");
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true, .observer_token = "s3cret-token"}).ok());
  CHECK(endpoint.observer_token() == "s3cret-token");
  const std::uint16_t port = endpoint.port();
  const std::string path = "/api/process/" + std::to_string(worker.raw()) + "/kill";

  CHECK(status_is(post(port, path, ""), "403"));
  CHECK(status_is(post(port, path, "s3cret-tokeX"), "403"));
  CHECK(status_is(post(port, path, "s3cret-token-and-more"), "403"));
  CHECK(endpoint.refused_actions() == 3);
  CHECK(rt.is_alive(worker));
  CHECK(get(port, "/api/metrics").find("\"refused_actions\":3") != std::string::npos);
  {
    std::lock_guard lock(log.mu);
    CHECK(std::count_if(log.lines.begin(), log.lines.end(), [](const std::string& l) {
            return l.find("refused POST") != std::string::npos;
          }) == 3);
  }

  const std::string done = post(port, path, "s3cret-token");
  CHECK(status_is(done, "200"));
  CHECK(eventually([&] { return !rt.is_alive(worker); }));
  // The supervisor restarted it, and says so.
  CHECK(eventually([&] {
    const std::string tree = get(port, "/api/supervisors");
    return tree.find("\"restarts\":1,\"last_exit_reason\":\"killed\"") != std::string::npos;
  }));
  CHECK(status_is(post(port, "/api/process/" + std::to_string(worker.raw()) + "/kill", "s3cret-token"), "404"));
  REQUIRE(stop_supervisor(me, *sup, absl::Seconds(5)).ok());
}

TEST_CASE("observer: with actions off every POST is refused") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid worker = rt.spawn(idle);
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true, .observer_actions = false, .observer_token = "t"}).ok());
  CHECK(endpoint.observer_token().empty());
  CHECK(status_is(post(endpoint.port(), "/api/process/" + std::to_string(worker.raw()) + "/kill", "t"), "403"));
  CHECK(rt.is_alive(worker));
  rt.exit(worker, ExitReason::kill());
}

TEST_CASE("observer: a flood of refused actions is counted in full but logged a few lines a second") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid worker = rt.spawn(idle);
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true, .observer_token = "t0ken"}).ok());
  const std::string path = "/api/process/" + std::to_string(worker.raw()) + "/kill";
  const absl::Time start = absl::Now();
  for (int i = 0; i < 40; ++i) CHECK(status_is(post(endpoint.port(), path, "guess"), "403"));
  // At most 5 lines in each second the flood lasted (however slow the machine).
  const auto budget = 5 * (absl::ToInt64Seconds(absl::Now() - start) + 2);
  CHECK(endpoint.refused_actions() == 40);
  CHECK(rt.is_alive(worker));
  std::lock_guard lock(log.mu);
  const auto lines = std::count_if(log.lines.begin(), log.lines.end(),
                                   [](const std::string& l) { return l.find("refused POST") != std::string::npos; });
  CHECK(lines >= 1);
  CHECK(lines <= budget);
}

TEST_CASE("observer: on loopback it answers only requests addressed to loopback (DNS rebinding)") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  const Pid worker = rt.spawn(idle);
  MetricsEndpoint endpoint(rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true, .observer_token = "t0ken"}).ok());
  const std::uint16_t port = endpoint.port();
  const auto with_host = [&](const std::string& method, const std::string& path, const std::string& host) {
    return http(port, method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nX-Snow-Token: t0ken\r\n\r\n");
  };
  CHECK(status_is(with_host("GET", "/api/processes", "evil.example:" + std::to_string(port)), "403"));
  CHECK(status_is(with_host("GET", "/", "evil.example"), "403"));
  CHECK(status_is(with_host("POST", "/api/process/" + std::to_string(worker.raw()) + "/kill", "evil.example"), "403"));
  CHECK(rt.is_alive(worker));
  CHECK(status_is(http(port, "GET /api/node HTTP/1.0\r\n\r\n"), "403"));  // no Host at all
  CHECK(status_is(with_host("GET", "/api/node", "localhost"), "200"));
  CHECK(status_is(with_host("GET", "/api/node", "[::1]:" + std::to_string(port)), "200"));
  const std::string ok = with_host("GET", "/", "127.0.0.1:" + std::to_string(port));
  CHECK(status_is(ok, "200"));
  CHECK(ok.find("Content-Security-Policy: default-src 'self'") != std::string::npos);
  CHECK(status_is(get(port, "/metrics"), "200"));  // /metrics is as before, whatever the Host
  CHECK(status_is(http(port, "GET /metrics HTTP/1.1\r\nHost: scraper.example\r\n\r\n"), "200"));
  rt.exit(worker, ExitReason::kill());
}

TEST_CASE("observer: /api/node names the peers and keeps their ups and downs") {
  LogCapture log;
  Runtime alpha_rt(snow::testing::threaded(log));
  Runtime beta_rt(snow::testing::threaded(log));
  const NodeOptions options{.cookie = "observer-test-cookie-0123456789ab"};
  absl::StatusOr<Node> alpha = Node::start(alpha_rt, "alpha@127.0.0.1:0", options);
  absl::StatusOr<Node> beta = Node::start(beta_rt, "beta@127.0.0.1:0", options);
  REQUIRE(alpha.ok());
  REQUIRE(beta.ok());
  CHECK(alpha->history().empty());
  REQUIRE(alpha->connect(beta->name()).ok());
  REQUIRE(eventually([&] { return !alpha->history().empty(); }));
  std::vector<NodeEvent> events = alpha->history();
  CHECK(events.front().node == beta->name());
  CHECK(events.front().up);

  MetricsEndpoint endpoint(alpha_rt);
  REQUIRE(endpoint.start({.port = 0, .observer = true, .observer_token = "t0ken"}).ok());
  const std::string node = get(endpoint.port(), "/api/node");
  // The node's own process is not the dashboard's to kill, token or not.
  const std::optional<Pid> cluster = alpha_rt.whereis("snow.cluster");
  REQUIRE(cluster.has_value());
  CHECK(status_is(post(endpoint.port(), "/api/process/" + std::to_string(cluster->raw()) + "/kill", "t0ken"), "409"));
  CHECK(alpha_rt.is_alive(*cluster));
  CHECK(node.find("\"name\":\"" + alpha->name() + "\"") != std::string::npos);
  CHECK(node.find("\"peers\":[{\"name\":\"" + beta->name() + "\",\"connected\":true") != std::string::npos);
  CHECK(node.find("\"event\":\"up\"") != std::string::npos);

  alpha->disconnect(beta->name());
  REQUIRE(eventually([&] {
    const std::vector<NodeEvent> now = alpha->history();
    return !now.empty() && !now.back().up;
  }));
  events = alpha->history();
  CHECK(events.back().node == beta->name());
  CHECK(!events.back().reason.empty());
  CHECK(get(endpoint.port(), "/api/node").find("\"event\":\"down\"") != std::string::npos);
  REQUIRE(endpoint.stop().ok());
}
