#!/usr/bin/env python3
"""A seed replays: the same seed run in two processes writes the same event log.

Runs dist_tests' replay test case twice, as two separate processes with the same
SNOW_SEED (address-space randomisation left as the system has it), and compares the two
event logs byte for byte. Within one process a run repeats itself even when its order
depends on addresses or on absl's per-process hash seed; only a second process shows it.

usage: replay_test.py DIST_TESTS [SEED]
"""
import difflib
import os
import subprocess
import sys
import tempfile

TEST_CASE = "replay: one scenario*"


def event_log(dist_tests: str, seed: str, path: str) -> bytes:
    env = dict(os.environ, SNOW_SEED=seed, SNOW_EVENT_LOG=path)
    env.pop("SNOW_SEEDS", None)
    run = subprocess.run([dist_tests, "--test-suite=fault", f"--test-case={TEST_CASE}"],
                         env=env, capture_output=True, text=True, timeout=240)
    if run.returncode != 0:
        sys.exit(f"dist_tests failed (seed {seed}):\n{run.stdout}\n{run.stderr}")
    with open(path, "rb") as f:
        return f.read()


def main() -> None:
    dist_tests = sys.argv[1]
    seed = sys.argv[2] if len(sys.argv) > 2 else "7919"
    with tempfile.TemporaryDirectory() as tmp:
        first = event_log(dist_tests, seed, os.path.join(tmp, "first.log"))
        second = event_log(dist_tests, seed, os.path.join(tmp, "second.log"))
    if not first:
        sys.exit("the event log is empty")
    if first != second:
        diff = difflib.unified_diff(first.decode(errors="replace").splitlines(),
                                    second.decode(errors="replace").splitlines(),
                                    "first process", "second process", lineterm="", n=2)
        print("\n".join(list(diff)[:60]))
        sys.exit(f"seed {seed}: two processes wrote different event logs; the run cannot be replayed")
    lines = first.count(b"\n")
    print(f"seed {seed}: {lines} lines, identical in both processes")


if __name__ == "__main__":
    main()
