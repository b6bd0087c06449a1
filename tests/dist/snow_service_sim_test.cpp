// tests/dist/snow_service_sim_test.cpp: a Snow service (snow/lang/otp.hpp) taking requests
// from another node, on the simulated network: what a malformed request costs (an error
// reply, a counter, never an out-of-bounds argument) and that the service serves on.
// The two-node Snow programs are tests/snow/d05_remote_service.cluster.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"

#include "snow/lang/ops.hpp"
#include "snow/lang/otp.hpp"
#include "tests/dist/sim_cluster.hpp"

namespace sl = snow::lang;
using namespace simtest;
using snow::Pid;
using snow::Self;
using snow::Term;

namespace {

/// Shaped like the struct snowc emits for
///     service Echo do  call Echo(x) :: ...  cast Set(x, y)  end
/// (dsl/emitter.cc): serve indexes r.args without checks, as the generated one does.
struct Echo_service : sl::ServiceHandlers<Echo_service> {
  explicit Echo_service(sl::Value s) : state(std::move(s)) {}
  sl::Value state;
  static constexpr int handler_arity(int h) {
    switch (h) {
      case 0: return 1;
      case 1: return 2;
    }
    return -1;
  }
  static constexpr bool handler_is_call(int h) {
    switch (h) {
      case 0: return true;
    }
    return false;
  }
  sl::Co<sl::Value> serve(Self, sl::ServiceRequest r) {
    switch (r.handler) {
      case 0: co_return sl::tuple({r.args[0], state});
      case 1: {
        state = r.args[1];
        co_return sl::unit();
      }
    }
    sl::fail("a request this service has no handler for");
  }
};

snow::detail::RemoteCallRequest request(std::string name, Term body) {
  return snow::detail::RemoteCallRequest{Pid(), snow::Ref(), std::move(name), std::move(body), absl::InfiniteFuture()};
}
Term body(std::int64_t handler, std::vector<Term> args) { return Term::tuple({Term(handler), Term::list(std::move(args))}); }

template <class F>
void run_on(SimCluster& c, const std::string& host, F body) {
  bool done = false;
  c[host].rt->spawn([&done, body](Self self) -> snow::Proc {
    co_await body(self);
    done = true;
  });
  c.net.run_until([&] { return done; }, absl::Seconds(30));
  REQUIRE_MESSAGE(done, "the caller did not finish");
}

}  // namespace

TEST_CASE("a Snow service refuses malformed requests from another node with an error and serves on") {
  SimCluster c(23);
  c.pair();
  // The runtime's service loop, as sl::service_start runs it (without Snow's lifetime count).
  const Pid echo = c.view("a", "b", snow::spawn_service(*c["b"].rt, Echo_service(sl::I(7))).pid());
  // Requests in variables, never temporaries in a co_await's expression (g++ 12
  // relocates those bitwise; see service_sim_test.cpp).
  std::vector<snow::detail::RemoteCallRequest> calls = {
      // Well formed: the echo, with the state the cast below set.
      request("snow.service", body(0, {Term(std::int64_t{42})})),
      // Another request name; a body that is not (handler, [arguments]); no such handler
      // (past the end, negative, huge); too few and too many arguments; a call of the
      // cast handler; arguments that do not convert (a Snow Set holding a String, ...).
      request("Get", body(0, {Term(std::int64_t{1})})),
      request("snow.service", Term("garbage")),
      request("snow.service", Term::tuple({Term(std::int64_t{0})})),
      request("snow.service", Term::tuple({Term("0"), Term::list({})})),
      request("snow.service", body(2, {})),
      request("snow.service", body(-1, {})),
      request("snow.service", body(std::int64_t{1} << 40, {})),
      request("snow.service", body(0, {})),
      request("snow.service", body(0, {Term(std::int64_t{1}), Term(std::int64_t{2})})),
      request("snow.service", body(1, {Term(std::int64_t{1}), Term(std::int64_t{2})})),
      request("snow.service", body(0, {Term::structure("Set", {{"items", Term::list({Term("not an int")})}})})),
      // ... and a "Queue" whose items are not a list.
      request("snow.service", body(0, {Term::structure("Queue", {{"items", Term(std::int64_t{5})}})})),
  };
  std::vector<snow::detail::RemoteCallRequest> casts = {
      request("snow.service", body(1, {Term(std::int64_t{0}), Term("set")})),  // good: sets the state
      request("snow.service", body(0, {Term(std::int64_t{1})})),  // a cast of the call handler
      request("snow.service", body(1, {Term(std::int64_t{1})})),  // one argument short
      request("snow.service", Term()),                            // no body
  };
  snow::detail::RemoteCallRequest last = request("snow.service", body(0, {Term("still serving")}));
  std::vector<std::string> got;
  run_on(c, "a", [&](Self self) -> snow::Task<> {
    auto text = [&](const absl::StatusOr<sl::Value>& reply) {
      return reply.ok() ? sl::display(self, *reply) : std::string(absl::StatusCodeToString(reply.status().code()));
    };
    // Casts are answered by nothing; the refused ones are dropped and the service takes
    // the next request (these arrive before the calls: one sender, one receiver).
    for (auto& r : casts) self.send(echo, std::move(r));
    for (auto& r : calls) {
      auto pending = snow::detail::call<sl::Value>(self, echo, std::move(r), absl::Seconds(5));
      absl::StatusOr<sl::Value> reply = co_await pending;
      got.push_back(text(reply));
    }
    auto pending = snow::detail::call<sl::Value>(self, echo, std::move(last), absl::Seconds(5));
    absl::StatusOr<sl::Value> reply = co_await pending;
    got.push_back(text(reply));
  });
  CHECK(absl::StrJoin(got, " | ") ==
        "(42, set) | UNIMPLEMENTED | INVALID_ARGUMENT | INVALID_ARGUMENT | INVALID_ARGUMENT | INVALID_ARGUMENT | "
        "INVALID_ARGUMENT | INVALID_ARGUMENT | INVALID_ARGUMENT | INVALID_ARGUMENT | INVALID_ARGUMENT | "
        "INVALID_ARGUMENT | INVALID_ARGUMENT | (still serving, set)");
  CHECK(c["b"].node().stats().refused_service_requests == 15);
}
