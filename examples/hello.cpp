// hello.cpp: the README's fifteen-line example, kept compiling and passing here.
#include <snow/snow.hpp>

struct Ping { snow::Pid from; };
struct Pong {};

snow::Proc echo(snow::Self self) {
  for (;;) co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Pong{}); }));
}

int main() {
  snow::Runtime rt;                         // one worker thread per core
  snow::ScopedActor me(rt);                 // a mailbox for the main thread
  me.send(rt.spawn(echo), Ping{me.pid()});
  bool ok = me.receive(snow::on<Pong>([] { return true; }),
                       snow::after(absl::Seconds(1), [] { return false; }));
  return ok ? 0 : 1;
}
