// Must not compile: a request to a service that may be on another node (here: by global
// name) must be a wire type, and the error says what to declare.
#include "snow/snow.hpp"

struct Lookup {  // no SNOW_WIRE
  int key = 0;
};

struct Directory {
  int handle_call(const Lookup& l) { return l.key; }
};

snow::Task<> caller(snow::Self self) {
  // expected error: must be a wire type: declare it with SNOW_WIRE(YourRequest, ...)
  auto r = co_await snow::call_service<Directory>(self, snow::GlobalName{"directory"}, Lookup{1});
  (void)r;
}
