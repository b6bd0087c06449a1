// tests/hardening/node_peer.cpp: one node of the hardening tests (bad_input_test.py,
// netns_test.py, soak_test.py), driven over stdin/stdout.
//
//     hardening_peer NAME COOKIE [--heartbeat MS] [--misses N] [--handshake-timeout MS]
//                                [--traffic MS] [--churn MS] [--max-unauthenticated N]
//                                [--max-unauthenticated-per-address N] [--silent-timeout MS]
//                                [--tls-ca FILE --tls-cert FILE --tls-key FILE
//                                 [--name-check node|host|none]]
//
// NAME "-" takes the node name, cookie, seeds and DNS discovery from the environment
// (SNOW_NODE, SNOW_COOKIE, SNOW_SEEDS, SNOW_DISCOVERY, SNOW_DISCOVERY_INTERVAL; COOKIE is
// then ignored), as a container's program would (discovery_test.py).
//
// Starts a node over TCP + TLS (mutual TLS with those files when --tls-ca is given,
// else ephemeral) with the given timings, registers "echo" (answers Ping)
// and "sink" (checks Seq streams), prints "node <full name>", then answers one command
// per stdin line with one line. Lines that start with "event " come unasked, whenever
// something a `watch` set up happens.
//
//     connect PEER      -> "connect ok" | "connect error <status>"
//     list              -> "list <names, comma separated>"
//     ping PEER         -> "pong PEER <node of the answering echo>" | "ping timeout"
//     watch PEER        -> "watching PEER" | "watch failed PEER"; afterwards
//                          "event nodeup PEER", "event nodedown PEER",
//                          "event down PEER <reason>" (a monitor of PEER's echo),
//                          "event exit PEER <reason>" (a link to it, exits trapped)
//     gregister NAME    -> "gregister ok" | "gregister error <status>" (echo as NAME)
//     gwhereis NAME     -> "gwhereis NAME <node of the owner>" | "gwhereis NAME none"
//     gnames            -> "gnames <global names this node knows, comma separated>"
//     members           -> "members <count of group soak's members>"
//     traffic on|off    -> "traffic on|off": start or stop the Seq senders (--traffic)
//     churn on|off      -> "churn on|off": start or stop global name churn and the
//                          group broadcast (--churn)
//     sent              -> "sent <incarnation> PEER:EPOCH:COUNT ..." (the current epoch
//                          of each peer, and how many Seq it got)
//     recv              -> "recv <total> <errors> NODE:INCARNATION:EPOCH:FIRST:LAST ..."
//     errors            -> "errors <count> <first error, if any>"
//     nodestats         -> "nodestats refused=N protocol_errors=N messages_in=N messages_out=N
//                          dropped_unreachable=N dropped_at_close=N dropped_undecodable=N
//                          remote_refused_undecodable=N dropped_inbound_at_close=N
//                          longest_tick_delay_us=N node_names_refused=N
//                          bytes_in=N disconnected_slow_reader=N"
//     ghosts PEER FIRST N -> "ghosts N": as a peer holding the cookie turned hostile, tells
//                          PEER of N made-up nodes (node_name frames; the FIRST-th on)
//     nodetable         -> "nodetable entries=N held=N bytes=N": this node's table of node lives
//     discovery         -> "discovery polls=N failures=N dialed=N ignored=N" (NodeStats::discovery)
//     sendnested PEER N -> "sendnested <bytes>": sends {"void", PEER} (a name no node
//                          registers, so PEER decodes it and drops it) N `[[]]` in lists
//                          of 1,000: 10 bytes each on the wire and ~25 times that as Terms
//     sendslow PEER BYTES -> "sendslow <bytes>": sends {"void", PEER} a map of about BYTES
//                          (at most BYTES) whose 300-byte keys differ only in their last 16:
//                          within the decode budget, and about the slowest content per byte
//                          to decode there is (~10 ns per byte: keys compared as it is built)
//     quit              (or the end of stdin) stops the node
//
// Traffic: every --traffic MS a process sends a burst of Seq{node, incarnation, epoch, n} to
// {"sink", peer} for every peer it has taken a NodeUp of (and no NodeDown since). Each NodeUp for a peer starts a new epoch
// with n = 0, so a stream is (sender incarnation, epoch), and within one the sink must
// see n go up by exactly one: anything else is an error (a loss, a duplicate or a
// reordering while the connection was up).
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "snow/snow.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/protocol.hpp"
#include "src/dist/start_node.hpp"

namespace {

struct Ping {
  snow::Pid from;
  std::int64_t n = 0;
};
SNOW_WIRE(Ping, from, n)

struct Seq {
  std::string node;               // the sender's node
  std::int64_t incarnation = 0;  // random per process start: a restarted node is a new sender
  std::int64_t epoch = 0;
  std::int64_t n = 0;
};
SNOW_WIRE(Seq, node, incarnation, epoch, n)

struct Tick {
  std::int64_t n = 0;
};
SNOW_WIRE(Tick, n)

std::mutex out_mu;
void say(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::cout << line << std::endl;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

/// What the sink has seen, per stream; read by the command loop.
struct SinkState {
  struct Stream {
    std::int64_t first = 0, last = 0;
  };
  std::mutex mu;
  std::map<std::tuple<std::string, std::int64_t, std::int64_t>, Stream> streams;  // (node, incarnation, epoch)
  std::uint64_t total = 0, errors = 0;
  std::string first_error;
};

/// What the traffic process has sent, per peer; read by the command loop.
struct SentState {
  std::mutex mu;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> peers;  // peer -> (epoch, next n)
};

struct Shared {
  std::int64_t incarnation = 0;
  SinkState sink;
  SentState sent;
  std::atomic<bool> traffic{false}, churn{false};
};

/// Traps exits: other nodes' watchers link to it, and a partition that breaks such a link
/// must not take the echo (and the global names registered to it) down with it.
snow::Proc echo(snow::Self self) {
  self.trap_exits(true);
  for (;;) {
    co_await self.receive(snow::on<Ping>([&](Ping p) { self.send(p.from, Ping{self.pid(), p.n + 1}); }),
                          snow::on<snow::Exit>([](snow::Exit) {}));
  }
}

snow::Proc sink(snow::Self self, Shared* shared) {
  for (;;) {
    co_await self.receive(snow::on<Seq>([&](Seq s) {
      SinkState& st = shared->sink;
      const std::string& from = s.node;
      std::lock_guard lock(st.mu);
      ++st.total;
      auto [it, fresh] = st.streams.try_emplace({from, s.incarnation, s.epoch}, SinkState::Stream{s.n, s.n});
      if (fresh) return;
      if (s.n != it->second.last + 1) {
        ++st.errors;
        if (st.first_error.empty()) {
          st.first_error = "from " + from + " epoch " + std::to_string(s.epoch) + ": after " +
                           std::to_string(it->second.last) + " came " + std::to_string(s.n);
        }
      }
      it->second.last = std::max(it->second.last, s.n);
    }),
                          snow::on<Tick>([](Tick) {}));
  }
}

/// Every `every`, a burst of Seq to every peer this process has seen come up, in that
/// peer's epoch; each NodeUp starts a new epoch. The process is a node watcher itself
/// (main() makes it one before the node connects anywhere), and a burst goes out only
/// when every NodeUp and NodeDown delivered so far has been taken (the timeout of a
/// receive fires only on a mailbox with none of them). Why not `node.list()` and a
/// separate process counting epochs: a node makes a new connection usable, and shows it
/// in `list()`, just before it tells its watchers. A burst sent in that gap went out on
/// the new connection in the old epoch, and a burst lost at the old connection's close
/// then read as a gap within one epoch, a false error.
snow::Proc traffic(snow::Self self, std::string node_name, absl::Duration every, Shared* shared) {
  constexpr int kBurst = 4;
  std::set<std::string> up;
  for (;;) {
    const absl::Time due = absl::Now() + every;
    for (bool waiting = true; waiting;) {
      co_await self.receive(snow::on<snow::NodeUp>([&](snow::NodeUp u) {
                              std::lock_guard lock(shared->sent.mu);
                              auto& [epoch, next] = shared->sent.peers[u.node];
                              ++epoch;
                              next = 0;
                              up.insert(u.node);
                            }),
                            snow::on<snow::NodeDown>([&](snow::NodeDown d) { up.erase(d.node); }),
                            snow::after(std::max(absl::ZeroDuration(), due - absl::Now()), [&] { waiting = false; }));
    }
    if (!shared->traffic.load()) continue;
    std::lock_guard lock(shared->sent.mu);
    for (const std::string& peer : up) {
      auto& [epoch, next] = shared->sent.peers[peer];
      for (int i = 0; i < kBurst; ++i) self.send("sink", peer, Seq{node_name, shared->incarnation, epoch, next++});
    }
  }
}

/// Global names come and go (the last four stay), and a Tick goes to group "soak", whose
/// members are the sinks (a Tick wakes nothing that would broadcast again).
snow::Proc churn(snow::Self self, snow::Node node, absl::Duration every, Shared* shared) {
  const std::string me = node.name().substr(0, node.name().find('@'));
  for (std::int64_t k = 0;; ++k) {
    co_await self.receive(snow::after(every, [] {}));
    if (!shared->churn.load()) continue;
    (void)snow::global::register_name(self.runtime(), me + "." + std::to_string(k), self.pid());
    if (k >= 4) (void)snow::global::unregister_name(self.runtime(), me + "." + std::to_string(k - 4));
    snow::group::broadcast(self, "soak", Tick{k});
  }
}

/// Watches one peer: its node, a monitor and a link to its echo; reports each event.
snow::Proc watcher(snow::Self self, std::string peer, snow::Node node) {
  self.trap_exits(true);
  self.send("echo", peer, Ping{self.pid(), 0});
  snow::Pid remote;
  co_await self.receive(snow::on<Ping>([&](Ping p) { remote = p.from; }), snow::after(absl::Seconds(5), [] {}));
  if (!remote) {
    say("watch failed " + peer);
    co_return;
  }
  (void)self.monitor(remote);
  self.link(remote);
  node.monitor_node(self.pid(), peer);
  say("watching " + peer);
  for (;;) {
    co_await self.receive(
        snow::on<snow::Down>([&](snow::Down d) { say("event down " + peer + " " + d.reason.to_string()); }),
        snow::on<snow::Exit>([&](snow::Exit e) { say("event exit " + peer + " " + e.reason.to_string()); }),
        snow::on<snow::NodeDown>([&](snow::NodeDown d) { say("event nodedown " + d.node); }),
        snow::on<snow::NodeUp>([&](snow::NodeUp u) { say("event nodeup " + u.node); }));
  }
}

long flag(int argc, char** argv, const std::string& name, long fallback) {
  for (int i = 3; i + 1 < argc; ++i) {
    if (argv[i] == name) {
      long v = fallback;
      std::from_chars(argv[i + 1], argv[i + 1] + std::char_traits<char>::length(argv[i + 1]), v);
      return v;
    }
  }
  return fallback;
}

std::string text_flag(int argc, char** argv, const std::string& name) {
  for (int i = 3; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return {};
}

// Mutual TLS when --tls-ca is given; false (after saying why) for a bad --name-check.
bool set_tls(int argc, char** argv, snow::TlsOptions& tls) {
  tls.ca_file = text_flag(argc, argv, "--tls-ca");
  if (tls.ca_file.empty()) return true;
  tls.mode = snow::TlsOptions::Mode::mutual;
  tls.cert_file = text_flag(argc, argv, "--tls-cert");
  tls.key_file = text_flag(argc, argv, "--tls-key");
  const std::map<std::string, snow::TlsOptions::NameCheck> rules = {
      {"node", snow::TlsOptions::NameCheck::node},
      {"host", snow::TlsOptions::NameCheck::host},
      {"none", snow::TlsOptions::NameCheck::none}};
  const std::string rule = text_flag(argc, argv, "--name-check");
  if (rule.empty()) return true;
  auto it = rules.find(rule);
  if (it == rules.end()) {
    std::cerr << "--name-check must be node, host or none, not " << rule << "\n";
    return false;
  }
  tls.name_check = it->second;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: hardening_peer NAME COOKIE [--heartbeat MS] [--misses N] [--handshake-timeout MS]"
                 " [--traffic MS] [--churn MS] [--max-unauthenticated N] [--max-unauthenticated-per-address N]"
                 " [--silent-timeout MS] [--tls-ca FILE --tls-cert FILE --tls-key FILE"
                 " [--name-check node|host|none]]\n";
    return 2;
  }
  snow::Runtime rt({.workers = 2});
  snow::NodeOptions options;
  options.cookie = argv[2];
  options.heartbeat = absl::Milliseconds(flag(argc, argv, "--heartbeat", 200));
  options.heartbeat_misses = static_cast<int>(flag(argc, argv, "--misses", 5));
  options.handshake_timeout = absl::Milliseconds(flag(argc, argv, "--handshake-timeout", 5000));
  options.reconnect_max = absl::Seconds(1);
  if (!set_tls(argc, argv, options.tls)) return 2;
  options.max_unauthenticated = static_cast<std::size_t>(flag(argc, argv, "--max-unauthenticated", 256));
  options.max_unauthenticated_per_address =
      static_cast<std::size_t>(flag(argc, argv, "--max-unauthenticated-per-address", 32));
  options.silent_timeout = absl::Milliseconds(flag(argc, argv, "--silent-timeout", 1000));
  std::string name = argv[1];
  if (name == "-") {
    const snow::EnvironmentSettings env = snow::read_environment();
    env.apply(options);
    if (!env.node) {
      std::cerr << "NAME is -, and SNOW_NODE is not set\n";
      return 2;
    }
    name = *env.node;
  }
  absl::StatusOr<snow::Node> node = snow::Node::start(rt, name, options);
  if (!node.ok()) {
    std::cerr << "cannot start: " << node.status() << "\n";
    return 1;
  }
  auto shared = std::make_unique<Shared>();
  shared->incarnation = static_cast<std::int64_t>(std::random_device{}()) << 20 | getpid();
  if (!rt.register_name("echo", rt.spawn(echo)).ok()) return 1;
  const snow::Pid sink_pid = rt.spawn(sink, shared.get());
  if (!rt.register_name("sink", sink_pid).ok() || !snow::group::join(rt, "soak", sink_pid).ok()) return 1;
  if (const long ms = flag(argc, argv, "--traffic", 0); ms > 0) {
    shared->traffic = true;
    node->monitor_node(rt.spawn(traffic, node->name(), absl::Milliseconds(ms), shared.get()), "");
  }
  if (const long ms = flag(argc, argv, "--churn", 0); ms > 0) {
    shared->churn = true;
    rt.spawn(churn, *node, absl::Milliseconds(ms), shared.get());
  }
  say("node " + node->name());

  // Each command answers with one line.
  using Command = std::function<std::string(const std::string& arg)>;
  auto status_line = [](const std::string& what, const absl::Status& st) {
    return what + (st.ok() ? " ok" : " error " + st.ToString());
  };
  const std::map<std::string, Command> commands = {
      {"connect", [&](const std::string& peer) { return status_line("connect", node->connect(peer)); }},
      {"list", [&](const std::string&) { return "list " + join(node->list()); }},
      {"ping",
       [&](const std::string& peer) {
         snow::ScopedActor me(rt);
         me.send("echo", peer, Ping{me.pid(), 1});
         std::string answer = "ping timeout";
         me.receive(snow::on<Ping>([&](Ping p) {
                      if (p.n == 2) answer = "pong " + peer + " " + node->node_of(p.from);
                    }),
                    snow::after(absl::Seconds(5), [] {}));
         return answer;
       }},
      {"watch",
       [&](const std::string& peer) {
         rt.spawn(watcher, peer, *node);
         return std::string();  // the watcher answers
       }},
      {"gregister",
       [&](const std::string& name) {
         return status_line("gregister", snow::global::register_name(rt, name, *rt.whereis("echo")));
       }},
      {"gwhereis",
       [&](const std::string& name) {
         const std::optional<snow::Pid> pid = snow::global::whereis(rt, name);
         return "gwhereis " + name + " " + (pid ? node->node_of(*pid) : std::string("none"));
       }},
      {"gnames", [&](const std::string&) { return "gnames " + join(snow::global::registered_names(rt)); }},
      {"members",
       [&](const std::string&) { return "members " + std::to_string(snow::group::members(rt, "soak").size()); }},
      {"traffic",
       [&](const std::string& on) {
         shared->traffic = on == "on";
         return "traffic " + on;
       }},
      {"churn",
       [&](const std::string& on) {
         shared->churn = on == "on";
         return "churn " + on;
       }},
      {"sent",
       [&](const std::string&) {
         std::lock_guard lock(shared->sent.mu);
         std::string out = "sent " + std::to_string(shared->incarnation);
         for (auto& [peer, state] : shared->sent.peers) {
           out += " " + peer + ":" + std::to_string(state.first) + ":" + std::to_string(state.second);
         }
         return out;
       }},
      {"recv",
       [&](const std::string&) {
         std::lock_guard lock(shared->sink.mu);
         std::string out = "recv " + std::to_string(shared->sink.total) + " " + std::to_string(shared->sink.errors);
         for (auto& [key, s] : shared->sink.streams) {
           out += " " + std::get<0>(key) + ":" + std::to_string(std::get<1>(key)) + ":" +
                  std::to_string(std::get<2>(key)) + ":" + std::to_string(s.first) + ":" + std::to_string(s.last);
         }
         return out;
       }},
      {"errors",
       [&](const std::string&) {
         std::lock_guard lock(shared->sink.mu);
         return "errors " + std::to_string(shared->sink.errors) + " " + shared->sink.first_error;
       }},
      {"sendnested",
       [&](const std::string& arg) {
         const std::size_t space = arg.find(' ');
         const std::string peer = arg.substr(0, space);
         std::size_t count = 0;
         std::from_chars(arg.data() + space + 1, arg.data() + arg.size(), count);
         // Copies of one shared Term: cheap here, each decoded separately there. Rows of
         // 1,000, so no list is over DecodeLimits::max_collection_count.
         const snow::Term row = snow::Term::list(std::vector<snow::Term>(1000, snow::Term::list({snow::Term::list({})})));
         const snow::Term message = snow::Term::list(std::vector<snow::Term>(count / 1000, row));
         const std::size_t bytes = snow::encode(message)->size();
         snow::ScopedActor me(rt);
         me.send("void", peer, message);
         return "sendnested " + std::to_string(bytes);
       }},
      {"sendslow",
       [&](const std::string& arg) {
         const std::size_t space = arg.find(' ');
         const std::string peer = arg.substr(0, space);
         std::size_t bytes = 0;
         std::from_chars(arg.data() + space + 1, arg.data() + arg.size(), bytes);
         constexpr std::size_t kKey = 300;
         auto map_of = [](std::size_t n) {
           std::vector<snow::Term::Entry> e;
           for (std::size_t i = 0; i < n; ++i) e.emplace_back(snow::Term(std::string(kKey, 'a' + i)), snow::Term(1));
           return snow::encode(snow::Term::map(std::move(e)))->size();
         };
         const std::size_t entry = map_of(2) - map_of(1), overhead = map_of(1) - entry;
         std::mt19937_64 random(7);
         std::vector<snow::Term::Entry> entries;
         for (std::size_t i = 0; i < (bytes - overhead) / entry; ++i) {
           std::string key(kKey, 'k');
           const std::uint64_t x = random();
           for (int j = 0; j < 16; ++j) key[kKey - 1 - j] = static_cast<char>('a' + ((x >> (4 * j)) & 15));
           entries.emplace_back(snow::Term(std::move(key)), snow::Term(1));
         }
         const snow::Term message = snow::Term::map(std::move(entries));
         const std::size_t size = snow::encode(message)->size();
         snow::ScopedActor me(rt);
         me.send("void", peer, message);
         return "sendslow " + std::to_string(size);
       }},
      {"nodestats",
       [&](const std::string&) {
         const snow::NodeStats st = node->stats();
         return "nodestats refused=" + std::to_string(st.handshakes_refused) +
                " protocol_errors=" + std::to_string(st.protocol_errors) +
                " messages_in=" + std::to_string(st.messages_in) + " messages_out=" + std::to_string(st.messages_out) +
                " dropped_unreachable=" + std::to_string(st.dropped_unreachable) +
                " dropped_at_close=" + std::to_string(st.dropped_at_close) +
                " dropped_undecodable=" + std::to_string(st.dropped_undecodable) +
                " remote_refused_undecodable=" + std::to_string(st.remote_refused.undecodable) +
                " dropped_inbound_at_close=" + std::to_string(st.dropped_inbound_at_close) +
                " longest_tick_delay_us=" + std::to_string(st.longest_tick_delay_us) +
                " node_names_refused=" + std::to_string(st.node_names_refused) +
                " bytes_in=" + std::to_string(st.bytes_in) +
                " disconnected_slow_reader=" + std::to_string(st.disconnected_slow_reader);
       }},
      {"ghosts",
       [&](const std::string& arg) {
         const std::size_t a = arg.find(' '), b = arg.rfind(' ');
         const std::string peer = arg.substr(0, a);
         const int first = std::stoi(arg.substr(a + 1, b - a - 1)), n = std::stoi(arg.substr(b + 1));
         for (int i = first; i < first + n; ++i) {
           snow::detail::node_of(rt)->post_frame_for_testing(
               peer, snow::dist::FrameWriter(snow::dist::FrameKind::node_name)
                         .u16(static_cast<std::uint16_t>(100 + i))
                         .u8(1)
                         .u32(1)
                         .name("ghost" + std::to_string(i) + "@10.255.0.1:9")
                         .finish());
         }
         return "ghosts " + std::to_string(n);
       }},
      {"discovery",
       [&](const std::string&) {
         const snow::NodeStats::Discovery d = node->stats().discovery;
         return "discovery polls=" + std::to_string(d.polls) + " failures=" + std::to_string(d.failures) +
                " dialed=" + std::to_string(d.dialed) + " ignored=" + std::to_string(d.ignored);
       }},
      {"nodetable",
       [&](const std::string&) {
         const auto t = snow::detail::node_of(rt)->node_table_size();
         return "nodetable entries=" + std::to_string(t.entries) + " held=" + std::to_string(t.held) +
                " bytes=" + std::to_string(t.bytes);
       }},
  };
  for (std::string line; std::getline(std::cin, line) && line != "quit";) {
    const std::size_t space = line.find(' ');
    const std::string cmd = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    auto it = commands.find(cmd);
    const std::string answer = it == commands.end() ? "unknown command " + cmd : it->second(arg);
    if (!answer.empty()) say(answer);
  }
  rt.stop();
  return 0;
}
