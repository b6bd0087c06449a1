#!/usr/bin/env python3
"""Three real node processes over TCP + TLS on 127.0.0.1 (tests/cluster/peer.cpp).

Checks: the mesh forms from two connects; remote send both ways and by name; kill -9 of
a node gives NodeDown and Down(noconnection) within the heartbeat budget; a wrong cookie
is refused; random bytes and a plain-text client sent to a node's port do not disturb
its other connections. Usage: cluster_test.py PATH/TO/cluster_peer
"""
import os
import random
import signal
import socket
import subprocess
import sys
import time

PEER = sys.argv[1]
HEARTBEAT_BUDGET_MS = 200 * 5 + 400  # heartbeat x misses (peer.cpp) + a tick and slack
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Peer:
    def __init__(self, name, cookie="secret"):
        self.proc = subprocess.Popen([PEER, name, cookie], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        line = self.read()
        assert line.startswith("node "), line
        self.name = line.split()[1]
        self.port = int(self.name.rsplit(":", 1)[1])

    def read(self, timeout=10):
        # Lines come from a pipe; a blocking readline guarded by an alarm keeps this simple.
        signal.alarm(timeout)
        try:
            line = self.proc.stdout.readline().strip()
        finally:
            signal.alarm(0)
        return line

    def ask(self, command, timeout=10):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read(timeout)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except Exception:
                self.proc.kill()
                self.proc.wait()


def eventually(cond, within_s=1.0):
    deadline = time.monotonic() + within_s
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def on_alarm(signum, frame):
    raise TimeoutError("a node did not answer in time")


signal.signal(signal.SIGALRM, on_alarm)
peers = []
try:
    a, b, c = Peer("a@127.0.0.1:0"), Peer("b@127.0.0.1:0"), Peer("c@127.0.0.1:0")
    peers = [a, b, c]
    check(a.ask("connect " + b.name) == "connect ok", "a connects to b")
    check(c.ask("connect " + b.name) == "connect ok", "c connects to b")
    deadline = time.time() + 5
    while time.time() < deadline:
        if all(len(p.ask("list")[5:].split(",")) == 2 for p in peers):
            break
        time.sleep(0.05)
    for p in peers:
        others = sorted(x.name for x in peers if x is not p)
        check(p.ask("list") == "list " + ",".join(others), p.name + " is connected to both others (full mesh)")

    check(a.ask("ping " + c.name) == "pong %s %s" % (c.name, c.name), "a -> c by name and back")
    check(c.ask("ping " + a.name) == "pong %s %s" % (a.name, a.name), "c -> a by name and back")
    check(b.ask("ping " + a.name) == "pong %s %s" % (a.name, a.name), "b -> a by name and back")

    # A global name registered on c is seen on a and b, and refused elsewhere. b is asked
    # only once it has heard of the name (each node hears one hop after c registers; a
    # node that had not heard yet would register it too, and lose it to c's earlier claim).
    check(c.ask("gregister cglobal") == "gregister ok", "c registers the global name cglobal")
    for p in (a, b):
        check(eventually(lambda: p.ask("gwhereis cglobal") == "gwhereis cglobal " + c.name, within_s=5),
              p.name + " sees cglobal on c")
    check(b.ask("gregister cglobal").startswith("gregister error ALREADY_EXISTS"), "b cannot take cglobal")
    time.sleep(0.2)
    check(all(p.ask("gwhereis cglobal") == "gwhereis cglobal " + c.name for p in peers), "c keeps cglobal everywhere")

    # A wrong cookie is refused, and the others are not disturbed.
    intruder = Peer("x@127.0.0.1:0", cookie="wrong")
    peers.append(intruder)
    answer = intruder.ask("connect " + a.name)
    check(answer.startswith("connect error PERMISSION_DENIED"), "a wrong cookie is refused: " + answer)
    check(intruder.ask("list") == "list", "the intruder is connected to nothing")
    check("x@" not in a.ask("list"), "a did not let the intruder in")

    # Garbage and a plain-text client on a's port.
    for payload in (bytes(random.getrandbits(8) for _ in range(4096)), b"GET / HTTP/1.0\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", a.port))
        s.sendall(payload)
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
    silent = socket.create_connection(("127.0.0.1", a.port))  # connects and says nothing
    check(a.ask("ping " + b.name) == "pong %s %s" % (b.name, b.name), "a still talks to b after garbage")
    check(len(a.ask("list")[5:].split(",")) == 2, "a kept its connections after garbage")
    silent.close()

    # kill -9 of c: a sees NodeDown and Down(noconnection) within the heartbeat budget.
    check(a.ask("watch " + c.name) == "watching " + c.name, "a watches c's echo and node")
    c.proc.send_signal(signal.SIGKILL)
    c.proc.wait()
    lines = sorted(a.read(timeout=10) for _ in range(2))  # "down <reason> <ms>", "nodedown <node> <ms>"
    check([l.split()[0] for l in lines] == ["down", "nodedown"], "a got Down and NodeDown after kill -9 of c: %s" % lines)
    check(lines[0].split()[1] == "noconnection", "the Down's reason is noconnection: " + lines[0])
    check(all(int(l.split()[-1]) <= HEARTBEAT_BUDGET_MS for l in lines),
          "both within the heartbeat budget of %d ms: %s" % (HEARTBEAT_BUDGET_MS, lines))
    check(a.ask("list") == "list " + b.name, "a now lists only b")
    # The cluster process drops a lost node's names when it handles the NodeDown, a
    # moment after the application's own NodeDown: allow it a second.
    check(eventually(lambda: a.ask("gwhereis cglobal") == "gwhereis cglobal none"), "c's global name went with it")
finally:
    for p in peers:
        p.stop()
    for p in peers:
        err = p.proc.stderr.read()
        if "error" in err.lower() and "refused" not in err.lower():
            print("stderr of %s:\n%s" % (p.name if hasattr(p, "name") else "?", err))

print("cluster test: %d failures" % len(failures))
sys.exit(1 if failures else 0)
