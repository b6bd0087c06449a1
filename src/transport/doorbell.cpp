#include "src/transport/doorbell.hpp"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace snow::transport {

Doorbell::~Doorbell() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status Doorbell::open(uv_loop_t* loop, std::function<void()> on_ring) {
  fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  on_ring_ = std::move(on_ring);
  int r = uv_poll_init(loop, &poll_, fd_);
  if (r == 0) {
    poll_.data = this;
    r = uv_poll_start(&poll_, UV_READABLE, &Doorbell::on_readable);
  }
  if (r != 0) return absl::InternalError(absl::StrCat("doorbell: ", uv_strerror(r)));
  watching_ = true;
  return absl::OkStatus();
}

void Doorbell::close() {
  if (!watching_) return;
  watching_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
}

void Doorbell::ring() {
  // Only the ring that finds the bell quiet pays for the syscall.
  if (rung_.exchange(true, std::memory_order_seq_cst)) return;
  const std::uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(fd_, &one, sizeof one);
  } while (n < 0 && errno == EINTR);
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
}

void Doorbell::on_readable(uv_poll_t* poll, int /*status*/, int /*events*/) noexcept {
  // Answered even on a poll error (not expected for an eventfd): returning with the bell
  // still marked rung would make every later ring skip its write and the loop deaf.
  Doorbell* self = static_cast<Doorbell*>(poll->data);
  std::uint64_t count;
  while (::read(self->fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  // Quiet the bell before answering: a ring from now on writes again, so work queued
  // after the answer has looked at the queue still gets an answer of its own.
  self->rung_.store(false, std::memory_order_seq_cst);
  self->on_ring_();
}

}  // namespace snow::transport
