// src/dist/signal_frames.hpp: the frames between processes (kinds 0x10 to 0x17 and 0x19
// in src/dist/protocol.hpp; docs/WIRE.md §5.1 has the bytes), one kind a section, its
// writer and its reader side by side, so a kind's layout is read in one place
// (tests/dist/signal_frames_test.cpp holds each pair to the other).
//
// Pure: bytes in, fields out, no node state. Pids and Refs are as on the wire, in the
// sender's node numbering; making them this node's, and every decision about a frame
// (whether its sender is the peer's, whom it goes to, counters), is NodeCore's
// (src/dist/process_frames.cpp). A reader returns nullopt for a body that is not its
// kind's layout: too short, bytes left over, a field out of range. What runs to the end
// of a frame (an STF message, an exit reason) comes back as bytes, since it is decoded
// under the node's limits and node map, a large one off the network thread; a reason is
// read with read_exit_reason (src/dist/exit_reason_codec.hpp).
//
// Header-only: small enough to inline, and a source of its own would make libsnow's
// source count a multiple of its unity size, which Meson 1.0 miscounts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "snow/exit_reason.hpp"
#include "snow/pid.hpp"
#include "src/dist/exit_reason_codec.hpp"
#include "src/dist/protocol.hpp"

namespace snow::dist {

namespace signal_layouts {
inline Pid read_pid(BodyReader& r) { return Pid::from_raw(r.u64()); }
inline Ref read_ref(BodyReader& r) { return Ref::from_raw(r.u64()); }
}  // namespace signal_layouts

// -- messages: send, send_named, send_acked --

/// A message. `to` is null in a send_named (which names its receiver instead), `name`
/// empty and `ticket` 0 in the others.
struct MessageFrame {
  Pid from;
  Pid to;
  std::string_view name;
  std::uint64_t ticket = 0;
  std::string_view message;  // STF, to the end of the frame
};

// send (0x10): pid from, pid to, stf message.
/// The frame up to its message, for an encoder that appends the message in place.
inline FrameWriter start_send(Pid from, Pid to) {
  FrameWriter w(FrameKind::send);
  w.pid(from).pid(to);
  return w;
}
inline std::string write_send(const MessageFrame& f) { return start_send(f.from, f.to).bytes(f.message).finish(); }
inline std::optional<MessageFrame> read_send(std::string_view body) {
  BodyReader r(body);
  MessageFrame f{.from = signal_layouts::read_pid(r), .to = signal_layouts::read_pid(r)};
  f.message = r.rest();
  if (!r.ok()) return std::nullopt;
  return f;
}

// send_named (0x11): pid from, name (u8 length + bytes), stf message.
/// `f.name` is 1 to 255 bytes (the caller checks).
inline std::string write_send_named(const MessageFrame& f) {
  return FrameWriter(FrameKind::send_named).pid(f.from).name(f.name).bytes(f.message).finish();
}
inline std::optional<MessageFrame> read_send_named(std::string_view body) {
  BodyReader r(body);
  MessageFrame f{.from = signal_layouts::read_pid(r)};
  f.name = r.name();
  f.message = r.rest();
  if (!r.ok()) return std::nullopt;
  return f;
}

// send_acked (0x19): pid from, pid to, u64 ticket (not 0), stf message.
inline FrameWriter start_send_acked(Pid from, Pid to, std::uint64_t ticket) {
  FrameWriter w(FrameKind::send_acked);
  w.pid(from).pid(to).u64(ticket);
  return w;
}
/// Writes the ticket into a whole send_acked frame encoded before its ticket was known.
inline void set_send_acked_ticket(std::string& frame, std::uint64_t ticket) {
  for (std::size_t i = 0; i < 8; ++i) {  // after the length, kind, from and to
    frame[kFrameHeaderBytes + 1 + 16 + i] = static_cast<char>(ticket >> (8 * i));
  }
}
inline std::string write_send_acked(const MessageFrame& f) {
  return start_send_acked(f.from, f.to, f.ticket).bytes(f.message).finish();
}
inline std::optional<MessageFrame> read_send_acked(std::string_view body) {
  BodyReader r(body);
  MessageFrame f{.from = signal_layouts::read_pid(r), .to = signal_layouts::read_pid(r)};
  f.ticket = r.u64();
  f.message = r.rest();
  if (!r.ok() || f.ticket == 0) return std::nullopt;
  return f;
}

// -- link, unlink --

struct LinkFrame {
  Pid from;
  Pid to;
};

namespace signal_layouts {
inline std::string write_pids(FrameKind kind, const LinkFrame& f) { return FrameWriter(kind).pid(f.from).pid(f.to).finish(); }
inline std::optional<LinkFrame> read_pids(std::string_view body) {
  BodyReader r(body);
  LinkFrame f{.from = read_pid(r), .to = read_pid(r)};
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return f;
}
}  // namespace signal_layouts

// link (0x12): pid from, pid to.
inline std::string write_link(const LinkFrame& f) { return signal_layouts::write_pids(FrameKind::link, f); }
inline std::optional<LinkFrame> read_link(std::string_view body) { return signal_layouts::read_pids(body); }

// unlink (0x13): pid from, pid to.
inline std::string write_unlink(const LinkFrame& f) { return signal_layouts::write_pids(FrameKind::unlink, f); }
inline std::optional<LinkFrame> read_unlink(std::string_view body) { return signal_layouts::read_pids(body); }

// -- exit --

/// An exit signal; `reason` as write_exit_reason wrote it.
struct ExitFrame {
  Pid from;
  Pid to;
  bool via_link = false;
  std::string_view reason;
};

// exit (0x14): pid from, pid to, u8 via_link (not 0: true), reason.
inline std::string write_exit(Pid from, Pid to, bool via_link, const ExitReason& reason) {
  FrameWriter w(FrameKind::exit);
  w.pid(from).pid(to).u8(via_link ? 1 : 0);
  write_exit_reason(w, reason);
  return w.finish();
}
inline std::optional<ExitFrame> read_exit(std::string_view body) {
  BodyReader r(body);
  ExitFrame f{.from = signal_layouts::read_pid(r), .to = signal_layouts::read_pid(r)};
  f.via_link = r.u8() != 0;
  f.reason = r.rest();
  if (!r.ok()) return std::nullopt;
  return f;
}

// -- monitor, demonitor --

/// `from` watches (or stops watching) `to`, under `ref`.
struct MonitorFrame {
  Pid from;
  Pid to;
  Ref ref;
};

namespace signal_layouts {
inline std::string write_watch(FrameKind kind, const MonitorFrame& f) {
  return FrameWriter(kind).pid(f.from).pid(f.to).ref(f.ref).finish();
}
inline std::optional<MonitorFrame> read_watch(std::string_view body) {
  BodyReader r(body);
  MonitorFrame f{.from = read_pid(r), .to = read_pid(r), .ref = read_ref(r)};
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return f;
}
}  // namespace signal_layouts

// monitor (0x15): pid from (watcher), pid to (watched), ref.
inline std::string write_monitor(const MonitorFrame& f) { return signal_layouts::write_watch(FrameKind::monitor, f); }
inline std::optional<MonitorFrame> read_monitor(std::string_view body) { return signal_layouts::read_watch(body); }

// demonitor (0x16): pid from (watcher), pid to (watched), ref.
inline std::string write_demonitor(const MonitorFrame& f) { return signal_layouts::write_watch(FrameKind::demonitor, f); }
inline std::optional<MonitorFrame> read_demonitor(std::string_view body) { return signal_layouts::read_watch(body); }

// -- down --

/// `from` ended; `to` watched it under `ref`. `reason` as in ExitFrame.
struct DownFrame {
  Pid from;
  Pid to;
  Ref ref;
  std::string_view reason;
};

// down (0x17): pid from (the process that ended), pid to (watcher), ref, reason.
inline std::string write_down(Pid from, Pid to, Ref ref, const ExitReason& reason) {
  FrameWriter w(FrameKind::down);
  w.pid(from).pid(to).ref(ref);
  write_exit_reason(w, reason);
  return w.finish();
}
inline std::optional<DownFrame> read_down(std::string_view body) {
  BodyReader r(body);
  DownFrame f{.from = signal_layouts::read_pid(r), .to = signal_layouts::read_pid(r), .ref = signal_layouts::read_ref(r)};
  f.reason = r.rest();
  if (!r.ok()) return std::nullopt;
  return f;
}

}  // namespace snow::dist
