// A closure must not be encoded for another node: rejected at compile time, saying why.
#include "snow/wire.hpp"

int main() {
  int captured = 1;
  auto bytes = snow::encode([captured] { return captured; });
  return bytes.ok() ? 0 : 1;
}
