#!/usr/bin/env python3
"""A flood of unauthenticated connections against a live node over real TCP + TLS.

Nodes a and b (hardening_peer processes) exchange Seq streams both ways the whole time;
b is limited to 1,024 descriptors, as the node of the original report was. An attacker
then holds 1,000 idle TCP sockets and 1,000 TLS-only connections (TLS done, nothing sent)
against b, spread over source addresses 127.0.0.x, and keeps reopening those b closes,
so the flood stands for the whole test; and it connects and closes at once, in a loop,
from one more address. Meanwhile:

  1. a new legitimate node joins b, within 2 s (the attacker avoids 127.0.0.1 here);
  2. the attacker adds TLS-only connections from 127.0.0.1, the address legitimate nodes
     connect from, past b's per-address limit; another new node joins b from it, within 2 s,
     though it is stopped for 0.4 s just as it starts connecting (as a loaded machine
     deschedules a process): b may then drop its attempt to make room (its stalled
     connection goes first), and its connect() must try again;
  3. b's log stays at a few lines a second per kind of event (plus summaries), where it
     was one line per connection;
  4. b's descriptors stay within what it had plus the 256 unauthenticated connections
     it may hold (the report's flood took a 1,024-descriptor node to its limit);
  5. the a <-> b streams arrive whole and in order, and a and b stay connected.

The measured figures (join times, log lines per second, b's descriptors, how many
connections the attacker opened and b closed) are printed so they can be quoted. Usage: flood_test.py PATH/TO/hardening_peer
"""
import collections
import os
import re
import resource
import select
import signal
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_streams_complete, stop_all  # noqa: E402

PEER = sys.argv[1]
IDLE, TLS_ONLY = 1000, 1000
SAME_ADDRESS_TLS = 100    # from 127.0.0.1 in step 2: past b's 32 per address
ATTACK_ADDRESSES = 100    # 127.0.0.2 .. 127.0.0.101
B_DESCRIPTORS = 1024
JOIN_LIMIT_S = 2.0
# How long the newcomer from the attacker's address is stopped, from how soon after its
# connect starts: past b's 250 ms after which a connection that does not advance is evicted first.
PAUSE_S, PAUSE_AFTER_S = 0.4, 0.003
FLOOD_S = 13.0  # how long the flood lasts in all: past b's 10 s summary period
LOG_LINES_PER_KIND_S = 10.0  # b writes at most 5 a second per kind; the margin is for timing
# b's own handshake timeout is long, so that the attacker's TLS-only connections are
# closed by eviction (the subject here) and not by the node's handshake timeout (whose
# per-address failure count would lock 127.0.0.1 out: the node's business, tested elsewhere).
B_ARGS = ["--traffic", 5, "--handshake-timeout", 30000]
check = Checks()


def raise_descriptor_limit(wanted):
    """As many descriptors as the hard limit allows, up to `wanted`; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the node's ephemeral certificate is self-signed
    return ctx


class Attacker:
    """Holds `idle` silent TCP sockets and `tls` TLS-only connections to port, spread over
    `sources`, and reopens each one b closes (one thread per kind); and connects and
    closes at once from `churn_source`, in a loop (the report's 20,000 connect-and-close
    from one address); until stop()."""

    def __init__(self, port, idle, tls, sources, churn_source):
        self.port, self.ctx = port, client_ctx()
        self.stopping = False
        self.opened = collections.Counter()  # kind -> connections opened
        self.closed_by_b = collections.Counter()
        self.errors = collections.Counter()
        self.pools = {}
        self.threads = []
        for kind, count in (("idle", idle), ("tls", tls)):
            if count:
                self.add(kind, count, sources)
        t = threading.Thread(target=self._churn, args=(churn_source,), daemon=True)
        self.threads.append(t)
        t.start()

    def _churn(self, src):
        while not self.stopping:
            s = socket.socket()
            try:
                s.bind((src, 0))
                s.connect(("127.0.0.1", self.port))
                self.opened["connect-and-close"] += 1
            except OSError as e:
                self.errors[type(e).__name__] += 1
            s.close()

    def add(self, kind, count, sources):
        """Another pool of `count` connections of `kind` from `sources`, maintained by its own thread."""
        pool = {"kind": kind, "socks": [None] * count, "sources": list(sources)}
        name = "%s%d" % (kind, len(self.pools))
        self.pools[name] = pool
        t = threading.Thread(target=self._maintain, args=(pool,), daemon=True)
        self.threads.append(t)
        t.start()

    def _open(self, kind, src):
        s = socket.socket()
        try:
            s.bind((src, 0))
            s.settimeout(2)
            s.connect(("127.0.0.1", self.port))
            if kind == "tls":
                s = self.ctx.wrap_socket(s)  # the whole handshake, then nothing
            s.setblocking(False)
            self.opened[kind] += 1
            return s
        except (OSError, ssl.SSLError) as e:
            self.errors[type(e).__name__] += 1
            s.close()
            return None

    @staticmethod
    def _closed(s):
        """True if b closed s (anything b sent is read and dropped)."""
        try:
            data = s.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return False
        except (OSError, ssl.SSLError):
            return True
        return not data

    def _maintain(self, pool):
        socks, sources, kind = pool["socks"], pool["sources"], pool["kind"]
        next_src = 0
        while not self.stopping:
            # poll, not select: these descriptors are past select()'s 1,024.
            poller, where = select.poll(), {}
            for i, s in enumerate(socks):
                if s is not None:
                    poller.register(s, select.POLLIN)
                    where[s.fileno()] = i
            ready = {where[fd] for fd, _ in poller.poll(0)}
            for i, s in enumerate(socks):
                if self.stopping:
                    break
                if s is not None:
                    if i not in ready or not self._closed(s):
                        continue
                    self.closed_by_b[kind] += 1
                    s.close()
                socks[i] = self._open(kind, sources[next_src % len(sources)])
                next_src += 1
            time.sleep(0.01)
        for s in socks:
            if s is not None:
                s.close()

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(30)


def join_time(newcomer, b):
    """Seconds from newcomer's connect to b until each lists the other; None if not within 10 s."""
    start = time.monotonic()
    answer = newcomer.ask("connect " + b.name, timeout=15)
    while time.monotonic() - start < 10:
        if newcomer.name in b.list() and b.name in newcomer.list():
            return time.monotonic() - start, answer
        time.sleep(0.02)
    return None, answer


def pause(node, after_s, for_s):
    """Stops node's process `after_s` from now, for `for_s` (SIGSTOP, SIGCONT)."""
    time.sleep(after_s)
    os.kill(node.proc.pid, signal.SIGSTOP)
    time.sleep(for_s)
    os.kill(node.proc.pid, signal.SIGCONT)


class DescriptorWatch:
    """The most descriptors a process held, sampled every 50 ms until stop()."""

    def __init__(self, pid):
        self.pid, self.most, self.stopping = pid, 0, False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while not self.stopping:
            try:
                self.most = max(self.most, len(os.listdir("/proc/%d/fd" % self.pid)))
            except OSError:
                pass
            time.sleep(0.05)

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        return self.most


def log_kinds(lines):
    """Lines grouped by kind of event: the text with addresses and numbers blanked out,
    and without the stage it happened in (an eviction is one kind, before TLS or after)."""
    def kind(line):
        line = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?|\[[0-9a-f:]+\](:\d+)?", "#", line.strip())
        return re.sub(r"\d+", "N", line).replace(" before TLS was established", "")
    return collections.Counter(kind(l) for l in lines)


def main():
    wanted = IDLE + TLS_ONLY + SAME_ADDRESS_TLS + 200
    limit = raise_descriptor_limit(wanted)
    scale = 1.0 if limit >= wanted else max(0.05, (limit - 200) / float(wanted - 200))
    idle, tls_only, same = int(IDLE * scale), int(TLS_ONLY * scale), int(SAME_ADDRESS_TLS * scale)
    if scale < 1.0:
        print("descriptor hard limit %d: the flood is scaled down to %d idle, %d TLS-only, %d same-address"
              % (limit, idle, tls_only, same), flush=True)
    nodes, attacker = [], None
    try:
        a = Node(PEER, "a@127.0.0.1:0", args=B_ARGS)
        b = Node(PEER, "b@127.0.0.1:0", args=B_ARGS)
        nodes += [a, b]
        resource.prlimit(b.proc.pid, resource.RLIMIT_NOFILE, (B_DESCRIPTORS, B_DESCRIPTORS))
        check(a.ask("connect " + b.name) == "connect ok", "a connects to b")
        calm = Node(PEER, "calm@127.0.0.1:0")
        nodes.append(calm)
        calm_s, _ = join_time(calm, b)
        print("join without a flood: %.3f s" % calm_s if calm_s is not None else "join without a flood: failed",
              flush=True)
        calm.stop()

        b_idle_fds = len(os.listdir("/proc/%d/fd" % b.proc.pid))
        b_fds = DescriptorWatch(b.proc.pid)
        log_start, flood_start = len(b.stderr_lines), time.monotonic()
        sources = ["127.0.0.%d" % (2 + i) for i in range(ATTACK_ADDRESSES)]
        attacker = Attacker(b.port, idle, tls_only, sources, churn_source="127.0.0.250")
        # Let the attacker open its first round (and b evict and expire its first victims).
        time.sleep(4)
        print("attacker after 4 s: opened %s, closed by b %s, errors %s"
              % (dict(attacker.opened), dict(attacker.closed_by_b), dict(attacker.errors)), flush=True)

        c = Node(PEER, "c@127.0.0.1:0")
        nodes.append(c)
        secs, answer = join_time(c, b)
        print("join under the flood (%d idle + %d TLS-only from 127.0.0.2-%d): %s (connect: %s)"
              % (idle, tls_only, 1 + ATTACK_ADDRESSES, "%.3f s" % secs if secs is not None else "failed", answer),
              flush=True)
        check(secs is not None and secs <= JOIN_LIMIT_S, "a new node joins b under the flood within %.1f s" % JOIN_LIMIT_S)

        attacker.add("tls", same, ["127.0.0.1"])
        time.sleep(2)
        d = Node(PEER, "d@127.0.0.1:0")
        nodes.append(d)
        threading.Thread(target=pause, args=(d, PAUSE_AFTER_S, PAUSE_S), daemon=True).start()
        secs, answer = join_time(d, b)
        print("join from the attacker's own address 127.0.0.1 (%d more TLS-only from it), stopped for %.1f s "
              "as it connects: %s (connect: %s); its attempts dropped by b: %d"
              % (same, PAUSE_S, "%.3f s" % secs if secs is not None else "failed", answer,
                 sum("trying again" in line for line in d.stderr_lines)), flush=True)
        check(secs is not None and secs <= JOIN_LIMIT_S,
              "a new node joins b from the attacker's address within %.1f s" % JOIN_LIMIT_S)

        # Long enough for b's first summaries (every 10 s) to come out.
        time.sleep(max(2.0, FLOOD_S - (time.monotonic() - flood_start)))
        flood_s = time.monotonic() - flood_start
        lines = b.stderr_lines[log_start:]
        print("attacker at the end: opened %s, closed by b %s, errors %s"
              % (dict(attacker.opened), dict(attacker.closed_by_b), dict(attacker.errors)), flush=True)
        attacker.stop()
        attacker = None
        most_fds = b_fds.stop()
        print("b's descriptors: %d before the flood, at most %d during it (limit %d)"
              % (b_idle_fds, most_fds, B_DESCRIPTORS), flush=True)
        # Every unauthenticated connection b holds is one descriptor, and they are at most
        # 256 (max_unauthenticated); the rest is b's own (loop, pipes, admitted peers) and
        # connections being closed.
        check(most_fds <= b_idle_fds + 256 + 64,
              "b held at most %d descriptors during the flood (%d before it, + 256 unauthenticated + 64)"
              % (most_fds, b_idle_fds))

        # The log: a few lines per kind per second, plus the summaries.
        summaries = [l for l in lines if "more lines suppressed" in l]
        kinds = log_kinds(l for l in lines if "more lines suppressed" not in l)
        print("b's log during %.1f s of flood: %d lines (%.1f lines/s), %d of them summaries" %
              (flood_s, len(lines), len(lines) / flood_s, len(summaries)), flush=True)
        for kind, n in kinds.most_common():
            print("  %5d (%.1f/s)  %s" % (n, n / flood_s, kind[:150]), flush=True)
        for l in summaries:
            print("  summary: " + l.strip(), flush=True)
        worst = max(kinds.values()) / flood_s if kinds else 0.0
        check(worst <= LOG_LINES_PER_KIND_S,
              "b's log: at most %.0f lines/s per kind during the flood (worst %.1f/s)" % (LOG_LINES_PER_KIND_S, worst))
        check(len(summaries) >= 1, "b's log: the suppressed lines are summed up (%d summary lines)" % len(summaries))

        # Every Seq sent arrived, in order, both ways, and a and b were never parted.
        for n in (a, b):
            n.ask("traffic off")
        time.sleep(1.0)
        check_streams_complete(check, a, b)
        check_streams_complete(check, b, a)
        errors = [n.ask("errors") for n in (a, b)]
        check(all(e.startswith("errors 0") for e in errors), "no gap nor reordering in a <-> b (%s)" % "; ".join(errors))
        check(b.name in a.list() and a.name in b.list(), "a and b still connected")
        check(all(n.alive() for n in (a, b)), "a and b are alive")
    finally:
        if attacker is not None:
            attacker.stop()
        stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
