#include "src/transport/tcp_transport.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "src/runtime/log_limiter.hpp"
#include "src/tls/tls.hpp"
#include "src/transport/admission.hpp"
#include "src/transport/doorbell.hpp"

namespace snow::transport {
namespace {

// One read at a time on the loop thread, decrypted before the next: one buffer will do.
constexpr std::size_t kReadBufferBytes = std::size_t{64} << 10;
// Plaintext per SSL_write: small writes are batched into one run of records, large ones
// cut so the in-flight bound is meaningful.
constexpr std::size_t kPlainChunkBytes = std::size_t{64} << 10;
constexpr int kListenBacklog = 128;

// The kinds of per-connection log lines, each with its own rate limit (log_limiter.hpp).
constexpr std::string_view kLogTlsFailed = "transport: TLS failed";
constexpr std::string_view kLogTlsTimeout = "transport: TLS handshake timeout";
constexpr std::string_view kLogEvicted = "transport: evicted";
constexpr std::string_view kLogSilent = "transport: silent connection closed";
constexpr std::string_view kLogClosedBeforeTls = "transport: closed before TLS";
constexpr std::string_view kLogAcceptFailed = "transport: accept failed";

absl::Status uv_error(int err) { return absl::UnavailableError(uv_strerror(err)); }

// Milliseconds for a libuv timer; 0 (no timer) for a zero, negative or infinite duration.
std::uint64_t to_millis(absl::Duration d) {
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) return 0;
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)))));
}

// "1.2.3.4" or "::1"; "?" if it has none.
std::string ip_of(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN + 1] = {};
  if (uv_ip_name(sa, ip, sizeof ip) != 0) return "?";
  return ip;
}

// "1.2.3.4:5" or "[::1]:5".
std::string format_address(const sockaddr* sa) {
  const std::string ip = ip_of(sa);
  if (ip == "?") return ip;
  if (sa->sa_family == AF_INET6) {
    return absl::StrCat("[", ip, "]:", ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port));
  }
  return absl::StrCat(ip, ":", ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port));
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos && host[0] != '['
             ? absl::StrCat("[", host, "]:", port)
             : absl::StrCat(host, ":", port);
}

// Numeric IPv4 or IPv6 (with or without brackets); false for names.
bool parse_numeric(const std::string& host, std::uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return uv_ip6_addr(h.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

// The addresses of a resolved name, IPv4 first: "localhost" then means 127.0.0.1 both
// for a listener and for a connector, whatever order the resolver prefers.
std::vector<sockaddr_storage> addresses_of(const addrinfo* res, std::uint16_t port) {
  std::vector<sockaddr_storage> v4, v6;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    sockaddr_storage s{};
    if (a->ai_family == AF_INET && a->ai_addrlen <= sizeof s) {
      std::memcpy(&s, a->ai_addr, a->ai_addrlen);
      reinterpret_cast<sockaddr_in*>(&s)->sin_port = htons(port);
      v4.push_back(s);
    } else if (a->ai_family == AF_INET6 && a->ai_addrlen <= sizeof s) {
      std::memcpy(&s, a->ai_addr, a->ai_addrlen);
      reinterpret_cast<sockaddr_in6*>(&s)->sin6_port = htons(port);
      v6.push_back(s);
    }
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

addrinfo stream_hints() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  return hints;
}

// ---- per-connection state (file-local: other files may have their own `Conn`) ----

struct Conn {
  enum class State {
    resolving,    // outbound: waiting for uv_getaddrinfo
    connecting,   // outbound: waiting for the TCP connect
    handshaking,  // TLS handshake under way
    open,         // announced with on_open
    closing,      // uv_close called; freed when both handles have closed
  };

  TcpTransport::Impl* owner = nullptr;
  ConnId id = 0;
  bool inbound = false;
  State state = State::handshaking;
  // The handler knows this id (connect() returned it, or on_open announced it), so it
  // gets on_closed. An accepted connection that never opened stays unknown.
  bool announced = false;
  // close() was asked for (or TLS failed): no more reads or writes from the node; queued
  // bytes (or the TLS alert) go out, then the connection closes.
  bool lingering = false;
  bool shutdown_started = false;
  bool read_paused = false;  // pause_reading(): the node holds enough of this peer's bytes
  // The reason is worth a log line even though the handler may hear of it (TLS failed,
  // evicted), and the kind of line it is (each kind has its own rate limit).
  bool log_on_close = false;
  std::string_view log_kind = kLogClosedBeforeTls;
  // Why it closes, for on_closed: the first reason given wins (close()'s over a write
  // error that follows while lingering).
  bool has_reason = false;
  absl::Status reason;

  uv_tcp_t tcp{};
  uv_timer_t timer{};  // the handshake deadline, then the close linger
  uv_connect_t connect_req{};
  uv_shutdown_t shutdown_req{};
  uv_getaddrinfo_t* resolving = nullptr;  // owned by the request until its callback
  int open_handles = 0;

  std::unique_ptr<tls::TlsSession> tls;
  std::string peer;
  std::string peer_ip;  // the peer's IP without the port: the per-address limits' key
  std::string binding;

  std::deque<std::string> queue;  // plaintext not yet encrypted
  std::size_t queue_offset = 0;   // bytes of queue.front() already encrypted
  std::size_t pending = 0;        // plaintext queued or handed to libuv, not yet written
  std::size_t in_flight = 0;      // ciphertext handed to libuv, not yet written
};

// One uv_write and the bytes it must keep alive until its callback.
struct WriteReq {
  uv_write_t req{};
  Conn* conn = nullptr;
  std::string data;
  std::size_t plain = 0;  // plaintext bytes this write completes
};

// A name resolution for `connect()`; it finds its connection again by id, which may be
// gone by the time the resolver answers.
struct ResolveReq {
  uv_getaddrinfo_t req{};
  TcpTransport::Impl* owner = nullptr;
  ConnId id = 0;
  std::uint16_t port = 0;
};

}  // namespace

class TcpTransport::Impl {
 public:
  Impl(std::shared_ptr<const tls::TlsContext> tls, LogFn log, TcpTransportOptions options)
      : tls_(std::move(tls)), log_(std::move(log)), options_(options),
        read_buf_(new char[kReadBufferBytes]),
        admission_({.max_total = options.max_unauthenticated,
                    .max_per_address = options.max_unauthenticated_per_address,
                    .silent_timeout = options.silent_timeout,
                    .stalled_after = options.stalled_after}),
        limited_log_([this](LogLevel, std::string_view line) { this->log(line); }, options.log_lines_per_second,
                     options.log_summary_period) {}

  absl::Status init() {
    int r = uv_loop_init(&loop_);
    if (r != 0) return absl::InternalError(absl::StrCat("uv_loop_init: ", uv_strerror(r)));
    loop_.data = this;
    uv_timer_init(&loop_, &tick_timer_);
    tick_timer_.data = this;
    uv_timer_init(&loop_, &housekeeping_timer_);
    housekeeping_timer_.data = this;
    if (absl::Status s = doorbell_.open(&loop_, [this] { on_doorbell(); }); !s.ok()) return s;
    uv_async_init(&loop_, &stop_async_, &Impl::on_stop_async);
    stop_async_.data = this;
    async_open_ = true;
    loop_ready_ = true;
    return absl::OkStatus();
  }

  ~Impl() { stop(); }

  // ---- Transport, on the owner's or the loop's thread ----

  absl::StatusOr<std::uint16_t> listen(const std::string& host, std::uint16_t port) {
    if (stopped_ || stopping_) return absl::FailedPreconditionError("the transport is stopped");
    if (started_ && std::this_thread::get_id() != loop_thread_.load()) {
      return absl::FailedPreconditionError("listen() after start() must run on the transport's thread");
    }
    std::vector<sockaddr_storage> addrs(1);
    if (!parse_numeric(host, port, &addrs[0])) {
      uv_getaddrinfo_t req;
      addrinfo hints = stream_hints();
      // No callback: resolves synchronously (listen() runs before the loop does).
      const int r = uv_getaddrinfo(&loop_, &req, nullptr, host.c_str(), nullptr, &hints);
      if (r != 0) {
        return absl::InvalidArgumentError(absl::StrCat("cannot listen on ", format_host_port(host, port),
                                                       ": cannot resolve \"", host, "\": ", uv_strerror(r)));
      }
      addrs = addresses_of(req.addrinfo, port);
      uv_freeaddrinfo(req.addrinfo);
      if (addrs.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("cannot listen on ", format_host_port(host, port),
                                                       ": \"", host, "\" has no IP address"));
      }
    }
    auto* server = new uv_tcp_t;
    uv_tcp_init(&loop_, server);
    server->data = this;
    int r = uv_tcp_bind(server, reinterpret_cast<const sockaddr*>(&addrs[0]), 0);
    // libuv may report a bind error only at listen().
    if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(server), kListenBacklog, &Impl::on_connection);
    sockaddr_storage bound{};
    int len = sizeof bound;
    if (r == 0) r = uv_tcp_getsockname(server, reinterpret_cast<sockaddr*>(&bound), &len);
    if (r != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(server), &Impl::delete_tcp);
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", format_host_port(host, port), ": ", uv_strerror(r)));
    }
    listeners_.push_back(server);
    const sockaddr* sa = reinterpret_cast<const sockaddr*>(&bound);
    return sa->sa_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port)
                                     : ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  }

  void start(TransportHandler* handler, absl::Duration tick) {
    if (started_ || stopped_ || stopping_) return;
    started_ = true;
    handler_ = handler;
    const std::uint64_t ms = to_millis(tick);
    if (ms != 0) uv_timer_start(&tick_timer_, &Impl::on_tick, ms, ms);
    const std::uint64_t every = housekeeping_millis();
    uv_timer_start(&housekeeping_timer_, &Impl::on_housekeeping, every, every);
    thread_ = std::thread([this] {
      // A peer that resets makes write() raise SIGPIPE, which kills the process by
      // default. Blocked here, it stays pending on this thread and write() says EPIPE.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      loop_thread_.store(std::this_thread::get_id());
      uv_run(&loop_, UV_RUN_DEFAULT);
    });
    loop_thread_.store(thread_.get_id());
  }

  void stop() {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_ || !loop_ready_) return;
    if (thread_.joinable()) {
      if (std::this_thread::get_id() == loop_thread_.load()) {
        // Cannot join ourselves: shut down from here; the owner's stop() (or the
        // destructor) joins later.
        if (!stopping_) shutdown_handles();
        return;
      }
      {
        std::lock_guard<std::mutex> async_lock(async_mu_);
        if (async_open_) uv_async_send(&stop_async_);
      }
      thread_.join();
    } else {
      // Never started: close everything on this thread and let the loop finish the closes.
      if (!stopping_) shutdown_handles();
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    const int r = uv_loop_close(&loop_);
    if (r != 0) log(absl::StrCat("transport: the event loop did not close cleanly: ", uv_strerror(r)));
    stopped_ = true;
  }

  ConnId connect(const std::string& host, std::uint16_t port) {
    const ConnId id = next_id_++;
    if (stopped_ || stopping_) return id;  // nothing is delivered after stop
    Conn* c = new_conn(id, /*inbound=*/false);
    c->announced = true;
    c->peer = format_host_port(host, port);
    start_deadline(c);
    sockaddr_storage addr;
    if (parse_numeric(host, port, &addr)) {
      start_tcp_connect(c, addr);
      return id;
    }
    c->state = Conn::State::resolving;
    auto* r = new ResolveReq;
    r->owner = this;
    r->id = id;
    r->port = port;
    r->req.data = r;
    addrinfo hints = stream_hints();
    const int err = uv_getaddrinfo(&loop_, &r->req, &Impl::on_resolved, host.c_str(), nullptr, &hints);
    if (err != 0) {
      delete r;
      destroy(c, absl::UnavailableError(absl::StrCat("cannot resolve \"", host, "\": ", uv_strerror(err))));
      return id;
    }
    c->resolving = &r->req;
    return id;
  }

  void write(ConnId id, std::string bytes) {
    Conn* c = find(id);
    if (c == nullptr || c->state == Conn::State::closing || c->lingering || bytes.empty()) return;
    c->pending += bytes.size();
    c->queue.push_back(std::move(bytes));
    if (c->state == Conn::State::open) pump(c);
  }

  std::size_t pending_bytes(ConnId id) const {
    const Conn* c = find(id);
    return c == nullptr ? 0 : c->pending;
  }

  void close(ConnId id, const absl::Status& reason) {
    Conn* c = find(id);
    if (c == nullptr) return;
    begin_close(c, reason, /*graceful=*/true);
  }

  void pause_reading(ConnId id, bool paused) {
    Conn* c = find(id);
    if (c == nullptr || c->state != Conn::State::open || c->lingering || c->read_paused == paused) return;
    c->read_paused = paused;
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->tcp);
    if (paused) {
      uv_read_stop(stream);
    } else if (const int r = uv_read_start(stream, &Impl::on_alloc, &Impl::on_read); r != 0) {
      destroy(c, uv_error(r));
    }
  }

  std::string channel_binding(ConnId id) const {
    const Conn* c = find(id);
    return c == nullptr ? std::string() : c->binding;
  }

  std::string peer_address(ConnId id) const {
    const Conn* c = find(id);
    return c == nullptr ? std::string() : c->peer;
  }

  std::vector<std::string> peer_certificate_names(ConnId id) const {
    const Conn* c = find(id);
    return c == nullptr || c->tls == nullptr ? std::vector<std::string>() : c->tls->peer_names();
  }

  void admit(ConnId id) { admission_.admit(id); }

  TransportCounters counters() const {
    return {.evicted_total_cap = evicted_total_cap_.load(std::memory_order_relaxed),
            .evicted_address_cap = evicted_address_cap_.load(std::memory_order_relaxed),
            .closed_silent = closed_silent_.load(std::memory_order_relaxed),
            .tls_failed = tls_failed_.load(std::memory_order_relaxed),
            .tls_timeout = tls_timeout_.load(std::memory_order_relaxed)};
  }

  void wake() { doorbell_.ring(); }

  std::size_t connection_count() const { return live_.load(); }

 private:
  // ---- connections ----

  Conn* find(ConnId id) const {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.get();
  }

  Conn* new_conn(ConnId id, bool inbound) {
    auto owned = std::make_unique<Conn>();
    Conn* c = owned.get();
    c->owner = this;
    c->id = id;
    c->inbound = inbound;
    c->peer = "(unknown peer)";  // until the address is known; a reset peer may have none
    uv_tcp_init(&loop_, &c->tcp);
    c->tcp.data = c;
    uv_timer_init(&loop_, &c->timer);
    c->timer.data = c;
    c->open_handles = 2;
    conns_.emplace(id, std::move(owned));
    live_.fetch_add(1);
    return c;
  }

  void start_deadline(Conn* c) {
    const std::uint64_t ms = to_millis(options_.handshake_timeout);
    if (ms != 0) uv_timer_start(&c->timer, &Impl::on_conn_timer, ms, 0);
  }

  void start_tcp_connect(Conn* c, const sockaddr_storage& addr) {
    c->state = Conn::State::connecting;
    c->peer = format_address(reinterpret_cast<const sockaddr*>(&addr));
    const int r = uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<const sockaddr*>(&addr),
                                 &Impl::on_connected);
    if (r != 0) destroy(c, uv_error(r));
  }

  // TCP is up (either way): TLS starts.
  void begin_tls(Conn* c) {
    uv_tcp_nodelay(&c->tcp, 1);
    sockaddr_storage peer{};
    int len = sizeof peer;
    if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
      c->peer = format_address(reinterpret_cast<const sockaddr*>(&peer));
      c->peer_ip = ip_of(reinterpret_cast<const sockaddr*>(&peer));
    }
    absl::StatusOr<std::unique_ptr<tls::TlsSession>> session =
        tls::TlsSession::create(tls_, c->inbound ? tls::TlsSession::Role::server : tls::TlsSession::Role::client);
    if (!session.ok()) {
      destroy(c, session.status());
      return;
    }
    c->tls = std::move(*session);
    c->state = Conn::State::handshaking;
    const int r = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read);
    if (r != 0) {
      destroy(c, uv_error(r));
      return;
    }
    flush(c, 0);  // the ClientHello
  }

  // Hands the session's ciphertext to libuv; `plain` plaintext bytes complete with it.
  // False if the connection was destroyed.
  bool flush(Conn* c, std::size_t plain) {
    std::string data = c->tls->take_ciphertext();
    if (data.empty()) {
      c->pending -= plain;  // (never happens: plaintext always makes records)
      return true;
    }
    auto* w = new WriteReq;
    w->conn = c;
    w->data = std::move(data);
    w->plain = plain;
    w->req.data = w;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    c->in_flight += w->data.size();
    const int r = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1, &Impl::on_written);
    if (r != 0) {
      c->in_flight -= w->data.size();
      c->pending -= plain;
      delete w;
      destroy(c, uv_error(r));
      return false;
    }
    return true;
  }

  // Encrypts queued plaintext while the in-flight ciphertext is under its bound.
  void pump(Conn* c) {
    while (!c->queue.empty() && c->in_flight < options_.max_in_flight_bytes && c->state == Conn::State::open) {
      std::string batch;
      std::string_view view;
      const std::string& front = c->queue.front();
      if (front.size() - c->queue_offset >= kPlainChunkBytes / 2) {
        // A large write is encrypted from its own buffer, a chunk at a time.
        view = std::string_view(front).substr(c->queue_offset, kPlainChunkBytes);
      } else {
        while (!c->queue.empty() && batch.size() < kPlainChunkBytes) {
          std::string& f = c->queue.front();
          const std::size_t n = std::min(f.size() - c->queue_offset, kPlainChunkBytes - batch.size());
          batch.append(f, c->queue_offset, n);
          c->queue_offset += n;
          if (c->queue_offset == f.size()) {
            c->queue.pop_front();
            c->queue_offset = 0;
          }
        }
        view = batch;
      }
      const std::size_t n = view.size();
      const absl::Status st = c->tls->send(view);
      if (batch.empty()) {  // the view was into the front of the queue
        c->queue_offset += n;
        if (c->queue_offset == c->queue.front().size()) {
          c->queue.pop_front();
          c->queue_offset = 0;
        }
      }
      if (!st.ok()) {
        c->pending -= n;
        tls_failed(c, st);
        return;
      }
      if (!flush(c, n)) return;
    }
  }

  // close(), or a TLS failure that has an alert to send: stop taking bytes from the
  // node, let what is queued go out (bounded by close_linger), then close.
  void begin_close(Conn* c, const absl::Status& reason, bool graceful) {
    if (c->state == Conn::State::closing) return;
    if (c->lingering) {
      if (!graceful) destroy(c, c->reason);
      return;
    }
    const bool tls_failed = c->tls != nullptr && c->tls->failed();
    if (!graceful || (c->state != Conn::State::open && !tls_failed)) {
      destroy(c, reason);
      return;
    }
    // Still counted by admission_ while it lingers: it holds its descriptor until destroy.
    c->lingering = true;
    c->reason = reason;
    c->has_reason = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    uv_timer_stop(&c->timer);
    const std::uint64_t ms = to_millis(options_.close_linger);
    if (ms != 0) uv_timer_start(&c->timer, &Impl::on_conn_timer, ms, 0);
    finish_linger_if_flushed(c);
  }

  void finish_linger_if_flushed(Conn* c) {
    if (!c->lingering || c->shutdown_started || c->state == Conn::State::closing) return;
    if (!c->tls->failed()) {
      pump(c);
      if (c->state == Conn::State::closing || !c->queue.empty()) return;
      c->tls->close();  // close_notify
      if (!flush(c, 0)) return;
    }
    c->shutdown_started = true;
    c->shutdown_req.data = c;
    // Completes after every queued write has.
    if (uv_shutdown(&c->shutdown_req, reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_shutdown) != 0) {
      destroy(c, c->reason);
    }
  }

  // The session is dead. It may hold an alert saying why: send that, then close.
  void tls_failed(Conn* c, const absl::Status& st) {
    c->log_on_close = true;
    c->log_kind = kLogTlsFailed;
    tls_failed_.fetch_add(1, std::memory_order_relaxed);
    std::size_t queued = 0;
    for (const std::string& q : c->queue) queued += q.size();
    c->pending -= queued - c->queue_offset;
    c->queue.clear();
    c->queue_offset = 0;
    if (c->tls->ciphertext_pending() > 0 && !flush(c, 0)) return;
    begin_close(c, st, /*graceful=*/true);
  }

  // Closes now, abruptly; on_closed follows from the close callbacks (never from here).
  void destroy(Conn* c, const absl::Status& reason) {
    if (c->state == Conn::State::closing) return;
    const bool was_open = c->state == Conn::State::open;
    c->state = Conn::State::closing;
    admission_.forget(c->id);  // now, not when libuv has finished closing: a new peer may come first
    if (!c->has_reason) {
      c->reason = reason;
      c->has_reason = true;
    }
    // One line when the handler never hears of the connection (accepted, never opened),
    // or when the reason says something is wrong beyond this connection (TLS failed).
    if (!stopping_ && (c->log_on_close || (c->inbound && !c->announced))) {
      limited_log_.write(c->log_kind, LogLevel::warning,
                         absl::StrCat("transport: closed the connection ", c->inbound ? "from " : "to ", c->peer,
                                      was_open ? "" : " before TLS was established", ": ", c->reason.message()),
                         absl::Now());
    }
    if (c->resolving != nullptr) {
      uv_cancel(reinterpret_cast<uv_req_t*>(c->resolving));  // on_resolved ignores a late answer
      c->resolving = nullptr;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), &Impl::on_conn_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), &Impl::on_conn_handle_closed);
  }

  void finalize(Conn* c) {
    auto it = conns_.find(c->id);
    std::unique_ptr<Conn> owned = std::move(it->second);
    conns_.erase(it);
    live_.fetch_sub(1);
    if (c->announced && handler_ != nullptr && !stopping_) handler_->on_closed(c->id, c->reason);
  }

  void on_bytes(Conn* c, std::string_view cipher) {
    const bool was_open = c->tls->handshake_complete();
    std::string plain;
    const absl::Status st = c->tls->receive(cipher, &plain);
    // Handshake replies, alerts, key updates: whatever the session has to say, in order.
    if (c->tls->ciphertext_pending() > 0 && !flush(c, 0)) return;
    if (!was_open && c->tls->handshake_complete() && st.ok()) {
      c->state = Conn::State::open;
      c->binding = c->tls->exporter();
      admission_.progress(c->id, Admission::Stage::tls_done, absl::Now());
      c->announced = true;
      uv_timer_stop(&c->timer);
      if (handler_ != nullptr) handler_->on_open(c->id, c->inbound);
      if (c->state != Conn::State::open || c->lingering) return;  // closed by on_open
      pump(c);                                                     // writes queued by connect()'s caller
      if (c->state != Conn::State::open) return;
    }
    if (!plain.empty() && c->state == Conn::State::open && !c->lingering && handler_ != nullptr) {
      admission_.progress(c->id, Admission::Stage::plaintext_received, absl::Now());
      handler_->on_data(c->id, plain);
      if (c->state != Conn::State::open || c->lingering) return;
    }
    if (!st.ok()) {
      tls_failed(c, st);
    } else if (c->tls->peer_closed()) {
      destroy(c, absl::UnavailableError("connection closed by peer"));
    }
  }

  void shutdown_handles() {
    {
      std::lock_guard<std::mutex> lock(async_mu_);
      async_open_ = false;
    }
    stopping_ = true;
    std::vector<Conn*> all;
    all.reserve(conns_.size());
    for (auto& [id, c] : conns_) all.push_back(c.get());
    for (Conn* c : all) destroy(c, absl::CancelledError("transport stopped"));
    for (uv_tcp_t* l : listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l), &Impl::delete_tcp);
    listeners_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&housekeeping_timer_), nullptr);
    doorbell_.close();
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
  }

  void log(std::string_view line) {
    if (log_) log_(line);
  }

  // How often the silent deadline is checked (and the log's summaries written): a
  // quarter of the deadline, so a silent connection goes at most 25% late, but no more
  // often than every 10 ms nor less than every 250 ms.
  std::uint64_t housekeeping_millis() const {
    const std::uint64_t silent = to_millis(options_.silent_timeout);
    return silent == 0 ? 250 : std::clamp<std::uint64_t>(silent / 4, 10, 250);
  }

  // Makes room for a new unauthenticated connection, as admission_ decides.
  void admit_new(Conn* c) {
    for (const Admission::Eviction& e : admission_.accept(c->id, c->peer_ip, absl::Now())) {
      Conn* victim = find(e.id);
      if (victim == nullptr) continue;
      (e.cap == Admission::Cap::total ? evicted_total_cap_ : evicted_address_cap_)
          .fetch_add(1, std::memory_order_relaxed);
      victim->log_on_close = true;
      victim->log_kind = kLogEvicted;
      destroy(victim, absl::ResourceExhaustedError("evicted: too many unauthenticated connections"));
    }
  }

  // Whether the peer has sent something not read yet. A real client's ClientHello is
  // often in the socket by the time a busy loop accepts it, and is read only in a later
  // loop iteration, after more accepts; looking (one recv with MSG_PEEK) ranks the client
  // as in TLS from its accept, not as the newest of the silent ones.
  static bool bytes_waiting(Conn* c) {
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->tcp), &fd) != 0) return false;
    char byte;
    return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }

  void expire_silent() {
    for (ConnId id : admission_.expire_silent(absl::Now())) {
      Conn* c = find(id);
      if (c == nullptr) continue;
      closed_silent_.fetch_add(1, std::memory_order_relaxed);
      c->log_kind = kLogSilent;
      destroy(c, absl::DeadlineExceededError(
                     absl::StrCat("sent nothing within ", absl::FormatDuration(options_.silent_timeout))));
    }
  }

  // ---- libuv callbacks (C function pointers: nothing may throw through them) ----

  static Conn* conn_of(uv_handle_t* h) { return static_cast<Conn*>(h->data); }

  static void on_connection(uv_stream_t* server, int status) noexcept {
    Impl* self = static_cast<Impl*>(server->data);
    if (status < 0) {
      self->limited_log_.write(kLogAcceptFailed, LogLevel::warning,
                               absl::StrCat("transport: accept failed: ", uv_strerror(status)), absl::Now());
      return;
    }
    Conn* c = self->new_conn(self->next_id_++, /*inbound=*/true);
    const int r = uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp));
    if (r != 0) {
      self->destroy(c, uv_error(r));
      return;
    }
    self->start_deadline(c);
    self->begin_tls(c);
    // Counted from here until the node admits it; the room it needs is made by evicting
    // an older unauthenticated connection, never by refusing this one (admission.hpp).
    if (c->state == Conn::State::closing) return;
    self->admit_new(c);
    if (bytes_waiting(c)) self->admission_.progress(c->id, Admission::Stage::tls_under_way, absl::Now());
  }

  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
    std::unique_ptr<ResolveReq> r(static_cast<ResolveReq*>(req->data));
    Impl* self = r->owner;
    std::vector<sockaddr_storage> addrs;
    if (status == 0) addrs = addresses_of(res, r->port);
    uv_freeaddrinfo(res);
    Conn* c = self->find(r->id);
    if (c == nullptr || c->state != Conn::State::resolving) return;  // closed meanwhile
    c->resolving = nullptr;
    if (status != 0) {
      self->destroy(c, absl::UnavailableError(absl::StrCat("cannot resolve ", c->peer, ": ", uv_strerror(status))));
    } else if (addrs.empty()) {
      self->destroy(c, absl::UnavailableError(absl::StrCat("cannot resolve ", c->peer, ": no IP address")));
    } else {
      self->start_tcp_connect(c, addrs[0]);
    }
  }

  static void on_connected(uv_connect_t* req, int status) noexcept {
    Conn* c = conn_of(reinterpret_cast<uv_handle_t*>(req->handle));
    if (c->state != Conn::State::connecting) return;  // closed meanwhile (UV_ECANCELED)
    if (status < 0) {
      c->owner->destroy(c, uv_error(status));
      return;
    }
    c->owner->begin_tls(c);
  }

  static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    Impl* self = conn_of(h)->owner;
    *buf = uv_buf_init(self->read_buf_.get(), kReadBufferBytes);
  }

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    Conn* c = conn_of(reinterpret_cast<uv_handle_t*>(stream));
    Impl* self = c->owner;
    if (c->state == Conn::State::closing || c->lingering) return;
    if (nread == UV_EOF) {
      self->destroy(c, absl::UnavailableError(c->state == Conn::State::open
                                                  ? "connection closed by peer"
                                                  : "connection closed by peer during the TLS handshake"));
    } else if (nread < 0) {
      self->destroy(c, uv_error(static_cast<int>(nread)));
    } else if (nread > 0) {
      self->admission_.progress(c->id, Admission::Stage::tls_under_way, absl::Now());
      self->on_bytes(c, std::string_view(buf->base, static_cast<std::size_t>(nread)));
    }
  }

  static void on_written(uv_write_t* req, int status) noexcept {
    std::unique_ptr<WriteReq> w(static_cast<WriteReq*>(req->data));
    Conn* c = w->conn;
    Impl* self = c->owner;
    c->in_flight -= w->data.size();
    c->pending -= w->plain;
    if (c->state == Conn::State::closing) return;
    if (status < 0) {
      self->destroy(c, uv_error(status));
      return;
    }
    if (c->lingering) {
      self->finish_linger_if_flushed(c);
      return;
    }
    self->pump(c);
    if (w->plain > 0 && c->pending == 0 && c->state == Conn::State::open && self->handler_ != nullptr) {
      self->handler_->on_drained(c->id);
    }
  }

  static void on_shutdown(uv_shutdown_t* req, int) noexcept {
    Conn* c = static_cast<Conn*>(req->data);
    c->owner->destroy(c, c->reason);
  }

  static void on_conn_timer(uv_timer_t* t) noexcept {
    Conn* c = conn_of(reinterpret_cast<uv_handle_t*>(t));
    Impl* self = c->owner;
    if (c->lingering) {
      self->destroy(c, c->reason);  // the peer would not take the rest
      return;
    }
    self->tls_timeout_.fetch_add(1, std::memory_order_relaxed);
    c->log_kind = kLogTlsTimeout;
    self->destroy(c, absl::DeadlineExceededError(absl::StrCat(
                         "TLS handshake did not complete within ",
                         absl::FormatDuration(self->options_.handshake_timeout))));
  }

  static void on_conn_handle_closed(uv_handle_t* h) noexcept {
    Conn* c = conn_of(h);
    if (--c->open_handles == 0) c->owner->finalize(c);
  }

  static void delete_tcp(uv_handle_t* h) noexcept { delete reinterpret_cast<uv_tcp_t*>(h); }

  static void on_tick(uv_timer_t* t) noexcept {
    Impl* self = static_cast<Impl*>(t->data);
    if (self->handler_ != nullptr && !self->stopping_) self->handler_->on_tick();
  }

  static void on_housekeeping(uv_timer_t* t) noexcept {
    Impl* self = static_cast<Impl*>(t->data);
    if (self->stopping_) return;
    self->expire_silent();
    self->limited_log_.tick(absl::Now());
  }

  void on_doorbell() noexcept {
    if (handler_ != nullptr && !stopping_) handler_->on_wake();
  }

  static void on_stop_async(uv_async_t* a) noexcept {
    Impl* self = static_cast<Impl*>(a->data);
    if (!self->stopping_) self->shutdown_handles();
  }

  std::shared_ptr<const tls::TlsContext> tls_;
  LogFn log_;
  TcpTransportOptions options_;
  std::unique_ptr<char[]> read_buf_;

  uv_loop_t loop_{};
  uv_timer_t tick_timer_{};
  uv_timer_t housekeeping_timer_{};  // the silent deadline and the log's summaries
  Doorbell doorbell_;  // other threads' wake(): see doorbell.hpp for why not uv_async_t
  uv_async_t stop_async_{};
  std::vector<uv_tcp_t*> listeners_;

  TransportHandler* handler_ = nullptr;
  absl::flat_hash_map<ConnId, std::unique_ptr<Conn>> conns_;
  ConnId next_id_ = 1;
  std::atomic<std::size_t> live_{0};
  Admission admission_;        // inbound connections not yet admitted by the node
  RateLimitedLog limited_log_;  // every per-connection line goes through it
  // counters(): written on the loop thread, read from any.
  std::atomic<std::uint64_t> evicted_total_cap_{0}, evicted_address_cap_{0}, closed_silent_{0}, tls_failed_{0},
      tls_timeout_{0};

  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_{};
  bool loop_ready_ = false;
  bool started_ = false;
  bool stopping_ = false;  // shutdown_handles ran: no more callbacks to the handler
  bool stopped_ = false;   // joined and the loop closed

  // std::mutex rather than absl::Mutex: TSan sees pthread mutexes even when Abseil is a
  // prebuilt, uninstrumented library (Debian's), so a TSan build checks this class too.
  std::mutex stop_mu_;   // serialises stop() calls
  std::mutex async_mu_;  // guards sending to stop_async_ against its closing
  bool async_open_ = false;  // guarded by async_mu_
};

// ---- TcpTransport ----

absl::StatusOr<std::unique_ptr<TcpTransport>> TcpTransport::create(const TlsOptions& tls, LogFn log,
                                                                   TcpTransportOptions options) {
  absl::StatusOr<std::shared_ptr<const tls::TlsContext>> context = tls::TlsContext::create(tls);
  if (!context.ok()) return context.status();
  auto impl = std::make_unique<Impl>(std::move(*context), std::move(log), options);
  absl::Status st = impl->init();
  if (!st.ok()) return st;
  return std::unique_ptr<TcpTransport>(new TcpTransport(std::move(impl)));
}

TcpTransport::TcpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpTransport::~TcpTransport() { impl_->stop(); }

absl::StatusOr<std::uint16_t> TcpTransport::listen(const std::string& host, std::uint16_t port) {
  return impl_->listen(host, port);
}
void TcpTransport::start(TransportHandler* handler, absl::Duration tick) { impl_->start(handler, tick); }
void TcpTransport::stop() { impl_->stop(); }
ConnId TcpTransport::connect(const std::string& host, std::uint16_t port) { return impl_->connect(host, port); }
void TcpTransport::write(ConnId id, std::string bytes) { impl_->write(id, std::move(bytes)); }
std::size_t TcpTransport::pending_bytes(ConnId id) const { return impl_->pending_bytes(id); }
void TcpTransport::close(ConnId id, const absl::Status& reason) { impl_->close(id, reason); }
void TcpTransport::pause_reading(ConnId id, bool paused) { impl_->pause_reading(id, paused); }
std::string TcpTransport::channel_binding(ConnId id) const { return impl_->channel_binding(id); }
std::string TcpTransport::peer_address(ConnId id) const { return impl_->peer_address(id); }
std::vector<std::string> TcpTransport::peer_certificate_names(ConnId id) const {
  return impl_->peer_certificate_names(id);
}
void TcpTransport::admit(ConnId id) { impl_->admit(id); }
TransportCounters TcpTransport::counters() const { return impl_->counters(); }
void TcpTransport::wake() { impl_->wake(); }
absl::Time TcpTransport::now() const { return absl::Now(); }
std::size_t TcpTransport::connection_count() const { return impl_->connection_count(); }

}  // namespace snow::transport
