#!/usr/bin/env python3
"""A real partition: three nodes in three network namespaces, one link cut and healed.

Namespaces a, b, c each hold one node (hardening_peer) on its own address, joined by
veth pairs to a bridge in a fourth namespace (so the host's own network is untouched).
The test proves the mesh forms across them (a and c each dial only b), then takes c's
link down at the bridge: a real partition, packets simply stop. Both sides must see
NodeDown, Down(noconnection) for a monitor and Exit(noconnection) for a link to the
other side's process, and drop the other side's global names. After the link comes back,
the mesh must re-form by itself and the names be visible again.

Needs root and `ip netns`; otherwise it exits 77 (skipped) saying why. The namespaces
are deleted however the test ends. Usage: netns_test.py PATH/TO/hardening_peer
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge import build_bridge, ip  # noqa: E402
from nodes import Checks, Node, eventually  # noqa: E402

PEER = os.path.abspath(sys.argv[1])
HEARTBEAT_MS, MISSES = 200, 5
DETECT_S = (HEARTBEAT_MS * MISSES + 1000) / 1000  # silence limit, plus a tick and slack
TAG = "snw%d" % (os.getpid() % 100000)  # namespace and interface names unique to this run
SWITCH = TAG + "sw"
HOSTS = {"a": "10.213.0.1", "b": "10.213.0.2", "c": "10.213.0.3"}
check = Checks()


def ns(host):
    return TAG + host


def build_network():
    build_bridge(TAG, HOSTS)


def link(host, up):
    ip("-n", SWITCH, "link", "set", TAG + host + "1", "up" if up else "down")


def cleanup():
    for name in [ns(h) for h in HOSTS] + [SWITCH]:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def skip(why):
    print("skipped: " + why, flush=True)
    sys.exit(77)


def main():
    if os.geteuid() != 0:
        skip("network namespaces need root")
    nodes = {}
    try:
        try:
            build_network()
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            skip("cannot make network namespaces here: %s" % (getattr(e, "stderr", "") or e))
        for host, addr in HOSTS.items():
            nodes[host] = Node(PEER, "%s@%s:4370" % (host, addr), prefix=["ip", "netns", "exec", ns(host)],
                               args=["--heartbeat", HEARTBEAT_MS, "--misses", MISSES])
        a, b, c = nodes["a"], nodes["b"], nodes["c"]
        check(a.ask("connect " + b.name) == "connect ok", "a connects to b across namespaces")
        check(c.ask("connect " + b.name) == "connect ok", "c connects to b across namespaces")
        everyone = sorted(n.name for n in nodes.values())

        def full_mesh():
            return all(sorted(n.list() + [n.name]) == everyone for n in nodes.values())
        check(eventually(full_mesh, 10), "the full mesh forms (a and c find each other through b)")
        check(a.ask("ping " + c.name) == "pong %s %s" % (c.name, c.name), "a -> c -> a across namespaces")

        check(a.ask("gregister aname") == "gregister ok", "a registers the global name aname")
        check(c.ask("gregister cname") == "gregister ok", "c registers the global name cname")
        check(eventually(lambda: a.ask("gwhereis cname") == "gwhereis cname " + c.name and
                         c.ask("gwhereis aname") == "gwhereis aname " + a.name, 5),
              "a sees cname on c and c sees aname on a")
        check(a.ask("watch " + c.name) == "watching " + c.name, "a monitors and links c's echo, watches node c")
        check(c.ask("watch " + a.name) == "watching " + a.name, "c monitors and links a's echo, watches node a")

        cut = time.monotonic()
        link("c", up=False)
        for me, other in ((a, c), (c, a)):
            for kind, want in (("nodedown", other.name), ("down", other.name + " noconnection"),
                               ("exit", other.name + " noconnection")):
                e = me.wait_event(lambda t, k=kind, w=want: t == "%s %s" % (k, w), DETECT_S + 2)
                check(e is not None and e[0] - cut <= DETECT_S,
                      "partition: %s gets %s %s%s" % (me.name, kind, want,
                                                      "" if e is None else " after %.2f s" % (e[0] - cut)))
        check(eventually(lambda: a.list() == [b.name] and b.list() == [a.name] and c.list() == [], 3),
              "partition: a and b list only each other, c lists nobody")
        check(eventually(lambda: a.ask("gwhereis cname") == "gwhereis cname none" and
                         b.ask("gwhereis cname") == "gwhereis cname none", 3),
              "partition: cname is gone from a and b")
        check(eventually(lambda: c.ask("gwhereis aname") == "gwhereis aname none", 3),
              "partition: aname is gone from c")
        check(a.ask("ping " + b.name) == "pong %s %s" % (b.name, b.name), "partition: a and b still talk")

        healed = time.monotonic()
        link("c", up=True)
        # c keeps dialling b (it connected explicitly); b's peer list then brings a.
        check(eventually(full_mesh, 15), "heal: the full mesh re-forms by itself (after %.1f s)" %
              (time.monotonic() - healed))
        up = a.wait_event(lambda t: t == "nodeup " + c.name, 5)
        check(up is not None and up[0] > healed, "heal: a gets NodeUp for c")
        check(eventually(lambda: a.ask("gwhereis cname") == "gwhereis cname " + c.name and
                         b.ask("gwhereis cname") == "gwhereis cname " + c.name and
                         c.ask("gwhereis aname") == "gwhereis aname " + a.name, 5),
              "heal: cname is visible on a and b again, aname on c")
        check(c.ask("ping " + a.name) == "pong %s %s" % (a.name, a.name), "heal: c -> a -> c")
    finally:
        for n in nodes.values():
            n.stop()
        cleanup()
    leftover = [l for l in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
                if l.startswith(TAG)]
    check(not leftover, "the namespaces are gone: %s" % leftover)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
