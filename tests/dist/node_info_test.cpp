// The node_info frame (src/dist/node_info.hpp): pieces, parsing, and the sender's check
// of a message against a peer's limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "snow/snow.hpp"
#include "src/dist/node_info.hpp"
#include "src/dist/protocol.hpp"

namespace nodeinfo_test {
struct Named {
  std::string text;
};
SNOW_WIRE(Named, text)
}  // namespace nodeinfo_test

using namespace snow::dist;

namespace {
std::string body_of(const std::string& frame) { return frame.substr(kFrameHeaderBytes + 1); }
}  // namespace

TEST_CASE("a long fingerprint goes as several node_info pieces, each repeating the limits, the last marked") {
  ReceiveLimits limits{12345, {}};
  limits.decode.max_string_bytes = 77;
  Fingerprint fp;
  for (int i = 0; i < 100; ++i) fp.emplace_back("type_" + std::to_string(i), 1000 + i);
  const std::vector<std::string> frames = node_info_frames(limits, fp, 512);
  REQUIRE(frames.size() > 1);
  Fingerprint back;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].size() <= 512 + kFrameHeaderBytes + 1 + 32);
    CHECK(static_cast<FrameKind>(frames[i][kFrameHeaderBytes]) == FrameKind::node_info);
    const std::string body = body_of(frames[i]);  // the piece's entries view it
    absl::StatusOr<NodeInfoPiece> p = parse_node_info(body);
    REQUIRE(p.ok());
    CHECK(p->last == (i + 1 == frames.size()));
    CHECK(p->limits.max_message_bytes == 12345);
    CHECK(p->limits.decode.max_string_bytes == 77);
    for (auto& [name, digest] : p->entries) back.emplace_back(std::string(name), digest);
  }
  CHECK(back == fp);
  // No types at all is one piece, marked last.
  const std::vector<std::string> empty = node_info_frames(limits, {}, 512);
  REQUIRE(empty.size() == 1);
  CHECK(parse_node_info(body_of(empty[0]))->last);
}

TEST_CASE("a malformed node_info body is refused, never trusted for a count") {
  const std::string good = body_of(node_info_frames({1024, {}}, {{"A", 1}}, 512)[0]);
  CHECK(parse_node_info(good).ok());
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(parse_node_info(good.substr(0, n)).ok());
  CHECK_FALSE(parse_node_info(good + "x").ok());
  std::string huge_count = good;
  huge_count[1 + 48] = '\xff';  // the u32 entry count, after u8 last and six u64 limits
  huge_count[1 + 48 + 3] = '\x7f';
  CHECK_FALSE(parse_node_info(huge_count).ok());
  std::string bad_last = good;
  bad_last[0] = 2;
  CHECK_FALSE(parse_node_info(bad_last).ok());
}

TEST_CASE("a sender's check finds the limit a message breaks, and names it and the peer") {
  ReceiveLimits limits{1 << 20, {}};
  limits.decode.max_string_bytes = 100;
  limits.decode.max_collection_count = 10;
  limits.decode.max_depth = 3;
  auto check = [&](const snow::Term& t) {
    return check_message_for(limits, "b@h:1", *snow::encode(t));
  };
  CHECK(check(snow::Term(std::string(100, 'x'))).ok());
  absl::Status s = check(snow::Term(std::string(101, 'x')));
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(s.message() == "a string of 101 bytes is over max_string_bytes (100) of b@h:1");
  std::vector<snow::Term> ten(10, snow::Term(1)), eleven(11, snow::Term(1));
  CHECK(check(snow::Term::list(ten)).ok());
  CHECK(check(snow::Term::list(eleven)).message().find("over max_collection_count (10) of b@h:1") != std::string::npos);
  const snow::Term deep3 = snow::Term::list({snow::Term::list({snow::Term::list({})})});
  CHECK(check(deep3).ok());
  CHECK(check(snow::Term::list({deep3})).message().find("max_depth (3)") != std::string::npos);
  // A string deep inside a struct is found too.
  CHECK(check_message_for(limits, "b@h:1", *snow::encode(nodeinfo_test::Named{std::string(200, 'y')}))
            .message()
            .find("max_string_bytes") != std::string::npos);
  limits.max_message_bytes = 50;
  CHECK(check(snow::Term(std::string(60, 'x'))).message() ==
        "a message of 66 bytes is over max_message_bytes (50) of b@h:1");
  CHECK(message_type_name(*snow::encode(nodeinfo_test::Named{"z"})) == "Named");
  CHECK(message_type_name(*snow::encode(snow::Term(1))).empty());
}
