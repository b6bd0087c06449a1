// two_nodes: two nodes in one process talk over TLS: connect, send by name, monitor across nodes.
//
// Each snow::Runtime becomes a node with Node::start. They connect with a shared cookie,
// a process on "alpha" asks the "greeter" registered on "beta" for a greeting, then
// monitors it and sees it end, with the reason, across the connection.
#include <iostream>
#include <string>

#include "snow/snow.hpp"

struct Hello {
  snow::Pid from;
  std::string name;
};
SNOW_WIRE(Hello, from, name)  // wire types may cross nodes

struct Greeting {
  snow::Pid from;
  std::string text;
};
SNOW_WIRE(Greeting, from, text)

struct Bye {};
SNOW_WIRE(Bye)

snow::Proc greeter(snow::Self self) {
  co_await self.receive(snow::on<Hello>([&](Hello h) { self.send(h.from, Greeting{self.pid(), "hello, " + h.name}); }));
  co_await self.receive(snow::on<Bye>([] {}));
  self.exit(snow::ExitReason::shutdown());
}

int main() {
  snow::Runtime alpha_rt, beta_rt;
  snow::NodeOptions options{.cookie = "demo-cookie-7f3a91c2e5"};
  auto alpha = snow::Node::start(alpha_rt, "alpha@127.0.0.1:0", options);  // port 0: any free port
  auto beta = snow::Node::start(beta_rt, "beta@127.0.0.1:0", options);
  if (!alpha.ok() || !beta.ok()) {
    std::cerr << "cannot start: " << (alpha.ok() ? beta.status() : alpha.status()) << "\n";
    return 1;
  }
  beta_rt.register_name("greeter", beta_rt.spawn(greeter)).IgnoreError();
  if (absl::Status st = alpha->connect(beta->name()); !st.ok()) {
    std::cerr << "cannot connect: " << st << "\n";
    return 1;
  }
  std::cout << alpha->name() << " is connected to " << alpha->list().size() << " node\n";

  snow::ScopedActor me(alpha_rt);
  me.send("greeter", beta->name(), Hello{me.pid(), "alpha"});  // {name, node} send
  snow::Pid greeter_pid;  // a Pid on beta, usable here like a local one
  me.receive(snow::on<Greeting>([&](Greeting g) {
               std::cout << "got: " << g.text << " (from a process on " << alpha->node_of(g.from) << ")\n";
               greeter_pid = g.from;
             }),
             snow::after(absl::Seconds(5), [] { std::cout << "no greeting\n"; }));
  if (!greeter_pid) return 1;
  (void)me.monitor(greeter_pid);  // the Down says how it ended; its Ref is not needed here
  me.send(greeter_pid, Bye{});
  const bool down = me.receive(snow::on<snow::Down>([](snow::Down d) {
                                 std::cout << "the greeter ended: " << d.reason << "\n";
                                 return true;
                               }),
                               snow::after(absl::Seconds(5), [] { return false; }));
  return down ? 0 : 1;
}
