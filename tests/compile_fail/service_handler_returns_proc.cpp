// Must not compile: a call handler that waits is a coroutine returning snow::Task<R>;
// one returning snow::Proc (the type of process bodies) would never run.
#include "snow/snow.hpp"

struct Get {};

struct Cache {
  snow::Proc handle_call(const Get&, snow::Self self) { co_await self.sleep(absl::Milliseconds(1)); }
};

void use(snow::Runtime& rt) {
  snow::ScopedActor me(rt);
  auto cache = snow::spawn_service(rt, Cache{});
  (void)cache.call(me, Get{});  // expected error: snow::Proc is for process bodies
}
