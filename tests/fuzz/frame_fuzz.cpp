// libFuzzer target for the frame layer: the input is the byte stream an authenticated
// peer sends after the handshake.
//
// 1. FrameReader cuts the same frames, and fails at the same point, whether the bytes
//    arrive at once or in any chunking; a failure sticks; no frame is over the limit.
// 2. BodyReader agrees with a plain model of its reads (little-endian fields, bounds,
//    a failed read sticks), for reads chosen by the input.
// 3. Each frame kind's reader against its writer (src/dist/signal_frames.hpp,
//    handshake_frames.hpp, table_frames.hpp, connection_frames.hpp, send_result.hpp): a
//    body a reader accepts is what the writer writes from the fields read (for the kinds
//    whose reader ignores bytes after its fields, what it writes starts the body).
// 4. A real node (node_harness.hpp) takes the stream in chunks through every frame
//    handler (process frames, fragments, peers, node_name, ping, exit reasons, STF
//    messages to its cluster process); it must not crash, and once the peer falls
//    silent the heartbeat timeout must close the connection and forget the peer.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node_harness.hpp"
#include "src/dist/connection_frames.hpp"
#include "src/dist/handshake_frames.hpp"
#include "src/dist/send_result.hpp"
#include "src/dist/signal_frames.hpp"
#include "src/dist/table_frames.hpp"

namespace {

using snow::dist::BodyReader;
using snow::dist::FrameKind;
using snow::dist::FrameReader;

struct Cut {
  std::vector<std::pair<FrameKind, std::string>> frames;
  bool failed = false;
  std::size_t buffered = 0;
};

/// Drains `r` into `out`; true while the stream is still good.
bool drain(FrameReader& r, std::size_t limit, Cut& out) {
  for (;;) {
    bool got = false;
    FrameKind kind{};
    std::string_view body;
    if (!r.next(got, kind, body).ok()) {
      out.failed = true;
      bool again = false;
      if (r.next(again, kind, body).ok() || again) fuzz::fail("a FrameReader failure did not stick");
      return false;
    }
    if (!got) return true;
    if (!snow::dist::is_known_kind(static_cast<std::uint8_t>(kind))) fuzz::fail("FrameReader returned an unknown kind");
    if (body.size() + 1 > limit) fuzz::fail("FrameReader returned a frame over its limit");
    out.frames.emplace_back(kind, std::string(body));
  }
}

void check_chunking(std::string_view in, std::size_t limit) {
  Cut whole;
  {
    FrameReader r(limit);
    r.append(in);
    drain(r, limit, whole);
    whole.buffered = r.buffered();
  }
  Cut pieces;
  {
    FrameReader r(limit);
    fuzz::Chunker chunks(fuzz::hash_bytes(in));
    std::string_view rest = in;
    bool good = true;
    while (good && !rest.empty()) {
      const std::size_t n = std::min(rest.size(), chunks.next(rest.size()));
      r.append(rest.substr(0, n));
      rest.remove_prefix(n);
      good = drain(r, limit, pieces);
    }
    // A bad header is found as soon as its bytes are there, so a chunked reader may
    // fail before the rest arrives; the whole stream must fail the same way.
    if (good) pieces.buffered = r.buffered();
  }
  if (whole.frames != pieces.frames || whole.failed != pieces.failed) {
    fuzz::fail("FrameReader depends on how the bytes are chunked");
  }
  if (!whole.failed && whole.buffered != pieces.buffered) fuzz::fail("FrameReader buffered different byte counts");
}

/// BodyReader against a model: position and stickiness tracked by hand.
void check_body_reader(std::string_view body) {
  BodyReader r(body);
  std::size_t pos = 0;
  bool ok = true;
  // The model: `n` bytes at `pos`, or a failure that sticks.
  auto model_take = [&](std::size_t n) -> std::string_view {
    if (!ok || body.size() - pos < n) {
      ok = false;
      return {};
    }
    pos += n;
    return body.substr(pos - n, n);
  };
  auto model_le = [&](std::size_t n) {
    std::uint64_t v = 0;
    const std::string_view b = model_take(n);
    for (std::size_t i = 0; i < b.size(); ++i) v |= std::uint64_t{static_cast<std::uint8_t>(b[i])} << (8 * i);
    return v;
  };
  // The body's own bytes pick the reads, so the fuzzer explores read sequences too.
  for (std::size_t step = 0; step < body.size() && step < 64; ++step) {
    const auto op = static_cast<std::uint8_t>(body[step]);
    switch (op % 5) {
      case 0: if (r.u8() != model_le(1)) fuzz::fail("BodyReader::u8"); break;
      case 1: if (r.u16() != model_le(2)) fuzz::fail("BodyReader::u16"); break;
      case 2: if (r.u64() != model_le(8)) fuzz::fail("BodyReader::u64"); break;
      case 3: {
        const std::string_view got = r.name();
        if (got != model_take(model_le(1))) fuzz::fail("BodyReader::name");
        break;
      }
      default:
        if (r.take(op / 5) != model_take(op / 5)) fuzz::fail("BodyReader::take");
    }
    if (r.ok() != ok) fuzz::fail("BodyReader::ok disagrees with the model");
    if (ok && r.at_end() != (pos == body.size())) fuzz::fail("BodyReader::at_end");
  }
}

void check_signal_frame(FrameKind kind, std::string_view body) {
  namespace d = snow::dist;
  std::optional<std::string> again;
  switch (kind) {
    case FrameKind::send: if (auto f = d::read_send(body)) again = d::write_send(*f); break;
    case FrameKind::send_named: if (auto f = d::read_send_named(body)) again = d::write_send_named(*f); break;
    case FrameKind::send_acked: if (auto f = d::read_send_acked(body)) again = d::write_send_acked(*f); break;
    case FrameKind::link: if (auto f = d::read_link(body)) again = d::write_link(*f); break;
    case FrameKind::unlink: if (auto f = d::read_unlink(body)) again = d::write_unlink(*f); break;
    case FrameKind::monitor: if (auto f = d::read_monitor(body)) again = d::write_monitor(*f); break;
    case FrameKind::demonitor: if (auto f = d::read_demonitor(body)) again = d::write_demonitor(*f); break;
    case FrameKind::exit:  // the reason, read by read_exit_reason, follows the fields
      if (auto f = d::read_exit(body)) {
        if (f->reason != body.substr(17)) fuzz::fail("read_exit: the reason is not what follows the fields");
      }
      break;
    case FrameKind::down:
      if (auto f = d::read_down(body)) {
        if (f->reason != body.substr(24)) fuzz::fail("read_down: the reason is not what follows the fields");
      }
      break;
    default: return;
  }
  if (again && std::string_view(*again).substr(d::kFrameHeaderBytes + 1) != body) {
    fuzz::fail("a process frame's writer does not write back what its reader read");
  }
}

/// The other kinds' pairs, as check_signal_frame's.
void check_other_frame(FrameKind kind, std::string_view body) {
  namespace d = snow::dist;
  std::optional<std::string> again;
  bool prefix = false;  // the reader ignores bytes after its fields
  switch (kind) {
    case FrameKind::hello: if (auto f = d::read_hello(body)) again = d::write_hello(*f); break;
    case FrameKind::pake: if (auto f = d::read_pake(body)) again = d::write_pake(*f); break;
    case FrameKind::confirm: if (auto f = d::read_confirm(body)) again = d::write_confirm(*f); break;
    case FrameKind::node_name: if (auto f = d::read_node_name(body)) again = d::write_node_name(*f); break;
    case FrameKind::peers:
      prefix = true;
      if (auto f = d::read_peers(body)) again = d::write_peers(*f);
      break;
    case FrameKind::ping:
      prefix = true;
      if (auto f = d::read_ping(body)) {
        again = d::write_ping(*f);
        if (d::answer_ping(body) != d::write_pong({.clock_ns = f->clock_ns})) {
          fuzz::fail("answer_ping: not the ping's value");
        }
      }
      break;
    case FrameKind::pong:
      prefix = true;
      if (auto f = d::read_pong(body)) again = d::write_pong(*f);
      break;
    case FrameKind::fragment:  // any last byte but 0 reads as 1
      if (auto f = d::read_fragment(body); f && static_cast<std::uint8_t>(body[8]) <= 1) again = d::write_fragment(*f);
      break;
    case FrameKind::send_result: if (auto f = d::read_send_result(body)) again = d::write_send_result(*f); break;
    case FrameKind::refusal_summary:
      if (auto f = d::read_refusal_summary(body)) again = d::write_refusal_summary(*f);
      break;
    default: return;
  }
  if (!again) return;
  const std::string_view written = std::string_view(*again).substr(d::kFrameHeaderBytes + 1);
  if (prefix ? !body.starts_with(written) : written != body) {
    fuzz::fail("a frame's writer does not write back what its reader read");
  }
}

void drive_node(std::string_view in) {
  fuzz::FuzzNode n;
  const fuzz::ConnId id = n.accept_authenticated();
  fuzz::Chunker chunks(fuzz::hash_bytes(in) ^ 0x9e3779b97f4a7c15ULL);
  std::string_view rest = in;
  while (!rest.empty() && n.open(id)) {
    const std::size_t k = std::min(rest.size(), chunks.next(rest.size()));
    n.feed(id, rest.substr(0, k));
    rest.remove_prefix(k);
  }
  // The peer now falls silent: heartbeats must find out, close the connection and drop
  // the peer from the node's list (whatever state the frames left the node in).
  const snow::NodeOptions& o = n.options();
  for (int i = 0; i <= o.heartbeat_misses + 1 && n.open(id); ++i) n.advance(o.heartbeat);
  n.advance(o.heartbeat);
  if (n.open(id)) fuzz::fail("a silent peer's connection was not closed by the heartbeat timeout");
  if (n.up()) fuzz::fail("the node still lists a peer whose connection closed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_chunking(in, snow::dist::kHandshakeFrameLimit);
  check_chunking(in, 64);
  // Bodies as FrameReader cuts them, or the raw input when it cuts none.
  FrameReader r(1 << 16);
  r.append(in);
  bool any = false;
  for (;;) {
    bool got = false;
    FrameKind kind{};
    std::string_view body;
    if (!r.next(got, kind, body).ok() || !got) break;
    any = true;
    check_body_reader(body);
    check_signal_frame(kind, body);
    check_other_frame(kind, body);
  }
  if (!any) check_body_reader(in);
  drive_node(in);
  return 0;
}
