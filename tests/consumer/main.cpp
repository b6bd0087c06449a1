// A program outside the snow tree, built against an installed snow (tests/consumer/run.sh
// builds it once through pkg-config and once through CMake's find_package(snow)).
#include <snow/snow.hpp>

#include <cstdio>

struct Ping {
  snow::Pid from;
};
struct Pong {};

snow::Proc echo(snow::Self self) {
  co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Pong{}); }));
}

int main() {
  snow::Runtime rt;
  snow::ScopedActor me(rt);
  me.send(rt.spawn(echo), Ping{me.pid()});
  const bool ok = me.receive(snow::on<Pong>([] { return true; }), snow::after(absl::Seconds(5), [] { return false; }));
  std::puts(ok ? "consumer: pong received" : "consumer: no pong");
  return ok ? 0 : 1;
}
