#!/usr/bin/env python3
"""What a browser watching the Observer costs the pingpong benchmark.

    bench/observer_cost.py --bench build/bench/snow_bench [--n 2000000] [--runs 3]

Runs `snow_bench pingpong N` alternately without the Observer and with it on and a
headless chromium showing its page (which polls four API documents a second), `runs`
times each, and prints the medians of round trips per second and of the benchmark's own
CPU time (user + system, from wait4), and the ratios with/without.

Those two ratios are at the mercy of a shared machine's noise (a few percent from run to
run). What the Observer costs is also measured directly, which noise does not move: the
CPU time of the server's thread (named snow-metrics), where every request is parsed and
every document built (sampled from /proc every 100 ms while it runs), as a share of the
whole process's CPU time (from wait4). The documents read what processes publish
(snow/observe.hpp `processes()`), so serving them asks nothing of the workers.
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "observe"))
from observer_browser_test import find_chromium, start_chromium  # noqa: E402

WAIT_MS = 3000  # before timing, in both runs: the page has loaded and is polling


def thread_cpu(pid):
    """(CPU seconds of the snow-metrics thread, of the whole process), or None if gone.
    From schedstat (nanoseconds on a CPU): the server's few milliseconds are below the
    10 ms clock tick that stat counts in."""
    try:
        server, total = 0, 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            total += ns
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == "snow-metrics":
                    server += ns
        return server / 1e9, total / 1e9
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def run(bench, n, watched, chromium):
    env = dict(os.environ, SNOW_BENCH_WAIT_MS=str(WAIT_MS), SNOW_BENCH_OBSERVER="1" if watched else "0")
    proc = subprocess.Popen([bench, "pingpong", str(n)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    browser, profile = None, None
    try:
        if watched:
            line, buffer = "", b""
            while "snow observer:" not in line:
                select.select([proc.stderr], [], [], 10)
                buffer += os.read(proc.stderr.fileno(), 4096)
                line = buffer.decode(errors="replace")
            url = line.split("snow observer: ", 1)[1].split()[0]
            profile = tempfile.mkdtemp(prefix="snow-observer-cost-")
            browser, dt = start_chromium(chromium, profile)
            try:
                dt.call("Target.createTarget", {"url": url}, timeout=20)
            except (RuntimeError, OSError):
                sys.exit("observer_cost: chromium failed: " + open(os.path.join(profile, "stderr.log")).read()[-800:])
        server_cpu = 0.0
        # Until it has exited (WNOWAIT: not reaped yet, so wait4 below has its usage).
        while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            sample = thread_cpu(proc.pid)
            if sample is not None:  # the server's thread is gone once the endpoint stops: keep its most
                server_cpu = max(server_cpu, sample[0])
            select.select([], [], [], 0.1)
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = status
        rate = float(out.split("rt_per_s=")[1].split()[0])
        process_cpu = usage.ru_utime + usage.ru_stime
        return rate, process_cpu, server_cpu / process_cpu
    finally:
        if browser is not None:
            browser.kill()
            browser.wait()
        if profile:
            shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("observer_cost: chromium is not installed")
    results = {False: [], True: []}
    shares = []
    for i in range(args.runs):
        for watched in (False, True):
            rate, cpu, share = run(args.bench, args.n, watched, chromium)
            results[watched].append((rate, cpu))
            if watched:
                shares.append(share)
            print(f"run {i + 1} {'watched' if watched else 'alone  '}: {rate:,.0f} rt/s, cpu {cpu:.2f} s"
                  + (f", the Observer's server {share:.3%} of the process's CPU" if watched else ""), flush=True)
    med = {w: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for w, v in results.items()}
    print(f"median alone:   {med[False][0]:,.0f} rt/s, cpu {med[False][1]:.2f} s (includes the {WAIT_MS} ms wait)")
    print(f"median watched: {med[True][0]:,.0f} rt/s, cpu {med[True][1]:.2f} s")
    print(f"ratio watched/alone: rt/s {med[True][0] / med[False][0]:.3f}, cpu {med[True][1] / med[False][1]:.3f}")
    print(f"median share of the process's CPU in the Observer's server thread: {statistics.median(shares):.3%}"
          f" (runs: {', '.join(f'{x:.3%}' for x in shares)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
