#!/usr/bin/env python3
"""Writes the seed corpora of the frame and handshake fuzz targets.

    python3 tests/fuzz/make_seeds.py   (rewrites tests/fuzz/corpus/frame and .../handshake)

frame: byte streams an authenticated peer sends (frame_fuzz.cpp), one seed per frame
kind and some mixes, addressed as node_harness.hpp sets things up: the peer's index for
the fuzzed node is 1 (its node_name preamble), the node's creation is 1 (deterministic
runtime) and its first processes have serials 1, 2, 3 (the cluster process among them).

handshake: scripts for handshake_fuzz.cpp in the layout of libFuzzer's
FuzzedDataProvider, which takes strings from the front of the input and integers from
the back (one byte each for the small ranges used here, two for the clock step).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NODE, PEER = "fuzz@127.0.0.1:4370", "peer@127.0.0.1:4371"
KIND = dict(hello=1, auth=2, ping=3, pong=4, peers=5, node_name=6, send=0x10, send_named=0x11, link=0x12,
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
        "node_name": frame("node_name", struct.pack("<H", 2) + name("other@127.0.0.1:4372")),
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


def script(ops, back=()):
    """A handshake script: `ops` are (front bytes, back bytes) per step, in order."""
    front, tail = b"", list(back)
    for f, b in ops:
        front += f
        tail += b
    return front + bytes(reversed(tail))


def handshake_seeds():
    inbound, outbound = [1], [0]
    good_hello_bytewise = (b"", [8])
    right_proof = (b"", [2])

    def hello(version_ok=True, creation=7, choice=0, nonce=b"N" * 32):
        return (nonce, [1, 1 if version_ok else 0] + ([] if version_ok else [99]) + [creation, choice])
    return {
        "inbound_ok": script([good_hello_bytewise, right_proof], inbound),
        "outbound_ok": script([good_hello_bytewise, right_proof], outbound),
        "inbound_fields_ok": script([hello(), right_proof], inbound),
        "hello_own_name": script([hello(choice=1), right_proof], inbound),
        "hello_other_name_outbound": script([hello(choice=2), right_proof], outbound),
        "hello_no_port": script([hello(choice=3)], inbound),
        "hello_version_99": script([hello(version_ok=False)], inbound),
        "replayed_proof": script([good_hello_bytewise, (b"", [4, 1])], inbound),
        "wrong_cookie": script([good_hello_bytewise, (b"wrong\\x", [3])], inbound),
        "random_proof": script([good_hello_bytewise, (b"0123456789abcdef0123456789abcdef\\x", [5])], inbound),
        "timeout": script([(b"", [6, 0x07, 0xd0]), (b"", [6, 0x07, 0xd0]), (b"", [6, 0x07, 0xd0])], inbound),
        "ping_in_handshake": script([(b"12345678\\x", [7, 0])], inbound),
        "raw_bytes": script([(b"\x05\x00\x00\x00\x01junk\\x", [0])], outbound),
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
