// remote_service: a key-value service in one OS process, called from another.
//
// The program forks: the child is the node "kv@127.0.0.1", which runs the Kv service and
// registers it globally; the parent is the node "app@127.0.0.1", which connects and
// calls the service by global name, by {name, node} and by Pid, then kills the child
// (kill -9) and sees its next call fail with Aborted(noconnection) at once.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "snow/snow.hpp"

// Requests and replies that cross nodes are wire types.
struct Get {
  std::string key;
};
SNOW_WIRE(Get, key)
struct Put {
  std::string key;
  std::int64_t value;
};
SNOW_WIRE(Put, key, value)

struct Kv {
  // The requests this service takes from other nodes (checked when it is spawned).
  using remote_requests = snow::RemoteRequests<Get, Put>;
  std::map<std::string, std::int64_t> data;
  std::int64_t handle_call(const Get& g) { return data.contains(g.key) ? data[g.key] : 0; }
  void handle_call(const Put& p) { data[p.key] = p.value; }
};

const snow::NodeOptions kOptions{.cookie = "remote-service-demo-5d1c"};

// The child: serve until killed. Its node name (with the port picked) goes to the parent.
int serve(int to_parent) {
  snow::Runtime rt;
  auto node = snow::Node::start(rt, "kv@127.0.0.1:0", kOptions);
  if (!node.ok()) return 1;
  snow::Service<Kv> kv = snow::spawn_service(rt, Kv{}, {.name = "kv"});
  if (!snow::global::register_name(rt, "kv", kv.pid()).ok()) return 1;
  const std::string name = node->name() + "\n";
  if (write(to_parent, name.data(), name.size()) != static_cast<ssize_t>(name.size())) return 1;
  rt.join().IgnoreError();  // the service never ends: this waits for the kill
  return 0;
}

int main() {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  const pid_t child = fork();  // before any runtime: no threads yet
  if (child == 0) {
    close(pipe_fds[0]);
    _exit(serve(pipe_fds[1]));
  }
  close(pipe_fds[1]);
  std::string server;
  char c;
  while (read(pipe_fds[0], &c, 1) == 1 && c != '\n') server += c;

  bool ok = !server.empty();
  {
    snow::Runtime rt;
    auto node = snow::Node::start(rt, "app@127.0.0.1:0", kOptions);
    ok = ok && node.ok() && node->connect(server).ok();
    snow::ScopedActor me(rt);
    // A global name is known here once the nodes have synchronised: wait a little for it.
    for (int i = 0; ok && i < 100 && !snow::global::whereis(rt, "kv"); ++i) me.receive(snow::after(absl::Milliseconds(20), [] {}));

    if (ok) {
      absl::Status put = snow::call_service<Kv>(me, snow::GlobalName{"kv"}, Put{"answer", 42});
      absl::StatusOr<std::int64_t> by_global = snow::call_service<Kv>(me, snow::GlobalName{"kv"}, Get{"answer"});
      absl::StatusOr<std::int64_t> by_name_on_node = snow::call_service<Kv>(me, snow::NameOn{"kv", server}, Get{"answer"});
      std::cout << "put: " << put << "\n"
                << "get by global name: " << by_global.value_or(-1) << "\n"
                << "get by {name, node}: " << by_name_on_node.value_or(-1) << "\n";
      ok = put.ok() && by_global.value_or(-1) == 42 && by_name_on_node.value_or(-1) == 42;

      // A Service handle on a Pid of the other node is called like a local one.
      const snow::Service<Kv> kv(rt, *snow::global::whereis(rt, "kv"));
      kill(child, SIGKILL);
      absl::StatusOr<std::int64_t> after_kill = kv.call(me, Get{"answer"});
      std::cout << "after kill -9: " << after_kill.status() << "\n";
      ok = ok && absl::IsAborted(after_kill.status()) &&
           after_kill.status().message().find("noconnection") != std::string_view::npos;
    }
  }
  kill(child, SIGKILL);  // if something failed before the kill
  waitpid(child, nullptr, 0);
  std::cout << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}
