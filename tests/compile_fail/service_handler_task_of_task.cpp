// Must not compile: a coroutine call handler returning a Task of a Task: the caller can
// receive a value, not a Task, so the inner Task must be awaited in the handler.
#include "snow/snow.hpp"

struct Get {};

snow::Task<int> lookup(snow::Self self);

struct Front {
  snow::Task<snow::Task<int>> handle_call(const Get&, snow::Self self) { co_return lookup(self); }
};

snow::Proc use(snow::Self self, snow::Service<Front> front) {
  auto r = co_await front.call(self, Get{});  // expected error: co_await the inner Task
  (void)r;
}
