#!/usr/bin/env python3
"""DNS discovery across hosts: five node processes in five network namespaces find each
other through a real DNS server (dnsmasq), configured only by the environment.

Namespaces n1..n6 (one node each, hardening_peer with NAME "-") and dns (dnsmasq) hang
off a bridge in a switch namespace. dnsmasq serves snow.test (an A record per node) and
_snow._tcp.snow.test (an SRV record per node, target nN.snow.test). Odd nodes look up
SNOW_DISCOVERY=a:snow.test:4370, even ones srv:_snow._tcp.snow.test, every 500 ms; no
node is told a peer's name. Then:
  1. the five form a full mesh;
  2. n6's records are added and n6 started (with no discovery of its own): everyone
     finds it and is connected to it within two polls;
  3. n3's records are removed: nobody drops n3 for that (DNS is no failure detector);
     n3 is then stopped: the others get NodeDown and n3's global name goes;
  4. the n1 <-> n2 link goes through a relay of TUN devices (tun_relay.py) that delays
     each packet 20 ms and drops 1% (this kernel has no sch_netem): the Seq streams
     between n1 and n2 stay whole and in order, and neither sees the other go down.
  5. snow.test gets 2,000 more A records (unroutable addresses): they are capped and
     counted, and the nodes stay responsive and connected.
Between 1 and 2, dnsmasq is stopped for a few polls: failed lookups drop no one.

Needs root, `ip netns` and dnsmasq; otherwise it exits 77 (skipped) saying why. The
namespaces and /etc/netns/ files are removed however the test ends.
Usage: discovery_test.py PATH/TO/hardening_peer
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge import build_bridge, ip  # noqa: E402
from nodes import Checks, Node, check_streams_complete, eventually  # noqa: E402

PEER = os.path.abspath(sys.argv[1])
RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tun_relay.py")
TAG = "sdc%d" % (os.getpid() % 100000)  # namespace and interface names unique to this run
SWITCH = TAG + "sw"
PORT = 4370
INTERVAL_S = 0.5
HEARTBEAT_MS, MISSES = 200, 5
DETECT_S = (HEARTBEAT_MS * MISSES + 1000) / 1000
HOSTS = {"n%d" % i: "10.214.0.%d" % i for i in range(1, 7)}
DNS_HOST, DNS_ADDR = "dns", "10.214.0.53"
A_NAME, SRV_NAME = "snow.test", "_snow._tcp.snow.test"
check = Checks()


def ns(host):
    return TAG + host


def resolv_dir(host):
    return "/etc/netns/" + ns(host)


def build_network():
    build_bridge(TAG, {**HOSTS, DNS_HOST: DNS_ADDR})
    for host in list(HOSTS) + [DNS_HOST]:
        # `ip netns exec` mounts this over /etc/resolv.conf: the namespace's resolver
        # asks dnsmasq, and gives up on it quickly.
        os.makedirs(resolv_dir(host), exist_ok=True)
        with open(os.path.join(resolv_dir(host), "resolv.conf"), "w") as f:
            f.write("nameserver %s\noptions timeout:1 attempts:2\n" % DNS_ADDR)


def cleanup():
    for host in list(HOSTS) + [DNS_HOST]:
        subprocess.run(["ip", "netns", "del", ns(host)], capture_output=True)
        shutil.rmtree(resolv_dir(host), ignore_errors=True)
    subprocess.run(["ip", "netns", "del", SWITCH], capture_output=True)


def skip(why):
    print("skipped: " + why, flush=True)
    sys.exit(77)


class Dns:
    """dnsmasq in its namespace, answering for the nodes in `members`. SRV records live
    on its command line, so a change restarts it (A records alone would only need a
    SIGHUP to re-read --addn-hosts)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.members = []

    def serve(self, members, unroutable=0):
        """A and SRV records for `members`, and `unroutable` more A records for snow.test
        (10.215.x.y: no route to them from any namespace)."""
        self.members = list(members)
        hosts = os.path.join(self.workdir, "hosts")
        with open(hosts, "w") as f:
            for m in self.members:
                f.write("%s %s %s.%s\n" % (HOSTS[m], A_NAME, m, A_NAME))
            for i in range(unroutable):
                f.write("10.215.%d.%d %s\n" % (i // 250, 1 + i % 250, A_NAME))
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=5)
        args = ["ip", "netns", "exec", ns(DNS_HOST), "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--user=root", "--bind-interfaces", "--listen-address=" + DNS_ADDR, "--local=/" + A_NAME + "/",
                "--local-ttl=0", "--pid-file=" + os.path.join(self.workdir, "pid"), "--addn-hosts=" + hosts,
                "--log-facility=" + os.path.join(self.workdir, "log")]
        args += ["--srv-host=%s,%s.%s,%d" % (SRV_NAME, m, A_NAME, PORT) for m in self.members]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ok = eventually(lambda: len(self.answers()) == len(self.members) + unroutable or self.proc.poll() is not None, 5)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("dnsmasq did not start: %s" % (self.proc.stderr.read() if self.proc.poll() is not None else "no answer"))

    def answers(self):
        """The addresses snow.test has, asked from n1's namespace as a node would."""
        r = subprocess.run(["ip", "netns", "exec", ns("n1"), "getent", "ahostsv4", A_NAME], capture_output=True, text=True)
        return sorted({line.split()[0] for line in r.stdout.splitlines() if line.strip()})

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


def start_node(host, traffic=False, discover=True):
    source = "a:%s:%d" % (A_NAME, PORT) if int(host[1:]) % 2 == 1 else "srv:" + SRV_NAME
    env = {"SNOW_NODE": "%s@%s:%d" % (host, HOSTS[host], PORT), "SNOW_COOKIE": "discovery-test-cookie"}
    if discover:
        env.update({"SNOW_DISCOVERY": source, "SNOW_DISCOVERY_INTERVAL": "%dms" % (INTERVAL_S * 1000)})
    args = ["--heartbeat", HEARTBEAT_MS, "--misses", MISSES] + (["--traffic", 20] if traffic else [])
    return Node(PEER, "-", "-", args=args, prefix=["ip", "netns", "exec", ns(host)], env=env)


def mesh_of(nodes):
    everyone = sorted(n.name for n in nodes)
    return lambda: all(sorted(n.list() + [n.name]) == everyone for n in nodes)


def main():
    if os.geteuid() != 0:
        skip("network namespaces need root")
    if shutil.which("dnsmasq") is None:
        skip("dnsmasq is not installed (Debian package dnsmasq-base; scripts/ensure-deps.sh installs it)")
    if not os.path.exists("/dev/net/tun"):
        skip("no /dev/net/tun for the lossy link's relay")
    began = time.monotonic()
    nodes = {}
    workdir = tempfile.mkdtemp(prefix="snow-discovery-")
    os.chmod(workdir, 0o755)
    dns = Dns(workdir)
    relay = None
    try:
        try:
            build_network()
        except (subprocess.CalledProcessError, FileNotFoundError, OSError) as e:
            skip("cannot make network namespaces here: %s" % (getattr(e, "stderr", "") or e))
        first = ["n1", "n2", "n3", "n4", "n5"]
        dns.serve(first)
        check(dns.answers() == sorted(HOSTS[m] for m in first), "dnsmasq answers snow.test with five addresses")

        # 1. Five nodes, told nothing but the environment, form a full mesh.
        t0 = time.monotonic()
        for host in first:
            nodes[host] = start_node(host, traffic=host in ("n1", "n2"))
        said = [l for l in nodes["n2"].stderr_lines if "from the environment" in l]
        check(said and "SNOW_DISCOVERY=srv:" + SRV_NAME in said[0] and "SNOW_DISCOVERY_INTERVAL=500ms" in said[0],
              "n2 says what it took from the environment: %s" % (said[0].strip() if said else "nothing"))
        live = [nodes[h] for h in first]
        check(eventually(mesh_of(live), 10), "the five nodes form a full mesh from DNS alone (%.1f s)" %
              (time.monotonic() - t0))
        for host in ("n1", "n2"):
            stats = dict(kv.split("=") for kv in nodes[host].ask("discovery").split()[1:])
            check(int(stats["polls"]) >= 1 and int(stats["dialed"]) >= 1 and int(stats["failures"]) == 0,
                  "%s counted its polls and dials: %s" % (host, stats))

        # DNS down for a few polls: lookups fail and are counted, and nobody is dropped.
        dns.stop()
        time.sleep(4 * INTERVAL_S)
        failures = int(dict(kv.split("=") for kv in nodes["n1"].ask("discovery").split()[1:])["failures"])
        check(failures >= 1 and mesh_of(live)() and not any(n.events for n in live),
              "with dnsmasq stopped n1 counts %d failed lookups and the mesh stays whole" % failures)
        dns.serve(first)

        n3 = nodes["n3"]
        check(n3.ask("gregister n3name") == "gregister ok", "n3 registers the global name n3name")
        watchers = [nodes[h] for h in ("n1", "n2", "n4", "n5")]
        for w in watchers:
            check(w.ask("watch " + n3.name) == "watching " + n3.name, "%s watches n3" % w.name.split("@")[0])
        check(eventually(lambda: all(w.ask("gwhereis n3name") == "gwhereis n3name " + n3.name for w in watchers), 5),
              "everyone sees n3name on n3")

        # 2. A sixth node: its records, then the node. It looks nothing up itself: the
        # others' polls must find it.
        dns.serve(first + ["n6"])
        t6 = time.monotonic()
        nodes["n6"] = start_node("n6", discover=False)
        live = [nodes[h] for h in first + ["n6"]]
        joined = eventually(mesh_of(live), 2 * INTERVAL_S * 1.2 + 0.5, every_s=0.02)
        took = time.monotonic() - t6
        check(joined and took <= 2 * INTERVAL_S * 1.2 + 0.5,
              "n6 is connected to everyone %.2f s after it was launched (two polls: %.1f s, jittered by up to 20%%)" %
              (took, 2 * INTERVAL_S))

        # 3. n3's records go: no one drops it for that. Then n3 stops: NodeDown, and its name goes.
        dns.serve([h for h in first + ["n6"] if h != "n3"])
        time.sleep(3 * INTERVAL_S)
        check(all(n3.name in w.list() for w in watchers) and not any(w.events for w in watchers),
              "n3's records are gone and n3 is still connected to everyone, no NodeDown")
        stopped = time.monotonic()
        n3.stop()
        for w in watchers:
            e = w.wait_event(lambda t: t == "nodedown " + n3.name, DETECT_S + 2)
            check(e is not None, "%s gets NodeDown for n3%s" % (w.name.split("@")[0],
                                                                "" if e is None else " after %.2f s" % (e[0] - stopped)))
        check(eventually(lambda: all(w.ask("gwhereis n3name") == "gwhereis n3name none" for w in watchers), 5),
              "n3name is gone everywhere")
        live = [nodes[h] for h in ("n1", "n2", "n4", "n5", "n6")]
        check(eventually(mesh_of(live), 3), "the five others stay a full mesh without n3")

        # 4. The n1 <-> n2 link through a relay that delays 20 ms each way and drops 1%.
        n1, n2 = nodes["n1"], nodes["n2"]
        check(n1.ask("watch " + n2.name) == "watching " + n2.name, "n1 watches n2")
        check(n2.ask("watch " + n1.name) == "watching " + n1.name, "n2 watches n1")
        before = time.monotonic()
        n1.ask("ping " + n2.name)
        plain_ms = (time.monotonic() - before) * 1000
        tun_a, tun_b = TAG + "ta", TAG + "tb"
        relay = subprocess.Popen([sys.executable, RELAY, tun_a, tun_b, "20", "1", "7"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        check(relay.stdout.readline().strip() == "ready", "the relay made its TUN devices")
        for tun, host, other in ((tun_a, "n1", "n2"), (tun_b, "n2", "n1")):
            ip("link", "set", tun, "netns", ns(host))
            ip("-n", ns(host), "link", "set", tun, "up")
            ip("-n", ns(host), "route", "add", HOSTS[other] + "/32", "dev", tun)
        impaired = time.monotonic()
        before = time.monotonic()
        n1.ask("ping " + n2.name)
        slow_ms = (time.monotonic() - before) * 1000
        check(slow_ms >= 40, "n1 -> n2 -> n1 takes %.0f ms through the relay (%.0f ms before)" % (slow_ms, plain_ms))
        time.sleep(8)
        for me, other in ((n1, n2), (n2, n1)):
            downs = [e for e in me.events if e[0] >= impaired and e[1].startswith(("nodedown", "down", "exit"))]
            check(not downs, "%s saw no NodeDown, Down or Exit for %s during 8 s of the lossy link: %s" %
                  (me.name.split("@")[0], other.name.split("@")[0], downs))
        for n in (n1, n2):
            n.ask("traffic off")
        time.sleep(1.5)  # what is in flight (retransmissions included) arrives
        check_streams_complete(check, n1, n2)
        check_streams_complete(check, n2, n1)
        for n in (n1, n2):
            errors = n.ask("errors")
            check(errors.startswith("errors 0"), "%s's sink saw no gap or reordering: %s" % (n.name.split("@")[0], errors))
        relay.stdin.close()
        counts = relay.stdout.readline().split()
        relay.wait(timeout=5)
        relay = None
        check(len(counts) == 4 and int(counts[1]) > 1000 and int(counts[3]) > 0,
              "the relay carried the link and dropped packets: %s" % " ".join(counts))

        # 5. A huge answer: 2,000 more A records, to addresses nothing routes. A nodes use
        # 256 of them (max_members), dial at most 32 a poll, count the rest as ignored,
        # and stay responsive and connected.
        def stats(n):
            return {k: int(v) for k, v in (kv.split("=") for kv in n.ask("discovery").split()[1:])}
        before = stats(n1)
        dns.serve([h for h in HOSTS if h != "n3"], unroutable=2000)
        time.sleep(4 * INTERVAL_S)
        after = stats(n1)
        polls = after["polls"] - before["polls"]
        ignored = after["ignored"] - before["ignored"]
        dialed = after["dialed"] - before["dialed"]
        check(polls >= 2 and ignored >= polls * (2000 + 5 - 256) // 2 and dialed <= 32 * (polls + 1),
              "n1 under 2,005 A records: %d polls, %d records ignored, %d dials" % (polls, ignored, dialed))
        before = time.monotonic()
        pong = n1.ask("ping " + n2.name)
        check(pong == "pong %s %s" % (n2.name, n2.name) and mesh_of(live)(),
              "n1 answers (ping n2 in %.0f ms) and the mesh of five stays whole" % ((time.monotonic() - before) * 1000))
        tick = int(dict(kv.split("=") for kv in n1.ask("nodestats").split()[1:])["longest_tick_delay_us"])
        check(tick < HEARTBEAT_MS * MISSES * 1000 // 2,
              "n1's network thread was never held half the silence limit: longest tick delay %d us" % tick)
    finally:
        if relay is not None:
            relay.kill()
        for n in nodes.values():
            n.stop()
        dns.stop()
        cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    leftover = [l for l in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
                if l.startswith(TAG)]
    check(not leftover, "the namespaces are gone: %s" % leftover)
    print("took %.1f s" % (time.monotonic() - began), flush=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
