// A struct without SNOW_WIRE is not a wire type: the message says how to declare one.
#include "snow/wire.hpp"

struct Undeclared {
  int x;
};

int main() { return snow::encode(Undeclared{1}).ok() ? 0 : 1; }
