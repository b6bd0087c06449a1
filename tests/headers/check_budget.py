#!/usr/bin/env python3
"""Fails when a public header of snow preprocesses to more than its budget.

Each header include/snow/NAME.hpp is preprocessed on its own (a translation unit that is
just `#include "snow/NAME.hpp"`), with the flags a user's compile gets, and two figures are
taken from the output:

- total: the lines the compiler reads, standard library and Abseil included (non-blank
  lines of the preprocessed output, the `# N "file"` line markers not counted);
- snow: the part of those lines that comes from snow's own headers (include/snow/...),
  found by following the line markers. This is the figure the header graph's design
  controls: what including one snow header drags in of the rest of snow.

Both are checked against tests/headers/budget.txt (see its opening comment for the format
and for how to raise a budget on purpose). A header with no line in the file, or a line
for a header that no longer exists, fails too, so a new header cannot skip the check.

usage:
  check_budget.py --budget FILE --include DIR [--pkg=MODULE,...] COMPILER -- FLAGS...
  ... [--set HEADER ...] [--set-all]   re-measure and write the budget file (see budget.txt)

FLAGS are the compiler's (standard, include directories, defines); --pkg adds
`pkg-config --cflags` of those modules (Abseil, libuv), as the build gives them.
"""
import argparse
import math
import os
import re
import shlex
import subprocess
import sys

MARKER = re.compile(r'^#\s*(\d+)\s+"((?:[^"\\]|\\.)*)"')
HEADROOM = 1.05  # a new budget is the measured figure + 5%, rounded up


def measure(compiler, flags, include_dir, header):
    """(total lines, lines from include/snow/) of `header` preprocessed alone."""
    snow_dir = os.path.realpath(os.path.join(include_dir, "snow")) + os.sep
    source = '#include "snow/%s"\n' % header
    run = subprocess.run([compiler, "-x", "c++", "-E", "-"] + flags, input=source, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("%s does not preprocess:\n%s" % (header, run.stderr[-3000:]))
    total = snow = 0
    in_snow = False
    own = {}  # marker path -> is it under include/snow/ (realpath is slow; a path repeats)
    for line in run.stdout.split("\n"):
        m = MARKER.match(line)
        if m:
            path = m.group(2)
            if path not in own:
                own[path] = not path.startswith("<") and os.path.realpath(path).startswith(snow_dir)
            in_snow = own[path]
            continue
        if not line.strip():
            continue
        total += 1
        if in_snow:
            snow += 1
    if snow == 0:
        # The header itself is under include/snow/: none of its lines counted means the
        # line markers were not understood, and every snow budget would pass unchecked.
        raise RuntimeError("%s: no line of the output came from %s (line markers not followed?)" % (header, snow_dir))
    return total, snow


def read_budget(path):
    """{header: [total_budget, total_measured, snow_budget, snow_measured]}, and the comment lines."""
    entries, comments = {}, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                comments.append(line.rstrip("\n"))
                continue
            fields = line.split()
            if len(fields) != 5 or not all(x.isdigit() for x in fields[1:]):
                raise ValueError("%s:%d: expected `header total_budget total_measured snow_budget snow_measured`"
                                 % (path, number))
            entries[fields[0]] = [int(x) for x in fields[1:]]
    return entries, comments


def write_budget(path, entries, comments):
    rows = list(comments)  # the opening comment (comment lines anywhere are kept, moved to the top)
    while rows and not rows[-1].strip():
        rows.pop()
    rows.append("")
    width = max(len(h) for h in entries)
    for h in sorted(entries):
        t_b, t_m, s_b, s_m = entries[h]
        rows.append("%-*s %8d %8d %7d %7d" % (width, h, t_b, t_m, s_b, s_m))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


def main():
    args = sys.argv[1:]
    split = args.index("--") if "--" in args else len(args)
    flags = args[split + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--budget", required=True)
    p.add_argument("--include", required=True, help="the include/ directory that holds snow/")
    p.add_argument("--pkg", default="")
    p.add_argument("--set", nargs="*", default=[], metavar="HEADER")
    p.add_argument("--set-all", action="store_true")
    p.add_argument("compiler")
    opts = p.parse_args(args[:split])
    modules = [m for m in opts.pkg.split(",") if m]
    if modules:
        flags += subprocess.run(["pkg-config", "--cflags"] + modules, check=True, capture_output=True,
                                text=True).stdout.split()

    headers = sorted(n for n in os.listdir(os.path.join(opts.include, "snow")) if n.endswith(".hpp"))
    entries, comments = read_budget(opts.budget)
    problems = []
    measured = {}
    for h in headers:
        try:
            measured[h] = measure(opts.compiler, flags, opts.include, h)
        except RuntimeError as e:
            problems.append(str(e))

    to_set = set(headers) if opts.set_all else set(opts.set)
    if to_set:
        unknown = to_set - set(measured)
        if unknown:
            print("no such header (or it did not preprocess): %s" % ", ".join(sorted(unknown)), file=sys.stderr)
            return 2
        for h in to_set:
            total, snow = measured[h]
            entries[h] = [math.ceil(total * HEADROOM), total, math.ceil(snow * HEADROOM), snow]
        for h in list(entries):
            if h not in headers:
                del entries[h]
        write_budget(opts.budget, entries, comments)
        print("wrote %s for %s" % (opts.budget, ", ".join(sorted(to_set))))

    for h in headers:
        if h not in measured:
            continue
        total, snow = measured[h]
        if h not in entries:
            problems.append("%s: no budget in %s (measured %d lines, %d of them snow's)" % (h, opts.budget, total, snow))
            continue
        t_b, t_m, s_b, s_m = entries[h]
        status = "ok"
        if total > t_b:
            problems.append("%s: %d preprocessed lines, over its budget of %d (%d when set)" % (h, total, t_b, t_m))
            status = "OVER"
        if snow > s_b:
            problems.append("%s: %d lines of snow headers, over its budget of %d (%d when set)" % (h, snow, s_b, s_m))
            status = "OVER"
        print("%-18s total %7d (budget %7d)   snow %6d (budget %6d)   %s" % (h, total, t_b, snow, s_b, status))
    for h in sorted(set(entries) - set(headers)):
        problems.append("%s: in %s but there is no include/snow/%s" % (h, opts.budget, h))
    for p_ in problems:
        print("FAIL " + p_)
    if problems:
        over = sorted({x.split(":")[0] for x in problems if x.split(":")[0] in measured})
        if over:
            # The command that re-measures them, for a growth that is meant (budget.txt).
            command = [sys.executable, os.path.abspath(__file__), "--set"] + over + args
            print("to set these budgets to what they measure now + 5%%, on purpose:\n  %s" %
                  " ".join(shlex.quote(c) for c in command))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
