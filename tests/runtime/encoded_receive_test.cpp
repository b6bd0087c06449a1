// A message from another node reaches its receiver as its encoding (an EncodedMessage,
// snow/detail/encoded_message.hpp). Receive matching must treat it as the Term it holds
// always was: a typed clause takes it when it holds that type (guards included), a Term
// clause and a catch-all take it as a Term, and it keeps its place in the mailbox.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "snow/actor.hpp"
#include "snow/detail/encoded_message.hpp"
#include "snow/receive.hpp"
#include "snow/runtime.hpp"
#include "src/runtime/process.hpp"
#include "src/runtime/runtime_core.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Ping {
  Pid from;
  std::int64_t n = 0;
  std::string note;
};
struct Small {
  std::int8_t v = 0;
};
struct Go {};
SNOW_WIRE(Ping, from, n, note)
SNOW_WIRE(Small, v)

// What the transport thread hands the runtime: the value's STF bytes in an encoded node.
template <class T>
void deliver_encoded(Runtime& rt, Pid to, const T& value) {
  absl::StatusOr<std::string> bytes = encode(value);
  REQUIRE(bytes.ok());
  detail::deliver(rt.core(), to, detail::box_encoded(*bytes));
}
}  // namespace

TEST_SUITE("encoded messages") {
TEST_CASE("a typed clause takes an encoded message holding its type; others stay in order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));
    // Mailbox: Ping 1, "text" (as a Term), Ping 2 (guard refuses), Ping 3
    co_await self.receive(on<Ping>([&](Ping m) { trace.push_back("ping " + std::to_string(m.n) + " " + m.note); }));
    co_await self.receive(on<Ping>([](const Ping& m) { return m.n == 3; },
                                   [&](Ping m) { trace.push_back("guarded " + std::to_string(m.n)); }));
    co_await self.receive(on<int>([&](int) { trace.push_back("int"); }),
                          on<Term>([&](Term t) { trace.push_back("term " + t.debug_string()); }));
    co_await self.receive(on<Ping>([&](Ping m) { trace.push_back("ping " + std::to_string(m.n)); }));
  });
  deliver_encoded(rt, p, Ping{p, 1, "first"});
  deliver_encoded(rt, p, std::string("text"));
  deliver_encoded(rt, p, Ping{p, 2, ""});
  deliver_encoded(rt, p, Ping{p, 3, ""});
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CHECK(trace == Trace{"ping 1 first", "guarded 3", "term \"text\"", "ping 2"});
}

TEST_CASE("a catch-all is handed the Term; an integer converts to a narrower field only in range") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  const Pid p = rt.spawn([&](Self self) -> Proc {
    co_await self.receive(on<Go>([] {}));
    // An integer out of Small's range is no Small: it falls to the catch-all.
    co_await self.receive(on<Small>([&](Small s) { trace.push_back("small " + std::to_string(s.v)); }),
                          any([&](Message m) {
                            const Term* t = m.get<Term>();
                            trace.push_back(t != nullptr ? "any " + t->debug_string() : "any, not a Term: " + m.type_name());
                          }));
    co_await self.receive(on<Small>([&](Small s) { trace.push_back("small " + std::to_string(s.v)); }));
  });
  deliver_encoded(rt, p, Term::structure("Small", {{"v", std::int64_t{300}}}));
  // From a peer whose Small has a wider field: in range, it converts.
  deliver_encoded(rt, p, Term::structure("Small", {{"v", std::int64_t{-7}}}));
  rt.send(p, Go{});
  REQUIRE(rt.join(absl::Seconds(1)).ok());
  CAPTURE(absl::StrJoin(trace, " | "));
  CHECK(trace == Trace{"any Small { v: 300 }", "small -7"});
}

TEST_CASE("an encoded message prints, sends on and counts its memory as the Term it holds") {
  const Term t = Term::tuple({std::int64_t{1}, Term("two")});
  absl::StatusOr<std::string> bytes = encode(t);
  REQUIRE(bytes.ok());
  Message m(detail::box_encoded(*bytes));
  CHECK(m.type_name() == "snow::Term");
  CHECK(m.to_string() == Message::of(t).to_string());
  detail::MessageNode* node = m.release();
  std::string out;
  const bool can_encode = node->type->encode != nullptr;
  REQUIRE(can_encode);
  REQUIRE(node->type->encode(node, out).ok());
  CHECK(out == *bytes);
  // The pool block it takes: the header and the bytes, rounded up to 16.
  CHECK(detail::footprint_of(node) == (sizeof(detail::EncodedMessage) + bytes->size() + 15) / 16 * 16);
  detail::destroy(node);
}
}
