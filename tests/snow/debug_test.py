#!/usr/bin/env python3
"""`snowc build --debug` gives debug information at .snow lines (issue 19 item 12).

Builds tests/snow/debug/backtrace.snow with --debug, runs it under gdb in batch mode with
a breakpoint at a .snow line, and checks the backtrace: every Snow frame (leaf, the
recursive countdown's three frames, the worker actor) names backtrace.snow and the line
of the call in progress there, innermost first. A caller's line is the hard part: the
call's `co_await` is not the first C++ line of its statement, and g++ resumes an awaited
coroutine from one place per function (dsl/emitter.cc, Out::debug_where; snow/lang/co.hpp).

Skips (exit 77) with a message when gdb is not installed (scripts/ensure-deps.sh installs
it for `make test`).

usage: debug_test.py --snowc PATH [--cache DIR]
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PROGRAM = HERE / 'debug' / 'backtrace.snow'
BREAK_LINE = 11  # println("leaf ${doubled}")
# (function, line) of each Snow frame, innermost first.
EXPECTED = [('leaf', 11), ('countdown', 17), ('countdown', 19), ('countdown', 19), ('worker', 25)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--snowc', required=True)
    ap.add_argument('--cache', default=None)
    args = ap.parse_args()
    gdb = shutil.which('gdb')
    if gdb is None:
        print('SKIP: gdb is not installed (scripts/ensure-deps.sh installs it)')
        return 77
    env = dict(os.environ)
    if args.cache:
        env['SNOWC_CACHE_DIR'] = args.cache
    with tempfile.TemporaryDirectory() as tmp:
        exe = pathlib.Path(tmp) / 'backtrace'
        b = subprocess.run([args.snowc, 'build', '--debug', str(PROGRAM), '-o', str(exe)],
                           capture_output=True, text=True, env=env, timeout=600)
        if b.returncode != 0:
            print(f'snowc build --debug failed ({b.returncode}):\n{b.stderr[-3000:]}')
            return 1
        g = subprocess.run([gdb, '-batch', '-nx', '-ex', 'set pagination off',
                            '-ex', f'break {PROGRAM.name}:{BREAK_LINE}', '-ex', 'run', '-ex', 'bt', '-ex', 'kill', str(exe)],
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = g.stdout + g.stderr
    print(out)
    if f'{PROGRAM.name}, line {BREAK_LINE}.' not in out or 'hit Breakpoint 1' not in out:
        print(f'FAIL: gdb did not stop at {PROGRAM.name}:{BREAK_LINE}')
        return 1
    frames = []  # (function, file, line) of the frames at a .snow line
    for line in out.splitlines():
        if not line.startswith('#'):
            continue
        m = re.search(r'\bprog::(\w+?)_\W.* at (\S+\.snow):(\d+)$', line)
        if m:
            frames.append((m.group(1), pathlib.Path(m.group(2)).name, int(m.group(3))))
        elif '.snow:' in line:
            print(f'FAIL: a frame at a .snow line that is not a Snow function: {line}')
            return 1
    got = [(f, n) for f, _, n in frames]
    if got != EXPECTED or any(file != PROGRAM.name for _, file, _ in frames):
        print(f'FAIL: Snow frames {frames}, expected {EXPECTED} in {PROGRAM.name}')
        return 1
    print(f'PASS: {len(frames)} Snow frames at the right lines')
    return 0


if __name__ == '__main__':
    sys.exit(main())
