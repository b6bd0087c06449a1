#!/usr/bin/env python3
"""Soak: three nodes, mixed traffic, one of them killed (SIGKILL) and restarted over and over.

Nodes a, b and c (hardening_peer on 127.0.0.1) each send Seq streams to every other
(--traffic), register and unregister global names and broadcast to a group (--churn).
Every KILL_EVERY seconds c is killed with SIGKILL and started again on the same address
(a new incarnation: its streams start again at 0). Checks:

  - a and b (the survivors) never die, and no sink ever sees a gap, a duplicate or a
    reordering inside a stream (a stream is one sender incarnation between two NodeUps);
  - after each restart the full mesh re-forms;
  - at the end, with traffic stopped, the current stream of every pair arrived whole
    (n = 0 .. count-1), all three agree on the global names (four per node: the churn
    keeps its last four) and on the group's three members;
  - the survivors' resident memory grows by less than RSS_LIMIT_MB from the first
    sample (after SETTLE_S) to the end; the growth is printed.

Usage: soak_test.py PATH/TO/hardening_peer [--seconds 60] [--kill-every 10]
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_streams_complete, eventually, free_port, stop_all  # noqa: E402

RSS_LIMIT_MB = 32
SETTLE_S = 3
NODE_ARGS = ["--traffic", 5, "--churn", 100, "--heartbeat", 200, "--misses", 5]
check = Checks()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("peer")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill-every", type=float, default=10)
    opts = parser.parse_args()
    started = time.monotonic()
    c_port = free_port()
    nodes = []
    try:
        a = Node(opts.peer, "a@127.0.0.1:0", args=NODE_ARGS)
        b = Node(opts.peer, "b@127.0.0.1:0", args=NODE_ARGS)
        nodes += [a, b]

        def start_c():
            c = Node(opts.peer, "c@127.0.0.1:%d" % c_port, args=NODE_ARGS)
            nodes.append(c)
            check(c.ask("connect " + b.name) == "connect ok", "c (pid %d) connects to b" % c.proc.pid)
            return c

        check(a.ask("connect " + b.name) == "connect ok", "a connects to b")
        c = start_c()
        everyone = sorted([a.name, b.name, c.name])

        def full_mesh():
            return all(sorted(n.list() + [n.name]) == everyone for n in (a, b, c))
        check(eventually(full_mesh, 5), "the full mesh forms")
        time.sleep(SETTLE_S)
        rss_start = {n.name: n.rss_kb() for n in (a, b)}
        restarts = 0
        end = started + opts.seconds
        next_kill = time.monotonic() + opts.kill_every
        while time.monotonic() < end:
            time.sleep(max(0.0, min(next_kill, end) - time.monotonic()))
            if time.monotonic() >= end:
                break
            next_kill += opts.kill_every
            c.proc.send_signal(signal.SIGKILL)
            c.proc.wait()
            time.sleep(0.3)  # long enough for a and b to see the connections reset
            c = start_c()
            restarts += 1
            check(eventually(full_mesh, 5), "restart %d: the full mesh re-forms" % restarts)
            check(a.alive() and b.alive(), "restart %d: a and b are alive" % restarts)
            errors = [n.ask("errors") for n in (a, b, c)]
            check(all(e.startswith("errors 0") for e in errors),
                  "restart %d: no gaps or reordering in any stream (%s)" % (restarts, "; ".join(errors)))
        rss_end = {n.name: n.rss_kb() for n in (a, b)}
        elapsed = time.monotonic() - started

        for n in (a, b, c):
            n.ask("traffic off")
            n.ask("churn off")
        time.sleep(1.5)  # what is in flight arrives
        for sender in (a, b, c):
            for receiver in (a, b, c):
                if sender is not receiver:
                    check_streams_complete(check, sender, receiver)
        totals = [n.ask("recv").split()[1:3] for n in (a, b, c)]
        check(all(errors == "0" for _, errors in totals),
              "messages received (total, errors) by a, b, c: %s" % totals)

        def names_agree():
            seen = [n.ask("gnames") for n in (a, b, c)]
            names = seen[0][len("gnames "):].split(",")
            per_node = [sum(1 for x in names if x.startswith(p + ".")) for p in "abc"]
            return seen[0] == seen[1] == seen[2] and per_node == [4, 4, 4]
        check(eventually(names_agree, 5), "global names agree on all three, four per node: %s" %
              [n.ask("gnames") for n in (a, b, c)])
        check(eventually(lambda: all(n.ask("members") == "members 3" for n in (a, b, c)), 5),
              "group soak has three members on every node")
        for name in rss_start:
            grown = (rss_end[name] - rss_start[name]) / 1024
            check(grown < RSS_LIMIT_MB, "%s: RSS %.1f MiB -> %.1f MiB (%+.1f MiB) over %.0f s, limit +%d MiB" %
                  (name, rss_start[name] / 1024, rss_end[name] / 1024, grown, elapsed - SETTLE_S, RSS_LIMIT_MB))
        check(restarts >= 1, "c was killed and restarted %d times in %.0f s" % (restarts, elapsed))
        check(a.alive() and b.alive(), "the survivors a and b are alive at the end")
    finally:
        stop_all(check, nodes, exit_codes=(0, -signal.SIGKILL))
    print("soak: %.0f s" % (time.monotonic() - started))
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
