#!/usr/bin/env python3
"""Hostile input against a live node over real TCP + TLS on 127.0.0.1.

Nodes a and b (hardening_peer processes) exchange Seq streams both ways the whole time.
Each attack class below is aimed at b; for each, the test checks that b closed the bad
connection (within a bound that says why it closed: at once for bad input, at the
silent deadline for a connection that sends no byte, at the handshake timeout for one
that stops part way) and that a <-> b kept flowing: both sinks received more,
neither saw a gap or a reordering, and a ping still round-trips. At the end the streams
are checked complete (every Seq sent arrived, n = 0 .. count-1).

Each class connects from its own 127.0.0.x, so that b's penalty on addresses with
failed handshakes (a growing delay, never a lockout) does not mix classes; one class
tests that penalty itself, and that it does not lock out a good node at that address.

The attacks speak the protocol version the node speaks (read from its own hello), so
that a class still tests the attack on a node of an older version.
Usage: bad_input_test.py PATH/TO/hardening_peer
"""
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, check_streams_complete, eventually, free_port, parse_sent, stop_all  # noqa: E402

PEER = sys.argv[1]
HANDSHAKE_TIMEOUT_S = 1.5
SILENT_TIMEOUT_S = 1.0  # b closes a connection that sends no byte at all this soon
TIMEOUT_ARGS = ["--handshake-timeout", int(HANDSHAKE_TIMEOUT_S * 1000), "--silent-timeout", int(SILENT_TIMEOUT_S * 1000)]
AT_ONCE_S = 2.0  # bad input must be refused well before the handshake timeout would fire
HELLO, PAKE, PING, CONFIRM = 0x01, 0x02, 0x03, 0x07
AUTH = PAKE  # protocol version 1 called kind 0x02 "auth" (an HMAC proof)
check = Checks()
VERSION = [2]  # the node's protocol version, read from its hello in main()


def frame(kind, body=b""):
    return struct.pack("<I", len(body) + 1) + bytes([kind]) + body


def hello(name, version=None, creation=9):
    """A hello in the node's protocol version: v2 is u8 version, u32 creation, name;
    v1 was u8 version, u8 creation, a 32-byte nonce, name."""
    version = VERSION[0] if version is None else version
    raw = name.encode()
    if VERSION[0] == 1:
        return frame(HELLO, bytes([version, creation & 0xFF]) + os.urandom(32) + bytes([len(raw)]) + raw)
    return frame(HELLO, bytes([version]) + struct.pack("<I", creation) + bytes([len(raw)]) + raw)


def parse_hello(body):
    """(version, creation, name) of a hello body, in either version."""
    if body[0] == 1:
        return 1, body[1], body[35:35 + body[34]].decode()
    return body[0], struct.unpack("<I", body[1:5])[0], body[6:6 + body[5]].decode()


def read_frames(data):
    """Complete frames in data, as (kind, body)."""
    out = []
    while len(data) >= 5:
        n = struct.unpack("<I", data[:4])[0]
        if len(data) < 4 + n:
            break
        out.append((data[4], data[5:4 + n]))
        data = data[4 + n:]
    return out


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the node's ephemeral certificate is self-signed
    return ctx


def tcp(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def tls(port, src):
    return client_ctx().wrap_socket(tcp(port, src))


def wait_closed(sock, within):
    """Reads until the peer closes; returns (closed, seconds, bytes read)."""
    start = time.monotonic()
    data = b""
    while True:
        left = within - (time.monotonic() - start)
        if left <= 0:
            return False, time.monotonic() - start, data
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            continue
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return True, time.monotonic() - start, data
        if not chunk:
            return True, time.monotonic() - start, data
        data += chunk


class Flow:
    """a <-> b traffic: before/after an attack, both sinks must have received more, cleanly."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def totals(self):
        return [int(n.ask("recv").split()[1]) for n in (self.a, self.b)]

    def check_kept(self, label, before):
        grew = eventually(lambda: all(x > y for x, y in zip(self.totals(), before)), 3)
        errors = [n.ask("errors") for n in (self.a, self.b)]
        check(grew and all(e.startswith("errors 0") for e in errors),
              "%s: a <-> b kept flowing, in order (%s)" % (label, "; ".join(errors)))
        check(self.a.ask("ping " + self.b.name) == "pong %s %s" % (self.b.name, self.b.name),
              "%s: a -> b -> a ping" % label)
        check(self.b.name in self.a.list() and self.a.name in self.b.list(), "%s: a and b still connected" % label)


def attack(flow, label, run):
    """Runs one attack class, then checks the a <-> b flow."""
    before = flow.totals()
    try:
        run()
    except Exception as e:  # an attack that cannot even run is a failure of this class
        check(False, "%s: the attack raised %r" % (label, e))
    flow.check_kept(label, before)


def refused_at_once(label, port, src, payload, use_tls=True, expect_hello=True, may_answer_pake=False):
    s = tls(port, src) if use_tls else tcp(port, src)
    s.sendall(payload)
    closed, secs, data = wait_closed(s, AT_ONCE_S + 3)
    s.close()
    check(closed and secs < AT_ONCE_S, "%s: b closed the connection after %.2f s" % (label, secs))
    if use_tls:
        kinds = [k for k, _ in read_frames(data)]
        allowed = [[HELLO], [HELLO, PAKE]] if may_answer_pake else [[HELLO]]
        check(kinds in allowed if expect_hello else kinds == [],
              "%s: b sent %s (frame kinds %s)" % (label, "its hello and no proof" if expect_hello else "nothing", kinds))


def closed_by_timeout(label, s, expect_hello, timeout_s=HANDSHAKE_TIMEOUT_S, which="handshake timeout"):
    closed, secs, data = wait_closed(s, timeout_s + 3)
    s.close()
    check(closed and timeout_s * 0.8 <= secs <= timeout_s + 1.0,
          "%s: closed by the %.1f s %s, after %.2f s" % (label, timeout_s, which, secs))
    if expect_hello is not None:
        kinds = [k for k, _ in read_frames(data)]
        check(kinds == ([HELLO] if expect_hello else []), "%s: b sent kinds %s" % (label, kinds))


def read_hello(port, src="127.0.0.99"):
    """(version, creation, name) from the hello a node sends first on a new connection."""
    s = tls(port, src)
    s.settimeout(5)
    data = b""
    while not read_frames(data):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    kind, body = read_frames(data)[0]
    assert kind == HELLO, "expected a hello, got kind %d" % kind
    return parse_hello(body)


def node_version(port):
    return read_hello(port)[0]


def refused_count(node):
    return int(node.ask("nodestats").split()[1].split("=")[1])


class FakeNode:
    """A TLS server that plays a node for one connection and records what the dialler
    sends: the handshake a replay attack would capture off a compromised endpoint. It
    answers the dialler's SPAKE2 message with that same message (a valid curve point),
    so the dialler goes on to send its confirmation, the most a fake endpoint can get."""

    def __init__(self, name, port, workdir):
        cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-subj", "/CN=fake", "-days", "1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.name = name
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen()
        self.captured = []  # the dialler's frames, raw
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.listener.accept()
        s = self.ctx.wrap_socket(conn, server_side=True)
        s.settimeout(5)
        s.sendall(hello(self.name))
        data = b""
        answered = False
        while True:
            frames = read_frames(data)
            if VERSION[0] >= 2 and not answered and len(frames) >= 2:
                s.sendall(frame(PAKE, frames[1][1]))  # its own message back
                answered = True
            if len(frames) >= (3 if VERSION[0] >= 2 else 2):  # hello, pake, confirm (v1: hello, auth)
                break
            try:
                chunk = s.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        self.captured = [frame(k, body) for k, body in read_frames(data)]
        s.close()

    def close(self):
        self.thread.join(10)
        self.listener.close()


def main():
    nodes = []
    workdir = tempfile.mkdtemp(prefix="snow-hardening-")
    try:
        # The replayed handshake is captured first: x dials "b" at a port where a fake
        # node listens; the real b is started on that port afterwards, so the captured
        # proof names exactly the prover and verifier a replay to b needs.
        b_port = free_port()
        b_name = "b@127.0.0.1:%d" % b_port
        x = Node(PEER, "x@127.0.0.1:0")
        nodes.append(x)
        VERSION[0] = node_version(x.port)
        print("the node speaks protocol version %d" % VERSION[0], flush=True)
        fake = FakeNode(b_name, b_port, workdir)
        answer = x.ask("connect " + b_name)
        fake.close()
        kinds = [f[4] for f in fake.captured]
        expected = [HELLO, PAKE, CONFIRM] if VERSION[0] >= 2 else [HELLO, AUTH]
        check(kinds == expected, "captured x's hello and proof from a handshake with a fake b: kinds %s (x: %s)"
              % (kinds, answer))

        a = Node(PEER, "a@127.0.0.1:0", args=["--traffic", 5] + TIMEOUT_ARGS)
        b = Node(PEER, b_name, args=["--traffic", 5] + TIMEOUT_ARGS)
        nodes += [a, b]
        check(a.ask("connect " + b.name) == "connect ok", "a connects to b")
        flow = Flow(a, b)
        flow.check_kept("before any attack", [0, 0])
        port = b.port

        attack(flow, "unknown frame kind before the handshake",
               lambda: refused_at_once("unknown kind 0x7f", port, "127.0.0.2", frame(0x7F, b"x" * 10)))
        attack(flow, "known kind out of order (ping before hello)",
               lambda: refused_at_once("ping before hello", port, "127.0.0.3", frame(PING, b"\0" * 8)))
        attack(flow, "bad length prefix (0)",
               lambda: refused_at_once("length 0", port, "127.0.0.4", b"\0\0\0\0" + b"x" * 8))
        attack(flow, "oversize length (4 GiB)",
               lambda: refused_at_once("length 0xffffffff", port, "127.0.0.5", b"\xff\xff\xff\xff\x01"))
        attack(flow, "length over the 1 KiB handshake limit",
               lambda: refused_at_once("length 2000", port, "127.0.0.5", struct.pack("<I", 2000) + b"\x01"))

        def truncated_then_close():
            s = tls(port, "127.0.0.6")
            s.sendall(struct.pack("<I", 100) + bytes([HELLO]) + b"\x01\x09partial")
            time.sleep(0.2)
            s.close()
        attack(flow, "truncated frame then close", truncated_then_close)

        for i, (what, payload) in enumerate([
                ("truncated hello body", frame(HELLO, b"\x01\x09" + b"n" * 10)),
                ("hello with a malformed name", hello("not a node name")),
                ("hello with protocol version 99", hello("m@127.0.0.1:1", version=99)),
                ("hello with b's own name", hello(b_name)),
                ("hello with trailing bytes", frame(HELLO, hello("m@127.0.0.1:1")[5:] + b"junk"))]):
            attack(flow, "malformed hello: " + what,
                   lambda p=payload, w=what, i=i: refused_at_once(w, port, "127.0.0.%d" % (10 + i), p))

        def bad_proof(label, src, proof, counted):
            before = refused_count(b)
            # v2: a SPAKE2 message (here forged) then a confirmation (forged); b answers
            # a valid curve point with its own message, and never with a proof.
            payload = hello("m@127.0.0.1:1") + frame(PAKE, proof)
            if VERSION[0] >= 2:
                payload += frame(CONFIRM, os.urandom(32))
            refused_at_once(label, port, src, payload, may_answer_pake=True)
            check(refused_count(b) == before + counted,
                  "%s: b's refused-handshake count went up by %d" % (label, counted))
        attack(flow, "malformed proof (5 bytes)", lambda: bad_proof("5-byte proof", "127.0.0.20", b"short", 1))
        attack(flow, "forged proof (32 random bytes)",
               lambda: bad_proof("random proof", "127.0.0.21", os.urandom(32), 1))

        def wrong_cookie():
            intruder = Node(PEER, "w@127.0.0.1:0", cookie="wrong")
            nodes.append(intruder)
            answer = intruder.ask("connect " + b.name)
            check(answer.startswith("connect error PERMISSION_DENIED"), "wrong cookie: refused: " + answer)
            check(not any(n.startswith("w@") for n in b.list()), "wrong cookie: b did not let it in")
            intruder.stop()
        attack(flow, "wrong cookie", wrong_cookie)

        def replay():
            before = refused_count(b)
            s = tls(port, "127.0.0.22")
            s.sendall(b"".join(fake.captured))
            closed, secs, data = wait_closed(s, AT_ONCE_S + 3)
            s.close()
            kinds = [k for k, _ in read_frames(data)]
            check(closed and secs < AT_ONCE_S and kinds in ([HELLO], [HELLO, PAKE]),
                  "replayed handshake: b closed after %.2f s, sending no proof of its own (kinds %s)" % (secs, kinds))
            check(refused_count(b) == before + 1, "replayed handshake: refused as a failed proof, not for its name")
            check(x.name not in b.list(), "replayed handshake: b is not connected to x")
            # The owner of the captured handshake is welcome: only the replay was refused.
            check(x.ask("connect " + b.name) == "connect ok", "replayed handshake: x itself then connects to b")
        attack(flow, "replayed handshake (another TLS channel, another nonce)", replay)

        attack(flow, "plain text (HTTP)", lambda: refused_at_once(
            "HTTP request", port, "127.0.0.30", b"GET / HTTP/1.1\r\nHost: b\r\n\r\n", use_tls=False))
        attack(flow, "random bytes", lambda: refused_at_once(
            "4 KiB of random bytes", port, "127.0.0.31", os.urandom(4096), use_tls=False))
        attack(flow, "slowloris (TCP, nothing sent)",
               lambda: closed_by_timeout("silent TCP client", tcp(port, "127.0.0.32"), expect_hello=None,
                                         timeout_s=SILENT_TIMEOUT_S, which="silent deadline"))
        attack(flow, "TLS done, no hello",
               lambda: closed_by_timeout("silent TLS client", tls(port, "127.0.0.33"), expect_hello=True))

        def hello_then_silence():
            s = tls(port, "127.0.0.34")
            s.sendall(hello("m@127.0.0.1:1"))
            closed_by_timeout("hello, then no proof", s, expect_hello=True)
        attack(flow, "hello, then no proof", hello_then_silence)

        def half_open():
            socks = []
            for i in range(200):
                s = tcp(port, "127.0.0.%d" % (40 + i % 8))
                if i % 2:
                    s.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a TLS ClientHello, never finished
                socks.append(s)
            # While they hang, b still serves: the flow check runs after this returns,
            # so look at it here too.
            time.sleep(0.5)
            check(b.ask("ping " + a.name) == "pong %s %s" % (a.name, a.name), "200 half-open: b -> a ping meanwhile")
            closed = 0
            deadline = time.monotonic() + HANDSHAKE_TIMEOUT_S + 3
            for s in socks:
                ok, _, _ = wait_closed(s, max(0.1, deadline - time.monotonic()))
                closed += ok
                s.close()
            check(closed == len(socks), "200 half-open: %d closed by the handshake timeout" % closed)
            newcomer = Node(PEER, "n@127.0.0.1:0")
            nodes.append(newcomer)
            check(newcomer.ask("connect " + b.name) == "connect ok", "200 half-open: a new node then connects to b")
            newcomer.stop()
        attack(flow, "200 half-open connections", half_open)

        def forged_restart():
            # A stranger claims to be a's next life (creation + 1) to b, again and again:
            # before a proof, nothing it says may touch b's connection to the real a.
            _, a_creation, _ = read_hello(a.port, "127.0.0.70")
            epoch_ab = parse_sent(a.ask("sent"))[1][b.name][0]
            epoch_ba = parse_sent(b.ask("sent"))[1][a.name][0]
            held = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                s = tls(port, "127.0.0.70")
                s.sendall(hello(a.name, creation=(a_creation + 1) & 0xFFFFFFFF) + frame(PAKE, os.urandom(32)))
                held.append(s)
                time.sleep(0.5)
            for s in held:
                s.close()
            check(parse_sent(a.ask("sent"))[1][b.name][0] == epoch_ab and
                  parse_sent(b.ask("sent"))[1][a.name][0] == epoch_ba,
                  "forged restarts of a: a <-> b never went down (no new epoch either way)")
        attack(flow, "forged hellos claiming a's next life (partition without the cookie)", forged_restart)

        def failing_address():
            # Failed handshakes from b's good neighbours' own address slow that address
            # down but never lock a good node there out.
            src = "127.0.0.1"
            for i in range(10):
                refused_at_once("bad hello %d from %s" % (i + 1, src), port, src, hello("bad name"))
            newcomer = Node(PEER, "n2@127.0.0.1:0")
            nodes.append(newcomer)
            start = time.monotonic()
            answer = newcomer.ask("connect " + b.name)
            secs = time.monotonic() - start
            check(answer == "connect ok" and secs < 3.0,
                  "after 10 failed handshakes from %s, a good node there joins b (%s, %.2f s)" % (src, answer, secs))
            newcomer.stop()
        attack(flow, "failed handshakes from a good node's address", failing_address)

        # Every Seq sent arrived, in order, both ways.
        for n in (a, b):
            n.ask("traffic off")
        time.sleep(1.0)
        check_streams_complete(check, a, b)
        check_streams_complete(check, b, a)
        check(all(n.alive() for n in (a, b)), "a and b are alive")
    finally:
        stop_all(check, nodes)
        shutil.rmtree(workdir, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
