#!/usr/bin/env python3
"""Checks docs/snow.md, the Snow language reference, against snowc.

Every fenced Snow block in the reference is run through snowc, by its info string:
  ```snow                  must pass `snowc check` (a block without `fn main` gets an
                           empty one appended, so a block may hold items only)
  ```snow  + ```output     a complete program: the output block right after it is its
                           exact standard output (`output unordered`: as a multiset of
                           lines, for processes that print without a causal order)
  ```snow error CODE       `snowc check` fails and reports CODE (E0004, syntax, ...);
                           `error CODE only`: and no error of another code
  ```snow warning CODE     `snowc check` passes and warns CODE
  ```snow file=PATH        a module of the next checked block, written to PATH next to it
  ```snow nocheck          not checked (must say why in the text around it)
Also checked, so that the reference stays complete and its links resolve:
  * every `snow.md#anchor` cited in dsl/, include/snow/lang/, tests/snow/, README.md and
    docs/ (and every `(#anchor)` link inside the reference) names a heading of the
    reference, and no code there cites a section number;
  * every diagnostic code snowc can report (E0xxx, W0xxx in dsl/) has an example block
    in the reference that produces it;
  * every standard-library name of dsl/stdlib.cc appears in the reference.

usage: check_reference.py --snowc PATH [--cache DIR] [--jobs N]
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REFERENCE = ROOT / 'docs' / 'snow.md'
sys.path.insert(0, str(HERE))
import run_tests  # noqa: E402  (build, diff_text)


def blocks(text):
    """(line, info, body) of every fenced block, in order."""
    out, lines, i = [], text.splitlines(True), 0
    while i < len(lines):
        m = re.match(r'^```(\S*)(.*)$', lines[i].rstrip('\n'))
        if not m or not m.group(1):
            i += 1
            continue
        start, info = i + 1, (m.group(1) + m.group(2)).strip()
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip('\n') != '```':
            body.append(lines[i])
            i += 1
        out.append((start, info, ''.join(body)))
        i += 1
    return out


def cases(text):
    """The checks the reference's blocks ask for: dicts with kind, line, source, ..."""
    found, pending_files = [], []
    bs = blocks(text)
    for k, (line, info, body) in enumerate(bs):
        words = info.split()
        if words[0] != 'snow':
            continue
        opts = words[1:]
        if opts and opts[0].startswith('file='):
            pending_files.append((opts[0][5:], body))
            continue
        if opts == ['nocheck']:
            continue
        case = {'line': line, 'source': body, 'files': pending_files}
        pending_files = []
        nxt = bs[k + 1] if k + 1 < len(bs) else None
        if opts and opts[0] in ('error', 'warning'):
            case.update(kind=opts[0], code=opts[1], only=opts[2:] == ['only'])
        elif nxt and nxt[1].split()[0] == 'output':
            case.update(kind='run', expected=nxt[2], unordered='unordered' in nxt[1].split())
        elif not opts:
            case.update(kind='check')
        else:
            raise SystemExit(f'{REFERENCE}:{line}: unknown snow block options {opts}')
        found.append(case)
    return found


def write_case(case, tmp):
    d = pathlib.Path(tempfile.mkdtemp(prefix=f'ref{case["line"]}_', dir=tmp))
    for path, body in case['files']:
        (d / path).parent.mkdir(parents=True, exist_ok=True)
        (d / path).write_text(body)
    src = case['source']
    if not re.search(r'^(pub )?fn main\(', src, re.M):
        src += '\nfn main() do\nend\n'
    (d / 'main.snow').write_text(src)
    return d / 'main.snow'


def run_case(snowc, case, env, tmp, timeout):
    where = f'docs/snow.md:{case["line"]}'
    src = write_case(case, tmp)
    if case['kind'] != 'run':
        p = subprocess.run([snowc, 'check', str(src)], capture_output=True, text=True, env=env, timeout=timeout)
        if case['kind'] == 'check':
            ok = p.returncode == 0
            return where, ok, '' if ok else p.stderr
        if case['kind'] == 'error':
            ok = p.returncode == 1 and f'error[{case["code"]}]' in p.stderr
            if case['only']:
                ok = ok and set(re.findall(r'error\[([\w]+)\]', p.stderr)) == {case['code']}
            return where, ok, '' if ok else f'expected error[{case["code"]}], got ({p.returncode}):\n{p.stderr}'
        ok = p.returncode == 0 and f'warning[{case["code"]}]' in p.stderr
        return where, ok, '' if ok else f'expected warning[{case["code"]}], got ({p.returncode}):\n{p.stderr}'
    exe, why = run_tests.build(snowc, src, env, src.parent)
    if why:
        return where, False, why
    try:
        p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout, cwd=str(src.parent),
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return where, False, f'timed out after {timeout}s'
    expected, actual = case['expected'], p.stdout
    if case['unordered']:
        expected = ''.join(sorted(expected.splitlines(True)))
        actual = ''.join(sorted(actual.splitlines(True)))
    problems = []
    if p.returncode != 0:
        problems.append(f'exit status {p.returncode}; stderr:\n{p.stderr[-1500:]}')
    if actual != expected:
        problems.append(run_tests.diff_text(expected, actual))
    return where, not problems, '\n'.join(problems)


def slug(heading):
    """The anchor GitHub gives a heading."""
    s = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return s.replace(' ', '-')


# Code that cited the old reference by section number; it cites snow.md#anchor now (section
# numbers of docs/DESIGN.md and docs/WIRE.md, written "DESIGN.md \u00a78", are another matter).
SECTION_CITERS = ('dsl', 'include/snow/lang', 'tests/snow')


def completeness(text, case_list):
    """Problems with the reference as a whole (anchors, codes, standard library)."""
    problems = []
    anchors = {slug(m.group(1)) for m in re.finditer(r'^#+ (.*)$', text, re.M)}
    anchors |= set(re.findall(r'<a id="([^"]+)"></a>', text))
    cited = []
    for base in ['dsl', 'include/snow/lang', 'tests/snow', 'README.md', 'docs']:
        root = ROOT / base
        for f in ([root] if root.is_file() else sorted(p for p in root.rglob('*') if p.is_file())):
            if f.suffix not in ('.cc', '.hpp', '.md', '.snow', '.py', '.err', '.cluster', '.build', '.in'):
                continue
            if f == pathlib.Path(__file__).resolve():
                continue
            for n, line in enumerate(f.read_text(errors='replace').splitlines(), 1):
                for a in re.findall(r'snow\.md#([\w\-]+)', line):
                    cited.append((f.relative_to(ROOT), n, a))
                if base in SECTION_CITERS and re.search(r'(?<!\.md )\u00a7\d', line):
                    problems.append(f'{f.relative_to(ROOT)}:{n}: a section-number citation (cite snow.md#anchor)')
    for n, line in enumerate(text.splitlines(), 1):
        cited += [(REFERENCE.relative_to(ROOT), n, a) for a in re.findall(r'\]\(#([\w\-]+)\)', line)]
    for f, n, a in cited:
        if a not in anchors:
            problems.append(f'{f}:{n}: snow.md#{a} names no heading of docs/snow.md')
    codes = set()
    for f in (ROOT / 'dsl').glob('*.cc'):
        codes |= set(re.findall(r'"([EW]0\d{3})"', f.read_text()))
    shown = {c['code'] for c in case_list if c['kind'] in ('error', 'warning')}
    for code in sorted(codes - shown):
        problems.append(f'{code} (reported by dsl/) has no `snow error {code}` example in docs/snow.md')
    stdlib = (ROOT / 'dsl' / 'stdlib.cc').read_text()
    for name in re.findall(r'^\s*\{"([A-Za-z_.]+)", "sl::', stdlib, re.M):
        if not re.search(r'(?<![\w.])' + re.escape(name) + r'(?![\w])', text):
            problems.append(f'standard-library name {name} (dsl/stdlib.cc) is not in docs/snow.md')
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--snowc', required=True)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--cache', default=None)
    ap.add_argument('--timeout', type=int, default=60)
    args = ap.parse_args()
    env = dict(os.environ)
    if args.cache:
        env['SNOWC_CACHE_DIR'] = args.cache
    text = REFERENCE.read_text()
    case_list = cases(text)
    failed = 0
    for problem in completeness(text, case_list):
        print('FAIL ' + problem)
        failed += 1
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_case, args.snowc, c, env, tmp, args.timeout) for c in case_list]
        for f in futures:
            where, ok, detail = f.result()
            print(f'{"PASS" if ok else "FAIL"} {where}', flush=True)
            if not ok:
                failed += 1
                print('  ' + detail.replace('\n', '\n  '), flush=True)
    print(f'{len(case_list)} examples; {failed} problems')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
