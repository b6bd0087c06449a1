// cluster_member: a node configured only by its environment, the program
// deploy/kubernetes/ runs in each pod (and the pattern for yours).
//
// It takes everything a deployment decides from the environment (snow/environment.hpp):
// SNOW_NODE (its name, which is the address others reach it at), SNOW_COOKIE (else
// ~/.snow.cookie), SNOW_SEEDS and SNOW_DISCOVERY (how it finds the others), and serves
// /health, /metrics and the Observer on --metrics HOST:PORT. It registers the global name
// "member:<its node name>", prints every NodeUp and NodeDown, and runs until SIGTERM or
// SIGINT (what Kubernetes sends to stop a pod), or for --for SECONDS.
//
//     SNOW_NODE=a@127.0.0.1:4370 SNOW_COOKIE=... build/examples/cluster_member &
//     SNOW_NODE=b@127.0.0.1:4371 SNOW_COOKIE=... SNOW_SEEDS=a@127.0.0.1:4370 build/examples/cluster_member
//
// With no SNOW_NODE it starts as member@127.0.0.1 on a free port, alone.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "snow/snow.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_stop_signal(int) { stop_requested = 1; }

// Prints the cluster's comings and goings, one line each, as they happen.
snow::Proc watch_nodes(snow::Self self) {
  for (;;) {
    co_await self.receive(
        snow::on<snow::NodeUp>([](const snow::NodeUp& up) { std::printf("NodeUp %s\n", up.node.c_str()); }),
        snow::on<snow::NodeDown>([](const snow::NodeDown& down) {
          std::printf("NodeDown %s (%s)\n", down.node.c_str(), down.reason.c_str());
        }));
  }
}

struct Arguments {
  std::string metrics_host = "127.0.0.1";
  std::uint16_t metrics_port = 9464;
  double seconds = 0;  // 0: until a signal
};

bool parse_arguments(int argc, char** argv, Arguments& out) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--metrics" && i + 1 < argc) {
      const std::string_view value = argv[++i];
      const std::size_t colon = value.rfind(':');
      if (colon == std::string_view::npos) return false;
      out.metrics_host = std::string(value.substr(0, colon));
      out.metrics_port = static_cast<std::uint16_t>(std::atoi(std::string(value.substr(colon + 1)).c_str()));
    } else if (arg == "--for" && i + 1 < argc) {
      out.seconds = std::atof(argv[++i]);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse_arguments(argc, argv, args)) {
    std::fprintf(stderr, "usage: cluster_member [--metrics HOST:PORT] [--for SECONDS]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time: a pod's log is a pipe
  const snow::EnvironmentSettings env = snow::read_environment();
  snow::RuntimeOptions runtime_options;
  env.apply(runtime_options);
  snow::Runtime rt(runtime_options);
  snow::NodeOptions node_options;
  env.apply(node_options);
  absl::StatusOr<snow::Node> node = snow::Node::start(rt, env.node.value_or("member@127.0.0.1:0"), node_options);
  if (!node.ok()) {
    std::fprintf(stderr, "cluster_member: cannot start the node: %s\n", node.status().ToString().c_str());
    return 1;
  }
  node->monitor_node(rt.spawn(watch_nodes), "");
  const snow::Pid self_pid = rt.spawn([](snow::Self self) -> snow::Proc {
    co_await self.receive(snow::on<snow::GlobalNameLost>([](const snow::GlobalNameLost&) {}));
  });
  if (absl::Status st = snow::global::register_name(rt, "member:" + node->name(), self_pid); !st.ok()) {
    std::fprintf(stderr, "cluster_member: global name: %s\n", st.ToString().c_str());
  }

  snow::MetricsEndpoint endpoint(rt);
  if (absl::Status st = endpoint.start({.host = args.metrics_host, .port = args.metrics_port, .observer = true});
      !st.ok()) {
    std::fprintf(stderr, "cluster_member: cannot serve /health and /metrics: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("%s up; /health, /metrics and the Observer on http://%s:%u/\n", node->name().c_str(),
              args.metrics_host.c_str(), endpoint.port());

  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  const absl::Time end = args.seconds > 0 ? absl::Now() + absl::Seconds(args.seconds) : absl::InfiniteFuture();
  while (!stop_requested && absl::Now() < end) absl::SleepFor(absl::Milliseconds(50));

  std::printf("%s stopping, %zu peers\n", node->name().c_str(), node->list().size());
  (void)endpoint.stop();
  return 0;  // the runtime stops the node as it ends: peers see NodeDown at once

}
