// Must not compile (as an error here; a warning elsewhere): a sleep that is not awaited
// does not wait.
#pragma GCC diagnostic error "-Wunused-result"
#include "snow/snow.hpp"

snow::Proc forgets(snow::Self self) {
  self.sleep(absl::Milliseconds(10));  // the mistake
  co_return;
}
