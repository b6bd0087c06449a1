// Large messages are decoded off the network thread (src/dist/decode_worker.hpp); in the
// simulated network the decode lands as an ordered step, and what arrived behind it
// waits. These tests check what that must not change: one peer's messages and signals
// arrive in the order sent, and nothing from a peer follows its noconnection.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/dist/sim_cluster.hpp"

namespace large_message_types {
struct Blob {
  std::string data;
};
SNOW_WIRE(Blob, data)
struct Ping {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(Ping, from, n)
}  // namespace large_message_types

using namespace simtest;
using large_message_types::Blob;
using large_message_types::Ping;
using snow::Pid;
using snow::Self;
using snow::dist::FrameKind;
using snow::dist::FrameWriter;

namespace {

/// Traps exits and records, in order, what it receives.
snow::Proc trapping_recorder(Self self, std::vector<std::string>* out) {
  self.trap_exits(true);
  for (;;) {
    co_await self.receive(snow::on<snow::Exit>([&](snow::Exit e) { out->push_back(("Exit " + e.reason.to_string()).substr(0, 60)); }),
                          snow::on<Ping>([&](Ping p) { out->push_back("Ping " + std::to_string(p.n)); }),
                          snow::on<Blob>([&](Blob b) { out->push_back("Blob " + std::to_string(b.data.size())); }),
                          snow::any([&](snow::Message m) { out->push_back("other " + m.to_string()); }));
  }
}

template <class T>
std::string send_frame(Pid from, Pid to, const T& message) {
  return FrameWriter(FrameKind::send).pid(from).pid(to).bytes(*snow::encode(message)).finish();
}

std::string link_frame(Pid from, Pid to) { return FrameWriter(FrameKind::link).pid(from).pid(to).finish(); }

std::string exit_frame(Pid from, Pid to, const std::string& text) {
  return FrameWriter(FrameKind::exit)
      .pid(from)
      .pid(to)
      .u8(1)  // via a link
      .u8(static_cast<std::uint8_t>(snow::ExitReason::Kind::error))
      .u64(text.size())
      .bytes(text)
      .u8(0)
      .finish();
}

/// An exit via a link whose reason is a user value: `value`'s encoding.
std::string exit_frame_with_value(Pid from, Pid to, const std::string& value) {
  return FrameWriter(FrameKind::exit)
      .pid(from)
      .pid(to)
      .u8(1)
      .u8(static_cast<std::uint8_t>(snow::ExitReason::Kind::user))
      .u64(4)
      .bytes("blob")
      .u8(1)
      .bytes(value)
      .finish();
}

/// A sender on a and a trapping recorder on b, a and b connected.
struct Setup {
  explicit Setup(std::uint64_t seed) : c(seed) {
    c.add("a");
    c.add("b");
    c.connect("a", "b");
    recorder = c["b"].rt->spawn(trapping_recorder, &got);
    to = c.view("a", "b", recorder);
    // A process of a, as a names it (its own node: index 0), idle: the frames below
    // speak for it.
    from = c["a"].rt->spawn([](Self self) -> snow::Proc { co_await self.receive(snow::after(absl::Hours(1), [] {})); });
  }
  SimCluster c;
  std::vector<std::string> got;
  Pid recorder, to, from;
};

constexpr std::size_t kLarge = 300 << 10;  // over the 64 KiB from which a decode goes elsewhere

}  // namespace

TEST_CASE("a large message, then small ones, a link and an exit from the same peer arrive in that order") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    Setup s(seed);
    // One write: the frames reach b together, so the small ones are read while the large
    // one decodes, and must wait behind it.
    std::string burst = send_frame(s.from, s.to, Blob{std::string(kLarge, 'x')});
    for (int i = 1; i <= 3; ++i) burst += send_frame(s.from, s.to, Ping{Pid(), i});
    burst += send_frame(s.from, s.to, Blob{std::string(kLarge, 'y')});  // a second large one behind them
    burst += send_frame(s.from, s.to, Ping{Pid(), 4});
    burst += link_frame(s.from, s.to);
    burst += exit_frame(s.from, s.to, "after the large ones");
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, burst);
    s.c.net.run_for(absl::Milliseconds(100));
    const std::string large = "Blob " + std::to_string(kLarge);
    CHECK(s.got == std::vector<std::string>{large, "Ping 1", "Ping 2", "Ping 3", large, "Ping 4",
                                            "Exit error(after the large ones)"});
    CHECK(s.c.sees("a", "b"));
    CHECK(s.c["b"].node().stats().protocol_errors == 0);
  }
}

TEST_CASE("a connection closed while a large message from it decodes: it and what waited are dropped, after nothing") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    Setup s(seed);
    // A link first, so that the close has something to tell the recorder.
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, link_frame(s.from, s.to));
    s.c.net.run_for(absl::Milliseconds(20));
    // The large message, a small one, then a frame that closes the connection at once (a
    // second handshake), read while the large one is still decoding.
    std::string burst = send_frame(s.from, s.to, Blob{std::string(kLarge, 'x')});
    burst += send_frame(s.from, s.to, Ping{Pid(), 1});
    burst += FrameWriter(FrameKind::hello).u8(2).u32(1).name("x@y:1").finish();
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, burst);
    s.c.net.run_for(absl::Milliseconds(100));
    // Dropped (the documented choice): the noconnection exit is the last thing from a.
    CHECK(s.got == std::vector<std::string>{"Exit noconnection"});
    CHECK(s.c["b"].node().stats().dropped_inbound_at_close == 2);
    // The nodes reconnect and the recorder hears from a again.
    s.c["a"].node().connect_async(s.c["b"].name);
    REQUIRE(s.c.net.run_until([&] { return s.c.sees("a", "b") && s.c.sees("b", "a"); }, absl::Seconds(5)));
    const Pid to = s.c.view("a", "b", s.recorder);
    s.c["a"].rt->spawn([to](Self self) -> snow::Proc {
      self.send(to, Blob{std::string(kLarge, 'z')});
      self.send(to, Ping{Pid(), 2});
      co_return;
    });
    s.c.net.run_for(absl::Milliseconds(100));
    CHECK(s.got == std::vector<std::string>{"Exit noconnection", "Blob " + std::to_string(kLarge), "Ping 2"});
  }
}

TEST_CASE("a peer whose frames pile up behind a large decode is read no further until it lands, and loses none") {
  for (std::uint64_t seed : seeds(2)) {
    SIM_SEED(seed);
    Setup s(seed);
    // A large message, then 6 MiB of small ones (over the 4 MiB that may wait), then, in
    // a second write, one more: b stops reading from a until the large one lands.
    constexpr int kSmall = 6000;
    std::string burst = send_frame(s.from, s.to, Blob{std::string(kLarge, 'x')});
    for (int i = 1; i <= kSmall; ++i) burst += send_frame(s.from, s.to, Blob{std::string(1000, 'p')});
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, burst);
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, send_frame(s.from, s.to, Ping{Pid(), 1}));
    bool paused = false;
    s.c.net.run_until(
        [&] {
          paused = paused || s.c["b"].core->reading_paused_for_testing(s.c["a"].name);
          return false;
        },
        absl::Seconds(1));
    CHECK(paused);
    CHECK_FALSE(s.c["b"].core->reading_paused_for_testing(s.c["a"].name));
    REQUIRE(s.got.size() == kSmall + 2);
    CHECK(s.got.front() == "Blob " + std::to_string(kLarge));
    CHECK(s.got[1] == "Blob 1000");
    CHECK(s.got.back() == "Ping 1");
    CHECK(s.c.sees("a", "b"));
  }
}

TEST_CASE("an exit whose reason is a large value is decoded elsewhere too: in order, and dropped at a close") {
  for (std::uint64_t seed : seeds(2)) {
    SIM_SEED(seed);
    Setup s(seed);
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, link_frame(s.from, s.to));
    s.c.net.run_for(absl::Milliseconds(20));
    const std::string value = *snow::encode(Blob{std::string(kLarge, 'r')});
    // In order: a small message, the exit, a small message.
    std::string burst = send_frame(s.from, s.to, Ping{Pid(), 1});
    burst += exit_frame_with_value(s.from, s.to, value);
    burst += send_frame(s.from, s.to, Ping{Pid(), 2});
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, burst);
    s.c.net.run_for(absl::Milliseconds(100));
    REQUIRE(s.got.size() == 3);
    CHECK(s.got[0] == "Ping 1");
    CHECK(s.got[1].rfind("Exit ", 0) == 0);
    CHECK(s.got[1] != "Exit noconnection");
    CHECK(s.got[2] == "Ping 2");
    // Linked again, then the same exit with a close behind it: dropped, like a message.
    s.got.clear();
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, link_frame(s.from, s.to));
    s.c.net.run_for(absl::Milliseconds(20));
    burst = exit_frame_with_value(s.from, s.to, value);
    burst += FrameWriter(FrameKind::hello).u8(2).u32(1).name("x@y:1").finish();
    s.c["a"].core->send_frame_for_testing(s.c["b"].name, burst);
    s.c.net.run_for(absl::Milliseconds(100));
    CHECK(s.got == std::vector<std::string>{"Exit noconnection"});
    CHECK(s.c["b"].node().stats().dropped_inbound_at_close == 1);
  }
}
