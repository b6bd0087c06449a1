#!/usr/bin/env python3
"""A peer that holds the cookie names made-up nodes to a live node, round after round.

Nodes a, b and m (one cookie) on real TCP + TLS; a and b exchange Seq streams all the
while. Each round m connects to b and tells it of 1,100 nodes that do not exist
(node_name frames, new names every round). The test checks that b cuts m off past 512 (a
protocol error, counted in node_names_refused), that once m is gone its made-up nodes
are free (b's table holds only the lives connected to it), that over the rounds, which
name more lives than the table holds, b reuses the freed entries (its table stays at
1,024 entries at most, and its memory flat), that a newcomer still gets in, and that the
a <-> b streams stay whole. It prints b's table and memory per round.

Usage: node_table_test.py PATH/TO/hardening_peer
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_every_stream, eventually, stop_all  # noqa: E402

PEER = sys.argv[1]
ROUNDS = 4  # 4 x 512 made-up lives held in turn: twice what the table holds
GHOSTS = 1100
check = Checks()


def stats(node, command):
    return {k: int(v) for k, v in (item.split("=") for item in node.ask(command).split()[1:])}


def main():
    nodes = []
    try:
        a, b, m = (Node(PEER, n + "@127.0.0.1:0", args=["--traffic", 10]) for n in "abm")
        nodes += [a, b, m]
        check(a.ask("connect " + b.name) == "connect ok", "a connects to b")
        time.sleep(0.5)
        table = stats(b, "nodetable")
        rss_before = b.rss_kb()
        print("b before: %(entries)d entries, %(held)d held, %(bytes)d bytes" % table +
              ", RSS %d kB" % rss_before, flush=True)
        for r in range(ROUNDS):
            if not eventually(lambda: m.name in b.list(), 3):
                m.ask("connect " + b.name)
            check(eventually(lambda: m.name in b.list(), 10), "round %d: m is connected to b" % r)
            m.ask("ghosts %s %d %d" % (b.name, r * 10_000, GHOSTS))
            check(eventually(lambda: stats(b, "nodestats")["node_names_refused"] == r + 1, 10),
                  "round %d: b cut m off (node_names_refused %d)" % (r, r + 1))
            # m reconnects on its own (connect keeps the peer), with nothing made up this time.
            check(eventually(lambda: stats(b, "nodetable")["held"] <= 3, 10),
                  "round %d: b holds only the lives connected to it" % r)
            table = stats(b, "nodetable")
            check(table["entries"] <= 1024, "round %d: b's table has %d entries" % (r, table["entries"]))
            print("b after round %d (%d made-up lives so far): %d entries, %d held, %d bytes, RSS %d kB" %
                  (r, (r + 1) * 512, table["entries"], table["held"], table["bytes"], b.rss_kb()), flush=True)
        check(stats(b, "nodestats")["protocol_errors"] == ROUNDS, "b counted one protocol error per round")
        check(a.name in b.list() and b.name in a.list(), "a <-> b stayed connected")

        n = Node(PEER, "n@127.0.0.1:0")
        nodes.append(n)
        check(n.ask("connect " + b.name) == "connect ok", "a newcomer connects to b")
        check(n.ask("ping " + b.name) == "pong %s %s" % (b.name, b.name), "the newcomer pings b")

        check_every_stream(check, [a, b])
        check(all(x.alive() for x in nodes), "every node is alive")
    finally:
        stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
