#!/usr/bin/env python3
"""Runs the Snow programs in tests/snow/ with snowc and compares what they print.

For each NAME.snow, and each multi-module program NAME/ (a directory holding main.snow,
its entry module, and the modules it imports, snow.md#modules), whose expected files sit next to the
directory (NAME.out, NAME.err, ...):
  NAME.out     expected standard output (exact); the program is built and run
  NAME.err     expected diagnostics of `snowc check` (exact; exit status 1)
  NAME.status  expected exit status of the program (default 0)
  NAME.stderr  lines that must each appear in the program's standard error
  NAME.unordered  (empty) compare the output's lines as a multiset: for programs whose
               processes print concurrently without a causal order (snow.md#main-and-program-lifetime)
  NAME.env     lines VAR=VALUE added to the program's environment when it runs
               (e.g. SNOW_WORKERS=1: the same scheduling on every machine); in a
               cluster, $NODE_ALPHA and the like in a value become that node's name
  NAME.check   (empty) `snowc check` must accept the program; it is not run
  NAME.cluster several programs run at once as the nodes of one cluster, each checked
               against its own .out/.status/.stderr/.unordered (its programs are not run
               alone). Lines:
                 nodes alpha beta      free localhost ports for these nodes: every program
                                       sees NODE_ALPHA=alpha@127.0.0.1:PORT, ... in its
                                       environment, and each such name in its output
                                       reads alpha@127.0.0.1:PORT (the port is random)
                 run PROGRAM [after MS]  start PROGRAM.snow (MS milliseconds after the
                                       previous one); all must end within the timeout

Programs are built in parallel (one compile per core) into a private snowc cache, so a
second run of the suite only runs the programs.

usage: run_tests.py --snowc PATH [--jobs N] [--cache DIR] [NAME_FILTER...]
"""
import argparse
import concurrent.futures
import os
import re
import pathlib
import subprocess
import sys
import tempfile
import socket
import time

HERE = pathlib.Path(__file__).resolve().parent


def program_base(src):
    """Where a program's expected files are, less the suffix: tests/snow/NAME for
    tests/snow/NAME.snow and for tests/snow/NAME/main.snow."""
    return src.parent if src.name == 'main.snow' and src.parent != HERE else src.with_suffix('')


def run_one(snowc, src, env, outdir, timeout):
    base = program_base(src)
    name = base.name
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
    exe, why = build(snowc, src, env, outdir)
    if why:
        return name, False, why, time.monotonic() - t0
    run_env = dict(env)
    env_file = base.with_suffix('.env')
    if env_file.exists():
        run_env.update(line.split('=', 1) for line in env_file.read_text().splitlines() if '=' in line)
    try:
        p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout, cwd=str(HERE),
                           stdin=subprocess.DEVNULL, env=run_env)
    except subprocess.TimeoutExpired:
        return name, False, f'timed out after {timeout}s', time.monotonic() - t0
    problems = compare(base, p.returncode, p.stdout, p.stderr)
    return name, not problems, '\n'.join(problems), time.monotonic() - t0


def build(snowc, src, env, outdir):
    """Builds src into outdir; (executable, None) or (None, why)."""
    exe = outdir / program_base(src).name
    b = subprocess.run([snowc, 'build', str(src), '-o', str(exe)], capture_output=True, text=True, env=env, timeout=600)
    if b.returncode != 0:
        return None, f'snowc build failed ({b.returncode}):\n{b.stderr[-1500:]}'
    return exe, None


def compare(base, returncode, stdout, stderr):
    """What differs between a finished program and its expected .out/.status/.stderr."""
    want_status = int(base.with_suffix('.status').read_text()) if base.with_suffix('.status').exists() else 0
    problems = []
    if returncode != want_status:
        problems.append(f'exit status {returncode}, expected {want_status}\nstderr:\n{stderr[-2000:]}')
    expected = base.with_suffix('.out').read_text()
    actual = stdout
    if base.with_suffix('.unordered').exists():
        expected = ''.join(sorted(expected.splitlines(True)))
        actual = ''.join(sorted(actual.splitlines(True)))
    if actual != expected:
        problems.append(diff_text(expected, actual))
    if base.with_suffix('.stderr').exists():
        for line in base.with_suffix('.stderr').read_text().splitlines():
            if line and line not in stderr:
                problems.append(f'stderr lacks {line!r}; stderr was:\n{stderr[-2000:]}')
    return problems


def parse_cluster(path):
    """(node names, [(program stem, delay ms)]) from a NAME.cluster file."""
    nodes, runs = [], []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split('#', 1)[0].split()
        if not words:
            continue
        if words[0] == 'nodes' and len(words) > 1:
            nodes += words[1:]
        elif words[0] == 'run' and len(words) in (2, 4) and (len(words) == 2 or words[2] == 'after'):
            runs.append((words[1], int(words[3]) if len(words) == 4 else 0))
        else:
            raise SystemExit(f'{path}:{n}: expected `nodes NAME...` or `run PROGRAM [after MS]`, found {line!r}')
    return nodes, runs


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_cluster(snowc, spec, env, outdir, timeout):
    """Runs the programs of a .cluster file together; each is checked like a single program."""
    t0 = time.monotonic()
    nodes, runs = parse_cluster(spec)
    exes = []
    for stem, _ in runs:
        exe, why = build(snowc, HERE / (stem + '.snow'), env, outdir)
        if why:
            return spec.stem, False, f'{stem}: {why}', time.monotonic() - t0
        exes.append(exe)
    run_env = dict(env)
    names = {}  # the name a node runs as -> as the expected output writes it
    for node in nodes:
        name = f'{node}@127.0.0.1:{free_port()}'
        run_env['NODE_' + node.upper()] = name
        names[name] = f'{node}@127.0.0.1:PORT'
    procs = []
    try:
        for (stem, delay), exe in zip(runs, exes):
            time.sleep(delay / 1000)
            own_env = dict(run_env)
            env_file = HERE / (stem + '.env')
            if env_file.exists():
                for line in env_file.read_text().splitlines():
                    if '=' in line:
                        var, value = line.split('=', 1)
                        own_env[var] = re.sub(r'\$(NODE_[A-Z]+)', lambda m: run_env[m.group(1)], value)
            procs.append(subprocess.Popen([str(exe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          cwd=str(HERE), stdin=subprocess.DEVNULL, env=own_env))
        problems = []
        deadline = time.monotonic() + timeout
        for (stem, _), p in zip(runs, procs):
            try:
                out, err = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                problems.append(f'{stem}: timed out after {timeout}s')
                continue
            for name, placeholder in names.items():
                out = out.replace(name, placeholder)
            problems += [f'{stem}: {x}' for x in compare(HERE / stem, p.returncode, out, err)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return spec.stem, not problems, '\n'.join(problems), time.monotonic() - t0


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
    clusters = sorted(HERE.glob('*.cluster'))
    in_cluster = {stem for c in clusters for stem, _ in parse_cluster(c)[1]}
    srcs = [s for s in sorted(HERE.glob('*.snow')) if s.stem not in in_cluster]
    srcs += sorted(HERE.glob('*/main.snow'))
    if args.filters:
        srcs = [s for s in srcs if any(f in program_base(s).name for f in args.filters)]
        clusters = [c for c in clusters if any(f in c.stem for f in args.filters)]
    t0 = time.monotonic()
    failed = []
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_cluster, args.snowc, c, env, pathlib.Path(tmp), args.timeout) for c in clusters]
        futures += [pool.submit(run_one, args.snowc, s, env, pathlib.Path(tmp), args.timeout) for s in srcs]
        for f in futures:
            name, ok, detail, secs = f.result()
            print(f'{"PASS" if ok else "FAIL"} {name} ({secs:.1f}s)', flush=True)
            if not ok:
                failed.append(name)
                print('  ' + detail.replace('\n', '\n  '), flush=True)
    total = len(srcs) + len(clusters)
    print(f'{total - len(failed)}/{total} passed in {time.monotonic() - t0:.1f}s')
    if failed:
        print('failed: ' + ' '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
