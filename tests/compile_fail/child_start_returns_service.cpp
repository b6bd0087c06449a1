// Must not compile: a ChildSpec's start function returns the child's Pid, not a Service.
#include "snow/snow.hpp"

struct Kv {};

snow::SupervisorSpec spec() {
  return {.children = {{.id = "kv", .start = [](snow::Self self) {
                          return snow::spawn_service(self, Kv{}, {.link = true});  // the mistake
                        }}}};
}
