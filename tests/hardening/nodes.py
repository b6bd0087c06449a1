"""Driving hardening_peer processes (node_peer.cpp) from the hardening tests.

A Node is one node process. Its stdout is read by a thread: lines starting with
"event " are kept in `events`, the others answer commands in order. `prefix` lets a
test run the node inside a network namespace (["ip", "netns", "exec", NS]).
"""
import os
import queue
import subprocess
import threading
import time


class Node:
    def __init__(self, binary, name, cookie="secret", args=(), prefix=(), env=None):
        """`env`: variables added to this process's environment (name "-" takes the node's
        settings from them: SNOW_NODE, SNOW_COOKIE, SNOW_DISCOVERY, ...)."""
        self.proc = subprocess.Popen(list(prefix) + [binary, name, cookie] + [str(a) for a in args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, env=None if env is None else dict(os.environ, **env))
        self.answers = queue.Queue()
        self.events = []
        self.events_cv = threading.Condition()
        self.stderr_lines = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        line = self.answers.get(timeout=10)
        assert line.startswith("node "), "node did not start: %r %s" % (line, "".join(self.stderr_lines))
        self.name = line.split()[1]
        self.port = int(self.name.rsplit(":", 1)[1])

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("event "):
                with self.events_cv:
                    self.events.append((time.monotonic(), line[len("event "):]))
                    self.events_cv.notify_all()
            else:
                self.answers.put(line)
        self.answers.put(None)  # the process ended

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def ask(self, command, timeout=15):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        try:
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("%s did not answer %r within %s s" % (self.name, command, timeout))
        if line is None:
            raise RuntimeError("%s exited (status %s) before answering %r:\n%s" %
                               (self.name, self.proc.wait(), command, "".join(self.stderr_lines[-20:])))
        return line

    def wait_event(self, predicate, timeout):
        """The first event (time, text) with predicate(text) true, waiting up to timeout s."""
        deadline = time.monotonic() + timeout
        with self.events_cv:
            while True:
                for e in self.events:
                    if predicate(e[1]):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.events_cv.wait(left)

    def list(self):
        return [n for n in self.ask("list")[len("list "):].split(",") if n]

    def rss_kb(self):
        return self.status_kb("VmRSS")

    def status_kb(self, field):
        """A kB figure of /proc/PID/status: VmRSS (now), VmHWM (the peak so far), ..."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Ends the command loop (end of input), then the process; killed if it hangs."""
        if self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def stop_all(check, nodes, exit_codes=(0, None)):
    """Stops every node, then checks that each ended cleanly: with one of `exit_codes`
    (None: still running when stopped) and no sanitizer report on its stderr."""
    for n in nodes:
        n.stop()
    for n in nodes:
        bad = [l for l in n.stderr_lines if "AddressSanitizer" in l or "runtime error" in l]
        if bad or n.proc.returncode not in exit_codes:
            check(False, "%s (pid %d) exited with %s: %s" %
                  (n.name, n.proc.pid, n.proc.returncode, "".join(n.stderr_lines[-10:])))


def eventually(cond, within_s, every_s=0.05):
    deadline = time.monotonic() + within_s
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)


class Checks:
    """Collects results: every check prints ok/FAIL; `exit_code()` is 1 if any failed."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def exit_code(self):
        print("%d failures" % len(self.failures) + ("".join("\n  " + f for f in self.failures)), flush=True)
        return 1 if self.failures else 0


def parse_sent(line):
    """"sent INC PEER:EPOCH:COUNT ..." -> (incarnation, {peer: (epoch, count)})."""
    parts = line.split()
    streams = {}
    for item in parts[2:]:
        peer, epoch, count = item.rsplit(":", 2)
        streams[peer] = (int(epoch), int(count))
    return int(parts[1]), streams


def parse_recv(line):
    """"recv TOTAL ERRORS NODE:INC:EPOCH:FIRST:LAST ..." -> (total, errors, {(node, inc, epoch): (first, last)})."""
    parts = line.split()
    streams = {}
    for item in parts[3:]:
        node, inc, epoch, first, last = item.rsplit(":", 4)
        streams[(node, int(inc), int(epoch))] = (int(first), int(last))
    return int(parts[1]), int(parts[2]), streams


def check_streams_complete(check, sender, receiver):
    """The sender's current stream to receiver arrived whole: n = 0 .. count-1, in order.

    Call with the sender's traffic off and in-flight messages delivered. Order and gaps
    inside the stream are checked by the receiver's sink (its error count)."""
    inc, sent = parse_sent(sender.ask("sent"))
    _, errors, got = parse_recv(receiver.ask("recv"))
    if receiver.name not in sent:
        return check(False, "%s sent nothing to %s" % (sender.name, receiver.name))
    epoch, count = sent[receiver.name]
    first_last = got.get((sender.name, inc, epoch))
    return check(count > 0 and first_last == (0, count - 1),
                 "%s -> %s: epoch %d, %d sent, received %s (first, last)" %
                 (sender.name, receiver.name, epoch, count, first_last))


def connected(x, y):
    """x and y each list the other as connected."""
    return y.name in x.list() and x.name in y.list()


def connect_pairs(check, nodes):
    """Connects every pair of `nodes` (each connect from the earlier one in the list)."""
    for i, x in enumerate(nodes):
        for y in nodes[i + 1:]:
            check(x.ask("connect " + y.name) == "connect ok", "%s connects to %s" % (x.name, y.name))


def check_every_stream(check, nodes):
    """Stops the Seq traffic of `nodes`, lets what is in flight arrive, then checks that
    each stream between any two of them arrived whole and that no sink saw a gap or a
    reordering."""
    for n in nodes:
        n.ask("traffic off")
    time.sleep(1.0)
    for x in nodes:
        for y in nodes:
            if x is not y:
                check_streams_complete(check, x, y)
    for y in nodes:
        errors = y.ask("errors")
        check(errors.startswith("errors 0"), "%s's sink saw no gap or reordering: %s" % (y.name, errors))


def free_port(host="127.0.0.1"):
    import socket
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def here():
    return os.path.dirname(os.path.abspath(__file__))
