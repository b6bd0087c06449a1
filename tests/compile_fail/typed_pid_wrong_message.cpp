// Must not compile: a TypedPid<Ping> does not accept a Pong.
#include "snow/snow.hpp"

struct Ping {};
struct Pong {};

snow::Proc sender(snow::Self self, snow::TypedPid<Ping> to) {
  self.send(to, Pong{});  // expected error: does not accept that message type
  co_return;
}

// The same from a host thread.
void host(snow::Runtime& rt, snow::TypedPid<Ping> to) { rt.send(to, Pong{}); }
