// tests/discovery/dns_answer_test.cpp: reading SRV answers, well formed and hostile.
// The answers are built here byte by byte, as a DNS server (or a spoofer) would send them.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "src/discovery/dns_answer.hpp"

using snow::discovery::parse_srv_answer;

namespace {

// A DNS response: header, one question, then records appended by the test.
struct Message {
  std::string bytes;
  std::uint16_t answers = 0;

  void u16(std::uint16_t v) {
    bytes.push_back(static_cast<char>(v >> 8));
    bytes.push_back(static_cast<char>(v & 0xFF));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void name(const std::string& dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      std::size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      bytes.push_back(static_cast<char>(dot - start));
      bytes.append(dotted, start, dot - start);
      start = dot + 1;
    }
    bytes.push_back('\0');
  }
  explicit Message(std::uint16_t rcode = 0, std::uint16_t answer_count_override = 0xFFFF) {
    u16(0x1234);           // id
    u16(0x8180 | rcode);   // response, recursion desired and available
    u16(1);                // one question
    u16(answer_count_override);  // patched by finish() unless overridden
    u16(0);
    u16(0);
    name("_snow._tcp.example");  // at offset 12: later names point here
    u16(33);
    u16(1);
  }
  // An SRV record for the question's name (a pointer to offset 12).
  void srv(std::uint16_t port, const std::string& target, std::uint16_t type = 33) {
    u16(0xC00C);
    u16(type);
    u16(1);
    u32(30);
    std::string rdata;
    Message inner(0);
    inner.bytes.clear();
    inner.u16(10);
    inner.u16(5);
    inner.u16(port);
    inner.name(target);
    u16(static_cast<std::uint16_t>(inner.bytes.size()));
    bytes += inner.bytes;
    ++answers;
  }
  std::string finish() const {
    std::string out = bytes;
    if (static_cast<unsigned char>(out[6]) == 0xFF && static_cast<unsigned char>(out[7]) == 0xFF) {
      out[6] = static_cast<char>(answers >> 8);
      out[7] = static_cast<char>(answers & 0xFF);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("SRV answer: each record is a member at its target and port; other types are skipped") {
  Message m;
  m.srv(4370, "snow-0.snow.example");
  m.srv(4371, "snow-1.snow.example");
  m.srv(9999, "not-srv.example", /*type=*/1);  // an A record's type: not a member
  auto answer = parse_srv_answer(m.finish(), 16);
  REQUIRE(answer.ok());
  REQUIRE(answer->members.size() == 2);
  CHECK(answer->members[0].key() == "snow-0.snow.example:4370");
  CHECK(answer->members[1].key() == "snow-1.snow.example:4371");
  CHECK(answer->ignored == 0);
}

TEST_CASE("SRV answer: a target of '.', port 0 or a name no host has is ignored and counted") {
  Message m;
  m.srv(4370, "");  // "." : no service here
  m.srv(0, "snow-0.example");
  m.srv(4370, std::string("bad\x1b[31mname", 12) + ".example");
  m.srv(4370, "good.example");
  auto answer = parse_srv_answer(m.finish(), 16);
  REQUIRE(answer.ok());
  REQUIRE(answer->members.size() == 1);
  CHECK(answer->members[0].host == "good.example");
  CHECK(answer->ignored == 3);
}

TEST_CASE("SRV answer: thousands of records keep max_members and count the rest") {
  Message m;
  for (int i = 0; i < 3000; ++i) m.srv(4370, "n" + std::to_string(i) + ".example");
  auto answer = parse_srv_answer(m.finish(), 100);
  REQUIRE(answer.ok());
  CHECK(answer->members.size() == 100);
  CHECK(answer->ignored == 2900);
}

TEST_CASE("SRV answer: error codes say what the server said") {
  CHECK(parse_srv_answer(Message(3).finish(), 16).status().code() == absl::StatusCode::kNotFound);
  CHECK(parse_srv_answer(Message(2).finish(), 16).status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("SRV answer: hostile messages are refused, never read past their end") {
  Message good;
  good.srv(4370, "snow-0.example");
  const std::string whole = good.finish();
  // Every truncation of a valid answer.
  for (std::size_t n = 0; n < whole.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(parse_srv_answer(whole.substr(0, n), 16).ok());
  }
  // More answers announced than present.
  {
    Message m(0, 5);
    m.srv(4370, "a.example");
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
  // A query, not a response.
  {
    std::string q = whole;
    q[2] = 0x01;
    CHECK_FALSE(parse_srv_answer(q, 16).ok());
  }
  // A compression pointer to itself, and two pointing at each other: loops end.
  for (std::uint16_t target : {std::uint16_t{0}, std::uint16_t{2}}) {
    Message m(0, 1);
    const std::size_t here = m.bytes.size();
    m.u16(static_cast<std::uint16_t>(0xC000 | (here + target)));  // owner name
    m.u16(static_cast<std::uint16_t>(0xC000 | here));
    m.u16(33);
    m.u16(1);
    m.u32(0);
    m.u16(8);
    m.u32(0);
    m.u16(4370);
    m.u16(static_cast<std::uint16_t>(0xC000 | here));
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
  // A pointer past the end of the message.
  {
    Message m(0, 1);
    m.u16(0xC00C);
    m.u16(33);
    m.u16(1);
    m.u32(0);
    m.u16(8);
    m.u32(0);
    m.u16(4370);
    m.u16(0xFFF0);
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
  // A target longer than a name may be (255 bytes), in labels of 63.
  {
    Message m;
    std::string target;
    for (int i = 0; i < 5; ++i) target += std::string(63, 'a' + i) + ".";
    target += "example";
    m.srv(4370, target);
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
  // An rdlength shorter than the SRV fields in it.
  {
    Message m(0, 1);
    m.u16(0xC00C);
    m.u16(33);
    m.u16(1);
    m.u32(0);
    m.u16(3);
    m.u32(0);
    m.u16(4370);
    m.name("a.example");
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
  // A label with the reserved 0x40/0x80 type bits.
  {
    Message m(0, 1);
    m.u16(0xC00C);
    m.u16(33);
    m.u16(1);
    m.u32(0);
    m.u16(9);
    m.u32(0);
    m.u16(4370);
    m.bytes += std::string("\x41" "ab", 3);
    CHECK_FALSE(parse_srv_answer(m.finish(), 16).ok());
  }
}

TEST_CASE("SRV answer: random bytes after a valid header never crash the reader") {
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    Message m(0, static_cast<std::uint16_t>(round % 7));
    const int extra = static_cast<int>(state % 200);
    for (int i = 0; i < extra; ++i) {
      state = state * 1664525 + 1013904223;
      m.bytes.push_back(static_cast<char>(state >> 24));
    }
    auto answer = parse_srv_answer(m.finish(), 8);  // ok or not: it must only return
    if (answer.ok()) CHECK(answer->members.size() <= 8);
  }
}
