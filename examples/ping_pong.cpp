// ping_pong.cpp: two processes exchange N messages, the smallest complete snow program.
// Run: build/examples/ping_pong [N]
#include <cstdio>
#include <cstdlib>

#include "snow/snow.hpp"

struct Ping {
  snow::Pid from;
  int n;
};
struct Pong {
  int n;
};

snow::Proc ponger(snow::Self self) {
  for (;;) {
    int n = co_await self.receive(snow::on<Ping>([&](Ping p) {
      self.send(p.from, Pong{p.n});
      return p.n;
    }));
    if (n == 0) co_return;
  }
}

snow::Proc pinger(snow::Self self, snow::Pid partner, int rounds) {
  for (int n = rounds; n >= 0; --n) {
    self.send(partner, Ping{self.pid(), n});
    co_await self.receive(snow::on<Pong>([](Pong) {}));
  }
  std::printf("%d round trips done\n", rounds + 1);
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 100000;
  snow::Runtime rt;
  rt.spawn(pinger, rt.spawn(ponger), rounds);
  return rt.join(absl::Seconds(60)).ok() ? 0 : 1;
}
