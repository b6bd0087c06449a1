// Must not compile: a call handler that takes a ReplyTo answers through it, so a value
// it returns would go nowhere.
#include "snow/snow.hpp"

struct Get {};

struct Pool {
  int handle_call(const Get&, snow::ReplyTo<int> reply) { return reply.reply(1) ? 1 : 0; }
};

void use(snow::Runtime& rt) {
  snow::ScopedActor me(rt);
  auto pool = snow::spawn_service(rt, Pool{});
  (void)pool.call(me, Get{});  // expected error: answers through it: return void
}
