#!/usr/bin/env python3
"""A peer that holds the cookie sends b the largest message a node accepts
(max_message_bytes, 64 MiB by default), three times, built to decode slowly but within the decode
budget (a map of long keys: ~10 ns per byte, so most of a second). b decodes large
messages off its network thread (src/dist/decode_worker.hpp), so meanwhile it keeps
answering pings and heartbeats: with a short heartbeat (100 ms, 3 misses, as every node
here has) no link drops, c's pings to b keep coming back, and the Seq streams between the
three nodes stay whole.

It prints the worst round trip of c's pings to b while b takes the message, and b's
longest network-thread stall (NodeStats::longest_tick_delay_us). Before the change b
decoded on its network thread: the stall was the whole decode, and c's link to b dropped.
`--target OTHER_BINARY` runs b from another build (the figure "before", with that
build's node_peer; the stall is then not reported).

Usage: large_message_test.py PATH/TO/hardening_peer [--target PATH/TO/hardening_peer] [--heartbeat MS]
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_every_stream, connect_pairs, stop_all  # noqa: E402

PEER = sys.argv[1]
TARGET = sys.argv[sys.argv.index("--target") + 1] if "--target" in sys.argv else PEER
MESSAGE_BYTES = (64 << 20) - (4 << 10)  # NodeOptions::max_message_bytes' default, less room for the frame
MESSAGES = 3  # one after another: each decode alone took b's loop 0.3 to 1 s before the change
# --heartbeat MS: another period (to measure the stall before the change without links
# dropping, which makes lost pings count 5 s each).
HEARTBEAT = int(sys.argv[sys.argv.index("--heartbeat") + 1]) if "--heartbeat" in sys.argv else 100
TIMINGS = ["--heartbeat", HEARTBEAT, "--misses", 3, "--traffic", 10]
check = Checks()


def nodestats(node):
    return dict(item.split("=") for item in node.ask("nodestats").split()[1:])


def main():
    nodes = []
    try:
        a = Node(PEER, "a@127.0.0.1:0", args=TIMINGS)
        b = Node(TARGET, "b@127.0.0.1:0", args=TIMINGS)
        c = Node(PEER, "c@127.0.0.1:0", args=TIMINGS)
        nodes += [a, b, c]
        connect_pairs(check, nodes)
        for x, y in ((a, b), (b, a), (b, c), (c, b), (a, c), (c, a)):
            x.ask("watch " + y.name)
        time.sleep(1.0)  # the streams flow

        sent = {}

        def send():
            for _ in range(MESSAGES):
                sent["answer"] = a.ask("sendslow %s %d" % (b.name, MESSAGE_BYTES), timeout=120)

        sender = threading.Thread(target=send)
        started = time.monotonic()
        sender.start()
        # c pings b all the while: until the messages are sent, then 4 s more (the last
        # one's transfer and decode take about 1-2 s on an idle machine).
        rtts = []
        while sender.is_alive() or time.monotonic() < sent.get("at", float("inf")) + 4.0:
            t0 = time.monotonic()
            answer = c.ask("ping " + b.name, timeout=10)
            rtts.append((time.monotonic() - t0, answer, time.monotonic()))
            if not sender.is_alive() and "at" not in sent:
                sent["at"] = time.monotonic()
        sender.join()
        size = int(sent["answer"].split()[1])
        worst = max(r for r, _, _ in rtts)
        # The longest c went without an answer from b (a lost ping times out after 5 s).
        answered = [started] + [at for _, ans, at in rtts if ans.startswith("pong")] + [time.monotonic()]
        silence = max(later - earlier for earlier, later in zip(answered, answered[1:]))
        stats = nodestats(b)
        stall = stats.get("longest_tick_delay_us")
        print("b took %d messages of %.1f MB from a: c pinged b %d times in %.1f s; worst round trip %.0f ms, "
              "longest time without an answer %.0f ms%s" %
              (MESSAGES, size / 1e6, len(rtts), time.monotonic() - started, worst * 1000, silence * 1000,
               "; b's longest network-thread stall: %.0f ms" % (int(stall) / 1000) if stall else ""), flush=True)
        check(MESSAGE_BYTES - 1000 < size <= MESSAGE_BYTES, "the message is the largest allowed (%d bytes)" % size)
        check(stats["protocol_errors"] == "0", "b decoded it (no protocol error)")
        check(all(ans == "pong %s %s" % (b.name, b.name) for _, ans, _ in rtts), "every ping from c to b came back")

        drops = [(x.name, e) for x in nodes for _, e in x.events if e.startswith("nodedown")]
        for x in nodes:  # why, in the nodes' words
            for line in x.stderr_lines:
                if "heartbeat timeout" in line:
                    print("  %s: %s" % (x.name, line.strip()), flush=True)
        check(not drops, "no node saw a link drop: %s" % drops)
        check_every_stream(check, nodes)
        check(all(n.alive() for n in nodes), "a, b and c are alive")
    finally:
        stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
