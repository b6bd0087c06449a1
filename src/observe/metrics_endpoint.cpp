// src/observe/metrics_endpoint.cpp: GET /metrics over HTTP/1.x, on its own libuv loop.
//
// The endpoint may be reachable from the network, so everything a client sends is
// hostile: a request is read into a buffer of at most kMaxRequestBytes, only its request
// line is parsed (method, target, HTTP version), one response is written per connection
// (Connection: close), and every connection is closed `client_timeout` after it was
// accepted whatever it is doing, so a client that sends slowly, never reads, or resets
// costs at most a timer and a buffer. SIGPIPE is blocked on the loop's thread, so a peer
// that resets makes a write fail instead of killing the process.
//
// Idle connections must not starve scrapes. A client that has not finished its request
// and has sent nothing for `idle_timeout` is closed; and when `max_clients` are open, a
// new connection takes the place of the oldest one still waiting for its request
// (evicted) rather than being turned away. A scraper sends its request as soon as it
// connects, so it is answered before anyone can push it out, while connections held
// open and silent only ever push out each other. Connections whose answer is being
// written are never evicted (they end on their own); only when every slot holds one is a
// newcomer closed on arrival.
//
// The Observer (observer = true) adds the dashboard's files and a JSON API under /api/
// (src/observe/observer_api.hpp) to the same server, with the same bounds. Its actions
// (POST) need the token in an X-Snow-Token header, compared in constant time; a refusal
// is answered 403, counted and logged, and so is every action carried out. A browser
// cannot send that header cross-origin without a CORS preflight, which this server never
// grants, so another site open in the same browser cannot act through it.
//
// Threads. start() sets up the loop and the listener on the caller's thread (so a port in
// use is reported there), then hands the loop to a thread of its own; after that only
// that thread touches libuv, and stop() reaches it through a uv_async_t.
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <atomic>
#include <cstdio>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "snow/exit_reason.hpp"
#include "snow/log.hpp"
#include "snow/node.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "snow/status.hpp"
#include "src/observe/observer_api.hpp"
#include "src/observe/page_assets.hpp"
#include "src/runtime/log_limiter.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow {

using internal::metrics_json;
using internal::node_json;
using internal::PageAsset;
using internal::page_assets;
using internal::parse_process_id;
using internal::process_json;
using internal::processes_json;
using internal::supervisors_json;

namespace {

constexpr std::size_t kMaxRequestBytes = 8192;
constexpr int kListenBacklog = 64;

/// Parses a numeric IPv4 or IPv6 address (brackets allowed) or "localhost".
bool parse_address(const std::string& host, std::uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  const std::string h = host == "localhost" ? "127.0.0.1" : host;
  if (uv_ip4_addr(h.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  std::string v6 = h;
  if (v6.size() >= 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
  return uv_ip6_addr(v6.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

struct Request {
  bool valid = false;  // an HTTP request line: METHOD SP TARGET SP HTTP/1.x
  std::string method;
  std::string path;   // the target without its query string
  std::string query;  // after '?', "" if none
  std::string token;  // the X-Snow-Token header, "" if none
  std::string host;   // the Host header, "" if none
};

/// The pieces of `text` between `sep`s.
std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) != absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The value of header `name` (case-insensitive) in `head`, "" if absent.
std::string header_value(std::string_view head, std::string_view name) {
  for (std::string_view line : split(head, '\n')) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !same_ignoring_case(line.substr(0, colon), name)) continue;
    return std::string(trim(line.substr(colon + 1)));
  }
  return "";
}

/// The value of `key` in a query string ("a=1&b=2"), "" if absent; no %-decoding (the
/// API's parameters are plain words).
std::string query_value(std::string_view query, std::string_view key) {
  for (std::string_view pair : split(query, '&')) {
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
  }
  return "";
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

/// A Host header naming this machine's loopback: "127.0.0.1:9464", "localhost", "[::1]:80".
bool names_loopback(std::string_view host_header) {
  std::string_view h = host_header;
  if (h.starts_with("[")) {
    h = h.substr(0, h.find(']') == std::string_view::npos ? h.size() : h.find(']') + 1);
  } else if (const std::size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  return is_loopback(h);
}

/// Equal in time that depends on the lengths only, not on where the two first differ.
bool same_token(std::string_view given, std::string_view expected) {
  if (expected.empty()) return false;
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

/// 128 random bits in hex, for an action token nobody set.
std::string random_token() {
  std::random_device device;  // the OS's entropy (getrandom) on Linux
  std::string out;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&out, absl::Hex(device(), absl::kZeroPad8));
  return out;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

/// Reads the request line of `head` (the bytes up to the blank line).
Request parse_request(std::string_view head) {
  Request r;
  const std::size_t eol = head.find_first_of("\r\n");
  const std::string_view line = head.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return r;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return r;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || version.substr(0, 7) != "HTTP/1.") return r;
  r.valid = true;
  r.method = std::string(method);
  const std::size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.token = header_value(head, "X-Snow-Token");
  r.host = header_value(head, "Host");
  return r;
}

/// Where the request's head ends (the blank line), or npos while it has not arrived.
/// `from`: how much of `buffer` was searched before (so a slow client costs linear time).
std::size_t head_end(const std::string& buffer, std::size_t from) {
  const std::size_t start = from > 3 ? from - 3 : 0;
  const std::size_t crlf = buffer.find("\r\n\r\n", start);
  if (crlf != std::string::npos) return crlf;
  return buffer.find("\n\n", start);  // tolerate bare newlines (hand-typed requests)
}

}  // namespace

struct MetricsEndpoint::Impl {
  struct Client {
    Impl* owner = nullptr;
    uv_tcp_t tcp{};
    uv_timer_t timer{};
    uv_write_t write_req{};
    uv_shutdown_t shutdown_req{};
    int open_handles = 0;
    bool closing = false;
    bool answered = false;
    std::uint64_t accepted_ms = 0;  // uv_now at accept
    std::uint64_t heard_ms = 0;     // uv_now when its request last grew
    // The unanswered clients, oldest first: an intrusive list (no allocation, O(1) unlink).
    Client* older = nullptr;
    Client* newer = nullptr;
    bool waiting = false;
    std::string request;
    std::string response;  // kept alive until its write completes
    char read_buffer[4096];
  };

  Impl(Runtime& rt, MetricsEndpointOptions options) : rt(rt), options(std::move(options)) {}

  Runtime& rt;
  const MetricsEndpointOptions options;
  uv_loop_t loop{};
  uv_tcp_t server{};
  uv_async_t stop_async{};
  std::thread thread;
  std::uint16_t port = 0;
  std::string token;  // the Observer's action token; "" when actions are off
  std::atomic<std::uint64_t> refused{0};  // actions refused (403)
  // Refusals are paid for by whoever sends them: their lines are rate-limited (the count
  // above is exact). The loop's thread only.
  RateLimitedLog refusal_log{[this](LogLevel level, std::string_view text) { rt.log(level, "observer", text); }};
  absl::flat_hash_set<Client*> clients;  // the loop's thread only
  Client* oldest_waiting = nullptr;       // the unanswered clients, by accept time
  Client* newest_waiting = nullptr;

  /// Sets up the loop and the listener on the calling thread.
  absl::Status open() {
    sockaddr_storage addr;
    if (!parse_address(options.host, options.port, &addr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics endpoint: \"", options.host, "\" is not an IP address (nor localhost)"));
    }
    if (const int r = uv_loop_init(&loop); r != 0) {
      return absl::InternalError(absl::StrCat("metrics endpoint: uv_loop_init: ", uv_strerror(r)));
    }
    uv_tcp_init(&loop, &server);
    server.data = this;
    int r = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&server), kListenBacklog, &Impl::on_connection);
    sockaddr_storage bound;
    int len = sizeof bound;
    if (r == 0) r = uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
    if (r != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&server), nullptr);
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
      return absl::UnavailableError(
          absl::StrCat("metrics endpoint: cannot listen on ", options.host, ":", options.port, ": ", uv_strerror(r)));
    }
    const sockaddr* sa = reinterpret_cast<const sockaddr*>(&bound);
    port = sa->sa_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port)
                                     : ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
    uv_async_init(&loop, &stop_async, &Impl::on_stop);
    stop_async.data = this;
    return absl::OkStatus();
  }

  void run() {
    thread = std::thread([this] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      // Named, so top -H, a debugger and bench/observer_cost.py (which charges the
      // Observer the CPU time of this thread) can tell it from the runtime's threads.
      pthread_setname_np(pthread_self(), "snow-metrics");
      uv_run(&loop, UV_RUN_DEFAULT);
    });
  }

  /// From the owner's thread: closes everything on the loop's thread and joins it.
  void stop() {
    uv_async_send(&stop_async);
    thread.join();
    uv_loop_close(&loop);
  }

  static void on_stop(uv_async_t* async) {
    Impl* self = static_cast<Impl*>(async->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async), nullptr);
    const std::vector<Client*> all(self->clients.begin(), self->clients.end());  // closing erases
    for (Client* c : all) self->close_client(c);
  }

  static void on_connection(uv_stream_t* server, int status) {
    Impl* self = static_cast<Impl*>(server->data);
    if (status < 0) return;  // a failed accept (EMFILE, ...): nothing to clean up
    auto* c = new (std::nothrow) Client;
    if (c == nullptr) return;  // out of memory: the connection waits in the backlog
    c->owner = self;
    uv_tcp_init(&self->loop, &c->tcp);
    uv_timer_init(&self->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    bool tracked = true;
    try {
      self->clients.insert(c);
    } catch (...) {
      tracked = false;
    }
    // Accept first in any case: a connection left unaccepted would stall the listener.
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 || !tracked) return self->close_client(c);
    if (self->clients.size() > static_cast<std::size_t>(self->options.max_clients)) {
      if (self->oldest_waiting == nullptr) return self->close_client(c);  // every slot is answering
      self->close_client(self->oldest_waiting);
    }
    c->accepted_ms = c->heard_ms = uv_now(&self->loop);
    self->start_waiting(c);
    self->arm_timer(c);
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read) != 0) {
      self->close_client(c);
    }
  }

  static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    Client* c = static_cast<Client*>(handle->data);
    *buf = uv_buf_init(c->read_buffer, sizeof c->read_buffer);
  }

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    Client* c = static_cast<Client*>(stream->data);
    if (nread < 0) return c->owner->close_client(c);  // EOF (answered or not), or an error
    if (nread == 0 || c->answered) return;            // after the answer: drained and dropped
    // Nothing may unwind through libuv: out of memory costs this client, not the server.
    try {
      c->owner->serve(c, std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } catch (...) {
      c->owner->close_client(c);
    }
  }

  /// Takes `bytes` of the request; answers once its head is complete.
  void serve(Client* c, std::string_view bytes) {
    const std::size_t searched = c->request.size();
    c->request.append(bytes.data(), bytes.size());
    c->heard_ms = uv_now(&loop);
    const std::size_t end = head_end(c->request, searched);
    if (end == std::string::npos) {
      if (c->request.size() > kMaxRequestBytes) respond(c, "400 Bad Request", "request too large\n");
      return;
    }
    const Request r = parse_request(std::string_view(c->request).substr(0, end));
    if (!r.valid) return respond(c, "400 Bad Request", "not an HTTP request\n");
    if (r.method == "GET" && r.path == "/health") return respond(c, "200 OK", health_text(), "text/plain; charset=utf-8");
    if (options.observer && r.path != "/metrics") return serve_observer(c, r);
    if (r.method != "GET" || r.path != "/metrics") return respond(c, "404 Not Found", "try GET /metrics\n");
    std::string body;
    try {
      body = prometheus_text(rt);
    } catch (...) {  // out of memory, say: the client gets an error, the server lives on
      return respond(c, "500 Internal Server Error", "metrics unavailable\n");
    }
    respond(c, "200 OK", std::move(body), "text/plain; version=0.0.4; charset=utf-8");
  }

  static constexpr std::string_view kJson = "application/json; charset=utf-8";

  /// GET /health, for an orchestrator's readiness and liveness probes: answered while the
  /// program serves, whatever its peers do (the first node of a cluster has none, and a
  /// node must not look unready because a peer went away), so always 200. The body says
  /// which node this is and how many peers it has, for the person reading it.
  std::string health_text() {
    absl::StatusOr<Node> node = Node::of(rt);
    if (!node.ok()) return "ok\n";
    return absl::StrCat("ok ", node->name(), " peers=", node->peers().size(), "\n");
  }

  /// The Observer's routes: its page, GET /api/..., and the actions (POST).
  void serve_observer(Client* c, const Request& r) {
    // DNS rebinding: a site whose name an attacker points at 127.0.0.1 gets a browser to
    // send it requests, with its own name in Host. An Observer listening on loopback
    // answers only requests addressed to loopback, so such a page cannot read it.
    if (is_loopback(options.host) && !names_loopback(r.host)) {
      return respond(c, "403 Forbidden", error_json("Host must name this machine (127.0.0.1, localhost, [::1])"), kJson);
    }
    if (r.method == "POST") return act(c, r);
    if (r.method != "GET") return respond(c, "405 Method Not Allowed", "GET, or POST for an action\n");
    for (const PageAsset& a : page_assets()) {
      if (r.path == a.path) return respond(c, "200 OK", std::string(a.body), a.content_type);
    }
    std::string body;
    if (r.path == "/api/node") {
      body = node_json(rt);
    } else if (r.path == "/api/processes") {
      body = processes_json(rt, options.observer_max_processes);
    } else if (r.path == "/api/supervisors") {
      body = supervisors_json(rt);
    } else if (r.path == "/api/metrics") {
      body = metrics_json(rt, refused.load(std::memory_order_relaxed));
    } else if (r.path.starts_with("/api/process/")) {
      const std::optional<Pid> pid = parse_process_id(std::string_view(r.path).substr(13));
      if (!pid) return respond(c, "404 Not Found", error_json("not a local process id"), kJson);
      absl::StatusOr<std::string> one = process_json(rt, *pid, options.observer_info_timeout);
      if (!one.ok()) {
        const bool gone = one.status().code() == absl::StatusCode::kNotFound;
        return respond(c, gone ? "404 Not Found" : "503 Service Unavailable", error_json(std::string(one.status().message())),
                       kJson);
      }
      body = *std::move(one);
    } else {
      return respond(c, "404 Not Found", error_json("no such page (see docs/observer.md)"), kJson);
    }
    respond(c, "200 OK", std::move(body), kJson);
  }

  static std::string error_json(std::string_view message) {
    std::string text;
    for (char ch : message) {
      if (ch == '"' || ch == '\\') text += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) text += ch;
    }
    return absl::StrCat("{\"error\":\"", text, "\"}");
  }

  /// POST /api/process/<id>/kill, POST /api/process/<id>/exit?reason=R (R: normal,
  /// shutdown, kill, or any other word: error(word)).
  void act(Client* c, const Request& r) {
    const std::string who = peer_address(c);
    if (!options.observer_actions || !same_token(r.token, token)) {
      refused.fetch_add(1, std::memory_order_relaxed);
      const absl::Time now = absl::Now();
      refusal_log.tick(now);
      refusal_log.write("observer: refused POST", LogLevel::warning,
                        absl::StrCat("refused POST ", internal::printable(r.path), " from ", who,
                                     options.observer_actions ? ": wrong or missing X-Snow-Token" : ": actions are off"),
                        now);
      return respond(c, "403 Forbidden", error_json("an action needs the observer token (X-Snow-Token)"), kJson);
    }
    const std::string_view path = r.path;
    const std::size_t slash = path.rfind('/');
    const std::string_view verb = path.substr(slash + 1);
    std::optional<Pid> pid;
    if (path.starts_with("/api/process/") && slash > 13) pid = parse_process_id(path.substr(13, slash - 13));
    if (!pid || (verb != "kill" && verb != "exit")) {
      return respond(c, "404 Not Found", error_json("actions: POST /api/process/<id>/kill or /exit?reason=R"), kJson);
    }
    const detail::ProcessRef target = rt.core().table.find(pid->serial());
    if (!target || target->pid != *pid || !rt.is_alive(*pid)) {
      return respond(c, "404 Not Found", error_json("no such process"), kJson);
    }
    // The runtime's own processes (a node's, ...) keep it working: not for a dashboard.
    if (target->system) return respond(c, "409 Conflict", error_json("one of the runtime's own processes"), kJson);
    ExitReason reason = ExitReason::kill();
    if (verb == "exit") {
      const std::string word = query_value(r.query, "reason").substr(0, 64);
      if (word == "normal") {
        reason = ExitReason::normal();
      } else if (word == "shutdown" || word.empty()) {
        reason = ExitReason::shutdown();
      } else if (word != "kill") {
        reason = ExitReason::error(word);
      }
    }
    rt.log(LogLevel::warning, "observer",
           absl::StrCat("exit signal ", reason.to_string(), " to ", pid->to_string(), " from ", who));
    rt.exit(*pid, reason);
    respond(c, "200 OK", absl::StrCat("{\"ok\":true,\"reason\":\"", verb == "kill" ? "kill" : "exit", "\"}"), kJson);
  }

  static std::string peer_address(Client* c) {
    sockaddr_storage addr;
    int len = sizeof addr;
    if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
    char ip[64] = {0};
    if (addr.ss_family == AF_INET6) {
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&addr), ip, sizeof ip);
    } else {
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&addr), ip, sizeof ip);
    }
    return ip;
  }

  void respond(Client* c, std::string_view status, std::string body,
               std::string_view content_type = "text/plain; charset=utf-8") {
    c->answered = true;
    stop_waiting(c);
    c->request.clear();
    c->request.shrink_to_fit();
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    c->response = std::string("HTTP/1.1 ");
    c->response.append(status);
    c->response.append("\r\nContent-Type: ");
    c->response.append(content_type);
    // Nothing here is to be cached, sniffed into another type, framed by another site, or
    // run from anywhere but this server (the page's scripts and styles are its own files).
    c->response.append(
        "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'");
    c->response.append(absl::StrCat("\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n"));
    c->response.append(body);
    uv_buf_t buf = uv_buf_init(c->response.data(), static_cast<unsigned>(c->response.size()));
    c->write_req.data = c;
    if (uv_write(&c->write_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1, &Impl::on_written) != 0) {
      close_client(c);
    }
  }

  static void on_written(uv_write_t* req, int status) {
    Client* c = static_cast<Client*>(req->data);
    if (c->closing) return;  // cancelled by a close; the close frees the client
    if (status < 0) return c->owner->close_client(c);
    // Half-close: the client sees the end of the response, and then closes its side.
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_shutdown) != 0) {
      c->owner->close_client(c);
    }
  }

  static void on_shutdown(uv_shutdown_t* req, int status) {
    Client* c = static_cast<Client*>(req->data);
    if (c->closing) return;
    // Read (and drop) whatever the client still sends until it closes: closing with
    // unread bytes would reset the connection, and a reset can destroy the response
    // before the client has read it. The timer bounds the wait.
    if (status < 0 || uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read) != 0) {
      c->owner->close_client(c);
    }
  }

  static std::uint64_t to_ms(absl::Duration d) {
    const std::int64_t ms = absl::ToInt64Milliseconds(d);
    return static_cast<std::uint64_t>(ms > 0 ? ms : 1);
  }

  /// When `c` must go: `client_timeout` after its accept, or earlier, while it has not
  /// sent its whole request, `idle_timeout` after it last sent anything.
  std::uint64_t deadline_ms(const Client* c) const {
    const std::uint64_t whole = c->accepted_ms + to_ms(options.client_timeout);
    return c->answered ? whole : std::min(whole, c->heard_ms + to_ms(options.idle_timeout));
  }

  /// One timer per client, re-armed when it fires early (the client spoke meanwhile)
  /// rather than on every read, so a client trickling bytes costs no timer work per read.
  void arm_timer(Client* c) {
    const std::uint64_t now = uv_now(&loop);
    const std::uint64_t at = deadline_ms(c);
    uv_timer_start(&c->timer, &Impl::on_timeout, at > now ? at - now : 0, 0);
  }

  static void on_timeout(uv_timer_t* timer) {
    Client* c = static_cast<Client*>(timer->data);
    if (uv_now(&c->owner->loop) < c->owner->deadline_ms(c)) return c->owner->arm_timer(c);
    c->owner->close_client(c);
  }

  void start_waiting(Client* c) {
    c->waiting = true;
    c->older = newest_waiting;
    (newest_waiting != nullptr ? newest_waiting->newer : oldest_waiting) = c;
    newest_waiting = c;
  }

  void stop_waiting(Client* c) {
    if (!c->waiting) return;
    c->waiting = false;
    (c->older != nullptr ? c->older->newer : oldest_waiting) = c->newer;
    (c->newer != nullptr ? c->newer->older : newest_waiting) = c->older;
    c->older = c->newer = nullptr;
  }

  void close_client(Client* c) {
    if (c->closing) return;
    c->closing = true;
    stop_waiting(c);
    clients.erase(c);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), &Impl::on_client_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), &Impl::on_client_handle_closed);
  }

  static void on_client_handle_closed(uv_handle_t* handle) {
    Client* c = static_cast<Client*>(handle->data);
    if (--c->open_handles == 0) delete c;  // after every request's callback (libuv's order)
  }
};

MetricsEndpoint::MetricsEndpoint(Runtime& rt) : rt_(rt) {}

MetricsEndpoint::~MetricsEndpoint() { (void)stop(); }

absl::Status MetricsEndpoint::start(MetricsEndpointOptions options) {
  std::lock_guard lock(mu_);
  if (impl_) return absl::FailedPreconditionError("the metrics endpoint is running already");
  if (options.max_clients < 1) return absl::InvalidArgumentError("MetricsEndpointOptions::max_clients must be >= 1");
  if (options.client_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("MetricsEndpointOptions::client_timeout must be positive");
  }
  if (options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("MetricsEndpointOptions::idle_timeout must be positive");
  }
  const bool made_token = options.observer && options.observer_actions && options.observer_token.empty();
  if (made_token) options.observer_token = random_token();
  auto impl = std::make_unique<Impl>(rt_, std::move(options));
  SNOW_RETURN_IF_ERROR(impl->open());
  if (impl->options.observer && impl->options.observer_actions) impl->token = impl->options.observer_token;
  if (impl->options.observer) {
    // On stderr, not the log sink: the token is for whoever started the program.
    // A token the program set is its own to show; one made here is printed once.
    const std::string host =
        impl->options.host.find(':') != std::string::npos ? "[" + impl->options.host + "]" : impl->options.host;
    const std::string actions = impl->token.empty() ? "  (actions off)"
                                : made_token        ? "  action token: " + impl->token
                                                    : "  (action token: as set in the options)";
    std::fprintf(stderr, "snow observer: http://%s:%u/%s\n", host.c_str(), static_cast<unsigned>(impl->port),
                 actions.c_str());
  }
  impl->run();
  impl_ = std::move(impl);
  return absl::OkStatus();
}

absl::Status MetricsEndpoint::stop() {
  std::lock_guard lock(mu_);
  if (!impl_) return absl::FailedPreconditionError("the metrics endpoint is not running");
  impl_->stop();
  impl_.reset();
  return absl::OkStatus();
}

bool MetricsEndpoint::running() const {
  std::lock_guard lock(mu_);
  return impl_ != nullptr;
}

std::uint16_t MetricsEndpoint::port() const {
  std::lock_guard lock(mu_);
  return impl_ ? impl_->port : 0;
}

std::string MetricsEndpoint::observer_token() const {
  std::lock_guard lock(mu_);
  return impl_ ? impl_->token : std::string();
}

std::uint64_t MetricsEndpoint::refused_actions() const {
  std::lock_guard lock(mu_);
  return impl_ ? impl_->refused.load(std::memory_order_relaxed) : 0;
}

}  // namespace snow
