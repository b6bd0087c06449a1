#!/usr/bin/env python3
"""scripts/snow-top.py against a live program: its table names the processes that
observer_demo registered, sorted as asked.

    snow_top_test.py --demo build/tests/observer_demo --top scripts/snow-top.py
"""
import argparse
import os
import select
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True)
    ap.add_argument("--top", required=True)
    opts = ap.parse_args()
    demo = subprocess.Popen([opts.demo], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url, buffer, end = None, b"", time.monotonic() + 15
        while url is None and time.monotonic() < end:
            if select.select([demo.stdout.fileno()], [], [], 0.2)[0]:
                chunk = os.read(demo.stdout.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
                for line in buffer.decode().splitlines():
                    if line.startswith("observer-url "):
                        url = line.split(" ", 1)[1]
        assert url, "observer_demo printed no address"
        out = subprocess.run([sys.executable, opts.top, "--once", "--sort", "pid", url], capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        text = out.stdout
        for name in ("app", "inventory", "worker_a", "worker_b"):
            assert f" {name} " in text, f"{name} missing from:\n{text}"
        assert "supervisor" in text and "processes" in text.splitlines()[0], text
        pids = [int(l.split()[0][3:-1]) for l in text.splitlines()[4:] if l.startswith("<0.")]
        assert pids == sorted(pids), f"--sort pid: {pids}"
        # --sort memory: the MEMORY column, largest first.
        out = subprocess.run([sys.executable, opts.top, "--once", "--sort", "memory", url], capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[3].split()[-2:] == ["MEMORY", "KIND"], lines[3]
        units = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
        # The next-to-last column (names may be empty, so columns are counted from the end).
        memory = [float(l.split()[-2][:-1]) * units[l.split()[-2][-1]] for l in lines[4:] if l.startswith("<0.")]
        assert memory and memory == sorted(memory, reverse=True), f"--sort memory: {memory}"
        print(text)
        return 0
    finally:
        demo.stdin.close()
        demo.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
