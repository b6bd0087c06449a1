#!/usr/bin/env python3
"""A peer that holds the cookie sends b one message built to cost far more as Terms
than as bytes: a list of `[[]]`, 10 bytes each on the wire and ~25 times that decoded.

Nodes a, b and c exchange Seq streams all the while. a sends b the message (to a name
b does not register, so whatever b decodes it then drops). The test checks that b's
peak memory (VmHWM) grew at most MAX_GROWTH_PER_BYTE times the bytes sent (the decoder
refuses the message once its Terms would pass DecodeLimits::max_decoded_bytes_per_input_byte,
docs/WIRE.md §3), that b drops only that message (the connection to a stays up, and
a hears of the drop), that b stays up and serving, and that every stream between the
three nodes is whole at the end. It prints the measured growth per MB sent.

Usage: decode_amplification_test.py PATH/TO/hardening_peer
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_every_stream, connect_pairs, connected, eventually, stop_all  # noqa: E402

PEER = sys.argv[1]
ELEMENTS = 1_600_000  # 16 MB on the wire; decoded in full it would be ~400 MB
MAX_GROWTH_PER_BYTE = 4.0
check = Checks()


def nodestat(node, name):
    stats = dict(item.split("=") for item in node.ask("nodestats").split()[1:])
    return int(stats[name])


def main():
    nodes = []
    try:
        a, b, c = (Node(PEER, n + "@127.0.0.1:0", args=["--traffic", 10]) for n in "abc")
        nodes += [a, b, c]
        connect_pairs(check, nodes)
        time.sleep(1.0)  # the streams flow, b's memory settles

        hwm_before = b.status_kb("VmHWM")
        errors_before = nodestat(b, "protocol_errors")
        dropped_before = nodestat(b, "dropped_undecodable")
        answer = a.ask("sendnested %s %d" % (b.name, ELEMENTS), timeout=120)
        sent = int(answer.split()[1])
        # b refuses the message (dropped alone, a told) or, without the limit, decodes it
        # all; either way its peak is reached by the time it is done.
        refused = eventually(lambda: nodestat(b, "dropped_undecodable") > dropped_before, 30, every_s=0.2)
        time.sleep(0.5)
        growth = (b.status_kb("VmHWM") - hwm_before) * 1024
        per_mb = growth / sent
        print("b's peak memory grew %.1f MB for the %.1f MB sent: %.2f MB per MB sent (limit %.1f)" %
              (growth / 1e6, sent / 1e6, per_mb, MAX_GROWTH_PER_BYTE), flush=True)
        check(per_mb <= MAX_GROWTH_PER_BYTE, "b's peak growth %.2f x the bytes sent is at most %.1f x" %
              (per_mb, MAX_GROWTH_PER_BYTE))
        check(refused, "b refused the message (its dropped_undecodable went up)")
        check(nodestat(b, "protocol_errors") == errors_before, "b did not close the connection for it")
        check(eventually(lambda: nodestat(a, "remote_refused_undecodable") > 0, 5), "a heard of the drop")
        check(any("max_decoded_bytes_per_input_byte" in line for line in b.stderr_lines),
              "b's log names the limit")
        check(b.alive(), "b is up")

        check(connected(a, b) and connected(a, c) and connected(b, c), "every connection stayed up")
        for x, y in ((a, b), (b, a), (c, b), (b, c)):
            check(x.ask("ping " + y.name) == "pong %s %s" % (y.name, y.name), "%s -> %s ping" % (x.name, y.name))

        check_every_stream(check, nodes)
        check(all(n.alive() for n in nodes), "a, b and c are alive")
    finally:
        stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
