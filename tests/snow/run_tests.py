#!/usr/bin/env python3
"""Runs the Snow programs in tests/snow/ with snowc and compares what they print.

For each NAME.snow:
  NAME.out     expected standard output (exact); the program is built and run
  NAME.err     expected diagnostics of `snowc check` (exact; exit status 1)
  NAME.status  expected exit status of the program (default 0)
  NAME.stderr  lines that must each appear in the program's standard error
  NAME.unordered  (empty) compare the output's lines as a multiset: for programs whose
               processes print concurrently without a causal order (§6.14)
  NAME.check   (empty) `snowc check` must accept the program; it is not run (for
               programs that need several nodes)

Programs are built in parallel (one compile per core) into a private snowc cache, so a
second run of the suite only runs the programs.

usage: run_tests.py --snowc PATH [--jobs N] [--cache DIR] [NAME_FILTER...]
"""
import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent


def run_one(snowc, src, env, outdir, timeout):
    base = src.with_suffix('')
    name = src.stem
    t0 = time.monotonic()
    err_file = base.with_suffix('.err')
    if err_file.exists():
        p = subprocess.run([snowc, 'check', str(src)], capture_output=True, text=True, env=env, timeout=timeout)
        expected = err_file.read_text()
        if p.returncode != 1:
            return name, False, f'snowc check exited {p.returncode}, expected 1\n{p.stderr}', time.monotonic() - t0
        if p.stderr != expected:
            return name, False, diff_text(expected, p.stderr), time.monotonic() - t0
        return name, True, '', time.monotonic() - t0
    if base.with_suffix('.check').exists():
        p = subprocess.run([snowc, 'check', str(src)], capture_output=True, text=True, env=env, timeout=timeout)
        ok = p.returncode == 0
        return name, ok, '' if ok else f'snowc check exited {p.returncode}\n{p.stderr}', time.monotonic() - t0
    exe = outdir / name
    b = subprocess.run([snowc, 'build', str(src), '-o', str(exe)], capture_output=True, text=True, env=env, timeout=600)
    if b.returncode != 0:
        return name, False, f'snowc build failed ({b.returncode}):\n{b.stderr[-1500:]}', time.monotonic() - t0
    try:
        p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout, cwd=str(HERE),
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return name, False, f'timed out after {timeout}s', time.monotonic() - t0
    want_status = int(base.with_suffix('.status').read_text()) if base.with_suffix('.status').exists() else 0
    problems = []
    if p.returncode != want_status:
        problems.append(f'exit status {p.returncode}, expected {want_status}\nstderr:\n{p.stderr[-2000:]}')
    expected = base.with_suffix('.out').read_text()
    actual = p.stdout
    if base.with_suffix('.unordered').exists():
        expected = ''.join(sorted(expected.splitlines(True)))
        actual = ''.join(sorted(actual.splitlines(True)))
    if actual != expected:
        problems.append(diff_text(expected, actual))
    if base.with_suffix('.stderr').exists():
        for line in base.with_suffix('.stderr').read_text().splitlines():
            if line and line not in p.stderr:
                problems.append(f'stderr lacks {line!r}; stderr was:\n{p.stderr[-2000:]}')
    return name, not problems, '\n'.join(problems), time.monotonic() - t0


def diff_text(expected, actual):
    import difflib
    return ''.join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), 'expected', 'actual'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--snowc', required=True)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--cache', default=None)
    ap.add_argument('--timeout', type=int, default=30)
    ap.add_argument('filters', nargs='*')
    args = ap.parse_args()
    env = dict(os.environ)
    if args.cache:
        env['SNOWC_CACHE_DIR'] = args.cache
    srcs = sorted(HERE.glob('*.snow'))
    if args.filters:
        srcs = [s for s in srcs if any(f in s.stem for f in args.filters)]
    t0 = time.monotonic()
    failed = []
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_one, args.snowc, s, env, pathlib.Path(tmp), args.timeout) for s in srcs]
        for f in futures:
            name, ok, detail, secs = f.result()
            print(f'{"PASS" if ok else "FAIL"} {name} ({secs:.1f}s)', flush=True)
            if not ok:
                failed.append(name)
                print('  ' + detail.replace('\n', '\n  '), flush=True)
    print(f'{len(srcs) - len(failed)}/{len(srcs)} passed in {time.monotonic() - t0:.1f}s')
    if failed:
        print('failed: ' + ' '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
