#!/usr/bin/env python3
"""Prints one closing line for `make test`: "tests: N passed, N failed".

Meson counts test executables; each doctest executable holds many test cases. This
reads Meson's test log and counts doctest's cases (from each executable's summary line)
plus every other test as one case, so the total says how many behaviours were checked.
"""
import json
import re
import sys

CASES = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def main(path: str) -> int:
    passed = failed = 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            entry = json.loads(line)
            match = CASES.search(entry.get("stdout", "") or "")
            ok = entry.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
            if match:
                passed += int(match.group(2))
                failed += int(match.group(3))
                if not ok and int(match.group(3)) == 0:
                    failed += 1  # crashed or timed out after doctest's summary
            elif ok:
                passed += 1
            else:
                failed += 1
    print(f"tests: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"))
