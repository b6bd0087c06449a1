#!/usr/bin/env python3
"""The `make run` demo: a three-node Snow cluster on localhost.

Starts the programs built from examples/cluster/{alpha,beta,gamma}.snow, one process
each, on free ports of 127.0.0.1 (passed as NODE_ALPHA, NODE_BETA, NODE_GAMMA), prints
their output as it comes, each line prefixed with its node's name, and stops them all
if they have not finished within the timeout.

usage: cluster-demo.py [--timeout SECONDS] [--linger SECONDS] [--check] BINDIR
  BINDIR    where the programs are (cluster_alpha, cluster_beta, cluster_gamma)
  --linger  keep the cluster up this long once its story is told, before the nodes
            leave, so each node's Observer can be opened (`make run LINGER=60`); passed
            to the nodes as SNOW_DEMO_LINGER and added to the timeout. Default 0: the
            demo ends in a couple of seconds, as the test that runs it expects.
  --check   no colours, and fail unless every node ends with status 0 having printed
            the lines that show each step happened (how the demo runs as a test)
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

NODES = ['alpha', 'beta', 'gamma']
COLOURS = {'alpha': '\033[36m', 'beta': '\033[33m', 'gamma': '\033[35m'}
DIM, RESET = '\033[2m', '\033[0m'

INTRO = """\
A three-node Snow cluster on this machine (examples/cluster/*.snow, one program per node):
  1. alpha starts; its supervisor starts a bank that registers the global name "bank".
  2. beta connects to alpha. gamma connects to beta only: the mesh connects it to alpha.
  3. gamma finds the bank on alpha by its global name and deposits into it.
  4. beta starts an actor on gamma by name (Node.spawn) and gets an answer from it.
  5. gamma makes the bank crash; alpha's supervisor restarts it under the same name.
  6. gamma leaves, then beta: the others see NodeDown, and alpha stops last.
Lines on standard error (the runtime's own log: crashes, failed connection attempts)
are dimmed. Each node prints its Observer's address (a live view in a browser, while it
runs; docs/observer.md) as its first line there.
"""

# What each node must print for --check: one line per step of the story.
EXPECTED = {
    'alpha': ['NodeUp(beta@', 'the mesh connected it to me', 'NodeDown(gamma@', 'NodeDown(beta@', 'everyone has left',
              'bank: open with balance 0', 'this is a bug, so the bank crashes'],
    'beta': ['connected to alpha', 'Node.spawn started a squarer on gamma', 'answered 144', 'NodeDown(gamma@'],
    'gamma': ['the mesh gives peers', 'balance 10', 'restarted it', 'balance 5', 'says thanks'],
}


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bindir')
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--linger', type=float, default=0)
    ap.add_argument('--check', action='store_true')
    args = ap.parse_args()
    if args.linger < 0:
        ap.error('--linger must be 0 or more seconds')
    colour = sys.stdout.isatty() and not args.check
    env = dict(os.environ, SNOW_LINE_BUFFERED='1')  # each line as it happens, not at exit
    env.setdefault('SNOW_OBSERVER', '0')  # each node's Observer (docs/observer.md), on a free port
    # Gamma waits this long before leaving, and beta and alpha leave after it
    # (examples/cluster/gamma.snow): whole seconds, as the program sleeps in milliseconds.
    linger = int(round(args.linger))
    env['SNOW_DEMO_LINGER'] = str(linger)
    for n in NODES:
        env['NODE_' + n.upper()] = f'{n}@127.0.0.1:{free_port()}'

    printed = {n: [] for n in NODES}
    lock = threading.Lock()

    def pump(node, stream, is_err):
        for line in stream:
            line = line.rstrip('\n')
            with lock:
                if not is_err:
                    printed[node].append(line)
                prefix = f'[{node}]'.ljust(8)
                if colour:
                    text = f'{COLOURS[node]}{prefix}{RESET}' + (f'{DIM}{line}{RESET}' if is_err else line)
                else:
                    text = prefix + ('(stderr) ' if is_err else '') + line
                print(text, flush=True)

    print(INTRO, flush=True)
    if linger:
        print(f'With --linger {linger}: once the story is told the cluster stays up {linger} s; open the Observer\n'
              'addresses the nodes print ("snow observer: http://...") in a browser meanwhile.\n', flush=True)
    procs, pumps = {}, []
    try:
        for n in NODES:
            exe = os.path.join(args.bindir, 'cluster_' + n)
            if not os.access(exe, os.X_OK):
                sys.exit(f'cluster-demo: {exe} is missing; build it first (make build)')
            procs[n] = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                        stdin=subprocess.DEVNULL)
            for stream, is_err in ((procs[n].stdout, False), (procs[n].stderr, True)):
                t = threading.Thread(target=pump, args=(n, stream, is_err), daemon=True)
                t.start()
                pumps.append(t)
            time.sleep(0.3)  # so the story reads in order; the nodes retry until their peers listen
        deadline = time.monotonic() + args.timeout + linger
        failed = []
        for n, p in procs.items():
            try:
                status = p.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                failed.append(f'{n} did not finish within {args.timeout:.0f}s')
                continue
            if status != 0:
                failed.append(f'{n} ended with status {status}')
        for t in pumps:
            t.join(timeout=5)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    if args.check:
        for n, wanted in EXPECTED.items():
            for w in wanted:
                if not any(w in line for line in printed[n]):
                    failed.append(f'{n} never printed a line containing {w!r}')
    if failed:
        print('\ncluster-demo: FAILED: ' + '; '.join(failed), file=sys.stderr)
        return 1
    print('\nAll three nodes have stopped. The programs are in examples/cluster/; docs/guide.md (Snow) explains them.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
