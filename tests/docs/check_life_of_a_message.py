#!/usr/bin/env python3
"""Fails when docs/life-of-a-message.md names a file or function that is not in the tree.

The page traces a message through the code by file and function name, so a rename or a
move would silently turn it into a wrong map. Each backticked reference is checked:

- a file (`src/dist/node_core.cpp`, `snow/detail/node_pool.hpp`, `guide.md`): it exists
  under the source root, under include/ (the form the code includes it by), or, for a
  bare name, as a file of that name under src/, include/, docs/ or tests/;
- a function (`push_to()`, `NodeCore::route()`): its last name, followed by `(` (or by
  template arguments and `(`), is in a file named in backticks on the same line (any of
  them, if several), else in some file under src/ or include/; a qualified name's
  qualifiers must also be in that file.

usage: check_life_of_a_message.py SOURCE_ROOT [PAGE]
PAGE defaults to SOURCE_ROOT/docs/life-of-a-message.md. Exits 1 and names every stale
reference; also exits 1 if the page names no file or no function (a check of nothing).
"""
import os
import re
import sys

SPAN = re.compile(r"`([^`\n]+)`")
FILE = re.compile(r"^[\w.\-/]+\.(?:cpp|hpp|h|md|py|build|txt|snow|sh)$")
FUNCTION = re.compile(r"^((?:[A-Za-z_]\w*::)*)([A-Za-z_~]\w*)\(\)$")
SEARCHED = ("src", "include")
BARE_SEARCHED = ("src", "include", "docs", "tests")


def files_under(root, tops):
    for top in tops:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                yield os.path.join(dirpath, n)


def resolve(root, page_dir, ref):
    """The path `ref` names, or None."""
    for base in (root, os.path.join(root, "include"), page_dir):
        p = os.path.normpath(os.path.join(base, ref))
        if os.path.isfile(p):
            return p
    if "/" not in ref:
        for p in files_under(root, BARE_SEARCHED):
            if os.path.basename(p) == ref:
                return p
    return None


def read(path, cache):
    if path not in cache:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                cache[path] = f.read()
        except OSError:
            cache[path] = ""
    return cache[path]


def defines(text, qualifiers, name):
    # A call or a definition: the name, template arguments maybe (`check_sendable<T>(`), `(`.
    if not re.search(r"(?<![\w])" + re.escape(name) + r"\s*(?:<[^;{}()]*>)?\s*\(", text):
        return False
    return all(re.search(r"\b" + re.escape(q) + r"\b", text) for q in qualifiers)


def check(root, page):
    page_dir = os.path.dirname(os.path.abspath(page))
    cache, problems = {}, []
    n_files = n_functions = 0
    tree = None  # every file under src/ and include/, read on the first function without a file
    with open(page, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, 1):
        spans = SPAN.findall(line)
        named = []
        for s in spans:
            if FILE.match(s):
                n_files += 1
                p = resolve(root, page_dir, s)
                if p is None:
                    problems.append("%s:%d: no file %s" % (page, number, s))
                else:
                    named.append(p)
        for s in spans:
            m = FUNCTION.match(s)
            if not m:
                continue
            n_functions += 1
            qualifiers = [q for q in m.group(1).split("::") if q]
            name = m.group(2)
            if named:
                if not any(defines(read(p, cache), qualifiers, name) for p in named):
                    problems.append("%s:%d: %s is not in %s" % (page, number, s,
                                                                " or ".join(os.path.relpath(p, root) for p in named)))
                continue
            if tree is None:
                tree = [p for p in files_under(root, SEARCHED) if p.endswith((".cpp", ".hpp", ".h"))]
            if not any(defines(read(p, cache), qualifiers, name) for p in tree):
                problems.append("%s:%d: %s is nowhere under src/ or include/" % (page, number, s))
    if n_files == 0 or n_functions == 0:
        problems.append("%s: names %d files and %d functions: the checker would check nothing" %
                        (page, n_files, n_functions))
    return problems, n_files, n_functions


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[1])
    page = sys.argv[2] if len(sys.argv) == 3 else os.path.join(root, "docs", "life-of-a-message.md")
    problems, n_files, n_functions = check(root, page)
    for p in problems:
        print(p)
    if problems:
        print("%d stale reference(s) in %s" % (len(problems), page))
        return 1
    print("%s: %d file and %d function references, all in the tree" % (page, n_files, n_functions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
