// A program outside the snow tree that starts a node, so libsnow's distribution code
// (libuv, BoringSSL's TLS) is linked in. tests/consumer/packaging_test.sh links it
// against libsnow.a with exactly the libraries the Conan recipe declares: a dependency
// the recipe forgets is an undefined symbol here.
#include <snow/snow.hpp>

#include <cstdio>

int main() {
  snow::Runtime rt;
  auto node = snow::Node::start(rt, "consumer@127.0.0.1:0", {.cookie = "consumer-cookie"});
  if (!node.ok()) {
    std::printf("consumer: node did not start: %s\n", node.status().ToString().c_str());
    return 1;
  }
  std::puts("consumer: node started");
  return 0;
}
