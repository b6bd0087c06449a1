// src/dist/protocol.hpp: the frames nodes exchange (specified in docs/WIRE.md §5).
//
// Every frame is a u32 little-endian length, then that many bytes: a kind byte and the
// body. Bodies are fixed layouts of little-endian integers (Pids and Refs as their 64
// bits) followed, where a frame carries a value, by that value's STF encoding. The
// length is checked against the connection's limit before anything is buffered, so a
// peer cannot make a node allocate more than one frame's worth.
//
// Each kind has one writer and one reader, side by side in the file its group names
// below (handshake_frames, table_frames, connection_frames, node_info, signal_frames,
// send_result): the node writes and reads bodies only through them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "snow/pid.hpp"

namespace snow::dist {

/// The distribution protocol's version, exchanged in Hello. Nodes of different versions
/// refuse each other with a clear reason. Version 2: the cookie proof is SPAKE2 (pake,
/// confirm) instead of an HMAC challenge, and creations are 32 bits (docs/WIRE.md §5.2).
inline constexpr std::uint8_t kProtocolVersion = 2;

enum class FrameKind : std::uint8_t {
  // Handshake (the only kinds accepted before authentication; src/dist/handshake.hpp).
  // Written and read in src/dist/handshake_frames.hpp.
  hello = 0x01,    // u8 version, u32 creation, name (u8 length + bytes)
  pake = 0x02,     // 32-byte SPAKE2 message
  confirm = 0x07,  // 32-byte key confirmation, HMAC-SHA256 (src/dist/cookie_proof.hpp)
  // Node-level control. ping, pong: src/dist/connection_frames.hpp; peers, node_name:
  // src/dist/table_frames.hpp; node_info: src/dist/node_info.hpp.
  ping = 0x03,       // u64 sender's clock (ns); answered by pong with the same value
  pong = 0x04,       // u64 the ping's value
  peers = 0x05,      // u16 count, then names (u8 length + bytes)
  node_name = 0x06,  // u16 index, u8 generation, u32 creation, name: "my node index `index`, in Pids carrying
                     // `generation`, is this life of this node"
  node_info = 0x08,  // u8 last, limits, fingerprint entries: the first frames after up (src/dist/node_info.hpp)
  // Between processes. `from` is the sender, `to` the receiver. Written and read in
  // src/dist/signal_frames.hpp.
  send = 0x10,        // u64 from, u64 to, STF message
  send_named = 0x11,  // u64 from, name (u8 length + bytes), STF message
  link = 0x12,        // u64 from, u64 to
  unlink = 0x13,      // u64 from, u64 to
  exit = 0x14,        // u64 from, u64 to, reason
  monitor = 0x15,     // u64 from (watcher), u64 to (watched), u64 ref
  demonitor = 0x16,   // u64 from (watcher), u64 to (watched), u64 ref
  down = 0x17,        // u64 from (the process that ended), u64 to (watcher), u64 ref, reason
  // What became of a message (src/dist/send_result.hpp): a refusal of a plain send, or
  // the answer to a send_acked. Fixed-size, control lane. send_result, refusal_summary:
  // written and read in src/dist/send_result.cpp; send_acked: src/dist/signal_frames.hpp.
  send_result = 0x18,      // u64 ticket (0: a plain send), u64 to, u8 outcome, u8 limit, u64 detail
  send_acked = 0x19,       // u64 from, u64 to, u64 ticket, STF message: answered by send_result
  refusal_summary = 0x1A,  // u32 mailbox_full, u32 no_process, u32 undecodable: refusals not sent one by one
  // A large frame in pieces (src/dist/connection_frames.hpp).
  fragment = 0x20,    // u64 stream, u8 last, bytes: a piece of one large frame (kind + body)
};
/// True for kinds this version knows.
bool is_known_kind(std::uint8_t kind);
std::string_view kind_name(FrameKind kind);

inline constexpr std::size_t kFrameHeaderBytes = 4;
/// Before authentication a frame may be at most this large (hello is ~250 bytes).
inline constexpr std::size_t kHandshakeFrameLimit = 1024;

/// Appends little-endian integers and short names to a frame under construction.
class FrameWriter {
 public:
  explicit FrameWriter(FrameKind kind) {
    out_.resize(kFrameHeaderBytes);
    out_.push_back(static_cast<char>(kind));
  }
  FrameWriter& u8(std::uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  FrameWriter& u16(std::uint16_t v) { return le(v); }
  FrameWriter& u32(std::uint32_t v) { return le(v); }
  FrameWriter& u64(std::uint64_t v) { return le(v); }
  FrameWriter& pid(Pid p) { return le(p.raw()); }
  FrameWriter& ref(Ref r) { return le(r.raw()); }
  /// A name of at most 255 bytes (callers pass validated names).
  FrameWriter& name(std::string_view s) {
    u8(static_cast<std::uint8_t>(s.size()));
    out_.append(s.data(), s.size());
    return *this;
  }
  FrameWriter& bytes(std::string_view s) {
    out_.append(s.data(), s.size());
    return *this;
  }
  /// The frame so far, for encoders that append to it in place.
  std::string& buffer() { return out_; }
  /// The whole frame, length prefix filled in.
  std::string finish() {
    const auto n = static_cast<std::uint32_t>(out_.size() - kFrameHeaderBytes);
    for (int i = 0; i < 4; ++i) out_[i] = static_cast<char>(n >> (8 * i));
    return std::move(out_);
  }

 private:
  template <class U>
  FrameWriter& le(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  std::string out_;
};

/// Reads a frame body; every read is bounds-checked and a failed read sticks, so a
/// handler reads all fields and checks `ok()` once.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  std::string_view name() {
    const std::size_t n = u8();
    return take(n);
  }
  std::string_view take(std::size_t n) {
    if (!ok_ || rest_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return out;
  }
  std::string_view rest() {
    std::string_view out = rest_;
    rest_ = {};
    return out;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return rest_.empty(); }

 private:
  std::uint64_t le(std::size_t n) {
    std::string_view b = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < b.size(); ++i) v |= std::uint64_t{static_cast<std::uint8_t>(b[i])} << (8 * i);
    return v;
  }
  std::string_view rest_;
  bool ok_ = true;
};

/// Cuts a byte stream into frames. Bytes are appended as they arrive; complete frames
/// come out in order. A length over the limit or an unknown kind is an error that ends
/// the connection (the reader keeps failing afterwards).
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame_bytes) : limit_(max_frame_bytes) {}
  void set_limit(std::size_t max_frame_bytes) { limit_ = max_frame_bytes; }
  void append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  /// The next complete frame: OK with `kind`/`body` set; OK with nothing set (returns
  /// false in `got`) when more bytes are needed; an error for a bad frame.
  absl::Status next(bool& got, FrameKind& kind, std::string_view& body);
  /// Bytes buffered and not yet returned.
  std::size_t buffered() const { return buffer_.size() - read_; }

 private:
  std::string buffer_;
  std::size_t read_ = 0;  // start of the first frame not yet returned
  std::size_t limit_;
  absl::Status failed_;
};

}  // namespace snow::dist
