#!/usr/bin/env python3
"""Builds and runs every code block of the docs that is marked as a complete program.

A block is a program when the line before its ```cpp fence is the marker

    <!-- program -->

(an HTML comment, so readers of the rendered page do not see it). Each such block is
compiled on its own against the built libsnow, run with a time limit, and must exit 0;
a program checks its own results and returns non-zero when they are wrong. A document
given here without a single marked block fails too, as does a marker not followed by a
```cpp block, so a program cannot silently stop being checked.

usage: run_programs.py [--pkg MODULE,...] COMPILER DOC.md... -- FLAGS...

FLAGS (include directories, libsnow.a, libraries) follow the source on the compiler's
command line; --pkg adds `pkg-config --cflags --libs` of those modules (Abseil, libuv).
"""
import os
import re
import subprocess
import sys
import tempfile

MARKER = "<!-- program -->"
RUN_SECONDS = 60


def programs(path):
    """(line number, source) of each marked block; raises on a marker without a block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```cpp":
            raise ValueError("%s:%d: %s is not followed by a ```cpp block" % (path, i + 1, MARKER))
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            raise ValueError("%s:%d: the ```cpp block after %s never closes" % (path, i + 2, MARKER))
        found.append((i + 2, "\n".join(lines[i + 2:end]) + "\n"))
    return found


def main():
    args = sys.argv[1:]
    pkg = []
    if args and args[0].startswith("--pkg="):
        pkg = [m for m in args.pop(0)[len("--pkg="):].split(",") if m]
    split = args.index("--") if "--" in args else len(args)
    compiler, docs, flags = args[0], args[1:split], args[split + 1:]
    if pkg:
        flags += subprocess.run(["pkg-config", "--cflags", "--libs"] + pkg, check=True, capture_output=True,
                                text=True).stdout.split()
    failures, ran = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for doc in docs:
            try:
                blocks = programs(doc)
            except ValueError as e:
                failures.append(str(e))
                continue
            if not blocks:
                failures.append("%s: no block is marked %s" % (doc, MARKER))
            for line, source in blocks:
                where = "%s:%d" % (os.path.basename(doc), line)
                name = re.sub(r"\W", "_", where)
                src, exe = os.path.join(tmp, name + ".cpp"), os.path.join(tmp, name)
                with open(src, "w", encoding="utf-8") as f:
                    f.write('#line %d "%s"\n' % (line + 1, doc) + source)
                built = subprocess.run([compiler, src] + flags + ["-o", exe], capture_output=True, text=True)
                if built.returncode != 0:
                    failures.append("%s: does not compile:\n%s" % (where, built.stderr[-3000:]))
                    continue
                try:
                    run = subprocess.run([exe], capture_output=True, text=True, timeout=RUN_SECONDS, cwd=tmp)
                except subprocess.TimeoutExpired:
                    failures.append("%s: still running after %d s" % (where, RUN_SECONDS))
                    continue
                ran += 1
                status = "ok  " if run.returncode == 0 else "FAIL"
                print("%s %s (exit %d)" % (status, where, run.returncode), flush=True)
                if run.returncode != 0:
                    failures.append("%s: exited %d\nstdout:\n%s\nstderr:\n%s"
                                    % (where, run.returncode, run.stdout[-2000:], run.stderr[-2000:]))
    for f in failures:
        print("FAIL " + f)
    print("doc programs: %d ran, %d failures" % (ran, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
