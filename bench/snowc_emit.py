#!/usr/bin/env python3
"""Times `snowc emit` on a generated Snow program of about 5,000 lines.

The program mixes what real programs contain: structs, sum types, multi-clause
functions with guards, case, closures and pipes, loops, string interpolation, actors
with receive, and a service. It is checked to be valid first (`snowc check`).

usage: bench/snowc_emit.py SNOWC [--lines N] [--runs R] [--keep FILE]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def block(i):
    return f'''struct Rec{i} do
  id :: Int
  name :: String
end deriving(Eq, Display)

type Sig{i} do
  Ping{i}(Int)
  Pong{i}(Int, String)
  Halt{i}
end

fn classify{i}(0) = "zero"
fn classify{i}(n) when n < 0 = "negative"
fn classify{i}(n) when n < 100 = "small"
fn classify{i}(_) = "large"

fn score{i}(xs :: List<Int>) -> Int do
  let doubled = xs |> List.map(fn x -> x * 2 end) |> List.filter(fn x -> x > {i % 7} end)
  let total = List.reduce(doubled, 0, fn acc, x -> acc + x end)
  let bonus = for x in xs when x % 2 == 0 do
    x * {i % 5 + 1}
  end
  total + List.length(bonus)
end

fn describe{i}(r :: Rec{i}, s :: Sig{i}) -> String do
  case s do
    Ping{i}(n) when n > 10 -> "big ping ${{n}} for ${{r.name}}"
    Ping{i}(n) -> "ping ${{n}} (${{classify{i}(n)}})"
    Pong{i}(n, t) -> "pong ${{n}} ${{t}} ${{r}}"
    Halt{i} -> "halt"
  end
end

actor worker{i}(count :: Int) do
  receive do
    Ping{i}(n) -> worker{i}(count + n)
    Pong{i}(_, t) -> worker{i}(count + String.length(t))
    Halt{i} -> self()
  after 1000 -> self() end
end

fn drive{i}() do
  let w = spawn(worker{i}, 0)
  send(w, Ping{i}({i}))
  send(w, Halt{i})
  let r = Rec{i} {{ id: {i}, name: "rec{i}" }}
  println(describe{i}(r, Pong{i}(score{i}([1, 2, 3, {i}]), "t")))
end

'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('snowc')
    ap.add_argument('--lines', type=int, default=5000)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--keep', default=None)
    args = ap.parse_args()
    per_block = block(0).count('\n')
    n = max(1, args.lines // per_block)
    service = '''service Registry do
  fn init() do
    %{}
  end
  cast Add(k :: String, v :: Int) do |m|
    Map.put(m, k, v)
  end
  call Size() :: Int do |m|
    (m, Map.size(m))
  end
end

'''
    main_fn = 'fn main() do\n  let reg = Registry.start()\n' + ''.join(
        f'  drive{i}()\n  Registry.add(reg, "k{i}", {i})\n' for i in range(n)) + '  println("${Registry.size(reg)}")\nend\n'
    source = ''.join(block(i) for i in range(n)) + service + main_fn
    lines = source.count('\n')
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, 'bench.snow')
        with open(path, 'w') as f:
            f.write(source)
        check = subprocess.run([args.snowc, 'check', path], capture_output=True, text=True)
        if check.returncode != 0:
            print(check.stderr[:3000])
            return 1
        times = []
        out_size = 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            p = subprocess.run([args.snowc, 'emit', path], capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                print(p.stderr[:3000])
                return 1
            out_size = p.stdout.count('\n')
    print(f'snowc emit: {lines} Snow lines -> {out_size} C++ lines; '
          f'median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms over {args.runs} runs')
    return 0


if __name__ == '__main__':
    sys.exit(main())
