#!/usr/bin/env python3
"""Where a remote round trip's microseconds go: CPU per thread, and the rest waiting.

Runs `snow_bench remote_pingpong N` (two OS processes: node a measures, node b echoes;
bench/remote_workloads.cpp) under `perf record -e cpu-clock` and divides each thread's
CPU samples by the round trips, so the table shows, per round trip, how many µs each
thread of each node spent on the CPU, split into user code (snow's own, libc, TLS) and
the kernel (system calls, wake-ups, the loopback; the hand-offs of
docs/life-of-a-message.md). Sampling slows the run (perf's own cost): compare the rows,
not the µs per round trip, with an unsampled run.

    python3 bench/remote_breakdown.py build/bench/snow_bench [--n 20000]

Needs `perf` (Debian: linux-perf) and a kernel that lets it sample (perf_event_paranoid
<= 1, or root). Threads are told apart by the names the runtime gives them
(snow-worker, snow-net, snow-timers, snow-decode); the warm-up's round trips (N/10) are
counted with the timed ones, since perf cannot tell them apart.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

FREQ = 2_000  # samples per second of CPU: one sample is 500 µs of a thread's CPU time


def classify(dso):
    if dso.startswith("[kernel"):
        return "kernel"
    if "libcrypto" in dso or "libssl" in dso:
        return "tls"
    if "libc.so" in dso or "libstdc++" in dso or "ld-linux" in dso:
        return "libc"
    return "snow"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snow_bench")
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        run = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(FREQ), "-o", data, "--",
                              args.snow_bench, "remote_pingpong", str(args.n)],
                             capture_output=True, text=True)
        m = re.search(r"us_per_rt=([\d.]+)", run.stdout)
        if run.returncode != 0 or not m:
            sys.exit(f"remote_pingpong failed:\n{run.stdout}\n{run.stderr}")
        us_per_rt = float(m.group(1))
        script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,ip,dso"],
                                capture_output=True, text=True, check=True).stdout
    # perf script lines: "<comm> <pid>/<tid> <ip> (<dso>)"; the measuring process is the
    # first pid seen (it starts the other).
    samples = collections.Counter()
    pids = []
    for line in script.splitlines():
        mm = re.match(r"\s*(.+?)\s+(\d+)/(\d+)\s+[0-9a-f]+\s+\((.*)\)\s*$", line)
        if not mm:
            continue
        comm, pid, _, dso = mm.groups()
        if pid not in pids:
            pids.append(pid)
        samples[(pid, comm, classify(dso))] += 1
    rts = args.n + args.n // 10
    us = lambda n: n * 1e6 / FREQ / rts
    node_of = {p: ("a (measures)" if i == 0 else "b (echoes)") for i, p in enumerate(pids)}
    threads = sorted({(p, c) for p, c, _ in samples}, key=lambda k: (pids.index(k[0]), k[1]))
    kinds = ["snow", "libc", "tls", "kernel"]
    print(f"remote_pingpong: {us_per_rt:.1f} µs per round trip (N={args.n}); CPU µs per round trip:")
    print(f"{'node':14} {'thread':16} " + " ".join(f"{k:>7}" for k in kinds) + f" {'total':>7}")
    cpu = 0.0
    for p, c in threads:
        row = [us(samples[(p, c, k)]) for k in kinds]
        if sum(row) < 0.05:
            continue
        cpu += sum(row)
        print(f"{node_of[p]:14} {c:16} " + " ".join(f"{v:7.2f}" for v in row) + f" {sum(row):7.2f}")
    print(f"CPU of all threads: {cpu:.1f} µs per round trip against {us_per_rt:.1f} µs of wall time. Threads"
          " overlap (a spinning or lingering thread burns CPU while another works), so the")
    print("sum can pass the wall time; where it is below it, the difference is time no thread ran for")
    print("the round trip (wake-ups, the kernel's loopback).")

if __name__ == "__main__":
    main()
