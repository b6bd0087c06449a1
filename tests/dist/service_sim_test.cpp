// tests/dist/service_sim_test.cpp: services called from another node (issue 23, item 1),
// on the simulated network: every way of naming the service, and every way a call fails.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "snow/call_by_name.hpp"
#include "src/runtime/runtime_core.hpp"
#include "tests/dist/sim_cluster.hpp"

namespace service_types {
struct Get {
  std::string key;
};
SNOW_WIRE(Get, key)
struct Put {
  std::string key;
  std::int64_t value = 0;
};
SNOW_WIRE(Put, key, value)
struct Add {
  std::string key;
  std::int64_t n = 0;
};
SNOW_WIRE(Add, key, n)
struct WhoAreYou {};
SNOW_WIRE(WhoAreYou)
struct Crash {};
SNOW_WIRE(Crash)
/// Handled by Kv, but not listed in its remote_requests.
struct Secret {};
SNOW_WIRE(Secret)
/// Not a wire type: Kv takes it locally only.
struct LocalOnly {
  int n = 0;
};

struct Kv {
  using remote_requests = snow::RemoteRequests<Get, Put, Add, WhoAreYou, Crash>;
  std::map<std::string, std::int64_t> data;
  std::int64_t handle_call(const Get& g) { return data.contains(g.key) ? data[g.key] : -1; }
  void handle_call(const Put& p) { data[p.key] = p.value; }
  void handle_cast(const Add& a) { data[a.key] += a.n; }
  snow::Pid handle_call(const WhoAreYou&, snow::Self self) { return self.pid(); }
  std::int64_t handle_call(const Crash&) { throw std::runtime_error("boom"); }
  std::int64_t handle_call(const Secret&) { return 42; }
  std::int64_t handle_call(const LocalOnly& l) { return l.n; }
};

/// A request a dispatcher hands to a worker with its reply token, and one its coroutine
/// handler answers after asking another service.
struct Square {
  std::int64_t n = 0;
};
SNOW_WIRE(Square, n)
struct Doubled {
  std::string key;
};
SNOW_WIRE(Doubled, key)
struct Job {
  std::int64_t n = 0;
  snow::ReplyTo<std::int64_t> reply;
};

/// Answers Square later, from a worker process (a deferred reply), and Doubled from a
/// coroutine handler that calls a local Kv first.
struct Dispatcher {
  using remote_requests = snow::RemoteRequests<Square, Doubled>;
  snow::Pid worker;
  snow::Service<Kv> store;
  void handle_call(const Square& s, snow::ReplyTo<std::int64_t> reply, snow::Self self) {
    self.send(worker, Job{s.n, std::move(reply)});
  }
  snow::Task<absl::StatusOr<std::int64_t>> handle_call(const Doubled& d, snow::Self self) {
    const Get get{d.key};
    absl::StatusOr<std::int64_t> v = co_await store.call(self, get);
    if (!v.ok()) co_return v.status();
    co_return *v * 2;
  }
};

/// The same requests, but no remote_requests: a service that serves its own node only.
struct LocalKv {
  std::int64_t handle_call(const Get&) { return 1; }
};
}  // namespace service_types

using namespace simtest;
using namespace service_types;
using snow::Pid;
using snow::Self;

namespace {

// Requests in variables, never braced temporaries in a co_await's expression: g++ 12
// relocates such a temporary bitwise, which breaks a std::string member (see
// ServiceOptions in service.hpp).
const Get kGetX{"x"};
const Put kPutX{"x", 1};

/// A process that takes every message and never answers: a service that hangs.
snow::Proc silent(Self self) {
  for (;;) co_await self.receive(snow::any([](snow::Message) {}));
}

template <class T>
std::string status_text(const absl::StatusOr<T>& s) { return s.status().ToString(); }

/// Runs `body(self)` in a process of `host`'s node until the simulated network is idle
/// for `for_at_most`.
template <class F>
void run_on(SimCluster& c, const std::string& host, F body, absl::Duration for_at_most = absl::Seconds(10)) {
  bool done = false;
  c[host].rt->spawn([&done, body](Self self) -> snow::Proc {
    co_await body(self);
    done = true;
  });
  c.net.run_until([&] { return done; }, for_at_most);
  REQUIRE_MESSAGE(done, "the caller did not finish");
}

}  // namespace

TEST_CASE("a service on another node is called by Pid, by {name, node} and by global name; casts arrive") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    const snow::Service<Kv> kv = snow::spawn_service(*c["b"].rt, Kv{}, {.name = "kv"});
    REQUIRE(snow::global::register_name(*c["b"].rt, "kv", kv.pid()).ok());
    REQUIRE(c.net.run_until([&] { return snow::global::whereis(*c["a"].rt, "kv").has_value(); }, absl::Seconds(5)));
    const Pid seen_from_a = c.view("a", "b", kv.pid());
    const std::string b = c["b"].name;
    std::vector<std::string> got;
    run_on(c, "a", [&](Self self) -> snow::Task<> {
      const snow::Service<Kv> remote(self.runtime(), seen_from_a);
      const Put put_x{"x", 7};
      const Get get_x{"x"};
      const Add add_1{"x", 1}, add_2{"x", 2};
      absl::Status put = co_await remote.call(self, put_x);  // a void handler: a Status
      got.push_back("put " + put.ToString());
      absl::StatusOr<std::int64_t> by_pid = co_await remote.call(self, get_x);
      got.push_back("pid " + std::to_string(by_pid.value_or(-100)));
      CHECK(snow::cast_service<Kv>(self, snow::NameOn{"kv", b}, add_1));
      CHECK(snow::cast_service<Kv>(self, snow::GlobalName{"kv"}, add_2));
      // Casts and calls from one process to one service keep their order.
      absl::StatusOr<std::int64_t> by_name_on = co_await snow::call_service<Kv>(self, snow::NameOn{"kv", b}, get_x);
      got.push_back("name on node " + std::to_string(by_name_on.value_or(-100)));
      absl::StatusOr<std::int64_t> by_global = co_await snow::call_service<Kv>(self, snow::GlobalName{"kv"}, get_x);
      got.push_back("global " + std::to_string(by_global.value_or(-100)));
      // A Pid in the reply names the same process here.
      absl::StatusOr<Pid> who = co_await remote.call(self, WhoAreYou{});
      got.push_back(who.ok() && *who == seen_from_a ? "pid translated" : "pid wrong " + status_text(who));
      remote.cast(Add{"x", 100});  // from no process: ordered with nothing of this process's
    });
    c.net.run_for(absl::Milliseconds(100));
    CHECK(got == std::vector<std::string>{"put OK", "pid 7", "name on node 10", "global 10", "pid translated"});
    // And by local name, on the service's own node.
    std::optional<std::int64_t> local;
    run_on(c, "b", [&](Self self) -> snow::Task<> {
      const Get get_x{"x"};
      absl::StatusOr<std::int64_t> r = co_await snow::call_service<Kv>(self, snow::LocalName{"kv"}, get_x);
      if (r.ok()) local = *r;
    });
    CHECK(local == 110);
    CHECK(c["b"].node().stats().refused_service_requests == 0);
  }
}

snow::Proc squarer(Self self) {
  for (;;) co_await self.receive(snow::on<Job>([](Job j) { j.reply.reply(j.n * j.n); }));
}

TEST_CASE("a caller on another node gets deferred replies and coroutine handlers' answers") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    snow::Runtime& rt_b = *c["b"].rt;
    const snow::Service<Kv> store = snow::spawn_service(rt_b, Kv{});
    const Put seven{"x", 7};
    const snow::Service<Dispatcher> dispatcher =
        snow::spawn_service(rt_b, Dispatcher{rt_b.spawn(squarer), store});
    bool stored = false;
    run_on(c, "b", [&](Self self) -> snow::Task<> {
      stored = (co_await store.call(self, seven)).ok();
    });
    REQUIRE(stored);
    const Pid seen_from_a = c.view("a", "b", dispatcher.pid());
    std::vector<std::string> got;
    run_on(c, "a", [&](Self self) -> snow::Task<> {
      const snow::Service<Dispatcher> remote(self.runtime(), seen_from_a);
      const Square nine{9};
      const Doubled x{"x"};
      absl::StatusOr<std::int64_t> deferred = co_await remote.call(self, nine);
      got.push_back("square " + (deferred.ok() ? std::to_string(*deferred) : deferred.status().ToString()));
      absl::StatusOr<std::int64_t> awaited = co_await remote.call(self, x);
      got.push_back("doubled " + (awaited.ok() ? std::to_string(*awaited) : awaited.status().ToString()));
    });
    CHECK(got == std::vector<std::string>{"square 81", "doubled 14"});
  }
}

TEST_CASE("calls across nodes fail as local ones do: NotFound, Aborted with the reason, noconnection, DeadlineExceeded") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    const snow::Service<Kv> kv = snow::spawn_service(*c["b"].rt, Kv{});
    const Pid kv_from_a = c.view("a", "b", kv.pid());
    const Pid gone = c.view("a", "b", c["b"].rt->spawn([](Self) -> snow::Proc { co_return; }));
    const Pid hangs = c.view("a", "b", c["b"].rt->spawn(silent));
    const std::string b = c["b"].name;
    c.net.run_for(absl::Milliseconds(100));
    std::vector<std::string> got;
    run_on(c, "a", [&](Self self) -> snow::Task<> {
      auto code = [](const auto& r) { return std::string(absl::StatusCodeToString(r.status().code())); };
      const Get get_x{"x"};
      got.push_back(code(co_await snow::Service<Kv>(self.runtime(), gone).call(self, kGetX)));
      got.push_back(code(co_await snow::call_service<Kv>(self, snow::NameOn{"nobody", b}, kGetX)));
      got.push_back(code(co_await snow::call_service<Kv>(self, snow::GlobalName{"nobody"}, kGetX)));
      absl::StatusOr<std::int64_t> crashed = co_await snow::Service<Kv>(self.runtime(), kv_from_a).call(self, Crash{});
      got.push_back(code(crashed) + " " + std::string(crashed.status().message().find("error(boom)") != std::string_view::npos
                                                          ? "with the reason"
                                                          : crashed.status().ToString()));
      absl::StatusOr<std::int64_t> slow =
          co_await snow::Service<Kv>(self.runtime(), hangs).call(self, kGetX, absl::Milliseconds(300));
      got.push_back(code(slow));
    });
    CHECK(got == std::vector<std::string>{"NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "ABORTED with the reason",
                                          "DEADLINE_EXCEEDED"});
  }
}

TEST_CASE("a call whose server's node goes down is Aborted with noconnection, at once") {
  for (std::uint64_t seed : seeds(3)) {
    SIM_SEED(seed);
    SimCluster c(seed);
    c.pair();
    const Pid hangs = c.view("a", "b", c["b"].rt->spawn(silent));
    std::optional<absl::StatusOr<std::int64_t>> result;
    c["a"].rt->spawn([&](Self self) -> snow::Proc {
      result = co_await snow::Service<Kv>(self.runtime(), hangs).call(self, kGetX, absl::Seconds(60));
    });
    c.net.run_for(absl::Milliseconds(200));
    REQUIRE(!result.has_value());
    c.crash("b");
    // Well within the call's 60 s: the node's loss ends it, not the timeout.
    c.net.run_until([&] { return result.has_value(); }, absl::Seconds(5));
    REQUIRE(result.has_value());
    CHECK(result->status().code() == absl::StatusCode::kAborted);
    CHECK(result->status().message().find("noconnection") != std::string_view::npos);
  }
}

TEST_CASE("a {name, node} call to a node that is not connected is Aborted with noconnection") {
  SimCluster c(11);
  c.add("a");
  std::optional<absl::Status> status;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    status = (co_await snow::call_service<Kv>(self, snow::NameOn{"kv", "n@nowhere:9000"}, kGetX)).status();
  });
  REQUIRE(status.has_value());
  CHECK(status->code() == absl::StatusCode::kAborted);
  CHECK(status->message().find("noconnection") != std::string_view::npos);
}

TEST_CASE("a late reply from another node is dropped, never left in the caller's mailbox") {
  SimCluster c(13);
  c.pair();
  // A server that answers after 500 ms, through the same path a service's reply takes.
  const Pid late = c.view("a", "b", c["b"].rt->spawn([](Self self) -> snow::Proc {
    co_await self.receive(snow::on<snow::detail::RemoteCallRequest>([&](snow::detail::RemoteCallRequest r) {
      self.send_after(absl::Milliseconds(500), self.pid(), r);
    }));
    co_await self.receive(snow::on<snow::detail::RemoteCallRequest>([&](snow::detail::RemoteCallRequest r) {
      snow::detail::send_reply(self.runtime(), r.from, r.ref, snow::Message::of(std::int64_t{5}), absl::OkStatus());
    }));
  }));
  std::vector<std::string> got;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    absl::StatusOr<std::int64_t> r = co_await snow::Service<Kv>(self.runtime(), late).call(self, kGetX, absl::Milliseconds(200));
    got.push_back(std::string(absl::StatusCodeToString(r.status().code())));
    co_await self.receive(snow::any([&](snow::Message m) { got.push_back("left: " + m.type_name()); }),
                          snow::after(absl::Seconds(1), [] {}));
  });
  CHECK(got == std::vector<std::string>{"DEADLINE_EXCEEDED"});
  CHECK(c["a"].rt->core().obs.late_replies.load() == 1);
}

TEST_CASE("a request the service does not take from other nodes gets an error reply and is counted") {
  SimCluster c(17);
  c.pair();
  const Pid kv = c.view("a", "b", snow::spawn_service(*c["b"].rt, Kv{}).pid());
  const Pid local_kv = c.view("a", "b", snow::spawn_service(*c["b"].rt, LocalKv{}).pid());
  std::vector<std::string> got;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    auto text = [](const absl::Status& s) { return std::string(absl::StatusCodeToString(s.code())); };
    // Listed nowhere: Secret is handled by Kv, but only for local callers.
    snow::detail::RemoteCallRequest secret{Pid(), snow::Ref(), "Secret", snow::to_term(Secret{}), {}};
    got.push_back(text((co_await snow::detail::call<std::int64_t>(self, kv, std::move(secret), absl::Seconds(2))).status()));
    // A name nobody declares.
    snow::detail::RemoteCallRequest unknown{Pid(), snow::Ref(), "Nope", snow::Term(), {}};
    got.push_back(text((co_await snow::detail::call<std::int64_t>(self, kv, std::move(unknown), absl::Seconds(2))).status()));
    // A listed name whose body is not that request.
    snow::detail::RemoteCallRequest garbled{Pid(), snow::Ref(), "Get", snow::Term(std::int64_t{3}), {}};
    got.push_back(text((co_await snow::detail::call<std::int64_t>(self, kv, std::move(garbled), absl::Seconds(2))).status()));
    // A service that declares no remote_requests at all.
    got.push_back(text((co_await snow::Service<LocalKv>(self.runtime(), local_kv).call(self, kGetX)).status()));
    // The service is still there.
    got.push_back(std::to_string((co_await snow::Service<Kv>(self.runtime(), kv).call(self, kGetX)).value_or(-100)));
  });
  CHECK(got == std::vector<std::string>{"UNIMPLEMENTED", "UNIMPLEMENTED", "INVALID_ARGUMENT", "UNIMPLEMENTED", "-1"});
  CHECK(c["b"].node().stats().refused_service_requests == 4);
}

TEST_CASE("a request that is not a wire type, to another node, is an error saying what to declare") {
  SimCluster c(19);
  c.pair();
  const Pid kv = c.view("a", "b", snow::spawn_service(*c["b"].rt, Kv{}).pid());
  std::optional<absl::Status> status, stop;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    status = (co_await snow::Service<Kv>(self.runtime(), kv).call(self, LocalOnly{3})).status();
    // Service::stop's request is not a wire type either: it says what to do instead.
    stop = co_await snow::Service<Kv>(self.runtime(), kv).stop(self);
  });
  REQUIRE(status.has_value());
  CHECK(status->code() == absl::StatusCode::kInvalidArgument);
  const std::string text(status->message());
  CHECK(text.find("SNOW_WIRE(service_types::LocalOnly") != std::string::npos);
  CHECK(text.find("remote_requests") != std::string::npos);
  CHECK(text.find("detail") == std::string::npos);  // names the user's type, not an internal one
  REQUIRE(stop.has_value());
  CHECK(stop->code() == absl::StatusCode::kUnimplemented);
  CHECK(stop->message().find("exit signal") != std::string_view::npos);
}

TEST_CASE("a call whose request or reply the two nodes declare differently is refused (protocol fingerprint)") {
  SimCluster c(23);
  c.add("a");
  c.add("b");
  // b pairs Get with another reply type: its digest of the call differs from a's.
  c["b"].core->override_fingerprint_for_testing(snow::detail::remote_call_name<Kv, Get>(), 12345);
  c.connect("a", "b");
  const Pid kv = c.view("a", "b", snow::spawn_service(*c["b"].rt, Kv{}).pid());
  c.net.run_for(absl::Milliseconds(100));
  std::optional<absl::Status> get, put;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    get = (co_await snow::Service<Kv>(self.runtime(), kv).call(self, kGetX)).status();
    put = co_await snow::Service<Kv>(self.runtime(), kv).call(self, kPutX);
  });
  REQUIRE(get.has_value());
  CHECK(get->code() == absl::StatusCode::kFailedPrecondition);
  CHECK(get->message().find("protocol fingerprint") != std::string_view::npos);
  CHECK(put->ok());  // the other requests of the service are not affected
}
