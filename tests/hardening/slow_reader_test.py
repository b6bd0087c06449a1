#!/usr/bin/env python3
"""A peer that holds the cookie pings b as fast as it can and never reads.

Nodes a, b and c exchange Seq streams all the while. The attacker
(hardening_slow_reader, slow_reader_peer.cpp) does a real handshake with b, then sends
nothing but pings and reads nothing, so nothing b writes to it leaves b's socket. The
test checks that b cuts it (NodeStats::disconnected_slow_reader, and a log line naming
it and the limit: twice heartbeat x heartbeat_misses without a byte written), that b's
peak memory (VmHWM) grew at most MAX_GROWTH_PER_BYTE times the bytes b received from it
(before pongs were coalesced, 30 MB of pings made b queue 168 MB of pongs), that b
stays up, and that every stream between a, b and c is whole and in order at the end.
It prints the measured growth per MB received.

Usage: slow_reader_test.py PATH/TO/hardening_peer PATH/TO/hardening_slow_reader [--seconds S]
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_every_stream, connect_pairs, connected, eventually, stop_all  # noqa: E402

PEER, ATTACKER = sys.argv[1], sys.argv[2]
ATTACK_S = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10.0
MAX_GROWTH_PER_BYTE = 4.0
# Whatever it received: what b holds for one peer is bounded (a pong, max_control_bytes,
# the transport's window), and the old code's queue of pongs grew ~2.6 MB per MB of pings.
MAX_GROWTH_MB = 64
ATTACKER_NAME = "x@127.0.0.1:1"  # a name no node listens on: nobody dials it back
check = Checks()


def nodestats(node):
    return {k: int(v) for k, v in (item.split("=") for item in node.ask("nodestats").split()[1:])}


def main():
    nodes = []
    try:
        a, b, c = (Node(PEER, n + "@127.0.0.1:0", args=["--traffic", 10]) for n in "abc")
        nodes += [a, b, c]
        connect_pairs(check, nodes)
        time.sleep(1.0)  # the streams flow, b's memory settles

        # What b receives from a and c alone, per second, to tell the attacker's bytes apart.
        t0, before = time.monotonic(), nodestats(b)["bytes_in"]
        time.sleep(1.0)
        t1, stats = time.monotonic(), nodestats(b)
        background_per_s = (stats["bytes_in"] - before) / (t1 - t0)
        hwm_before = b.status_kb("VmHWM")

        attack = subprocess.run([ATTACKER, ATTACKER_NAME, "secret", b.name, str(ATTACK_S)],
                                capture_output=True, text=True, timeout=ATTACK_S + 30)
        check(attack.returncode == 0, "the attacker connected and flooded: %s" % (attack.stdout + attack.stderr).strip())
        report = dict(item.split("=") for item in attack.stdout.split()[1:]) if attack.returncode == 0 else {}
        cut = eventually(lambda: nodestats(b)["disconnected_slow_reader"] >= 1, 5, every_s=0.2)
        time.sleep(0.5)
        t2, after = time.monotonic(), nodestats(b)
        received = after["bytes_in"] - stats["bytes_in"] - background_per_s * (t2 - t1)
        growth = (b.status_kb("VmHWM") - hwm_before) * 1024
        per_mb = growth / max(received, 1)
        print("b received %.1f MB of pings in %s s (the attacker wrote %.1f MB, end=%s); its peak memory grew "
              "%.1f MB: %.2f MB per MB received (limit %.1f)" %
              (received / 1e6, report.get("seconds"), int(report.get("sent", 0)) / 1e6, report.get("end"),
               growth / 1e6, per_mb, MAX_GROWTH_PER_BYTE), flush=True)
        check(per_mb <= MAX_GROWTH_PER_BYTE, "b's peak growth %.2f x the bytes received is at most %.1f x" %
              (per_mb, MAX_GROWTH_PER_BYTE))
        check(growth / 1e6 <= MAX_GROWTH_MB, "b's peak growth %.1f MB is under %d MB" % (growth / 1e6, MAX_GROWTH_MB))
        check(cut and after["disconnected_slow_reader"] == 1, "b cut the attacker once (disconnected_slow_reader)")
        check(report.get("end") == "cut", "the attacker saw its connection cut before its %s s were up" % ATTACK_S)
        said = [line.strip() for line in b.stderr_lines if ATTACKER_NAME in line and "does not read" in line]
        check(any("heartbeat x heartbeat_misses" in line for line in said),
              "b's log names the attacker and the limit: %s" % (said[0] if said else "nothing"))
        check(b.alive(), "b is up")
        check(ATTACKER_NAME not in b.list(), "b no longer lists the attacker")

        # The good links never went down during the attack.
        check(connected(a, b) and connected(a, c) and connected(b, c), "a, b and c are still all connected")
        for x, y in ((a, b), (b, a), (c, b), (b, c)):
            check(x.ask("ping " + y.name) == "pong %s %s" % (y.name, y.name), "%s -> %s ping" % (x.name, y.name))

        check_every_stream(check, nodes)
        check(all(n.alive() for n in nodes), "a, b and c are alive")
    finally:
        stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
