// tests/discovery/address_dial_test.cpp: dialling an address without knowing the node
// there (what DNS A records give): the connector learns the name from the acceptor's
// hello and proves the cookie as for any connection; the acceptor runs unchanged.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "src/dist/handshake.hpp"

using snow::dist::FrameKind;
using snow::dist::Handshake;

namespace {

constexpr std::string_view kBinding = "0123456789abcdef0123456789abcdef";

struct Gate final : snow::dist::HandshakeGate {
  std::optional<snow::dist::Refused> check_hello(const snow::dist::PeerHello&) const override { return std::nullopt; }
};

struct Wire {
  FrameKind kind;
  std::string body;
};
Wire parse(const std::string& frame) {
  return Wire{static_cast<FrameKind>(frame[snow::dist::kFrameHeaderBytes]), frame.substr(snow::dist::kFrameHeaderBytes + 1)};
}

// Runs a connector and an acceptor against each other until both stop; says how each ended.
struct Outcome {
  Handshake::Step connector, acceptor;
};
Outcome exchange(Handshake& c, Handshake& a) {
  Gate gate;
  Outcome out;
  std::vector<std::string> to_a = c.opening(), to_c = a.opening();
  for (int round = 0; round < 8 && (!to_a.empty() || !to_c.empty()); ++round) {
    std::vector<std::string> next_a, next_c;
    for (const std::string& f : to_a) {
      if (out.acceptor.refused || out.acceptor.authenticated) break;
      const Wire w = parse(f);
      out.acceptor = a.on_frame(w.kind, w.body, kBinding, gate);
      next_c.insert(next_c.end(), out.acceptor.send.begin(), out.acceptor.send.end());
      if (out.acceptor.authenticated) next_c.push_back(a.acceptance());
    }
    for (const std::string& f : to_c) {
      if (out.connector.refused || out.connector.authenticated) break;
      const Wire w = parse(f);
      out.connector = c.on_frame(w.kind, w.body, kBinding, gate);
      next_a.insert(next_a.end(), out.connector.send.begin(), out.connector.send.end());
    }
    to_a = std::move(next_a);
    to_c = std::move(next_c);
  }
  return out;
}

}  // namespace

TEST_CASE("address dial: the connector sends its hello alone, learns the name, then proves the cookie") {
  Handshake c(Handshake::Role::connector, "a@10.0.0.1:4370", 11, "", "cookie");
  Handshake a(Handshake::Role::acceptor, "b@10.0.0.2:4370", 22, "", "cookie");
  Handshake probe(Handshake::Role::connector, "a@10.0.0.1:4370", 11, "", "cookie");
  CHECK(probe.opening().size() == 1);  // no pake yet: the proof binds a name it does not know
  Outcome o = exchange(c, a);
  CHECK(o.connector.authenticated);
  CHECK(o.acceptor.authenticated);
  REQUIRE(c.peer_hello());
  CHECK(c.peer_hello()->name == "b@10.0.0.2:4370");
  CHECK(c.peer_hello()->creation == 22);
  CHECK_FALSE(c.dialled_itself());
}

TEST_CASE("address dial: a wrong cookie is still refused by the acceptor as a failed proof") {
  Handshake c(Handshake::Role::connector, "a@10.0.0.1:4370", 11, "", "a guess");
  Handshake a(Handshake::Role::acceptor, "b@10.0.0.2:4370", 22, "", "cookie");
  Outcome o = exchange(c, a);
  REQUIRE(o.acceptor.refused);
  CHECK(o.acceptor.refused->reason == snow::dist::Refusal::proof);
  CHECK_FALSE(o.connector.authenticated);
}

TEST_CASE("address dial: reaching this node itself is recognised and refused before any proof") {
  Handshake c(Handshake::Role::connector, "a@10.0.0.1:4370", 11, "", "cookie");
  Handshake a(Handshake::Role::acceptor, "a@10.0.0.1:4370", 11, "", "cookie");
  Outcome o = exchange(c, a);
  REQUIRE(o.connector.refused);
  CHECK(o.connector.refused->reason == snow::dist::Refusal::name);
  CHECK(c.dialled_itself());
  CHECK_FALSE(o.acceptor.authenticated);
}

TEST_CASE("address dial: a named dial still refuses a node other than the one it named") {
  Handshake c(Handshake::Role::connector, "a@10.0.0.1:4370", 11, "c@10.0.0.2:4370", "cookie");
  Handshake a(Handshake::Role::acceptor, "b@10.0.0.2:4370", 22, "", "cookie");
  Outcome o = exchange(c, a);
  REQUIRE(o.connector.refused);
  CHECK(o.connector.refused->reason == snow::dist::Refusal::name);
  CHECK_FALSE(c.dialled_itself());
}
