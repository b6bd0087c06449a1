// demo.cpp: a tour of the local runtime in one program (what `make run` shows).
//
// It spawns processes, uses selective receive with a timeout, links a worker so its
// crash reaches a trapping supervisor-like process, and monitors a process to learn how
// it ended. Run: `make run`, or build/examples/demo after `make`.
#include <cstdio>
#include <string>

#include "snow/snow.hpp"

namespace {

struct Job {
  snow::Pid reply_to;
  int n;
};
struct Result {
  int n;
  long square;
};
struct Urgent {
  std::string text;
};
struct Quit {};

void say(const std::string& who, const std::string& what) { std::printf("%-9s %s\n", who.c_str(), what.c_str()); }

// A worker squares numbers until asked to quit; a negative number makes it crash.
snow::Proc worker(snow::Self self) {
  for (;;) {
    bool quit = false;
    co_await self.receive(
        snow::on<Job>([&](Job j) {
          if (j.n < 0) throw std::runtime_error("cannot square a negative job: " + std::to_string(j.n));
          self.send(j.reply_to, Result{j.n, long{j.n} * j.n});
        }),
        snow::on<Quit>([&] { quit = true; }));
    if (quit) co_return;
  }
}

snow::Proc boss(snow::Self self, snow::Pid done) {
  const std::string me = "boss " + self.pid().to_string();

  // 1. Selective receive: Urgent is taken first although it arrived last; the Results
  //    stay queued, in order, for the receives after it.
  const snow::Pid w = self.spawn(worker);
  say(me, "spawned worker " + w.to_string() + " and sent it jobs 1..3");
  for (int n = 1; n <= 3; ++n) self.send(w, Job{self.pid(), n});
  self.send(self.pid(), Urgent{"the urgent note that arrived last"});
  co_await self.sleep(absl::Milliseconds(20));  // let the results queue up behind it
  co_await self.receive(snow::on<Urgent>([&](Urgent u) { say(me, "took first: " + u.text); }));
  for (int i = 0; i < 3; ++i) {
    co_await self.receive(snow::on<Result>([&](Result r) {
      say(me, "then result " + std::to_string(r.n) + "^2 = " + std::to_string(r.square));
    }));
  }

  // 2. A receive with a timeout: nobody sends a Result now, so `after` runs.
  co_await self.receive(snow::on<Result>([&](Result) { say(me, "unexpected result"); }),
                        snow::after(absl::Milliseconds(100), [&] { say(me, "no result within 100 ms: timed out"); }));

  // 3. A monitor: one Down message, exactly once, with the reason the process ended.
  const snow::Ref watch = self.monitor(w);
  self.send(w, Quit{});
  co_await self.receive(snow::on<snow::Down>([&](const snow::Down& d) { return d.ref == watch; },
                                             [&](snow::Down d) {
                                               say(me, "monitor: worker " + d.pid.to_string() +
                                                           " ended with reason " + d.reason.to_string());
                                             }));

  // 4. A link with exits trapped: the crash of a linked worker arrives as a message
  //    instead of taking this process down with it.
  self.trap_exits(true);
  const snow::Pid fragile = self.spawn_link(worker);
  say(me, "linked to worker " + fragile.to_string() + " and sent it a bad job");
  self.send(fragile, Job{self.pid(), -7});
  co_await self.receive(snow::on<snow::Exit>([&](snow::Exit e) {
    say(me, "link: " + e.from.to_string() + " exited with " + e.reason.to_string() + "; still running");
  }));

  self.send(done, Quit{});
}

}  // namespace

int main() {
  // The crash in step 4 is expected; keep the runtime's crash log out of the tour.
  snow::Runtime rt({.log_sink = [](snow::LogLevel, std::string_view) {}});
  std::printf("snow demo: %d worker threads\n", rt.workers());
  snow::ScopedActor main_thread(rt);
  rt.spawn(boss, main_thread.pid());
  const bool finished = main_thread.receive(snow::on<Quit>([] { return true; }),
                                            snow::after(absl::Seconds(10), [] { return false; }));
  std::printf("%s\n", finished ? "demo finished" : "demo timed out");
  return finished ? 0 : 1;
}
