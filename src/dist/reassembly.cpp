// src/dist/reassembly.cpp: fragments coming in, made whole again (the sending side is
// pump(), src/dist/outbound_lanes.cpp). A peer sends a frame over fragment_bytes as
// fragment frames, one stream per sending process; this node keeps each unfinished one
// under bounds of count, bytes and idle time, so a peer cannot park memory here.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/connection_frames.hpp"
#include "src/dist/node_connection.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow::detail {

namespace {
// Fragmented messages a peer may have open at once (one per sending process is the
// normal case), and how long one may wait for its next piece before it is dropped (the
// sender serves its streams round robin, so a live one gets a piece every few ms).
constexpr std::size_t kMaxOpenReassemblies = 1024;
constexpr absl::Duration kReassemblyIdleLimit = absl::Seconds(30);
}  // namespace

void NodeCore::on_fragment(Connection& c, std::string_view body) {
  const std::optional<dist::FragmentFrame> f = dist::read_fragment(body);
  if (!f) return close_conn(c, absl::InvalidArgumentError("malformed fragment"));
  const std::uint64_t stream = f->stream;
  const bool last = f->last;
  const std::string_view piece = f->piece;
  if (!c.reassembly.contains(stream) && c.reassembly.size() >= kMaxOpenReassemblies) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": over ", kMaxOpenReassemblies,
                                " unfinished fragmented messages"));
    return close_conn(c, absl::ResourceExhaustedError("too many unfinished fragmented messages"));
  }
  Connection::Reassembly& entry = c.reassembly[stream];
  std::string& buf = entry.bytes;
  const std::size_t capacity_before = buf.capacity();
  if (buf.size() + piece.size() > options_.max_message_bytes + 64 ||
      c.reassembly_bytes + piece.size() > 2 * (options_.max_message_bytes + 64)) {
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": fragmented message over the limit"));
    return close_conn(c, absl::ResourceExhaustedError("fragmented message over max_message_bytes"));
  }
  buf.append(piece.data(), piece.size());
  entry.last_piece = transport_->now();
  c.reassembly_bytes += buf.capacity() - capacity_before;
  if (!last) return;
  c.reassembly_bytes -= std::min(c.reassembly_bytes, buf.capacity());
  std::string whole = std::move(buf);
  c.reassembly.erase(stream);
  if (whole.empty() || !dist::is_known_kind(static_cast<std::uint8_t>(whole[0])) ||
      static_cast<FrameKind>(whole[0]) == FrameKind::fragment) {
    return close_conn(c, absl::InvalidArgumentError("malformed fragmented frame"));
  }
  on_frame(c, static_cast<FrameKind>(whole[0]), std::string_view(whole).substr(1), &whole);
}

void NodeCore::expire_reassemblies(Connection& c, absl::Time now) {
  std::uint64_t expired = 0;
  absl::erase_if(c.reassembly, [&](auto& e) {
    if (now - e.second.last_piece <= kReassemblyIdleLimit) return false;
    c.reassembly_bytes -= std::min(c.reassembly_bytes, e.second.bytes.capacity());
    ++expired;
    return true;
  });
  if (expired == 0) return;
  counters_.add(&NodeStats::dropped_incomplete, expired);
  log_connection("fragments expired", LogLevel::warning,
                 absl::StrCat("dropped ", expired, " fragmented message(s) from ", c.peer_name, " that got no piece for ",
                              absl::FormatDuration(kReassemblyIdleLimit)));
}

std::pair<std::size_t, std::size_t> NodeCore::reassemblies_for_testing(const std::string& peer) const {
  for (auto& [id, c] : conns_) {
    if (c->peer_name == peer && c->state == Connection::State::up) return {c->reassembly.size(), c->reassembly_bytes};
  }
  return {0, 0};
}

}  // namespace snow::detail
