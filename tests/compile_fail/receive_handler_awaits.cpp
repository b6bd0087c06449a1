// Must not compile: a receive handler that is a coroutine (it co_awaits) would return a
// Task that nobody runs.
#include "snow/snow.hpp"

snow::Proc waits_in_handler(snow::Self self) {
  co_await self.receive(snow::on<int>([&](int ms) -> snow::Task<> {
    co_await self.sleep(absl::Milliseconds(ms));  // the mistake
  }));
}
