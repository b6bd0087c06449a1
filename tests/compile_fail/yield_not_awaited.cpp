// Must not compile (as an error here; a warning elsewhere): a yield that is not awaited
// does not let the others run.
#pragma GCC diagnostic error "-Wunused-result"
#include "snow/snow.hpp"

snow::Proc forgets(snow::Self self) {
  self.yield();  // the mistake
  co_return;
}
