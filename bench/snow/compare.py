#!/usr/bin/env python3
"""Transpiled Snow against hand-written C++ on the same runtime: pingpong and ring.

The C++ programs are `snow_bench pingpong|ring N` (bench/snow_bench.cpp), the Snow ones
bench/snow/{pingpong,ring}.snow (N from the environment), built with the same flags. A
Snow program has no clock, so both are measured the same way, from outside: the whole
program with N, minus the same program with N=1 (start-up, spawning the ring, exit).
Two figures: wall time, and CPU time (user + system, all threads), which a busy machine
disturbs less. Each is the best of --runs runs, taken in alternation.

usage: compare.py BENCHDIR [--runs R] [--pingpong N] [--ring N]
  BENCHDIR holds snow_bench, snow_pingpong and snow_ring (build/bench)
"""
import argparse
import os
import resource
import subprocess
import sys
import time


def measure(cmd, n, env_n):
    """(wall seconds, CPU seconds) of one run of `cmd` with N = n."""
    env = dict(os.environ, N=str(n)) if env_n else None
    argv = cmd if env_n else cmd + [str(n)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('benchdir')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--pingpong', type=int, default=1_000_000)
    ap.add_argument('--ring', type=int, default=10_000_000)
    args = ap.parse_args()
    bench = os.path.join(args.benchdir, 'snow_bench')
    worst = 0.0
    for workload, n, unit in (('pingpong', args.pingpong, 'round trips/s'), ('ring', args.ring, 'hops/s')):
        programs = {'C++': ([bench, workload], False), 'Snow': ([os.path.join(args.benchdir, 'snow_' + workload)], True)}
        best = {(name, k): (float('inf'), float('inf')) for name in programs for k in (n, 1)}
        for _ in range(args.runs):
            for name, (cmd, env_n) in programs.items():
                for k in (n, 1):
                    wall, cpu = measure(cmd, k, env_n)
                    w, c = best[(name, k)]
                    best[(name, k)] = (min(w, wall), min(c, cpu))
        wall = {name: best[(name, n)][0] - best[(name, 1)][0] for name in programs}
        cpu = {name: best[(name, n)][1] - best[(name, 1)][1] for name in programs}
        wall_ratio, cpu_ratio = wall['Snow'] / wall['C++'], cpu['Snow'] / cpu['C++']
        worst = max(worst, wall_ratio)
        print(f'{workload:9} N={n:<9} C++ {n / wall["C++"]:11,.0f} {unit:13} Snow {n / wall["Snow"]:11,.0f} {unit:13} '
              f'Snow/C++ time: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x')
    print(f'RESULT snow_vs_cpp worst_wall_ratio={worst:.2f}')


if __name__ == '__main__':
    sys.exit(main())
