// Must not compile: the handlers of one receive return an int and a string.
#include <string>

#include "snow/snow.hpp"

snow::Proc mixed(snow::Self self) {
  auto r = co_await self.receive(snow::on<int>([](int v) { return v; }),
                                 snow::on<std::string>([](std::string s) { return s; }));  // the mistake
  (void)r;
}
