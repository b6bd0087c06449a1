// src/dist/handshake_frames.hpp: the handshake's frames (kinds 0x01, 0x02 and 0x07 in
// src/dist/protocol.hpp; docs/WIRE.md §5.1 has the bytes, §5.2 the exchange), one kind a
// section, its writer and its reader side by side, so a kind's layout is read in one
// place (tests/dist/handshake_frames_test.cpp holds each pair to the other).
//
// Pure: bytes in, fields out. What the fields say (a valid node name, the node dialled,
// a proof that verifies) is the Handshake's to judge (src/dist/handshake.cpp), and so is
// the reason a connection is refused for a body its reader refuses: these frames come
// before the peer proved anything, so a reader only measures, it never trusts.
//
// Header-only, as src/dist/signal_frames.hpp and for the same reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/dist/cookie_proof.hpp"
#include "src/dist/protocol.hpp"

namespace snow::dist {

// -- hello --

/// What a hello says. `name` views the frame's body: a claim until the proof.
struct HelloFrame {
  std::uint8_t version = kProtocolVersion;
  std::uint32_t creation = 0;
  std::string_view name;
};

// hello (0x01): u8 version, u32 creation, name (u8 length + bytes).
/// `f.name` is at most 255 bytes (a node's own name, validated when it was set).
inline std::string write_hello(const HelloFrame& f) {
  return FrameWriter(FrameKind::hello).u8(f.version).u32(f.creation).name(f.name).finish();
}
/// The version alone, read before anything else: another version's hello may have
/// another layout, and its sender is owed "version", not "malformed". Nullopt for an
/// empty body (which read_hello then refuses as malformed).
inline std::optional<std::uint8_t> read_hello_version(std::string_view body) {
  if (body.empty()) return std::nullopt;
  return static_cast<std::uint8_t>(body[0]);
}
/// Refuses a body cut short or with bytes after the name. The version, creation and name
/// are returned as they are: the Handshake checks what they say.
inline std::optional<HelloFrame> read_hello(std::string_view body) {
  BodyReader r(body);
  HelloFrame f;
  f.version = r.u8();
  f.creation = r.u32();
  f.name = r.name();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return f;
}

// -- the cookie proof: pake, confirm --

// pake (0x02): the 32-byte SPAKE2 message (src/dist/cookie_proof.hpp), the whole body.
inline std::string write_pake(std::string_view message) { return FrameWriter(FrameKind::pake).bytes(message).finish(); }
/// The SPAKE2 message, if the body is one's size. A body of another size is refused
/// here, before any of it reaches the proof; the Handshake refuses it as malformed, with
/// the words CookieProof::receive has for the same fault (kPakeSizeError).
inline std::optional<std::string_view> read_pake(std::string_view body) {
  if (body.size() != kPakeMessageBytes) return std::nullopt;
  return body;
}

// confirm (0x07): the 32-byte key confirmation, HMAC-SHA256 (src/dist/cookie_proof.hpp),
// the whole body.
inline std::string write_confirm(std::string_view confirmation) {
  return FrameWriter(FrameKind::confirm).bytes(confirmation).finish();
}
/// The confirmation, if the body is one's size. A body of another size could never
/// verify: the Handshake refuses it as a failed proof, as it refuses one that does not
/// verify (the peer learns nothing from which of the two it was).
inline std::optional<std::string_view> read_confirm(std::string_view body) {
  if (body.size() != kConfirmationBytes) return std::nullopt;
  return body;
}

}  // namespace snow::dist
