// src/dist/protocol.cpp
#include "src/dist/protocol.hpp"

#include "absl/strings/str_cat.h"

namespace snow::dist {

bool is_known_kind(std::uint8_t kind) {
  switch (static_cast<FrameKind>(kind)) {
    case FrameKind::hello:
    case FrameKind::pake:
    case FrameKind::confirm:
    case FrameKind::ping:
    case FrameKind::pong:
    case FrameKind::peers:
    case FrameKind::node_name:
    case FrameKind::node_info:
    case FrameKind::send:
    case FrameKind::send_named:
    case FrameKind::link:
    case FrameKind::unlink:
    case FrameKind::exit:
    case FrameKind::monitor:
    case FrameKind::demonitor:
    case FrameKind::down:
    case FrameKind::send_result:
    case FrameKind::send_acked:
    case FrameKind::refusal_summary:
    case FrameKind::fragment: return true;
  }
  return false;
}

std::string_view kind_name(FrameKind kind) {
  switch (kind) {
    case FrameKind::hello: return "hello";
    case FrameKind::pake: return "pake";
    case FrameKind::confirm: return "confirm";
    case FrameKind::ping: return "ping";
    case FrameKind::pong: return "pong";
    case FrameKind::peers: return "peers";
    case FrameKind::node_name: return "node_name";
    case FrameKind::node_info: return "node_info";
    case FrameKind::send: return "send";
    case FrameKind::send_named: return "send_named";
    case FrameKind::link: return "link";
    case FrameKind::unlink: return "unlink";
    case FrameKind::exit: return "exit";
    case FrameKind::monitor: return "monitor";
    case FrameKind::demonitor: return "demonitor";
    case FrameKind::down: return "down";
    case FrameKind::send_result: return "send_result";
    case FrameKind::send_acked: return "send_acked";
    case FrameKind::refusal_summary: return "refusal_summary";
    case FrameKind::fragment: return "fragment";
  }
  return "unknown";
}

absl::Status FrameReader::next(bool& got, FrameKind& kind, std::string_view& body) {
  got = false;
  if (!failed_.ok()) return failed_;
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
    return absl::OkStatus();
  }
  if (read_ > 0 && read_ >= buffer_.size() / 2) {  // keep the buffer from creeping
    buffer_.erase(0, read_);
    read_ = 0;
  }
  const std::size_t avail = buffer_.size() - read_;
  if (avail < kFrameHeaderBytes) return absl::OkStatus();
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + read_);
  const std::uint32_t length = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                               std::uint32_t{p[3]} << 24;
  if (length == 0) {
    failed_ = absl::InvalidArgumentError("malformed frame: length 0");
  } else if (length > limit_) {
    failed_ = absl::InvalidArgumentError(
        absl::StrCat("frame of ", length, " bytes is over the limit of ", limit_, " bytes"));
  } else if (avail > kFrameHeaderBytes && !is_known_kind(p[kFrameHeaderBytes])) {
    failed_ = absl::InvalidArgumentError(absl::StrCat("unknown frame kind 0x", absl::Hex(p[4])));
  }
  if (!failed_.ok()) return failed_;
  if (avail < kFrameHeaderBytes + length) return absl::OkStatus();
  kind = static_cast<FrameKind>(p[4]);
  body = std::string_view(buffer_.data() + read_ + kFrameHeaderBytes + 1, length - 1);
  read_ += kFrameHeaderBytes + length;
  got = true;
  return absl::OkStatus();
}

}  // namespace snow::dist
