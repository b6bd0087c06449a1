// The process frames' writers and readers (src/dist/signal_frames.hpp): for each kind,
// what its writer writes its reader reads back field for field, in the bytes docs/WIRE.md
// §5.1 gives, and a body cut short, with bytes left over or with a field out of range is
// refused.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "snow/snow.hpp"
#include "src/dist/exit_reason_codec.hpp"
#include "src/dist/protocol.hpp"
#include "tests/dist/frame_test_support.hpp"
#include "src/dist/signal_frames.hpp"

using namespace snow::dist;
using namespace frame_test;
using snow::ExitReason;
using snow::Pid;
using snow::Ref;

namespace signal_frames_test {

// Pids and Refs of distinct nodes, creations and serials, so a field read into another's
// place shows.
const Pid kFrom = Pid::make(3, 7, 1001);
const Pid kTo = Pid::make(0, 9, 2002);
const Ref kRef = Ref::make(5, 3003);
const std::string_view kStf = "\x01stf bytes of a message";

/// Reads an exit reason as the node does, its Pids' node indexes kept as they are.
class SameIndexes final : public snow::detail::NodeIndexMap {
 public:
  bool to_local(std::uint16_t wire, std::uint16_t& local) const override {
    local = wire;
    return true;
  }
};
std::optional<ExitReason> reason_of(std::string_view bytes) {
  BodyReader r(bytes);
  ExitReason out;
  if (!read_exit_reason(r, snow::DecodeLimits{}, SameIndexes{}, out)) return std::nullopt;
  return out;
}
ExitReason nested_reason() { return ExitReason::linked(Pid::make(4, 2, 4004), ExitReason::error("boom")); }

}  // namespace signal_frames_test

using namespace signal_frames_test;

TEST_CASE("send: written and read back, in WIRE.md's bytes; a short body is refused") {
  const std::string frame = write_send({.from = kFrom, .to = kTo, .message = kStf});
  CHECK(frame == FrameWriter(FrameKind::send).pid(kFrom).pid(kTo).bytes(kStf).finish());
  CHECK(kind_of(frame) == FrameKind::send);
  const std::string body = body_of(frame);
  const std::optional<MessageFrame> f = read_send(body);
  REQUIRE(f.has_value());
  CHECK(f->from == kFrom);
  CHECK(f->to == kTo);
  CHECK(f->message == kStf);
  CHECK(f->ticket == 0);
  CHECK(f->name.empty());
  CHECK(start_send(kFrom, kTo).bytes(kStf).finish() == frame);
  refuses_short(read_send, body, 16);
}

TEST_CASE("send_named: written and read back, in WIRE.md's bytes; a short body or name is refused") {
  const std::string frame = write_send_named({.from = kFrom, .name = "logger", .message = kStf});
  CHECK(frame == FrameWriter(FrameKind::send_named).pid(kFrom).name("logger").bytes(kStf).finish());
  CHECK(kind_of(frame) == FrameKind::send_named);
  const std::string body = body_of(frame);
  const std::optional<MessageFrame> f = read_send_named(body);
  REQUIRE(f.has_value());
  CHECK(f->from == kFrom);
  CHECK(f->to.is_null());
  CHECK(f->name == "logger");
  CHECK(f->message == kStf);
  refuses_short(read_send_named, body, 8 + 1 + 6);
  // A name longer than what follows it.
  CHECK_FALSE(read_send_named(FrameWriter(FrameKind::send_named).pid(kFrom).u8(200).bytes("abc").finish().substr(5)));
}

TEST_CASE("send_acked: written and read back, its ticket set in place; a short body or ticket 0 is refused") {
  const std::string frame = write_send_acked({.from = kFrom, .to = kTo, .ticket = 0x0102030405060708, .message = kStf});
  CHECK(frame == FrameWriter(FrameKind::send_acked).pid(kFrom).pid(kTo).u64(0x0102030405060708).bytes(kStf).finish());
  CHECK(kind_of(frame) == FrameKind::send_acked);
  const std::string body = body_of(frame);
  const std::optional<MessageFrame> f = read_send_acked(body);
  REQUIRE(f.has_value());
  CHECK(f->from == kFrom);
  CHECK(f->to == kTo);
  CHECK(f->ticket == 0x0102030405060708);
  CHECK(f->message == kStf);
  refuses_short(read_send_acked, body, 24);
  // Encoded before its ticket is known, then given one: the same frame.
  std::string late = start_send_acked(kFrom, kTo, 0).bytes(kStf).finish();
  CHECK_FALSE(read_send_acked(body_of(late)).has_value());  // ticket 0 is never sent
  set_send_acked_ticket(late, 0x0102030405060708);
  CHECK(late == frame);
}

TEST_CASE("link and unlink: written and read back, in WIRE.md's bytes; short or long bodies are refused") {
  for (FrameKind kind : {FrameKind::link, FrameKind::unlink}) {
    CAPTURE(kind_name(kind));
    const auto read = kind == FrameKind::link ? read_link : read_unlink;
    const std::string frame = kind == FrameKind::link ? write_link({kFrom, kTo}) : write_unlink({kFrom, kTo});
    CHECK(frame == FrameWriter(kind).pid(kFrom).pid(kTo).finish());
    CHECK(kind_of(frame) == kind);
    const std::string body = body_of(frame);
    const std::optional<LinkFrame> f = read(body);
    REQUIRE(f.has_value());
    CHECK(f->from == kFrom);
    CHECK(f->to == kTo);
    refuses_short(read, body, 16);
    CHECK_FALSE(read(body + "x").has_value());
  }
}

TEST_CASE("monitor and demonitor: written and read back, in WIRE.md's bytes; short or long bodies are refused") {
  for (FrameKind kind : {FrameKind::monitor, FrameKind::demonitor}) {
    CAPTURE(kind_name(kind));
    const auto read = kind == FrameKind::monitor ? read_monitor : read_demonitor;
    const MonitorFrame m{kFrom, kTo, kRef};
    const std::string frame = kind == FrameKind::monitor ? write_monitor(m) : write_demonitor(m);
    CHECK(frame == FrameWriter(kind).pid(kFrom).pid(kTo).ref(kRef).finish());
    CHECK(kind_of(frame) == kind);
    const std::string body = body_of(frame);
    const std::optional<MonitorFrame> f = read(body);
    REQUIRE(f.has_value());
    CHECK(f->from == kFrom);
    CHECK(f->to == kTo);
    CHECK(f->ref == kRef);
    refuses_short(read, body, 24);
    CHECK_FALSE(read(body + "x").has_value());
  }
}

TEST_CASE("exit: written and read back, its reason too; a short body or a cut reason is refused") {
  for (bool via_link : {false, true}) {
    CAPTURE(via_link);
    const std::string frame = write_exit(kFrom, kTo, via_link, nested_reason());
    FrameWriter expected(FrameKind::exit);
    expected.pid(kFrom).pid(kTo).u8(via_link ? 1 : 0);
    write_exit_reason(expected, nested_reason());
    CHECK(frame == expected.finish());
    CHECK(kind_of(frame) == FrameKind::exit);
    const std::string body = body_of(frame);
    const std::optional<ExitFrame> f = read_exit(body);
    REQUIRE(f.has_value());
    CHECK(f->from == kFrom);
    CHECK(f->to == kTo);
    CHECK(f->via_link == via_link);
    const std::optional<ExitReason> reason = reason_of(f->reason);
    REQUIRE(reason.has_value());
    CHECK(*reason == nested_reason());
    refuses_short(read_exit, body, 17);
    // Cut inside the reason: the frame's fields read, the reason does not.
    const std::optional<ExitFrame> cut = read_exit(std::string_view(body).substr(0, body.size() - 1));
    REQUIRE(cut.has_value());
    CHECK_FALSE(reason_of(cut->reason).has_value());
  }
}

TEST_CASE("down: written and read back, its reason too; a short body or a cut reason is refused") {
  const std::string frame = write_down(kFrom, kTo, kRef, nested_reason());
  FrameWriter expected(FrameKind::down);
  expected.pid(kFrom).pid(kTo).ref(kRef);
  write_exit_reason(expected, nested_reason());
  CHECK(frame == expected.finish());
  CHECK(kind_of(frame) == FrameKind::down);
  const std::string body = body_of(frame);
  const std::optional<DownFrame> f = read_down(body);
  REQUIRE(f.has_value());
  CHECK(f->from == kFrom);
  CHECK(f->to == kTo);
  CHECK(f->ref == kRef);
  const std::optional<ExitReason> reason = reason_of(f->reason);
  REQUIRE(reason.has_value());
  CHECK(*reason == nested_reason());
  refuses_short(read_down, body, 24);
  const std::optional<DownFrame> cut = read_down(std::string_view(body).substr(0, body.size() - 1));
  REQUIRE(cut.has_value());
  CHECK_FALSE(reason_of(cut->reason).has_value());
}
