// STF benchmarks: encode+decode round trips of typed values (no Term in between).
//
//   snow_bench stf_int      [N=10,000,000]  ns_per_roundtrip
//   snow_bench stf_tuple3   [N=5,000,000]   ns_per_roundtrip   (int64, double, string)
//   snow_bench stf_struct5  [N=5,000,000]   ns_per_roundtrip   (a 5-field SNOW_WIRE struct)
//   snow_bench stf_string1m [N=500]         ns_per_roundtrip, mb_per_s  (a 1 MiB string)
//
// One round trip is `encode_append` into a cleared buffer plus `decode_into` a reused
// value: the steady state of a connection that reuses its buffers, so the figures are
// the format's cost, not the allocator's. The decoded value is checked against the
// original after the loop (a wrong answer prints FAILED and exits 1, as snow_bench does).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>

#include "snow/wire.hpp"

namespace stf_bench {

struct Quote {
  std::int64_t id = 0;
  double price = 0;
  std::string symbol;
  bool active = false;
  std::int32_t qty = 0;
  friend bool operator==(const Quote&, const Quote&) = default;
};
SNOW_WIRE(Quote, id, price, symbol, active, qty)

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "snow_bench: FAILED: %s\n", what);
  std::fflush(stderr);
  std::_Exit(1);
}

template <class T>
double round_trips(const T& value, long n, std::size_t* encoded_size) {
  std::string buf;
  T back{};
  const auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    buf.clear();
    if (!snow::encode_append(buf, value).ok()) fail("encode");
    if (!snow::decode_into(buf, back).ok()) fail("decode");
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  if (!(back == value)) fail("the decoded value differs from the encoded one");
  *encoded_size = buf.size();
  return ns / static_cast<double>(n);
}

}  // namespace
}  // namespace stf_bench

/// Runs the STF workload `name` with `n` round trips (n <= 0: the default) and prints
/// `RESULT <name> ns_per_roundtrip=<v>` (and `mb_per_s=<v>` for stf_string1m). Returns 0,
/// or 2 for an unknown name.
int run_stf_workload(std::string_view name, long n) {
  using namespace stf_bench;
  std::size_t size = 0;
  double ns = 0;
  if (name == "stf_int") {
    ns = round_trips(std::int64_t{1234567890123}, n > 0 ? n : 10'000'000, &size);
  } else if (name == "stf_tuple3") {
    ns = round_trips(std::tuple<std::int64_t, double, std::string>{42, 2.5, "hello"}, n > 0 ? n : 5'000'000, &size);
  } else if (name == "stf_struct5") {
    ns = round_trips(Quote{7, 101.25, "SNOW", true, 300}, n > 0 ? n : 5'000'000, &size);
  } else if (name == "stf_string1m") {
    const std::string s(std::size_t{1} << 20, 'x');
    ns = round_trips(s, n > 0 ? n : 500, &size);
    std::fprintf(stderr, "snow_bench: %s: %zu bytes encoded\n", std::string(name).c_str(), size);
    std::printf("RESULT %s ns_per_roundtrip=%.1f mb_per_s=%.1f\n", std::string(name).c_str(), ns,
                static_cast<double>(s.size()) / (1 << 20) / (ns * 1e-9));
    return 0;
  } else {
    return 2;
  }
  std::fprintf(stderr, "snow_bench: %s: %zu bytes encoded\n", std::string(name).c_str(), size);
  std::printf("RESULT %s ns_per_roundtrip=%.1f\n", std::string(name).c_str(), ns);
  return 0;
}
