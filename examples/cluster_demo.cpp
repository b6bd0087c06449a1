// cluster_demo: three node processes over TLS; a globally named service supervised on
// alpha, clients on beta and gamma calling it by name; the service crashes and comes back,
// then alpha stops and the clients notice.
//
//     cluster_demo              runs the whole story: starts the three nodes as child
//                               processes of itself, prints what each one says, and
//                               checks that every step happened (exit 0) or names the
//                               step that did not (exit 1)
//     cluster_demo alpha        one node, told what to do on stdin ("crash", "stop")
//     cluster_demo beta ALPHA   a client node; ALPHA is alpha's full node name
//
// Each node is an ordinary program: a Runtime, a Node, processes. Only the conductor
// (the first form) is demo plumbing.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "snow/snow.hpp"
#include "snow/supervisor.hpp"

extern char** environ;

namespace {

struct Incr {
  snow::Pid from;
  snow::Ref ref;
};
SNOW_WIRE(Incr, from, ref)
struct Count {
  snow::Ref ref;
  std::int64_t n = 0;
};
SNOW_WIRE(Count, ref, n)

void say(const std::string& line) { std::printf("%s\n", line.c_str()); std::fflush(stdout); }

const snow::NodeOptions kOptions{.cookie = "cluster-demo-cookie-4b8e", .heartbeat = absl::Milliseconds(100)};

void log_errors_only(snow::LogLevel level, std::string_view text) {
  if (level >= snow::LogLevel::error) say("[log] " + std::string(text));
}

// ---- alpha: the supervised, globally named counter ----

/// The counter service: registers itself globally as "counter", counts Incr requests.
snow::Proc counter(snow::Self self) {
  if (!snow::global::register_name(self.runtime(), "counter", self.pid()).ok()) co_return;
  std::int64_t n = 0;
  for (;;) {
    co_await self.receive(snow::on<Incr>([&](Incr i) { self.send(i.from, Count{i.ref, ++n}); }));
  }
}

bool wait_until(const std::function<bool()>& done, absl::Duration within = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + within;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int run_alpha() {
  snow::Runtime rt({.log_sink = log_errors_only});
  auto node = snow::Node::start(rt, "alpha@127.0.0.1:0", kOptions);
  if (!node.ok()) return say("cannot start: " + node.status().ToString()), 1;
  say("node " + node->name());

  snow::ScopedActor admin(rt);
  snow::SupervisorSpec spec;
  snow::ChildSpec child;
  child.id = "counter";
  child.start = [](snow::Self self) { return self.spawn(counter); };
  spec.children.push_back(child);
  if (!snow::start_supervisor(admin, spec).ok()) return 1;
  if (!wait_until([&] { return snow::global::whereis(rt, "counter").has_value(); })) return 1;
  say("the supervisor started the counter; it registered the global name \"counter\"");

  for (std::string command; std::getline(std::cin, command);) {
    if (command == "crash") {
      const snow::Pid old = *snow::global::whereis(rt, "counter");
      rt.exit(old, snow::ExitReason::kill());
      say("killed the counter " + old.to_string());
      const bool back = wait_until([&] {
        auto now = snow::global::whereis(rt, "counter");
        return now && *now != old;
      });
      if (!back) return say("the counter did not come back"), 1;
      say("the supervisor restarted it as " + snow::global::whereis(rt, "counter")->to_string() +
          " and it registered \"counter\" again");
    } else if (command == "stop") {
      break;
    }
  }
  say("stopping");
  rt.stop();
  return 0;
}

// ---- beta and gamma: clients calling the counter by its global name ----

/// Calls "counter" every 50 ms. Reports its 10th answer, any outage, a restart (seen as
/// the count starting again from 1), the 10th answer after a restart, and alpha's NodeDown
/// (then ends, which ends the program).
snow::Proc client(snow::Self self, std::string alpha) {
  snow::Node::of(self.runtime())->monitor_node(self.pid(), alpha);
  int answers = 0;
  int answers_since_restart = -1;  // counting from the first restart seen
  std::int64_t last_count = 0;
  bool in_outage = false;
  for (;;) {
    const snow::Ref ref = self.make_ref();
    const bool sent = snow::global::send(self, "counter", Incr{self.pid(), ref});
    std::optional<std::int64_t> count;
    bool alpha_down = false;
    auto on_node_down = [&] { return snow::on<snow::NodeDown>([&](snow::NodeDown) { alpha_down = true; }); };
    if (sent) {
      co_await self.receive(snow::on<Count>([ref](const Count& c) { return c.ref == ref; },
                                            [&](Count c) { count = c.n; }),
                            on_node_down(), snow::after(absl::Milliseconds(200), [] {}));
    } else {
      co_await self.receive(on_node_down(), snow::after(absl::Milliseconds(50), [] {}));
    }
    if (alpha_down) {
      say(std::string("alpha is gone (NodeDown); \"counter\" is ") +
          (snow::global::whereis(self.runtime(), "counter") ? "still registered?!" : "no longer registered"));
      co_return;
    }
    if (!count) {
      if (!in_outage) say(std::string("no answer from \"counter\" (") + (sent ? "timed out" : "not registered") + "), retrying");
      in_outage = true;
    } else {
      in_outage = false;
      if (*count < last_count) {
        say("\"counter\" was restarted: its count went from " + std::to_string(last_count) + " back to " + std::to_string(*count));
        answers_since_restart = 0;
      }
      last_count = *count;
      if (++answers == 10) say("10 answers from \"counter\"");
      if (answers_since_restart >= 0 && ++answers_since_restart == 10) say("carried on: 10 answers since the restart");
    }
    co_await self.sleep(absl::Milliseconds(50));
  }
}

int run_client(const std::string& name, const std::string& alpha) {
  snow::Runtime rt({.log_sink = log_errors_only});
  auto node = snow::Node::start(rt, name + "@127.0.0.1:0", kOptions);
  if (!node.ok()) return say("cannot start: " + node.status().ToString()), 1;
  if (absl::Status s = node->connect(alpha); !s.ok()) return say("cannot connect: " + s.ToString()), 1;
  // Each client connects only to alpha; the mesh connects beta and gamma to each other.
  if (!wait_until([&] { return node->list().size() == 2; })) return say("no full mesh"), 1;
  say("connected to alpha; the mesh added " + (node->list()[0] == alpha ? node->list()[1] : node->list()[0]));
  if (!wait_until([&] { return snow::global::whereis(rt, "counter").has_value(); })) return 1;
  say("sees \"counter\" on " + node->node_of(*snow::global::whereis(rt, "counter")));
  rt.spawn(client, alpha);
  return rt.join(absl::Seconds(30)).ok() ? 0 : (say("client did not finish"), 1);
}

// ---- the conductor: runs the three nodes and checks the story ----

/// A node process with its stdin and stdout on pipes.
struct NodeProcess {
  std::string name;
  pid_t pid = -1;
  int in = -1;   // its stdin
  int out = -1;  // its stdout
  std::string buffered;

  bool start(const std::string& self_path, std::vector<std::string> args) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    args.insert(args.begin(), self_path);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int r = posix_spawn(&pid, self_path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    in = to_child[1];
    out = from_child[0];
    return r == 0;
  }

  void tell(const std::string& command) {
    const std::string line = command + "\n";
    (void)!write(in, line.data(), line.size());
  }

  /// The next line it prints (echoed with its name), or nothing after `within`.
  std::optional<std::string> next_line(absl::Duration within) {
    const absl::Time deadline = absl::Now() + within;
    for (;;) {
      if (auto nl = buffered.find('\n'); nl != std::string::npos) {
        std::string line = buffered.substr(0, nl);
        buffered.erase(0, nl + 1);
        say(name + "  | " + line);
        return line;
      }
      const auto left = absl::ToInt64Milliseconds(deadline - absl::Now());
      pollfd p{out, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(out, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffered.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Reads (and shows) lines until one contains `text`; false after `within`.
  bool expect(const std::string& text, absl::Duration within = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + within;
    while (auto line = next_line(deadline - absl::Now())) {
      if (line->find(text) != std::string::npos) return true;
    }
    say("conductor: " + name + " never said \"" + text + "\"");
    return false;
  }

  int wait_exit() {
    close(in);
    int status = 0;
    while (next_line(absl::Seconds(10))) {
    }
    if (waitpid(pid, &status, 0) != pid) return -1;
    close(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

int conduct(const std::string& self_path) {
  NodeProcess alpha{"alpha"}, beta{"beta "}, gamma{"gamma"};
  auto fail = [&](const char* step) {
    say(std::string("conductor: FAILED at: ") + step);
    for (NodeProcess* p : {&alpha, &beta, &gamma}) if (p->pid > 0) kill(p->pid, SIGKILL);
    return 1;
  };
  say("conductor: starting alpha, which supervises a counter registered globally as \"counter\"");
  if (!alpha.start(self_path, {"alpha"})) return fail("start alpha");
  auto alpha_line = alpha.next_line(absl::Seconds(10));
  if (!alpha_line || alpha_line->rfind("node ", 0) != 0) return fail("alpha's node name");
  const std::string alpha_name = alpha_line->substr(5);
  if (!alpha.expect("registered the global name")) return fail("the counter's registration");

  say("conductor: starting beta and gamma; each connects to alpha only");
  if (!beta.start(self_path, {"beta", alpha_name}) || !gamma.start(self_path, {"gamma", alpha_name})) return fail("start clients");
  for (NodeProcess* c : {&beta, &gamma}) {
    if (!c->expect("the mesh added")) return fail("mesh formation");
    if (!c->expect("sees \"counter\" on alpha")) return fail("the global name seen from a client");
    if (!c->expect("10 answers")) return fail("calls by global name");
  }

  say("conductor: telling alpha to kill the counter");
  alpha.tell("crash");
  if (!alpha.expect("registered \"counter\" again")) return fail("restart and re-registration");
  for (NodeProcess* c : {&beta, &gamma}) {
    if (!c->expect("carried on")) return fail("clients carrying on after the restart");
  }

  say("conductor: telling alpha to stop");
  alpha.tell("stop");
  for (NodeProcess* c : {&beta, &gamma}) {
    if (!c->expect("alpha is gone")) return fail("clients seeing NodeDown");
  }
  const int codes[] = {alpha.wait_exit(), beta.wait_exit(), gamma.wait_exit()};
  for (int code : codes) {
    if (code != 0) return fail("a node's exit status");
  }
  say("conductor: done: mesh, global name, crash + restart + re-registration, NodeDown all seen");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    char self_path[4096] = {};
    if (readlink("/proc/self/exe", self_path, sizeof self_path - 1) <= 0) return 1;
    signal(SIGPIPE, SIG_IGN);  // a node that died early must fail a step, not the conductor
    return conduct(self_path);
  }
  if (args[0] == "alpha") return run_alpha();
  if ((args[0] == "beta" || args[0] == "gamma") && args.size() == 2) return run_client(args[0], args[1]);
  std::fprintf(stderr, "usage: cluster_demo [alpha | beta ALPHA_NODE | gamma ALPHA_NODE]\n");
  return 2;
}
