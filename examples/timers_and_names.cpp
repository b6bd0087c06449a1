// timers_and_names: a registered name, a timer that fires, a timer cancelled before it
// fires, a receive that times out, and sleep.
#include <cstdio>

#include "snow/snow.hpp"

namespace {

struct Tick {
  int n = 0;
};
struct Report {
  snow::Pid to;
};
struct Ticks {
  int seen = 0;
};

/// Counts the Ticks it is sent; answers a Report with the count.
snow::Proc clock_keeper(snow::Self self) {
  int seen = 0;
  for (;;) {
    co_await self.receive(snow::on<Tick>([&](Tick) { ++seen; }),
                          snow::on<Report>([&](Report r) { self.send(r.to, Ticks{seen}); }));
  }
}

snow::Proc main_process(snow::Self self, bool* ok) {
  // A name: "clock" finds the process until it ends; sends by name need no Pid.
  const snow::Pid keeper = self.spawn(clock_keeper);
  (void)self.runtime().register_name("clock", keeper);
  std::printf("registered \"clock\" as %s; whereis finds %s\n", keeper.to_string().c_str(),
              self.whereis("clock")->to_string().c_str());

  // Two timers: one fires after 20 ms, the other is cancelled before its 40 ms are up.
  self.send_after(absl::Milliseconds(20), keeper, Tick{1});
  const snow::TimerRef doomed = self.send_after(absl::Milliseconds(40), keeper, Tick{2});
  const bool cancelled = self.cancel_timer(doomed);
  std::printf("the 40 ms timer was cancelled: %s\n", cancelled ? "yes" : "no");

  // A receive with nothing to take gives up after its timeout.
  bool timed_out = false;
  co_await self.receive(snow::on<Ticks>([](Ticks) {}), snow::after(absl::Milliseconds(10), [&] { timed_out = true; }));
  std::printf("a receive with a 10 ms timeout and no message: %s\n", timed_out ? "timed out" : "got one?!");

  co_await self.sleep(absl::Milliseconds(60));  // past both timers' deadlines
  self.send("clock", Report{self.pid()});
  int seen = -1;
  co_await self.receive(snow::on<Ticks>([&](Ticks t) { seen = t.seen; }), snow::after(absl::Seconds(1), [] {}));
  std::printf("after 60 ms the clock saw %d tick (the cancelled timer never fired)\n", seen);
  *ok = cancelled && timed_out && seen == 1;
  self.exit(keeper, snow::ExitReason::kill());
}

}  // namespace

int main() {
  snow::Runtime rt;
  bool ok = false;
  rt.spawn(main_process, &ok);
  return rt.join(absl::Seconds(5)).ok() && ok ? 0 : 1;
}
