// The node-table frames' writers and readers (src/dist/table_frames.hpp): for each kind,
// what its writer writes its reader reads back field for field, in the bytes docs/WIRE.md
// §5.1 gives, and a body cut short, with bytes left over (where the kind refuses them)
// or with a field out of range is refused.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/dist/protocol.hpp"
#include "tests/dist/frame_test_support.hpp"
#include "src/dist/table_frames.hpp"

using namespace snow::dist;
using namespace frame_test;

TEST_CASE("node_name: written and read back, in WIRE.md's bytes; short or long bodies are refused") {
  // Distinct values of distinct widths, so a field read into another's place shows.
  const NodeNameFrame sent{.index = 0x0102, .generation = 0x03, .creation = 0x04050607, .name = "b@10.0.0.2:4370"};
  const std::string frame = write_node_name(sent);
  CHECK(frame ==
        FrameWriter(FrameKind::node_name).u16(0x0102).u8(0x03).u32(0x04050607).name("b@10.0.0.2:4370").finish());
  CHECK(kind_of(frame) == FrameKind::node_name);
  const std::string body = body_of(frame);
  const std::optional<NodeNameFrame> f = read_node_name(body);
  REQUIRE(f.has_value());
  CHECK(f->index == 0x0102);
  CHECK(f->generation == 0x03);
  CHECK(f->creation == 0x04050607);
  CHECK(f->name == "b@10.0.0.2:4370");
  refuses_every_prefix(read_node_name, body);
  CHECK_FALSE(read_node_name(body + "x").has_value());
}

TEST_CASE("node_name: index 0 and creation 0 are refused; generation 0 and any name are the node's to judge") {
  CHECK_FALSE(read_node_name(body_of(write_node_name({.index = 0, .generation = 1, .creation = 1, .name = "b@h:1"}))));
  CHECK_FALSE(read_node_name(body_of(write_node_name({.index = 1, .generation = 1, .creation = 0, .name = "b@h:1"}))));
  // (The body is kept: what a reader returns views it.)
  const std::string body = body_of(write_node_name({.index = 1, .generation = 0, .creation = 1, .name = "not a name"}));
  const std::optional<NodeNameFrame> f = read_node_name(body);
  REQUIRE(f.has_value());
  CHECK(f->generation == 0);
  CHECK(f->name == "not a name");
}

TEST_CASE("peers: written and read back, in WIRE.md's bytes; a body short of its count is refused") {
  const std::vector<std::string_view> names{"a@h:1", "bb@h:2", "ccc@h:3"};
  const std::string frame = write_peers({.names = names});
  CHECK(frame == FrameWriter(FrameKind::peers).u16(3).name("a@h:1").name("bb@h:2").name("ccc@h:3").finish());
  CHECK(kind_of(frame) == FrameKind::peers);
  const std::string body = body_of(frame);
  const std::optional<PeersFrame> f = read_peers(body);
  REQUIRE(f.has_value());
  CHECK(f->names == names);
  refuses_every_prefix(read_peers, body);
  // A count the body cannot hold, and a name longer than what is left.
  CHECK_FALSE(read_peers(body_of(FrameWriter(FrameKind::peers).u16(0xFFFF).name("a@h:1").finish())));
  CHECK_FALSE(read_peers(body_of(FrameWriter(FrameKind::peers).u16(1).u8(9).bytes("a@h:1").finish())));
}

TEST_CASE("peers: none is a peers frame; bytes after the last name are ignored, as they always were") {
  const std::optional<PeersFrame> none = read_peers(body_of(write_peers({})));
  REQUIRE(none.has_value());
  CHECK(none->names.empty());
  const std::string body = body_of(write_peers({.names = {"a@h:1"}})) + "xyz";
  const std::optional<PeersFrame> tail = read_peers(body);
  REQUIRE(tail.has_value());
  CHECK(tail->names == std::vector<std::string_view>{"a@h:1"});
}
