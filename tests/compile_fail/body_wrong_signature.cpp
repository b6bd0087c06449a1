// Must not compile: a process body must be callable as body(snow::Self, args...) -> Proc.
#include "snow/snow.hpp"

int not_a_body(int x) { return x; }

void start(snow::Runtime& rt) { rt.spawn(not_a_body, 1); }  // expected error: a process body is callable
