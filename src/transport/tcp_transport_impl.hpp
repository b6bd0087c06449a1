// src/transport/tcp_transport_impl.hpp: TcpTransport's insides, for its two files and
// no one else: a connection's state (TcpConn), the libuv requests that carry one, and the
// Impl class that owns the loop. The Transport calls, the listener, the dialer and the
// libuv callbacks are in src/transport/tcp_transport.cpp; what happens to a connection's
// bytes once TCP is up (the TLS session, the in-flight bound, a graceful close) is in
// src/transport/tls_pump.cpp.
//
// Everything here runs on the loop thread unless a comment says otherwise.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/runtime/log_limiter.hpp"
#include "src/tls/tls.hpp"
#include "src/transport/admission.hpp"
#include "src/transport/doorbell.hpp"
#include "src/transport/tcp_transport.hpp"

namespace snow::transport {

// One read at a time on the loop thread, decrypted before the next: one buffer will do.
inline constexpr std::size_t kReadBufferBytes = std::size_t{64} << 10;
// Plaintext per SSL_write: small writes are batched into one run of records, large ones
// cut so the in-flight bound is meaningful.
inline constexpr std::size_t kPlainChunkBytes = std::size_t{64} << 10;
inline constexpr int kListenBacklog = 128;

// The kinds of per-connection log lines, each with its own rate limit (log_limiter.hpp).
inline constexpr std::string_view kLogTlsFailed = "transport: TLS failed";
inline constexpr std::string_view kLogTlsTimeout = "transport: TLS handshake timeout";
inline constexpr std::string_view kLogEvicted = "transport: evicted";
inline constexpr std::string_view kLogSilent = "transport: silent connection closed";
inline constexpr std::string_view kLogClosedBeforeTls = "transport: closed before TLS";
inline constexpr std::string_view kLogAcceptFailed = "transport: accept failed";

inline absl::Status uv_error(int err) { return absl::UnavailableError(uv_strerror(err)); }

// Milliseconds for a libuv timer; 0 (no timer) for a zero, negative or infinite duration.
inline std::uint64_t to_millis(absl::Duration d) {
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) return 0;
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)))));
}

// ---- per-connection state ----

struct TcpConn {
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
struct TcpWriteReq {
  uv_write_t req{};
  TcpConn* conn = nullptr;
  std::string data;
  std::size_t plain = 0;  // plaintext bytes this write completes
};

// A name resolution for `connect()`; it finds its connection again by id, which may be
// gone by the time the resolver answers.
struct TcpResolveReq {
  uv_getaddrinfo_t req{};
  TcpTransport::Impl* owner = nullptr;
  ConnId id = 0;
  std::uint16_t port = 0;
};

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

  absl::Status init();

  ~Impl() { stop(); }

  // ---- Transport, on the owner's or the loop's thread ----

  absl::StatusOr<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void start(TransportHandler* handler, absl::Duration tick);
  void stop();
  ConnId connect(const std::string& host, std::uint16_t port);
  void write(ConnId id, std::string bytes);
  std::size_t pending_bytes(ConnId id) const;
  void close(ConnId id, const absl::Status& reason);
  void pause_reading(ConnId id, bool paused);
  std::string channel_binding(ConnId id) const;
  std::string peer_address(ConnId id) const;
  std::vector<std::string> peer_certificate_names(ConnId id) const;

  void admit(ConnId id) { admission_.admit(id); }

  TransportCounters counters() const;

  void wake() { doorbell_.ring(); }
  // The loop's epoll descriptor is readable when any of its watched descriptors has an
  // event: one poll() without waiting asks them all at once.
  bool io_waiting() const {
    pollfd p{.fd = uv_backend_fd(&loop_), .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, 0) > 0;
  }

  std::size_t connection_count() const { return live_.load(); }

 private:
  // ---- connections ----

  TcpConn* find(ConnId id) const;
  TcpConn* new_conn(ConnId id, bool inbound);
  void start_deadline(TcpConn* c);
  void start_tcp_connect(TcpConn* c, const sockaddr_storage& addr);

  // TCP is up (either way): TLS starts.
  void begin_tls(TcpConn* c);

  // Hands the session's ciphertext to libuv; `plain` plaintext bytes complete with it.
  // False if the connection was destroyed.
  bool flush(TcpConn* c, std::size_t plain);

  // Encrypts queued plaintext while the in-flight ciphertext is under its bound.
  void pump(TcpConn* c);

  // close(), or a TLS failure that has an alert to send: stop taking bytes from the
  // node, let what is queued go out (bounded by close_linger), then close.
  void begin_close(TcpConn* c, const absl::Status& reason, bool graceful);
  void finish_linger_if_flushed(TcpConn* c);

  // The session is dead. It may hold an alert saying why: send that, then close.
  void tls_failed(TcpConn* c, const absl::Status& st);

  // Closes now, abruptly; on_closed follows from the close callbacks (never from here).
  // `reset`: with a TCP reset rather than a FIN (how an evicted connection ends).
  enum class Ending { close, reset };
  void destroy(TcpConn* c, const absl::Status& reason, Ending ending = Ending::close);
  void finalize(TcpConn* c);
  void on_bytes(TcpConn* c, std::string_view cipher);
  void shutdown_handles();
  void log(std::string_view line);

  // How often the silent deadline is checked (and the log's summaries written): a
  // quarter of the deadline, so a silent connection goes at most 25% late, but no more
  // often than every 10 ms nor less than every 250 ms.
  std::uint64_t housekeeping_millis() const;

  // Makes room for a new unauthenticated connection, as admission_ decides.
  void admit_new(TcpConn* c);

  // Whether the peer has sent something not read yet. A real client's ClientHello is
  // often in the socket by the time a busy loop accepts it, and is read only in a later
  // loop iteration, after more accepts; looking (one recv with MSG_PEEK) ranks the client
  // as in TLS from its accept, not as the newest of the silent ones.
  static bool bytes_waiting(TcpConn* c);
  void expire_silent();

  // ---- libuv callbacks (C function pointers: nothing may throw through them) ----

  static TcpConn* conn_of(uv_handle_t* h) { return static_cast<TcpConn*>(h->data); }

  static void on_connection(uv_stream_t* server, int status) noexcept;
  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept;
  static void on_connected(uv_connect_t* req, int status) noexcept;
  // Whether the error `err` on `c` means the peer dropped our connect() (transport.hpp).
  static bool peer_dropped(const TcpConn* c, int err);
  static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_written(uv_write_t* req, int status) noexcept;
  static void on_shutdown(uv_shutdown_t* req, int) noexcept;
  static void on_conn_timer(uv_timer_t* t) noexcept;
  static void on_conn_handle_closed(uv_handle_t* h) noexcept;

  static void delete_tcp(uv_handle_t* h) noexcept { delete reinterpret_cast<uv_tcp_t*>(h); }

  static void on_tick(uv_timer_t* t) noexcept;
  static void on_housekeeping(uv_timer_t* t) noexcept;
  void on_doorbell() noexcept;
  static void on_stop_async(uv_async_t* a) noexcept;
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
  absl::flat_hash_map<ConnId, std::unique_ptr<TcpConn>> conns_;
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

}  // namespace snow::transport
