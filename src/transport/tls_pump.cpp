// src/transport/tls_pump.cpp: one connection's bytes once TCP is up. TLS starts, the
// session's ciphertext goes to libuv as it is made, queued plaintext is encrypted only
// while the ciphertext in flight is under max_in_flight_bytes (so a slow peer holds the
// node's lanes back, not this transport's memory), what the peer sends is decrypted and
// handed to the node, and a close lets what is queued (or a TLS alert) go out first.
//
// Separate from the listener and dialer (src/transport/tcp_transport.cpp): this is the
// part every byte passes through, and the part that must never lose or reorder one.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/transport/socket_address.hpp"
#include "src/transport/tcp_transport_impl.hpp"

namespace snow::transport {

void TcpTransport::Impl::begin_tls(TcpConn* c) {
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
  c->state = TcpConn::State::handshaking;
  const int r = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Impl::on_alloc, &Impl::on_read);
  if (r != 0) {
    destroy(c, uv_error(r));
    return;
  }
  flush(c, 0);  // the ClientHello
}

bool TcpTransport::Impl::flush(TcpConn* c, std::size_t plain) {
  std::string data = c->tls->take_ciphertext();
  if (data.empty()) {
    c->pending -= plain;  // (never happens: plaintext always makes records)
    return true;
  }
  auto* w = new TcpWriteReq;
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

void TcpTransport::Impl::pump(TcpConn* c) {
  while (!c->queue.empty() && c->in_flight < options_.max_in_flight_bytes && c->state == TcpConn::State::open) {
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

void TcpTransport::Impl::begin_close(TcpConn* c, const absl::Status& reason, bool graceful) {
  if (c->state == TcpConn::State::closing) return;
  if (c->lingering) {
    if (!graceful) destroy(c, c->reason);
    return;
  }
  const bool tls_failed = c->tls != nullptr && c->tls->failed();
  if (!graceful || (c->state != TcpConn::State::open && !tls_failed)) {
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

void TcpTransport::Impl::finish_linger_if_flushed(TcpConn* c) {
  if (!c->lingering || c->shutdown_started || c->state == TcpConn::State::closing) return;
  if (!c->tls->failed()) {
    pump(c);
    if (c->state == TcpConn::State::closing || !c->queue.empty()) return;
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

void TcpTransport::Impl::tls_failed(TcpConn* c, const absl::Status& st) {
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

void TcpTransport::Impl::on_bytes(TcpConn* c, std::string_view cipher) {
  const bool was_open = c->tls->handshake_complete();
  std::string plain;
  const absl::Status st = c->tls->receive(cipher, &plain);
  // Handshake replies, alerts, key updates: whatever the session has to say, in order.
  if (c->tls->ciphertext_pending() > 0 && !flush(c, 0)) return;
  if (!was_open && c->tls->handshake_complete() && st.ok()) {
    c->state = TcpConn::State::open;
    c->binding = c->tls->exporter();
    admission_.progress(c->id, Admission::Stage::tls_done, absl::Now());
    c->announced = true;
    uv_timer_stop(&c->timer);
    if (handler_ != nullptr) handler_->on_open(c->id, c->inbound);
    if (c->state != TcpConn::State::open || c->lingering) return;  // closed by on_open
    pump(c);                                                     // writes queued by connect()'s caller
    if (c->state != TcpConn::State::open) return;
  }
  if (!plain.empty() && c->state == TcpConn::State::open && !c->lingering && handler_ != nullptr) {
    admission_.progress(c->id, Admission::Stage::plaintext_received, absl::Now());
    handler_->on_data(c->id, plain);
    if (c->state != TcpConn::State::open || c->lingering) return;
  }
  if (!st.ok()) {
    tls_failed(c, st);
  } else if (c->tls->peer_closed()) {
    destroy(c, absl::UnavailableError("connection closed by peer"));
  }
}

// ---- its libuv callbacks (C function pointers: nothing may throw through them) ----

void TcpTransport::Impl::on_written(uv_write_t* req, int status) noexcept {
  std::unique_ptr<TcpWriteReq> w(static_cast<TcpWriteReq*>(req->data));
  TcpConn* c = w->conn;
  Impl* self = c->owner;
  c->in_flight -= w->data.size();
  c->pending -= w->plain;
  if (c->state == TcpConn::State::closing) return;
  if (status < 0) {
    self->destroy(c, peer_dropped(c, status) ? dropped_by_peer_error(uv_strerror(status)) : uv_error(status));
    return;
  }
  if (c->lingering) {
    self->finish_linger_if_flushed(c);
    return;
  }
  self->pump(c);
  if (w->plain > 0 && c->pending == 0 && c->state == TcpConn::State::open && self->handler_ != nullptr) {
    self->handler_->on_drained(c->id);
  }
}

void TcpTransport::Impl::on_shutdown(uv_shutdown_t* req, int) noexcept {
  TcpConn* c = static_cast<TcpConn*>(req->data);
  c->owner->destroy(c, c->reason);
}

}  // namespace snow::transport
