// The handshake frames' writers and readers (src/dist/handshake_frames.hpp): for each
// kind, what its writer writes its reader reads back field for field, in the bytes
// docs/WIRE.md §5.1 gives, and a body cut short, with bytes left over or of the wrong
// size is refused.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/dist/handshake_frames.hpp"
#include "src/dist/protocol.hpp"
#include "tests/dist/frame_test_support.hpp"

using namespace snow::dist;
using namespace frame_test;

TEST_CASE("hello: written and read back, in WIRE.md's bytes; a short body or trailing bytes are refused") {
  const std::string frame =
      write_hello({.version = kProtocolVersion, .creation = 0x01020304, .name = "a@127.0.0.1:4370"});
  CHECK(frame == FrameWriter(FrameKind::hello).u8(kProtocolVersion).u32(0x01020304).name("a@127.0.0.1:4370").finish());
  CHECK(kind_of(frame) == FrameKind::hello);
  const std::string body = body_of(frame);
  const std::optional<HelloFrame> f = read_hello(body);
  REQUIRE(f.has_value());
  CHECK(f->version == kProtocolVersion);
  CHECK(f->creation == 0x01020304);
  CHECK(f->name == "a@127.0.0.1:4370");
  refuses_every_prefix(read_hello, body);
  CHECK_FALSE(read_hello(body + "x").has_value());
  // A name longer than what follows its length.
  CHECK_FALSE(read_hello(body_of(FrameWriter(FrameKind::hello).u8(2).u32(1).u8(40).bytes("short").finish())));
  // What the fields say is not the reader's to judge: creation 0, another version, an empty name.
  const std::string odd_body = body_of(write_hello({.version = 9, .creation = 0, .name = ""}));  // kept: views it
  const std::optional<HelloFrame> odd = read_hello(odd_body);
  REQUIRE(odd.has_value());
  CHECK(odd->version == 9);
  CHECK(odd->creation == 0);
  CHECK(odd->name.empty());
}

TEST_CASE("hello: the version is read alone, before the rest, from any body but an empty one") {
  CHECK(read_hello_version(body_of(write_hello({.version = 7, .creation = 1, .name = "a@h:1"}))) == 7);
  CHECK(read_hello_version("\x63") == 0x63);  // another version's layout may be anything after it
  CHECK_FALSE(read_hello_version("").has_value());
}

TEST_CASE("pake: written and read back as 32 bytes; any other size is refused") {
  const std::string message(kPakeMessageBytes, 'p');
  const std::string frame = write_pake(message);
  CHECK(frame == FrameWriter(FrameKind::pake).bytes(message).finish());
  CHECK(kind_of(frame) == FrameKind::pake);
  const std::string body = body_of(frame);
  const std::optional<std::string_view> f = read_pake(body);
  REQUIRE(f.has_value());
  CHECK(*f == message);
  refuses_every_prefix(read_pake, body);
  CHECK_FALSE(read_pake(body + "x").has_value());
}

TEST_CASE("confirm: written and read back as 32 bytes; any other size is refused") {
  const std::string confirmation(kConfirmationBytes, 'c');
  const std::string frame = write_confirm(confirmation);
  CHECK(frame == FrameWriter(FrameKind::confirm).bytes(confirmation).finish());
  CHECK(kind_of(frame) == FrameKind::confirm);
  const std::string body = body_of(frame);
  const std::optional<std::string_view> f = read_confirm(body);
  REQUIRE(f.has_value());
  CHECK(*f == confirmation);
  refuses_every_prefix(read_confirm, body);
  CHECK_FALSE(read_confirm(body + "x").has_value());
}
