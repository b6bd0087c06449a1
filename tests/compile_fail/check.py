#!/usr/bin/env python3
"""Compiles a file that must not compile and checks the compiler says why.

usage: check.py COMPILER SOURCE EXPECTED [compiler args...]

Passes when compilation fails and the diagnostics contain EXPECTED; a file that compiles,
or fails for another reason, is a test failure (the message shows the diagnostics).
"""
import subprocess
import sys


def main() -> int:
    compiler, source, expected, *args = sys.argv[1:]
    result = subprocess.run([compiler, *args, "-fsyntax-only", source], capture_output=True, text=True)
    if result.returncode == 0:
        print(f"{source}: compiled, but it must not")
        return 1
    if expected not in result.stderr:
        print(f"{source}: failed to compile, but without '{expected}':\n{result.stderr[-4000:]}")
        return 1
    print(f"{source}: rejected as expected ('{expected}')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
