#!/usr/bin/env python3
"""A seed replays: the same seed run in separate processes writes the same event log.

Runs dist_tests' replay test case in RUNS separate processes with the same seeds
(address-space randomisation left as the system has it) and compares each event log with
the first, byte for byte. Within one process a run repeats itself even when its order
depends on addresses or on absl's per-process hash seed; only another process shows it,
and two processes may happen to agree, hence several.

usage: replay_test.py DIST_TESTS [SEED]   (SEED: just that one; default: the first SEEDS)
"""
import difflib
import os
import subprocess
import sys
import tempfile

TEST_CASE = "replay: one scenario*"
RUNS = 4
SEEDS = "3"  # the scenario runs a few seeds in each process: more orders to disagree on


def event_log(dist_tests: str, seed: str, path: str) -> bytes:
    env = dict(os.environ, SNOW_EVENT_LOG=path)
    env.pop("SNOW_SIM_SEED", None)
    env.pop("SNOW_SIM_SEEDS", None)
    env.update({"SNOW_SIM_SEED": seed} if seed else {"SNOW_SIM_SEEDS": SEEDS})
    run = subprocess.run([dist_tests, "--test-suite=fault", f"--test-case={TEST_CASE}"],
                         env=env, capture_output=True, text=True, timeout=240)
    if run.returncode != 0:
        sys.exit(f"dist_tests failed (SNOW_SIM_SEED={seed}, SNOW_SIM_SEEDS={SEEDS}):\n{run.stdout}\n{run.stderr}")
    with open(path, "rb") as f:
        return f.read()


def main() -> None:
    dist_tests = sys.argv[1]
    seed = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        logs = [event_log(dist_tests, seed, os.path.join(tmp, f"run{i}.log")) for i in range(RUNS)]
    first = logs[0]
    label = f"seed {seed}" if seed else f"the first {SEEDS} seeds"
    if not first:
        sys.exit("the event log is empty")
    for i, other in enumerate(logs[1:], start=2):
        if other != first:
            diff = difflib.unified_diff(first.decode(errors="replace").splitlines(),
                                        other.decode(errors="replace").splitlines(),
                                        "process 1", f"process {i}", lineterm="", n=2)
            print("\n".join(list(diff)[:60]))
            sys.exit(f"{label}: processes 1 and {i} wrote different event logs; the run cannot be replayed")
    lines = first.count(b"\n")
    print(f"{label}: {lines} lines, identical in {RUNS} processes")


if __name__ == "__main__":
    main()
