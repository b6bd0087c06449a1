// What becomes of a message another node cannot deliver: an undecodable message is
// dropped alone (the connection and the messages beside it carry on), a full mailbox or
// a missing process is reported back to the sender's node, and acknowledged sends
// (Self::send_acked / send_wait) give the sending process the far node's answer.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "src/dist/send_result.hpp"
#include "tests/dist/sim_cluster.hpp"

namespace send_result_types {
struct Num {
  std::int64_t n = 0;
};
SNOW_WIRE(Num, n)
/// Rows of empty lists: ~2 bytes each encoded, a 32-byte Term each decoded.
struct Lists {
  std::vector<std::vector<std::vector<std::int64_t>>> rows;
};
SNOW_WIRE(Lists, rows)
}  // namespace send_result_types

using namespace simtest;
using send_result_types::Lists;
using send_result_types::Num;
using snow::Pid;
using snow::Self;

namespace {

/// 2,000 rows of 1,000 empty lists: within every limit a sender checks (about 4 MB, no
/// list over max_collection_count), but its Terms would take ~64 MB, over the receiver's
/// decode budget (max(16 MiB, 2 bytes per input byte)), which only the receiver applies:
/// it leaves, arrives whole, and cannot be decoded.
Lists over_decode_budget() {
  return Lists{std::vector<std::vector<std::vector<std::int64_t>>>(2000, std::vector<std::vector<std::int64_t>>(1000))};
}

/// Records what it receives: Nums by value, NodeDown as -1, anything else as -2.
snow::Proc collector(Self self, std::vector<std::int64_t>* out) {
  for (;;) {
    co_await self.receive(snow::on<Num>([&](Num m) { out->push_back(m.n); }),
                          snow::on<snow::NodeDown>([&](snow::NodeDown) { out->push_back(-1); }),
                          snow::any([&](snow::Message) { out->push_back(-2); }));
  }
}

/// A process with a bounded mailbox that takes nothing until `*drain`, then records Nums.
snow::Proc slow_reader(Self self, const bool* drain, std::vector<std::int64_t>* out) {
  while (!*drain) co_await self.sleep(absl::Milliseconds(5));
  for (;;) co_await self.receive(snow::on<Num>([&](Num m) { out->push_back(m.n); }));
}

}  // namespace

TEST_CASE("a message over the receiver's DecodeLimits is dropped alone; the sender hears which limit") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    std::vector<std::int64_t> got;
    const Pid r = c.view("a", "b", c["b"].rt->spawn(collector, &got));
    std::vector<std::int64_t> a_events;
    const Pid watcher = c["a"].rt->spawn(collector, &a_events);
    c["a"].node().monitor_node(watcher, "");
    // A stream of small messages, from one process, beside the large ones from others.
    c["a"].rt->spawn([r](Self self) -> snow::Proc {
      for (std::int64_t i = 0; i < 300; ++i) {
        self.send(r, Num{i});
        co_await self.sleep(absl::Milliseconds(1));
      }
    });
    c["a"].rt->spawn([r](Self self) -> snow::Proc {
      co_await self.sleep(absl::Milliseconds(20));
      self.send(r, over_decode_budget());  // plain: counted on both sides
      co_return;
    });
    std::optional<absl::Status> acked;
    c["a"].rt->spawn([r, &acked](Self self) -> snow::Proc {
      co_await self.sleep(absl::Milliseconds(40));
      Lists lists = over_decode_budget();  // named: GCC 12 mishandles temporaries in a co_await
      acked = co_await self.send_acked(r, std::move(lists), absl::Seconds(20));
    });
    REQUIRE(c.net.run_until([&] { return got.size() >= 300 && acked.has_value(); }, absl::Seconds(30)));
    c.net.run_for(absl::Milliseconds(200));

    // Every small message arrived, once, in order; neither large one did.
    REQUIRE(got.size() == 300);
    for (std::int64_t i = 0; i < 300; ++i) CHECK(got[i] == i);
    // The connection never dropped.
    CHECK(a_events.empty());
    CHECK(c.sees("a", "b"));
    CHECK(c["b"].node().stats().protocol_errors == 0);
    // The acknowledged sender was told, with the limit named.
    CHECK_MESSAGE(absl::IsInvalidArgument(*acked), acked->ToString());
    CHECK_MESSAGE(acked->message().find("max_decoded_bytes_per_input_byte of 2") != std::string::npos, acked->ToString());
    // Both drops are counted where they happened and where they came from.
    CHECK(c["b"].node().stats().dropped_undecodable == 2);
    CHECK(c["a"].node().stats().remote_refused.undecodable == 2);
    REQUIRE(c["a"].node().peers().size() == 1);
    CHECK(c["a"].node().peers()[0].remote_refused == 2);
    CHECK(c.logs.count_containing("the connection stays up") >= 1);  // b says what it dropped
    CHECK(c.logs.count_containing("was dropped there") >= 1);        // a says what it heard
  }
}

TEST_CASE("send_acked and send_wait to a full remote mailbox: ResourceExhausted naming the capacity, then OK once drained") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    bool drain = false;
    std::vector<std::int64_t> got;
    const Pid r = c.view("a", "b", c["b"].rt->spawn_with({.mailbox_capacity = 2}, slow_reader, &drain, &got));
    std::vector<absl::Status> results;
    bool filled = false, go_wait = false;
    std::optional<absl::Status> waited, after_drain;
    c["a"].rt->spawn([&, r](Self self) -> snow::Proc {
      results.push_back(co_await self.send_acked(r, Num{1}));
      results.push_back(co_await self.send_acked(r, Num{2}));
      results.push_back(co_await self.send_acked(r, Num{3}));  // full
      self.send(r, Num{99});                                   // full: plain, dropped there
      filled = true;
      while (!go_wait) co_await self.sleep(absl::Milliseconds(5));
      waited = co_await self.send_wait(r, Num{4}, absl::Seconds(10));
      after_drain = co_await self.send_acked(r, Num{5});
    });
    REQUIRE(c.net.run_until([&] { return filled; }, absl::Seconds(5)));
    c.net.run_for(absl::Milliseconds(100));
    // The plain send's drop is visible on the sender's node too (with the refused acked one).
    CHECK(c["a"].node().stats().remote_refused.mailbox_full == 2);
    go_wait = true;
    c.net.run_for(absl::Milliseconds(300));
    CHECK_FALSE(waited.has_value());  // still waiting for room
    REQUIRE(results.size() == 3);
    CHECK(results[0].ok());
    CHECK(results[1].ok());
    CHECK_MESSAGE(absl::IsResourceExhausted(results[2]), results[2].ToString());
    CHECK_MESSAGE(results[2].message().find("capacity 2") != std::string::npos, results[2].ToString());

    drain = true;
    REQUIRE(c.net.run_until([&] { return after_drain.has_value(); }, absl::Seconds(10)));
    CHECK_MESSAGE(waited->ok(), waited->ToString());
    CHECK_MESSAGE(after_drain->ok(), after_drain->ToString());
    c.net.run_for(absl::Milliseconds(100));
    CHECK(got == std::vector<std::int64_t>{1, 2, 4, 5});
    CHECK(c.sees("a", "b"));
  }
}

TEST_CASE("plain sends to a full remote mailbox are counted on the sender's node, exactly, past the notice pace") {
  SimCluster c(31);
  c.pair();
  bool drain = false;
  std::vector<std::int64_t> got;
  const Pid r = c.view("a", "b", c["b"].rt->spawn_with({.mailbox_capacity = 1}, slow_reader, &drain, &got));
  c["a"].rt->spawn([r](Self self) -> snow::Proc {
    for (std::int64_t i = 0; i < 1000; ++i) self.send(r, Num{i});
    co_return;
  });
  c.net.run_for(absl::Seconds(3));  // the summary of what was not reported one by one comes after a second
  const snow::NodeStats a = c["a"].node().stats();
  const snow::NodeStats b = c["b"].node().stats();
  CHECK(a.remote_refused.mailbox_full == 999);
  CHECK(a.remote_refused.no_process == 0);
  CHECK(c["a"].node().peers()[0].remote_refused == 999);
  // At most 100 notices a second went one by one; the rest were summarized.
  CHECK(b.notices_summarized == 999 - snow::dist::NoticeBudget::kNoticesPerSecond);
  CHECK(c.sees("a", "b"));
}

TEST_CASE("send_acked: NotFound for a dead Pid or a missing name, Unavailable when the connection is lost, DeadlineExceeded") {
  SimCluster c(37);
  c.pair();
  const Pid dead = c.view("a", "b", c["b"].rt->spawn([](Self) -> snow::Proc { co_return; }));
  std::vector<std::int64_t> got;
  const Pid live = c.view("a", "b", c["b"].rt->spawn(collector, &got));
  c.net.run_for(absl::Milliseconds(50));
  std::optional<absl::Status> to_dead, to_live;
  c["a"].rt->spawn([&, dead, live](Self self) -> snow::Proc {
    to_dead = co_await self.send_acked(dead, Num{1});
    to_live = co_await self.send_acked(live, Num{2});
  });
  const std::string b_name = c["b"].name;
  c["a"].rt->spawn([b_name](Self self) -> snow::Proc {
    self.send("nobody_here", b_name, Num{3});  // by name: no such name there
    co_return;
  });
  REQUIRE(c.net.run_until([&] { return to_live.has_value(); }, absl::Seconds(5)));
  CHECK_MESSAGE(absl::IsNotFound(*to_dead), to_dead->ToString());
  CHECK_MESSAGE(to_live->ok(), to_live->ToString());
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c["a"].node().stats().remote_refused.no_process == 2);

  // No answer in time: DeadlineExceeded. The connection lost first: Unavailable.
  c.net.partition("a", "b");
  std::optional<absl::Status> short_wait, long_wait;
  c["a"].rt->spawn([&, live](Self self) -> snow::Proc {
    short_wait = co_await self.send_acked(live, Num{4}, absl::Milliseconds(100));
  });
  c["a"].rt->spawn([&, live](Self self) -> snow::Proc {
    long_wait = co_await self.send_acked(live, Num{5}, absl::Seconds(30));
  });
  REQUIRE(c.net.run_until([&] { return short_wait.has_value() && long_wait.has_value(); }, absl::Seconds(5)));
  CHECK_MESSAGE(absl::IsDeadlineExceeded(*short_wait), short_wait->ToString());
  CHECK_MESSAGE(absl::IsUnavailable(*long_wait), long_wait->ToString());
  // Not connected at all: Unavailable at once.
  std::optional<absl::Status> unconnected;
  c["a"].rt->spawn([&, live](Self self) -> snow::Proc { unconnected = co_await self.send_acked(live, Num{6}); });
  REQUIRE(c.net.run_until([&] { return unconnected.has_value(); }, absl::Seconds(1)));
  CHECK_MESSAGE(absl::IsUnavailable(*unconnected), unconnected->ToString());
}

TEST_CASE("a decode failure names the limit it broke, so a sender can be told which without the text") {
  using snow::dist::DecodeLimit;
  snow::DecodeLimits limits;
  limits.max_string_bytes = 8;
  limits.max_collection_count = 3;
  limits.max_depth = 4;
  limits.min_decoded_bytes = 1000;
  auto classify = [&](const snow::Term& t) {
    const std::string bytes = *snow::encode(t);
    absl::StatusOr<snow::Term> back = snow::decode_term(bytes, limits);
    REQUIRE_FALSE(back.ok());
    return snow::dist::classify_decode_failure(back.status(), limits);
  };
  CHECK(classify(snow::Term(std::string("more than eight"))) == std::make_pair(DecodeLimit::string_bytes, std::uint64_t{8}));
  CHECK(classify(snow::Term::list({snow::Term(1), snow::Term(2), snow::Term(3), snow::Term(4)})) ==
        std::make_pair(DecodeLimit::collection, std::uint64_t{3}));
  snow::Term deep = snow::Term::list({});
  for (int i = 0; i < 5; ++i) deep = snow::Term::list({deep});
  CHECK(classify(deep) == std::make_pair(DecodeLimit::depth, std::uint64_t{4}));
  limits.max_collection_count = 1 << 20;
  std::vector<snow::Term> many(200, snow::Term::list({}));
  CHECK(classify(snow::Term::list(many)) ==
        std::make_pair(DecodeLimit::decoded_budget, std::uint64_t{limits.max_decoded_bytes_per_input_byte}));
  CHECK(snow::dist::classify_decode_failure(absl::InvalidArgumentError("STF: cannot decode Term at byte 3: bad tag"),
                                            limits) == std::make_pair(DecodeLimit::malformed, std::uint64_t{0}));
}

namespace {
/// Takes nothing until `*drain`, then counts the Nums it gets.
snow::Proc gated_reader(Self self, const std::atomic<bool>* drain, std::atomic<int>* got) {
  while (!drain->load()) co_await self.sleep(absl::Milliseconds(2));
  for (;;) co_await self.receive(snow::on<Num>([&](Num) { got->fetch_add(1); }));
}
}  // namespace

// The one test here on real sockets (loopback): a host thread's try_send and send_wait
// block for the far node's answer, which a deterministic runtime cannot do.
TEST_CASE("from a host thread, rt.try_send and rt.send_wait to a remote Pid wait for the far node's answer") {
  snow::testing::LogCapture log;
  snow::Runtime a_rt(snow::testing::threaded(log));
  snow::Runtime b_rt(snow::testing::threaded(log));
  snow::NodeOptions options{.cookie = "send-result-test", .heartbeat = absl::Milliseconds(50)};
  absl::StatusOr<snow::Node> a = snow::Node::start(a_rt, "a@127.0.0.1:0", options);
  absl::StatusOr<snow::Node> b = snow::Node::start(b_rt, "b@127.0.0.1:0", options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->connect(b->name()).ok());
  std::atomic<bool> drain{false};
  std::atomic<int> got{0};
  const Pid local = b_rt.spawn_with({.mailbox_capacity = 1}, gated_reader, &drain, &got);
  const std::uint16_t index = snow::detail::node_of(a_rt)->node_index(b->name());
  REQUIRE(index != 0);
  const Pid remote = Pid::make(index, local.creation(), local.serial());

  // The first fits; a connection that is replaced at once (both nodes dialling) may lose
  // it and answer Unavailable, so try until one is delivered.
  absl::Status first = a_rt.try_send(remote, Num{1});
  for (int i = 0; i < 50 && absl::IsUnavailable(first); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first = a_rt.try_send(remote, Num{1});
  }
  CHECK_MESSAGE(first.ok(), first.ToString());
  const absl::Status full = a_rt.try_send(remote, Num{2});
  CHECK_MESSAGE(absl::IsResourceExhausted(full), full.ToString());
  CHECK_MESSAGE(full.message().find("capacity 1") != std::string::npos, full.ToString());
  const absl::Status stayed = a_rt.send_wait(remote, Num{3}, absl::Milliseconds(100));
  CHECK_MESSAGE(absl::IsDeadlineExceeded(stayed), stayed.ToString());
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    drain = true;
  });
  const absl::Status waited = a_rt.send_wait(remote, Num{4}, absl::Seconds(10));
  opener.join();
  CHECK_MESSAGE(waited.ok(), waited.ToString());
  const Pid gone = b_rt.spawn([](Self) -> snow::Proc { co_return; });
  {
    snow::ScopedActor me(b_rt);
    (void)me.monitor(gone);  // the Down is all we wait for
    me.receive(snow::on<snow::Down>([](snow::Down) {}));  // it has ended
  }
  const absl::Status dead = a_rt.try_send(Pid::make(index, gone.creation(), gone.serial()), Num{5});
  CHECK_MESSAGE(absl::IsNotFound(dead), dead.ToString());
}

TEST_CASE("a send_result or refusal_summary that does not parse closes the connection; an unknown ticket is ignored") {
  SimCluster c(41);
  c.pair();
  // An answer for a ticket never given (or given up): nothing waits for it, nothing breaks.
  c["b"].core->send_frame_for_testing(
      c["a"].name, snow::dist::write_send_result({.ticket = 12345, .outcome = snow::dist::SendOutcome::delivered}));
  c.net.run_for(absl::Milliseconds(100));
  CHECK(c.sees("a", "b"));
  CHECK(c["a"].node().stats().protocol_errors == 0);
  // A plain send is never answered "delivered"; a short summary is not a summary.
  c["b"].core->send_frame_for_testing(c["a"].name, snow::dist::write_send_result({.ticket = 0}));
  c.net.run_for(absl::Milliseconds(50));
  CHECK(c["a"].node().stats().protocol_errors == 1);
  REQUIRE(c.net.run_until([&] { return c.sees("a", "b"); }, absl::Seconds(5)));  // a keeps b: it reconnects
  std::string short_summary = snow::dist::write_refusal_summary({});
  short_summary.pop_back();
  short_summary[0] = static_cast<char>(short_summary.size() - 4);
  c["b"].core->send_frame_for_testing(c["a"].name, short_summary);
  c.net.run_for(absl::Milliseconds(50));
  CHECK(c["a"].node().stats().protocol_errors == 2);
}

TEST_CASE("Self::send_wait to a full local mailbox waits for room, and gives up at its timeout") {
  SimCluster c(43);
  c.add("a");
  bool drain = false;
  std::vector<std::int64_t> got;
  const Pid r = c["a"].rt->spawn_with({.mailbox_capacity = 1}, slow_reader, &drain, &got);
  std::optional<absl::Status> first, timed_out, waited;
  c["a"].rt->spawn([&, r](Self self) -> snow::Proc {
    first = co_await self.send_wait(r, Num{1}, absl::Seconds(1));
    timed_out = co_await self.send_wait(r, Num{2}, absl::Milliseconds(50));
    waited = co_await self.send_wait(r, Num{3}, absl::Seconds(5));
  });
  REQUIRE(c.net.run_until([&] { return timed_out.has_value(); }, absl::Seconds(2)));
  CHECK(first->ok());
  CHECK_MESSAGE(absl::IsDeadlineExceeded(*timed_out), timed_out->ToString());
  c.net.run_for(absl::Milliseconds(200));
  CHECK_FALSE(waited.has_value());
  drain = true;
  REQUIRE(c.net.run_until([&] { return waited.has_value() && got.size() == 2; }, absl::Seconds(2)));
  CHECK(waited->ok());
  CHECK(got == std::vector<std::int64_t>{1, 3});
}
