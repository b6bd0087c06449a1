// src/transport/tcp_transport.cpp: the TCP+TLS transport (tcp_transport.hpp says what it
// promises): its loop thread, the Transport calls, listening and dialling, the table of
// connections with admission control, and the libuv callbacks. What a connection does
// with its bytes once TCP is up is src/transport/tls_pump.cpp; the shared declarations
// are src/transport/tcp_transport_impl.hpp.
#include "src/transport/tcp_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
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
#include "src/transport/socket_address.hpp"
#include "src/transport/tcp_transport_impl.hpp"

namespace snow::transport {

absl::Status TcpTransport::Impl::init() {
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

// ---- Transport, on the owner's or the loop's thread ----

absl::StatusOr<std::uint16_t> TcpTransport::Impl::listen(const std::string& host, std::uint16_t port) {
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

void TcpTransport::Impl::start(TransportHandler* handler, absl::Duration tick) {
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
    pthread_setname_np(pthread_self(), "snow-net");
    loop_thread_.store(std::this_thread::get_id());
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  loop_thread_.store(thread_.get_id());
}

void TcpTransport::Impl::stop() {
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

ConnId TcpTransport::Impl::connect(const std::string& host, std::uint16_t port) {
  const ConnId id = next_id_++;
  if (stopped_ || stopping_) return id;  // nothing is delivered after stop
  TcpConn* c = new_conn(id, /*inbound=*/false);
  c->announced = true;
  c->peer = format_host_port(host, port);
  start_deadline(c);
  sockaddr_storage addr;
  if (parse_numeric(host, port, &addr)) {
    start_tcp_connect(c, addr);
    return id;
  }
  c->state = TcpConn::State::resolving;
  auto* r = new TcpResolveReq;
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

void TcpTransport::Impl::write(ConnId id, std::string bytes) {
  TcpConn* c = find(id);
  if (c == nullptr || c->state == TcpConn::State::closing || c->lingering || bytes.empty()) return;
  c->pending += bytes.size();
  c->queue.push_back(std::move(bytes));
  if (c->state == TcpConn::State::open) pump(c);
}

std::size_t TcpTransport::Impl::pending_bytes(ConnId id) const {
  const TcpConn* c = find(id);
  return c == nullptr ? 0 : c->pending;
}

void TcpTransport::Impl::close(ConnId id, const absl::Status& reason) {
  TcpConn* c = find(id);
  if (c == nullptr) return;
  begin_close(c, reason, /*graceful=*/true);
}

void TcpTransport::Impl::pause_reading(ConnId id, bool paused) {
  TcpConn* c = find(id);
  if (c == nullptr || c->state != TcpConn::State::open || c->lingering || c->read_paused == paused) return;
  c->read_paused = paused;
  auto* stream = reinterpret_cast<uv_stream_t*>(&c->tcp);
  if (paused) {
    uv_read_stop(stream);
  } else if (const int r = uv_read_start(stream, &Impl::on_alloc, &Impl::on_read); r != 0) {
    destroy(c, uv_error(r));
  }
}

std::string TcpTransport::Impl::channel_binding(ConnId id) const {
  const TcpConn* c = find(id);
  return c == nullptr ? std::string() : c->binding;
}

std::string TcpTransport::Impl::peer_address(ConnId id) const {
  const TcpConn* c = find(id);
  return c == nullptr ? std::string() : c->peer;
}

std::vector<std::string> TcpTransport::Impl::peer_certificate_names(ConnId id) const {
  const TcpConn* c = find(id);
  return c == nullptr || c->tls == nullptr ? std::vector<std::string>() : c->tls->peer_names();
}

TransportCounters TcpTransport::Impl::counters() const {
  return {.evicted_total_cap = evicted_total_cap_.load(std::memory_order_relaxed),
          .evicted_address_cap = evicted_address_cap_.load(std::memory_order_relaxed),
          .closed_silent = closed_silent_.load(std::memory_order_relaxed),
          .tls_failed = tls_failed_.load(std::memory_order_relaxed),
          .tls_timeout = tls_timeout_.load(std::memory_order_relaxed)};
}

// ---- connections ----

TcpConn* TcpTransport::Impl::find(ConnId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

TcpConn* TcpTransport::Impl::new_conn(ConnId id, bool inbound) {
  auto owned = std::make_unique<TcpConn>();
  TcpConn* c = owned.get();
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

void TcpTransport::Impl::start_deadline(TcpConn* c) {
  const std::uint64_t ms = to_millis(options_.handshake_timeout);
  if (ms != 0) uv_timer_start(&c->timer, &Impl::on_conn_timer, ms, 0);
}

void TcpTransport::Impl::start_tcp_connect(TcpConn* c, const sockaddr_storage& addr) {
  c->state = TcpConn::State::connecting;
  c->peer = format_address(reinterpret_cast<const sockaddr*>(&addr));
  const int r = uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<const sockaddr*>(&addr),
                               &Impl::on_connected);
  if (r != 0) destroy(c, uv_error(r));
}

void TcpTransport::Impl::destroy(TcpConn* c, const absl::Status& reason, Ending ending) {
  if (c->state == TcpConn::State::closing) return;
  const bool was_open = c->state == TcpConn::State::open;
  c->state = TcpConn::State::closing;
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
  // A reset where asked for (and possible: not while a shutdown is under way); else a close.
  if (ending != Ending::reset || uv_tcp_close_reset(&c->tcp, &Impl::on_conn_handle_closed) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), &Impl::on_conn_handle_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), &Impl::on_conn_handle_closed);
}

void TcpTransport::Impl::finalize(TcpConn* c) {
  auto it = conns_.find(c->id);
  std::unique_ptr<TcpConn> owned = std::move(it->second);
  conns_.erase(it);
  live_.fetch_sub(1);
  if (c->announced && handler_ != nullptr && !stopping_) handler_->on_closed(c->id, c->reason);
}

void TcpTransport::Impl::shutdown_handles() {
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    async_open_ = false;
  }
  stopping_ = true;
  std::vector<TcpConn*> all;
  all.reserve(conns_.size());
  for (auto& [id, c] : conns_) all.push_back(c.get());
  for (TcpConn* c : all) destroy(c, absl::CancelledError("transport stopped"));
  for (uv_tcp_t* l : listeners_) uv_close(reinterpret_cast<uv_handle_t*>(l), &Impl::delete_tcp);
  listeners_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&housekeeping_timer_), nullptr);
  doorbell_.close();
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
}

void TcpTransport::Impl::log(std::string_view line) {
  if (log_) log_(line);
}

std::uint64_t TcpTransport::Impl::housekeeping_millis() const {
  const std::uint64_t silent = to_millis(options_.silent_timeout);
  return silent == 0 ? 250 : std::clamp<std::uint64_t>(silent / 4, 10, 250);
}

void TcpTransport::Impl::admit_new(TcpConn* c) {
  for (const Admission::Eviction& e : admission_.accept(c->id, c->peer_ip, absl::Now())) {
    TcpConn* victim = find(e.id);
    if (victim == nullptr) continue;
    (e.cap == Admission::Cap::total ? evicted_total_cap_ : evicted_address_cap_)
        .fetch_add(1, std::memory_order_relaxed);
    victim->log_on_close = true;
    victim->log_kind = kLogEvicted;
    // Reset, not closed: the peer can tell "dropped to make room, try again" from a
    // refusal (transport.hpp, dropped_by_peer), and this side keeps no TIME_WAIT socket
    // for each connection of a flood.
    destroy(victim, absl::ResourceExhaustedError("evicted: too many unauthenticated connections"), Ending::reset);
  }
}

bool TcpTransport::Impl::bytes_waiting(TcpConn* c) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->tcp), &fd) != 0) return false;
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void TcpTransport::Impl::expire_silent() {
  for (ConnId id : admission_.expire_silent(absl::Now())) {
    TcpConn* c = find(id);
    if (c == nullptr) continue;
    closed_silent_.fetch_add(1, std::memory_order_relaxed);
    c->log_kind = kLogSilent;
    destroy(c, absl::DeadlineExceededError(
                   absl::StrCat("sent nothing within ", absl::FormatDuration(options_.silent_timeout))));
  }
}

// ---- libuv callbacks (C function pointers: nothing may throw through them) ----

void TcpTransport::Impl::on_connection(uv_stream_t* server, int status) noexcept {
  Impl* self = static_cast<Impl*>(server->data);
  if (status < 0) {
    self->limited_log_.write(kLogAcceptFailed, LogLevel::warning,
                             absl::StrCat("transport: accept failed: ", uv_strerror(status)), absl::Now());
    return;
  }
  TcpConn* c = self->new_conn(self->next_id_++, /*inbound=*/true);
  const int r = uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp));
  if (r != 0) {
    self->destroy(c, uv_error(r));
    return;
  }
  self->start_deadline(c);
  self->begin_tls(c);
  // Counted from here until the node admits it; the room it needs is made by evicting
  // an older unauthenticated connection, never by refusing this one (admission.hpp).
  if (c->state == TcpConn::State::closing) return;
  self->admit_new(c);
  if (bytes_waiting(c)) self->admission_.progress(c->id, Admission::Stage::tls_under_way, absl::Now());
}

void TcpTransport::Impl::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
  std::unique_ptr<TcpResolveReq> r(static_cast<TcpResolveReq*>(req->data));
  Impl* self = r->owner;
  std::vector<sockaddr_storage> addrs;
  if (status == 0) addrs = addresses_of(res, r->port);
  uv_freeaddrinfo(res);
  TcpConn* c = self->find(r->id);
  if (c == nullptr || c->state != TcpConn::State::resolving) return;  // closed meanwhile
  c->resolving = nullptr;
  if (status != 0) {
    self->destroy(c, absl::UnavailableError(absl::StrCat("cannot resolve ", c->peer, ": ", uv_strerror(status))));
  } else if (addrs.empty()) {
    self->destroy(c, absl::UnavailableError(absl::StrCat("cannot resolve ", c->peer, ": no IP address")));
  } else {
    self->start_tcp_connect(c, addrs[0]);
  }
}

void TcpTransport::Impl::on_connected(uv_connect_t* req, int status) noexcept {
  TcpConn* c = conn_of(reinterpret_cast<uv_handle_t*>(req->handle));
  if (c->state != TcpConn::State::connecting) return;  // closed meanwhile (UV_ECANCELED)
  if (status < 0) {
    c->owner->destroy(c, uv_error(status));
    return;
  }
  c->owner->begin_tls(c);
}

void TcpTransport::Impl::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
  Impl* self = conn_of(h)->owner;
  *buf = uv_buf_init(self->read_buf_.get(), kReadBufferBytes);
}

bool TcpTransport::Impl::peer_dropped(const TcpConn* c, int err) {
  // Our connect(), accepted and then reset by the peer (how a node ends the
  // unauthenticated connection it evicts), or closed before TLS was done. A reset can
  // read as an end of stream: when a write took the socket's error first, the read that
  // follows sees only the end; the socket's state still says which it was (CLOSE after a
  // reset, CLOSE_WAIT after the peer's FIN).
  if (c->inbound) return false;
  if (err == UV_ECONNRESET || err == UV_EPIPE) return true;
  if (err != UV_EOF) return false;
  if (c->state != TcpConn::State::open) return true;
  uv_os_fd_t fd;
  tcp_info info{};
  socklen_t len = sizeof info;
  return uv_fileno(reinterpret_cast<const uv_handle_t*>(&c->tcp), &fd) == 0 &&
         ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && info.tcpi_state == TCP_CLOSE;
}

void TcpTransport::Impl::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  TcpConn* c = conn_of(reinterpret_cast<uv_handle_t*>(stream));
  Impl* self = c->owner;
  if (c->state == TcpConn::State::closing || c->lingering) return;
  if (nread < 0 && peer_dropped(c, static_cast<int>(nread))) {
    const bool open = c->state == TcpConn::State::open;
    self->destroy(c, dropped_by_peer_error(absl::StrCat(
                         nread != UV_EOF ? uv_strerror(static_cast<int>(nread))
                                         : (open ? "connection reset by peer" : "connection closed by peer"),
                         open ? "" : " during the TLS handshake")));
  } else if (nread == UV_EOF) {
    self->destroy(c, absl::UnavailableError(c->state == TcpConn::State::open
                                                ? "connection closed by peer"
                                                : "connection closed by peer during the TLS handshake"));
  } else if (nread < 0) {
    self->destroy(c, uv_error(static_cast<int>(nread)));
  } else if (nread > 0) {
    self->admission_.progress(c->id, Admission::Stage::tls_under_way, absl::Now());
    self->on_bytes(c, std::string_view(buf->base, static_cast<std::size_t>(nread)));
  }
}

void TcpTransport::Impl::on_conn_timer(uv_timer_t* t) noexcept {
  TcpConn* c = conn_of(reinterpret_cast<uv_handle_t*>(t));
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

void TcpTransport::Impl::on_conn_handle_closed(uv_handle_t* h) noexcept {
  TcpConn* c = conn_of(h);
  if (--c->open_handles == 0) c->owner->finalize(c);
}

void TcpTransport::Impl::on_tick(uv_timer_t* t) noexcept {
  Impl* self = static_cast<Impl*>(t->data);
  if (self->handler_ != nullptr && !self->stopping_) self->handler_->on_tick();
}

void TcpTransport::Impl::on_housekeeping(uv_timer_t* t) noexcept {
  Impl* self = static_cast<Impl*>(t->data);
  if (self->stopping_) return;
  self->expire_silent();
  self->limited_log_.tick(absl::Now());
}

void TcpTransport::Impl::on_doorbell() noexcept {
  if (handler_ != nullptr && !stopping_) handler_->on_wake();
}

void TcpTransport::Impl::on_stop_async(uv_async_t* a) noexcept {
  Impl* self = static_cast<Impl*>(a->data);
  if (!self->stopping_) self->shutdown_handles();
}

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
bool TcpTransport::io_waiting() const { return impl_->io_waiting(); }
std::size_t TcpTransport::connection_count() const { return impl_->connection_count(); }

}  // namespace snow::transport
