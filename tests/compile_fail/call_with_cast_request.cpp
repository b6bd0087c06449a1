// Must not compile: the service handles Add only as a cast, so it cannot be called with it.
#include "snow/snow.hpp"

struct Add {
  int n;
};
struct Counter {
  int n = 0;
  void handle_cast(const Add& a) { n += a.n; }
};

snow::Proc client(snow::Self self, snow::Service<Counter> counter) {
  auto r = co_await counter.call(self, Add{1});  // the mistake
  (void)r;
}
