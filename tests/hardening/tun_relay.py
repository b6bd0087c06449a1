#!/usr/bin/env python3
"""A lossy, slow link made of two TUN devices: what `tc qdisc ... netem` would do, for a
kernel without sch_netem.

    tun_relay.py NAME_A NAME_B DELAY_MS LOSS_PERCENT SEED

Makes TUN devices NAME_A and NAME_B (IP packets, no header) in the current network
namespace and prints "ready". The caller then moves each into a host's namespace and
routes the other host's address through it; from then on every IP packet one host sends
the other is read here, dropped with probability LOSS_PERCENT, and written to the other
device DELAY_MS later (in order: one fixed delay keeps the order), where the kernel takes
it as arriving. So TCP sees real loss (and retransmits) and real latency, each way.
At the end of stdin it prints "relayed N dropped M" and exits.
"""
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    name_a, name_b = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) / 1000.0
    loss = float(sys.argv[4]) / 100.0
    rng = random.Random(int(sys.argv[5]))
    a, b = open_tun(name_a), open_tun(name_b)
    other = {a: b, b: a}
    print("ready", flush=True)
    pending = []  # (due, sequence, fd to write, packet)
    seq = relayed = dropped = 0
    stdin = sys.stdin.fileno()
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 1.0
        readable, _, _ = select.select([a, b, stdin], [], [], timeout)
        if stdin in readable and not os.read(stdin, 4096):
            break
        for fd in (a, b):
            if fd not in readable:
                continue
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if rng.random() < loss:
                    dropped += 1
                    continue
                seq += 1
                heapq.heappush(pending, (time.monotonic() + delay, seq, other[fd], packet))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, fd, packet = heapq.heappop(pending)
            try:
                os.write(fd, packet)
                relayed += 1
            except OSError:
                dropped += 1  # the device is down or gone: as lost as a dropped packet
    print("relayed %d dropped %d" % (relayed, dropped), flush=True)


if __name__ == "__main__":
    main()
