// Must not compile (as an error here; a warning elsewhere): a Task (here a service call)
// that is not awaited never runs.
#pragma GCC diagnostic error "-Wunused-result"
#include "snow/snow.hpp"

struct Get {};
struct Counter {
  int n = 0;
  int handle_call(const Get&) { return n; }
};

snow::Proc forgets(snow::Self self, snow::Service<Counter> counter) {
  counter.call(self, Get{});  // the mistake
  co_return;
}
