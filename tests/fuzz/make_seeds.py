#!/usr/bin/env python3
"""Writes the seed corpora of the frame, handshake and dns fuzz targets.

    python3 tests/fuzz/make_seeds.py   (rewrites tests/fuzz/corpus/frame, .../handshake, .../dns)

dns: DNS responses carrying SRV records (dns_fuzz.cpp), with name compression, and the
text forms of a discovery source.

frame: byte streams an authenticated peer sends (frame_fuzz.cpp), one seed per frame
kind and some mixes, addressed as node_harness.hpp sets things up: the peer's index for
the fuzzed node is 1 (its node_name preamble), the node's creation is 1 (deterministic
runtime) and its first processes have serials 1, 2, 3 (the cluster process among them).

handshake: scripts for handshake_fuzz.cpp (protocol version 2) in the layout of
libFuzzer's FuzzedDataProvider, which takes strings from the front of the input and
integers from the back (one byte each for the small ranges used here, two for the clock
step, four for a u32 creation, most significant first). The node's SPAKE2 messages are
random, so a script never carries them: it has the fuzzer's PeerEnd (a real handshake)
answer them.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NODE, PEER = "fuzz@127.0.0.1:4370", "peer@127.0.0.1:4371"
KIND = dict(hello=1, pake=2, confirm=7, ping=3, pong=4, peers=5, node_name=6, send=0x10, send_named=0x11, link=0x12,
            unlink=0x13, exit=0x14, monitor=0x15, demonitor=0x16, down=0x17, fragment=0x20)


def frame(kind, body=b""):
    return struct.pack("<I", len(body) + 1) + bytes([KIND[kind]]) + body


def name(s):
    return bytes([len(s)]) + s.encode()


def pid(node, creation, serial):
    return struct.pack("<Q", node << 48 | creation << 40 | serial)


def ref(node, number):
    return struct.pack("<Q", node << 48 | number)


def reason(kind, text=b"", value=None):
    return bytes([kind]) + struct.pack("<Q", len(text)) + text + (b"\x01" + value if value else b"\x00")


def stf(seed):
    with open(os.path.join(HERE, "corpus", "stf", seed), "rb") as f:
        return f.read()


def frame_seeds():
    me, mine = pid(0, 7, 5), [pid(1, 1, s) for s in (1, 2, 3)]
    r = ref(0, 9)
    sends = [frame("send", me + to + stf(s)) for to, s in zip(mine, ("point", "order", "atom"))]
    seeds = {
        "ping": frame("ping", struct.pack("<Q", 123)),
        "pong": frame("pong", struct.pack("<Q", 0)),
        "peers": frame("peers", struct.pack("<H", 2) + name("x@127.0.0.1:5000") + name("bad name")),
        # u16 index, u8 generation (an index's first life: its creation's low 8 bits), u32 creation
        "node_name": frame("node_name", struct.pack("<HBI", 2, 9, 9) + name("other@127.0.0.1:4372")) +
                     frame("node_name", struct.pack("<HBI", 1, 1, 1) + name(NODE)),
        "send": b"".join(sends),
        "send_named": frame("send_named", me + name("snow.cluster") + stf("map_set")) +
                      frame("send_named", me + name("nobody") + stf("list_nested")),
        "link_unlink": frame("link", me + mine[0]) + frame("unlink", me + mine[0]),
        "monitor": frame("monitor", me + mine[0] + r) + frame("demonitor", me + mine[0] + r),
        "exit": b"".join(frame("exit", me + mine[1] + b"\x01" + reason(k, b"why" if k == 6 else b""))
                         for k in range(7)) + frame("exit", me + mine[1] + b"\x00" + reason(7, b"v", stf("option_result"))),
        "down": frame("monitor", me + mine[2] + r) + frame("down", me + mine[2] + r + reason(5)),
    }
    whole = sends[1][4:]  # kind byte and body of a send, in two fragments of stream `me`
    seeds["fragment"] = (frame("fragment", me + b"\x00" + whole[:len(whole) // 2]) +
                         frame("fragment", me + b"\x01" + whole[len(whole) // 2:]))
    seeds["mixed"] = b"".join(seeds[k] for k in ("node_name", "send", "monitor", "fragment", "exit", "ping"))
    return seeds


# The operations of handshake_fuzz.cpp (Attack::run and Attack::act); every step is
# (front bytes, back bytes in the order they are consumed).
OPEN, RAW, HELLO, PAKE, CONFIRM, END, ANSWER, NEXT, TIME, OTHER_KIND, ALL, HANG_UP = range(12)
END_STR = b"\\x"  # ends a ConsumeRandomLengthString


def script(ops, victim=False):
    """A handshake script: whether a victim is connected first, then the steps."""
    front, tail = b"", [1 if victim else 0]
    for f, b in ops:
        front += f
        tail += b
    return front + bytes(reversed(tail))


def open_conn(inbound=True, other=False):
    return (b"", [OPEN, 0, 1 if inbound else 0, 1 if other else 0])


def hello(slot=0, version=2, creation=0, name=0, name_text=b""):
    """creation and name: the choices of pick_creation and pick_name."""
    v = {2: [0], 1: [1]}.get(version, [2, version])
    c = [creation] if creation < 3 else [3] + list(struct.pack(">I", creation))
    return (name_text + END_STR if name == 4 else b"", [HELLO, slot] + v + c + [name])


def end(slot=0, name=0, creation=0, cookie=None, relay=None):
    """A well-behaved end: cookie None is the right one; relay: its proof is for another channel."""
    front = b"" if cookie is None else cookie + END_STR
    back = [END, slot, name, creation, 1 if cookie is None else 0]
    back += [1] if relay is None else [0, relay]
    return (front, back)


def op(code, slot=0, *args, front=b""):
    return (front, [code, slot] + list(args))


def run_inbound(slot=0):
    """The rest of a good inbound handshake, once an end is set: frames out, answers, frames out, answers."""
    return [op(ALL, slot), op(ANSWER, slot), op(ALL, slot), op(ANSWER, slot)]


def run_outbound(slot=0):
    return [op(ANSWER, slot), op(ALL, slot), op(ANSWER, slot), op(ALL, slot)]


def handshake_seeds():
    wait = op(TIME, 0, 0x07, 0xd0)  # 2000 ms
    return {
        "inbound_ok": script([open_conn(), end()] + run_inbound()),
        "outbound_ok": script([open_conn(inbound=False), end()] + run_outbound()),
        "outbound_other_ok": script([open_conn(inbound=False, other=True), end(name=2)] + run_outbound()),
        "inbound_bytewise": script([open_conn(), end(), op(NEXT, 0, 1), op(NEXT, 0, 1), op(ANSWER),
                                    op(NEXT, 0, 1), op(ANSWER)]),
        "hello_own_name": script([open_conn(), hello(name=1), op(PAKE, 0, 1, front=b"P" * 32)]),
        "hello_other_name_outbound": script([open_conn(inbound=False), end(name=2)] + run_outbound()),
        "hello_no_port": script([open_conn(), hello(name=3)]),
        "hello_version_1": script([open_conn(), hello(version=1)]),
        "hello_version_99": script([open_conn(), hello(version=99)]),
        "hello_creation_0": script([open_conn(), end(creation=2)] + run_inbound()),
        "hello_random_name": script([open_conn(), hello(name=4, name_text=b"x@y:1")]),
        "confirm_before_pake": script([open_conn(), hello(), op(CONFIRM, 0, 1, front=b"C" * 32)]),
        "pake_before_hello": script([open_conn(), op(PAKE, 0, 1, front=b"P" * 32), hello()]),
        "pake_short": script([open_conn(), hello(), op(PAKE, 0, 0, front=b"short" + END_STR)]),
        "wrong_cookie": script([open_conn(), end(cookie=b"wrong")] + run_inbound()),
        "wrong_cookie_outbound": script([open_conn(inbound=False), end(cookie=b"wrong")] + run_outbound()),
        "relayed_proof": script([open_conn(), end(relay=0)] + run_inbound()),
        "flipped_confirm": script([open_conn(), end(), op(ALL), op(ANSWER), op(NEXT, 0, 3, 20, 1), op(ANSWER)]),
        "confirm_twice": script([open_conn(), end(), op(ALL), op(ANSWER), op(NEXT, 0, 5), op(ANSWER)]),
        "truncated_pake": script([open_conn(), end(), op(NEXT, 0, 0), op(NEXT, 0, 2, 10), wait, wait, wait]),
        # Six failures from the fuzzer's one host: the seventh handshake is held a while.
        "held_after_failures": script([op(OPEN, 0, 1, 0), hello(0, version=1), op(OPEN, 0, 1, 0), hello(1, name=1),
                                       op(OPEN, 0, 1, 0), hello(2, name=3), op(OPEN, 0, 1, 0), hello(3, creation=2),
                                       op(OPEN, 0, 1, 0), op(PAKE, 4, 1, front=b"P" * 32),
                                       op(OPEN, 0, 1, 0), op(CONFIRM, 5, 1, front=b"C" * 32),
                                       op(OPEN, 0, 1, 0), end(6)] + run_inbound(6) + [wait] + run_inbound(6)),
        "timeout": script([open_conn(), wait, wait, wait]),
        "ping_in_handshake": script([open_conn(), op(OTHER_KIND, 0, 0, front=b"12345678" + END_STR)]),
        "frames_after_up": script([open_conn(), end()] + run_inbound() +
                                  [op(OTHER_KIND, 0, 0x10 - 3, front=b"0123456789abcdef" + END_STR),
                                   hello(), op(RAW, 0, front=b"\x05\x00\x00\x00\x01junk" + END_STR)]),
        "raw_bytes": script([open_conn(inbound=False), op(RAW, 0, front=b"\x05\x00\x00\x00\x01junk" + END_STR)]),
        "hang_up": script([open_conn(), end(), op(ALL), op(HANG_UP), open_conn(), end(slot=1)] + run_inbound(1)),
        # A node already connected (the victim, creation 7): claims of its name.
        "victim_claim_restart": script([open_conn(), hello(creation=1), op(CONFIRM, 0, 1, front=b"C" * 32)], True),
        "victim_claim_same_life": script([open_conn(), hello(creation=0), op(PAKE, 0, 1, front=b"P" * 32)], True),
        "victim_wrong_cookie_restart": script([open_conn(), end(creation=1, cookie=b"guess")] + run_inbound(), True),
        "victim_relayed_restart": script([open_conn(), end(creation=1, relay=3)] + run_inbound(), True),
        "victim_real_restart": script([open_conn(), end(creation=1)] + run_inbound(), True),
        "victim_duplicate": script([open_conn(), end()] + run_inbound(), True),
        "victim_many_claims": script([open_conn(), open_conn(), open_conn(),
                                      hello(0, creation=1), hello(1, creation=1), hello(2, creation=0),
                                      wait, wait, wait], True),
        # Both directions at once (the node dials the peer while the peer dials it).
        "simultaneous": script([open_conn(inbound=False), open_conn(), end(0), end(1),
                                op(ANSWER, 0), op(ALL, 0), op(ALL, 1), op(ANSWER, 1), op(ANSWER, 0),
                                op(ALL, 1), op(ALL, 0), op(ANSWER, 1), op(ANSWER, 0)]),
    }


def dns_name(dotted):
    return b"".join(bytes([len(label)]) + label.encode() for label in dotted.split(".") if label) + b"\0"


def dns_seeds():
    def response(records, rcode=0):
        header = struct.pack(">HHHHHH", 0x1234, 0x8180 | rcode, 1, len(records), 0, 0)
        question = dns_name("_snow._tcp.example") + struct.pack(">HH", 33, 1)
        answers = b""
        for rtype, port, target in records:
            rdata = struct.pack(">HHH", 10, 5, port) + dns_name(target)
            answers += struct.pack(">HHHIH", 0xC00C, rtype, 1, 30, len(rdata)) + rdata
        return header + question + answers
    return {
        "srv_two": response([(33, 4370, "snow-0.snow.example"), (33, 4371, "snow-1.snow.example")]),
        "srv_mixed_types": response([(1, 9, "a.example"), (33, 4370, "b.example")]),
        "srv_root_target": response([(33, 4370, "")]),
        "nxdomain": response([], rcode=3),
        "source_a": b"a:snow.prod.svc.cluster.local:4370",
        "source_srv": b"srv:_snow._tcp.prod.example.",
    }


def write(dirname, seeds):
    path = os.path.join(HERE, "corpus", dirname)
    os.makedirs(path, exist_ok=True)
    for old in os.listdir(path):
        os.remove(os.path.join(path, old))
    for key, data in seeds.items():
        with open(os.path.join(path, key), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("frame", frame_seeds())
    write("handshake", handshake_seeds())
    write("dns", dns_seeds())
