#!/usr/bin/env python3
"""What a browser watching the Observer costs the pingpong benchmark.

    bench/observer_cost.py --bench build/bench/snow_bench [--n 2000000] [--runs 3]

Runs `snow_bench pingpong N` alternately without the Observer and with it on and a
headless chromium showing its page (which polls four API documents a second), `runs`
times each, and prints the medians of round trips per second and of the benchmark's own
CPU time (user + system, from wait4), and the ratios with/without.
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
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = status
        rate = float(out.split("rt_per_s=")[1].split()[0])
        return rate, usage.ru_utime + usage.ru_stime
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
    for i in range(args.runs):
        for watched in (False, True):
            rate, cpu = run(args.bench, args.n, watched, chromium)
            results[watched].append((rate, cpu))
            print(f"run {i + 1} {'watched' if watched else 'alone  '}: {rate:,.0f} rt/s, cpu {cpu:.2f} s", flush=True)
    med = {w: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for w, v in results.items()}
    print(f"median alone:   {med[False][0]:,.0f} rt/s, cpu {med[False][1]:.2f} s (includes the {WAIT_MS} ms wait)")
    print(f"median watched: {med[True][0]:,.0f} rt/s, cpu {med[True][1]:.2f} s")
    print(f"ratio watched/alone: rt/s {med[True][0] / med[False][0]:.3f}, cpu {med[True][1] / med[False][1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
