// Must not compile (as an error here; a warning elsewhere): a receive that is not awaited
// receives nothing, and the program then waits for a message it already has.
#pragma GCC diagnostic error "-Wunused-result"
#include "snow/snow.hpp"

snow::Proc forgets(snow::Self self) {
  self.receive(snow::on<int>([](int) {}));  // the mistake
  co_return;
}
