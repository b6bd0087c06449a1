// Deferred replies (snow/reply.hpp), coroutine handlers, and stopping a service from a
// host thread.
#include <doctest/doctest.h>

#include <atomic>
#include <optional>

#include "snow/reply.hpp"
#include "snow/runtime.hpp"
#include "snow/service.hpp"
#include "support/runtime_fixture.hpp"

using namespace snow;
using snow::testing::LogCapture;
using snow::testing::Trace;

namespace {
struct Work {
  int n;
};
struct Job {
  int n;
  ReplyTo<int> reply;
};
struct Go {};

// The dispatcher of the guide: hands each call and its token to the next worker.
struct Dispatcher {
  std::vector<Pid> workers;
  std::size_t next = 0;
  void handle_call(const Work& w, ReplyTo<int> reply, Self self) {
    self.send(workers[next++ % workers.size()], Job{w.n, std::move(reply)});
  }
};

// Answers each job with n * 2; a held worker keeps its job until Go.
Proc pool_worker(Self self, bool held) {
  std::optional<Job> kept;
  for (;;) {
    co_await self.receive(on<Job>([&](Job j) {
                            if (held) {
                              kept = std::move(j);
                            } else {
                              j.reply.reply(j.n * 2);
                            }
                          }),
                          on<Go>([&] {
                            if (kept) kept->reply.reply(kept->n * 2);
                            kept.reset();
                          }));
  }
}

/// True if a message is left in `me`'s mailbox.
bool leftover(const ScopedActor& me) {
  return me.receive(any([](Message) { return true; }), after(absl::ZeroDuration(), [] { return false; }));
}
}  // namespace

TEST_SUITE("service replies") {
TEST_CASE("a dispatcher hands calls to a pool; the workers answer, and the dispatcher is not held up") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid slow = rt.spawn(pool_worker, true);
  const Pid quick = rt.spawn(pool_worker, false);
  auto svc = spawn_service(rt, Dispatcher{.workers = {slow, quick}});
  Trace trace;
  rt.spawn([&](Self self) -> Proc {  // goes to the held worker
    absl::StatusOr<int> r = co_await svc.call(self, Work{1});
    trace.push_back("first " + (r.ok() ? std::to_string(*r) : r.status().ToString()));
  });
  rt.spawn([&](Self self) -> Proc {  // served while the first is still waiting
    absl::StatusOr<int> r = co_await svc.call(self, Work{2});
    trace.push_back("second " + (r.ok() ? std::to_string(*r) : r.status().ToString()));
    self.send(slow, Go{});
  });
  rt.run_until_idle();
  CHECK(trace == Trace{"second 4", "first 2"});
}

TEST_CASE("a call is answered once: a second reply is dropped and leaves nothing in the caller's mailbox") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  std::vector<bool> accepted;
  struct Twice {
    std::vector<bool>* accepted;
    void handle_call(const Work& w, ReplyTo<int> reply) {
      ReplyTo<int> copy = reply;  // every copy answers the same call
      accepted->push_back(reply.reply(w.n));
      accepted->push_back(copy.reply(w.n + 100));
      accepted->push_back(copy.fail(absl::InternalError("too late")));
      accepted->push_back(copy.answered());
    }
  };
  auto svc = spawn_service(rt, Twice{&accepted});
  ScopedActor me(rt);
  absl::StatusOr<int> r = svc.call(me, Work{7});
  REQUIRE(r.ok());
  CHECK(*r == 7);
  CHECK(accepted == std::vector<bool>{true, false, false, true});
  rt.run_until_idle();
  CHECK_FALSE(leftover(me));
}

TEST_CASE("a token dropped unanswered fails the call at once, not at its timeout") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  struct Forgetful {
    std::optional<ReplyTo<int>> kept;
    void handle_call(const Work&, ReplyTo<int>) {}                    // drops it
    void handle_call(const Go&, ReplyTo<int> r) { kept = std::move(r); }  // keeps it...
    void handle_cast(const Go&) { kept.reset(); }                      // ...until told
  };
  auto svc = spawn_service(rt, Forgetful{});
  ScopedActor me(rt);
  const absl::Time start = rt.now();
  absl::StatusOr<int> dropped = svc.call(me, Work{1});
  CHECK(dropped.status().code() == absl::StatusCode::kAborted);
  CHECK(std::string(dropped.status().message()).find("dropped the call without replying") != std::string::npos);

  // A worker that dies holding the token: the caller learns it from the token.
  const Pid doomed = rt.spawn([](Self self) -> Proc {
    co_await self.receive(on<Job>([](Job) { throw std::runtime_error("worker died"); }));
  });
  auto pool = spawn_service(rt, Dispatcher{.workers = {doomed}});
  absl::StatusOr<int> lost = pool.call(me, Work{2});
  CHECK(lost.status().code() == absl::StatusCode::kAborted);
  CHECK(rt.now() == start);  // no timer fired: nobody waited for a timeout

  // A token kept by the service answers a failure when the service lets it go.
  rt.spawn([&](Self self) -> Proc { co_await self.sleep(absl::Seconds(1)); svc.cast(Go{}); });
  absl::StatusOr<int> released = svc.call(me, Go{}, absl::Seconds(10));
  CHECK(released.status().code() == absl::StatusCode::kAborted);
}

TEST_CASE("fail() answers the caller with the error; a void ReplyTo answers OK") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  struct Picky {
    void handle_call(const Work& w, ReplyTo<int> reply) {
      if (w.n < 0) {
        reply.fail(absl::InvalidArgumentError("negative"));
      } else {
        reply.reply(w.n);
      }
    }
    void handle_call(const Go&, ReplyTo<void> reply) { reply.reply(); }
  };
  auto svc = spawn_service(rt, Picky{});
  ScopedActor me(rt);
  CHECK(svc.call(me, Work{-1}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(*svc.call(me, Work{3}) == 3);
  CHECK(svc.call(me, Go{}).ok());
}

namespace {
struct Get {};
struct Back {
  int value = 10;
  int handle_call(const Get&) { return value; }
  void handle_cast(const Work& w) { value = w.n; }
};
// A service whose handler is a coroutine that calls another service.
struct Front {
  Service<Back> back;
  Trace* trace;
  Task<int> handle_call(const Work& w, Self self) {
    trace->push_back("start " + std::to_string(w.n));
    absl::StatusOr<int> b = co_await back.call(self, Get{});
    trace->push_back("end " + std::to_string(w.n));
    co_return w.n + (b.ok() ? *b : -1000);
  }
  // The handler's error is the call's error.
  Task<absl::StatusOr<int>> handle_call(const Get&, Self self) {
    absl::StatusOr<int> b = co_await back.call(self, Get{}, absl::Seconds(1));
    if (!b.ok()) co_return b.status();
    co_return *b + 1;
  }
  Task<> handle_cast(const Go&, Self self) {
    co_await self.sleep(absl::Seconds(1));
    trace->push_back("cast done");
  }
};
}  // namespace

TEST_CASE("a coroutine handler is awaited: it calls another service, and requests stay in arrival order") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  auto back = spawn_service(rt, Back{});
  auto front = spawn_service(rt, Front{back, &trace});
  std::vector<std::string> replies;
  for (int i = 1; i <= 3; ++i) {
    rt.spawn([&, i](Self self) -> Proc {
      if (i == 3) front.cast(Go{});  // a coroutine cast is awaited too, before the next request
      auto r = co_await front.call(self, Work{i});
      replies.push_back(r.ok() ? std::to_string(*r) : r.status().ToString());
    });
  }
  rt.advance(absl::Seconds(5));
  CHECK(trace == Trace{"start 1", "end 1", "start 2", "end 2", "cast done", "start 3", "end 3"});
  CHECK(replies == std::vector<std::string>{"11", "12", "13"});
}

TEST_CASE("a coroutine handler returning StatusOr passes its error to the caller; one that throws ends the service") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Trace trace;
  auto back = spawn_service(rt, Back{});
  auto front = spawn_service(rt, Front{back, &trace});
  ScopedActor me(rt);
  absl::StatusOr<int> ok = front.call(me, Get{});
  REQUIRE(ok.ok());
  CHECK(*ok == 11);
  REQUIRE(back.stop(me).ok());
  absl::StatusOr<int> gone = front.call(me, Get{});  // Back is gone: NotFound, passed on
  CHECK(gone.status().code() == absl::StatusCode::kNotFound);

  struct Thrower {
    Trace* trace;
    Task<int> handle_call(const Work&, Self self) {
      co_await self.sleep(absl::Milliseconds(1));
      throw std::runtime_error("handler broke");
    }
    void terminate(const ExitReason& r) { trace->push_back("terminate " + r.to_string()); }
  };
  auto thrower = spawn_service(rt, Thrower{&trace});
  absl::StatusOr<int> broke = thrower.call(me, Work{1});
  CHECK(broke.status().code() == absl::StatusCode::kAborted);
  CHECK(std::string(broke.status().message()).find("error(handler broke)") != std::string::npos);
  CHECK(trace == Trace{"terminate error(handler broke)"});
}

TEST_CASE("stop from a host thread returns once the service has ended and its terminate has run") {
  LogCapture log;
  Runtime rt(snow::testing::threaded(log));
  std::atomic<bool> terminated{false};
  struct Slow {
    std::atomic<bool>* terminated;
    int handle_call(const Get&) { return 1; }
    void terminate(const ExitReason&) {
      absl::SleepFor(absl::Milliseconds(50));  // widens the window a stop that returned early would show
      terminated->store(true);
    }
  };
  auto svc = spawn_service(rt, Slow{&terminated});
  {
    ScopedActor me(rt);
    REQUIRE(svc.call(me, Get{}).ok());
    CHECK(svc.stop(me).ok());
    CHECK(terminated.load());
    CHECK_FALSE(rt.is_alive(svc.pid()));
    CHECK(svc.stop(me).code() == absl::StatusCode::kNotFound);
  }
  CHECK(rt.join(absl::Seconds(10)).ok());
}
}
