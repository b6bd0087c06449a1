// libFuzzer target for what DNS discovery reads from the network: any bytes as an SRV
// answer (src/discovery/dns_answer.hpp) must parse or fail with a status, never crash,
// hang or read past the input; a member it returns has a port and a target that is a
// DNS name, and there are never more than max_members. The same bytes as a discovery
// source's text (SNOW_DISCOVERY) must parse or be refused.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/discovery/discovery_source.hpp"
#include "src/discovery/dns_answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kMax = 16;
  if (auto answer = snow::discovery::parse_srv_answer(bytes, kMax); answer.ok()) {
    if (answer->members.size() > kMax) std::abort();
    for (const snow::discovery::DnsMember& m : answer->members) {
      if (m.port == 0 || !snow::discovery::is_dns_name(m.host)) std::abort();
    }
  }
  if (auto source = snow::discovery::parse_discovery_source(bytes); source.ok()) {
    if (!snow::discovery::is_dns_name(source->name)) std::abort();
    if (source->kind == snow::discovery::DiscoverySource::Kind::a && source->port == 0) std::abort();
  }
  return 0;
}
