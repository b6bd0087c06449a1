// src/testing/simulation.cpp: snow::testing::Simulation over the simulated network
// (src/transport/sim_transport.hpp) and start_node (src/dist/start_node.hpp). The
// simulator itself lives in libsnow, where snow's own tests use it; this is the part a
// user links (libsnow_testing), which only names nodes the way users do.
#include "snow/testing/simulation.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "src/dist/node_address.hpp"
#include "src/dist/start_node.hpp"
#include "src/transport/sim_transport.hpp"

namespace snow::testing {

std::vector<std::uint64_t> seeds(int count) {
  if (const char* one = std::getenv("SNOW_SIM_SEED")) return {std::strtoull(one, nullptr, 10)};
  if (const char* many = std::getenv("SNOW_SIM_SEEDS")) count = std::atoi(many);
  std::vector<std::uint64_t> out;
  // Spread out rather than 1, 2, 3: nothing depends on it, but a seed that is a prime
  // multiple reads as a seed in a log, not as a count.
  for (int i = 1; i <= std::max(1, count); ++i) out.push_back(static_cast<std::uint64_t>(i) * 7919);
  return out;
}

std::string replay_hint(std::uint64_t seed) { return absl::StrCat("seed ", seed, " (replay: SNOW_SIM_SEED=", seed, ")"); }

namespace {

dist::NodeAddress address_of(std::string_view name) {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(name, kDefaultNodePort);
  if (!address.ok()) {
    throw std::invalid_argument(absl::StrCat("snow::testing: not a node name: ", std::string(name), " (",
                                             address.status().message(), ")"));
  }
  return *std::move(address);
}

}  // namespace

struct Simulation::Impl {
  explicit Impl(SimulationOptions o)
      : options(std::move(o)), net(options.seed, options.min_latency, options.max_latency) {}

  struct Member {
    std::string host;
    std::unique_ptr<Runtime> rt;  // null once crashed
    std::uint32_t last_creation = 0;
  };

  Member& live(std::string_view name) {
    auto it = members.find(address_of(name).full());
    if (it == members.end() || !it->second.rt) {
      throw std::invalid_argument(absl::StrCat("snow::testing: no live simulated node named ", std::string(name)));
    }
    return it->second;
  }

  // Declared in the order they must outlive each other: the runtimes (in `members`) log
  // into `log_lines` while they stop, and their transports unregister from `net`.
  SimulationOptions options;
  transport::SimNetwork net;
  std::vector<std::string> log_lines;
  std::map<std::string, Member> members;  // by full name; ordered, so that a seed replays
};

Simulation::Simulation(std::uint64_t seed) : Simulation(SimulationOptions{.seed = seed}) {}

Simulation::Simulation(SimulationOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Simulation::~Simulation() {
  // Every runtime stops before any is destroyed: a node stopping still sends to its
  // peers, whose transports must be there to drop the bytes.
  for (auto& [name, m] : impl_->members) {
    if (m.rt) m.rt->stop();
  }
}

std::uint64_t Simulation::seed() const { return impl_->net.seed(); }
absl::Time Simulation::now() const { return impl_->net.now(); }

absl::Status Simulation::add_node(std::string_view name, NodeOptions options, RuntimeOptions runtime) {
  absl::StatusOr<dist::NodeAddress> address = dist::parse_node_address(name, kDefaultNodePort);
  if (!address.ok()) return address.status();
  for (const auto& [other, m] : impl_->members) {
    if (m.rt && m.host == address->host) {
      return absl::AlreadyExistsError(absl::StrCat("simulated host ", address->host, " already runs node ", other));
    }
  }
  const std::string full = address->full();
  Impl::Member& member = impl_->members[full];
  member.host = address->host;
  if (options.cookie.empty()) options.cookie = impl_->options.cookie;
  // The simulated network has no TLS, hence no certificates: left in mutual mode, the
  // node would check every peer's (empty) certificate names and refuse them all.
  options.tls = TlsOptions{};
  runtime.deterministic = true;
  if (!runtime.log_sink) {
    if (impl_->options.log_sink) {
      runtime.log_sink = impl_->options.log_sink;
    } else {
      runtime.log_sink = [lines = &impl_->log_lines](const LogRecord& r) {
        // Virtual time since the start, not the OS process id of format_log_record: the
        // same seed gives the same lines.
        lines->push_back(absl::StrCat("+", absl::FormatDuration(r.time - absl::UnixEpoch()), " ",
                                      std::string(to_string(r.level)), " ", std::string(r.node), " ",
                                      std::string(r.kind), ": ", std::string(r.text)));
      };
    }
  }
  if (runtime.creation == 0) runtime.creation = member.last_creation + 1;
  const std::uint32_t creation = runtime.creation;
  auto rt = std::make_unique<Runtime>(std::move(runtime));
  absl::StatusOr<detail::NodeCore*> started =
      detail::start_node(*rt, full, std::move(options), impl_->net.make_transport(member.host, *rt));
  if (!started.ok()) return started.status();
  member.last_creation = creation;
  member.rt = std::move(rt);
  return absl::OkStatus();
}

Runtime& Simulation::runtime(std::string_view name) { return *impl_->live(name).rt; }

Node Simulation::node(std::string_view name) { return *Node::of(runtime(name)); }

std::vector<std::string> Simulation::nodes() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : impl_->members) {
    if (m.rt) out.push_back(name);
  }
  return out;
}

bool Simulation::sees(std::string_view a, std::string_view b) {
  const std::string peer = address_of(b).full();
  const std::vector<std::string> connected = node(a).list();
  return std::find(connected.begin(), connected.end(), peer) != connected.end();
}

bool Simulation::connect(std::string_view a, std::string_view b, absl::Duration limit) {
  node(a).connect_async(address_of(b).full());
  return run_until([&] { return sees(a, b) && sees(b, a); }, limit);
}

void Simulation::run_for(absl::Duration d) { impl_->net.run_for(d); }

bool Simulation::run_until(const std::function<bool()>& done, absl::Duration limit) {
  return impl_->net.run_until(done, limit);
}

void Simulation::partition(std::string_view a, std::string_view b) {
  impl_->net.partition(address_of(a).host, address_of(b).host);
}

void Simulation::partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b) {
  auto hosts = [](const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const std::string& n : names) out.push_back(address_of(n).host);
    return out;
  };
  impl_->net.partition(hosts(side_a), hosts(side_b));
}

void Simulation::heal(std::string_view a, std::string_view b) { impl_->net.heal(address_of(a).host, address_of(b).host); }

void Simulation::heal_all() { impl_->net.heal_all(); }

void Simulation::crash(std::string_view name, bool reset) {
  Impl::Member& m = impl_->live(name);
  impl_->net.crash(m.host, reset);
  m.rt->stop();
  m.rt.reset();
}

void Simulation::set_link(std::string_view a, std::string_view b, LinkFaults faults) {
  impl_->net.set_link(address_of(a).host, address_of(b).host,
                      {.delay = faults.delay, .jitter = faults.jitter, .drop = faults.drop});
}

void Simulation::pause(std::string_view name, absl::Duration d) { impl_->net.pause(impl_->live(name).host, d); }

void Simulation::set_latency(absl::Duration min, absl::Duration max) { impl_->net.set_latency(min, max); }

std::vector<std::string> Simulation::log() const { return impl_->log_lines; }

void Simulation::record_events() { impl_->net.record_events(); }

const std::string& Simulation::event_log() const { return impl_->net.event_log(); }

}  // namespace snow::testing
