#!/usr/bin/env python3
"""Side-by-side benchmark of snow against CAF 0.17, Erlang/OTP and Go.

Builds the peer benchmarks (bench/compare/caf_bench.cpp with g++, the Erlang module
bench/compare/erlang/snow_peer_bench.erl with erlc, bench/compare/go/snow_peer_bench.go
with go build), runs every workload on snow (build/bench/snow_bench), CAF, Erlang and Go
(spawn, pingpong, fanin and ring only), and prints one table with snow's ratio to the
best peer and, where there is one, to the floor. Each program prints
`RESULT <workload> <metric>=<value> ...`; a system that is missing, fails to build,
fails, times out or prints no RESULT line shows "n/a" for that workload. With --results
FILE the table is also written as Markdown with the date, the machine, the peers'
versions and the command line (`make compare` writes bench/compare/RESULTS.md).

    python3 bench/compare/compare.py                      # everything, full size
    python3 bench/compare/compare.py --n-scale 0.1        # quick run
    python3 bench/compare/compare.py --workloads pingpong,ring --repeat 3
    python3 bench/compare/compare.py --workloads remote_pingpong,remote_throughput,socket_pingpong

The remote workloads run between two OS processes over 127.0.0.1 (each program starts its
second process itself); CAF and Erlang run them twice, over plain TCP and over TLS, and
snow (always TLS) is set against both. The script generates the certificates the TLS runs
need (with the openssl command) and runs a private epmd for the Erlang nodes.

Only the Python standard library is used. See README.md beside this file.
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

ALL_WORKLOADS = ["spawn", "pingpong", "fanin", "ring", "selective", "call", "call_host", "call_queued", "restart",
                 "compile", "remote_pingpong", "remote_throughput", "socket_pingpong"]
DEFAULT_WORKLOADS = ALL_WORKLOADS

# Between two OS processes. CAF and Erlang run each once per transport (--transports);
# snow's nodes always speak TLS 1.3, so its one figure is set against both.
REMOTE_WORKLOADS = {"remote_pingpong", "remote_throughput"}
TRANSPORTS = ["tcp", "tls"]

# Workloads only snow_bench has (CAF and Erlang show n/a without being run).
SNOW_ONLY = {"call_host", "restart", "socket_pingpong"}

# The workloads the Go peer has: those with a direct goroutine-and-channel counterpart
# (the others show n/a for Go without being run).
GO_WORKLOADS = {"spawn", "pingpong", "fanin", "ring"}

# A workload whose figures have a floor: the same measurement without the runtime
# (snow_bench's plain TCP socket ping-pong under remote_pingpong), run by snow_bench.
FLOOR_OF = {"remote_pingpong": "socket_pingpong"}

# Full-size N of each workload (compile has none).
DEFAULT_N = {
    "spawn": 1_000_000,
    "pingpong": 1_000_000,
    "fanin": 500_000,
    "ring": 10_000_000,
    "selective": 100_000,
    "call": 1_000_000,
    "call_host": 1_000_000,  # snow only: calls from a host thread (CAF's blocking requester is not idiomatic)
    "call_queued": 200_000,
    "restart": 10_000,       # snow only for now: crash -> replacement serving
    "remote_pingpong": 20_000,
    "remote_throughput": 1_000_000,
    "socket_pingpong": 20_000,  # snow_bench only: plain TCP socket, the floor for remote_pingpong
}

# The metrics every system is expected to report, in table order; extra metrics a system
# prints are shown after them.
PRIMARY_METRICS = {
    "spawn": ["wall_s", "bytes_per_proc"],
    "pingpong": ["rt_per_s"],
    "fanin": ["msgs_per_s"],
    "ring": ["hops_per_s"],
    "selective": ["calls_per_s_queued", "calls_per_s_empty", "ratio"],
    "call": ["calls_per_s"],
    "call_host": ["calls_per_s"],
    "call_queued": ["calls_per_s_empty", "calls_per_s_queued", "ratio"],
    "restart": ["p50_us", "p99_us"],
    "compile": ["compile_s", "compile_mb"],
    "remote_pingpong": ["rt_per_s", "us_per_rt"],
    "remote_throughput": ["msgs_per_s", "mb_per_s"],
    "socket_pingpong": ["rt_per_s", "us_per_rt"],
}

# Metrics where a smaller number is better (the table marks them).
LOWER_IS_BETTER = {"wall_s", "bytes_per_proc", "vm_bytes_per_proc", "compile_s",
                   "compile_mb", "p50_us", "p99_us", "us_per_rt"}

SYSTEMS = ["snow", "caf", "erlang", "go"]
PEERS = [s for s in SYSTEMS if s != "snow"]

COMPILE_TYPES = 32


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# -- building -------------------------------------------------------------------------


def newer(target, *sources):
    """True when target exists and is newer than every source."""
    if not target.exists():
        return False
    t = target.stat().st_mtime
    return all(t >= s.stat().st_mtime for s in sources)


def build_caf(build_dir, cxx):
    src = HERE / "caf_bench.cpp"
    out = build_dir / "caf_bench"
    if newer(out, src):
        return out
    # caf_io is CAF's network layer, caf_openssl its TLS module (remote workloads).
    # Built under a temporary name and renamed, so an interrupted build leaves no
    # half-written binary that looks up to date.
    tmp = build_dir / "caf_bench.tmp"
    cmd = [cxx, "-O2", "-std=c++17", str(src), "-o", str(tmp), "-lcaf_openssl", "-lcaf_io",
           "-lcaf_core", "-lssl", "-lcrypto", "-pthread"]
    log("building CAF bench: " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        log("CAF bench failed to build (CAF results will be n/a):\n" + r.stderr[-4000:])
        return None
    os.replace(tmp, out)
    return out


def build_erlang(build_dir):
    src = HERE / "erlang" / "snow_peer_bench.erl"
    out_dir = build_dir / "erlang"
    beam = out_dir / "snow_peer_bench.beam"
    if newer(beam, src):
        return out_dir
    if shutil.which("erlc") is None:
        log("erlc not found (Erlang results will be n/a)")
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = ["erlc", "-o", str(out_dir), str(src)]
    log("building Erlang bench: " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        log("Erlang bench failed to build (Erlang results will be n/a):\n"
            + (r.stdout + r.stderr)[-4000:])
        return None
    return out_dir


def build_go(build_dir):
    """Builds the Go peer with the standard library only: no module to download
    (GO111MODULE=off, GOPROXY=off), no cgo, the build cache under the build directory."""
    src = HERE / "go" / "snow_peer_bench.go"
    out_dir = build_dir / "go"
    out = out_dir / "snow_peer_bench"
    if newer(out, src):
        return out
    go = shutil.which("go")
    if go is None:
        log("go not found (Go results will be n/a)")
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPROXY="off", GOFLAGS="", CGO_ENABLED="0",
               GOCACHE=str(build_dir / "go-cache"), GOPATH=str(build_dir / "go-path"))
    # A temporary name, renamed when done, as for the CAF binary.
    tmp = out_dir / "snow_peer_bench.tmp"
    cmd = [go, "build", "-o", str(tmp), str(src)]
    log("building Go bench: GO111MODULE=off CGO_ENABLED=0 GOCACHE=" + env["GOCACHE"] + " "
        + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        log("Go bench failed to build (Go results will be n/a):\n"
            + (r.stdout + r.stderr)[-4000:])
        return None
    os.replace(tmp, out)
    return out


# -- TLS certificates and epmd for the remote workloads ---------------------------------------


def make_certs(build_dir):
    """A CA and one node certificate signed by it (EC P-256), shared by every process of
    the TLS runs, plus the Erlang TLS distribution option file. Returns the directory, or
    None when they cannot be made (the TLS runs are then n/a). The certificate names this
    host (Erlang's TLS distribution checks the peer's host name) and 127.0.0.1."""
    d = build_dir / "certs"
    if not all((d / n).exists() for n in ("ca.pem", "cert.pem", "key.pem")):
        if not _make_cert_files(d):
            return None
    # Erlang's TLS distribution: both sides present the certificate and verify the
    # peer's against the CA, TLS 1.3 only (what snow and CAF negotiate; OTP 25's
    # distribution would otherwise settle on TLS 1.2). Rewritten every time (it names
    # the files by absolute path).
    opts = (f'{{certfile, "{d / "cert.pem"}"}}, {{keyfile, "{d / "key.pem"}"}}, '
            f'{{cacertfile, "{d / "ca.pem"}"}}, {{verify, verify_peer}}, '
            "{versions, ['tlsv1.3']}")
    (d / "erl_dist.conf").write_text(
        f"[{{server, [{opts}, {{fail_if_no_peer_cert, true}}]}},\n"
        f" {{client, [{opts}]}}].\n")
    return d


def _make_cert_files(d):
    if shutil.which("openssl") is None:
        log("openssl command not found: no certificates, TLS runs of CAF and Erlang are n/a")
        return False
    d.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    names = sorted({host, host.split(".")[0], "localhost"})
    san = ",".join([f"DNS:{n}" for n in names] + ["IP:127.0.0.1"])
    (d / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName={san}\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    cmds = [
        ["openssl", "req", "-x509"] + ec + ["-keyout", "ca_key.pem", "-out", "ca.pem",
                                           "-days", "3650", "-subj", "/CN=snow-bench CA"],
        ["openssl", "req"] + ec + ["-keyout", "key.pem", "-out", "node.csr",
                                   "-subj", "/CN=snow-bench node"],
        ["openssl", "x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey",
         "ca_key.pem", "-CAcreateserial", "-out", "cert.pem", "-days", "3650",
         "-extfile", "ext.cnf"],
    ]
    for cmd in cmds:
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            log("making certificates failed (TLS runs of CAF and Erlang are n/a): "
                + " ".join(cmd) + "\n" + r.stderr[-2000:])
            return False
    log(f"made TLS certificates in {d} (delete it to make new ones, e.g. after a "
        "change of host name)")
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateEpmd:
    """An epmd of our own on a free port, started on first use and stopped by close(), so
    the Erlang nodes neither need nor leave behind a system-wide `epmd -daemon`."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.failed = False

    def env(self):
        """The environment for erl (ERL_EPMD_PORT set), or None if epmd cannot run."""
        if self.proc is None and not self.failed:
            self._start()
        if self.proc is None:
            return None
        return dict(os.environ, ERL_EPMD_PORT=str(self.port))

    def _start(self):
        epmd = shutil.which("epmd")
        if epmd is None:
            log("epmd not found: Erlang remote workloads are n/a")
            self.failed = True
            return
        for _ in range(3):
            port = free_port()
            proc = subprocess.Popen([epmd, "-port", str(port)], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    self.proc, self.port = proc, port
                    log(f"private epmd on port {port} (pid {proc.pid})")
                    return
                except OSError:
                    time.sleep(0.05)
            proc.kill()
            proc.wait()
        log("could not start epmd: Erlang remote workloads are n/a")
        self.failed = True

    def close(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


# -- running ----------------------------------------------------------------------------


def parse_result(stdout, workload):
    """Metrics of the last `RESULT <workload> k=v ...` line, or None."""
    found = None
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "RESULT" and parts[1] == workload:
            metrics = {}
            for kv in parts[2:]:
                k, sep, v = kv.partition("=")
                if not sep:
                    continue
                try:
                    metrics[k] = float(v)
                except ValueError:
                    pass
            found = metrics
    return found


def run_cmd(name, cmd, workload, timeout, idle_wait=0.0, env=None, busy_log=None):
    """Runs one benchmark; its metrics, or None. With --wait-idle, the machine's busy
    fraction just before the run is appended to busy_log (if given)."""
    busy = wait_idle(idle_wait)
    if busy_log is not None:
        busy_log.append(None if busy is None else round(busy, 3))
    log(f"[{name}] {' '.join(cmd)}")
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        log(f"[{name}] {workload}: timed out after {timeout} s")
        return None
    except OSError as e:
        log(f"[{name}] {workload}: cannot run: {e}")
        return None
    dt = time.monotonic() - t0
    if r.returncode != 0:
        log(f"[{name}] {workload}: exit status {r.returncode}\n{r.stderr[-2000:]}")
        return None
    metrics = parse_result(r.stdout, workload)
    if metrics is None:
        log(f"[{name}] {workload}: no RESULT line in output:\n{r.stdout[-2000:]}"
            f"{r.stderr[-2000:]}")
        return None
    log(f"[{name}] {workload}: {metrics} ({dt:.1f} s)")
    return metrics


def cpu_busy(interval=1.0):
    """Fraction of all CPUs busy over `interval` seconds (from /proc/stat), or None."""
    def sample():
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle
    try:
        t0, i0 = sample()
        time.sleep(interval)
        t1, i1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_idle(max_wait):
    """Waits up to max_wait seconds for the machine to be idle (below 10% busy). Returns
    the last busy fraction measured (None if it did not measure)."""
    if max_wait <= 0:
        return None
    deadline = time.monotonic() + max_wait
    while True:
        busy = cpu_busy()
        if busy is None or busy < 0.10:
            return busy
        if time.monotonic() >= deadline:
            log(f"machine still {busy:.0%} busy after {max_wait:.0f} s; running anyway")
            return busy
        log(f"machine {busy:.0%} busy; waiting for it to go idle")


_erl_names = 0


def erlang_cmd(beam_dir, workload, n, transport=None, certs=None):
    # +S 2: two schedulers (two cores); +P: room for the 1M-process spawn workload.
    cmd = ["erl", "-noshell", "+S", "2", "+P", "2000000", "-pa", str(beam_dir)]
    if transport is not None:
        # A distributed node (unique short name, fixed cookie, the private epmd); the
        # program starts its peer node with the same flags.
        global _erl_names
        _erl_names += 1
        cmd += ["-sname", f"snow_bench_{os.getpid()}_{_erl_names}", "-setcookie",
                "snow_bench", "-start_epmd", "false"]
        if transport == "tls":
            cmd += ["-proto_dist", "inet_tls", "-ssl_dist_optfile",
                    str(certs / "erl_dist.conf")]
    return cmd + ["-eval", f'snow_peer_bench:main(["{workload}","{n}"])', "-s", "init",
                  "stop"]


def combine_runs(runs, stat="median"):
    """One value per metric over repeated runs: the median, or with stat="best" the
    best run's value (the highest rate, the lowest time or size). Noise from other work
    on the machine only ever makes a run slower, so on a shared machine the best of a
    few runs is the steadier figure. Ratios are always the median."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    keys = []
    for r in runs:
        for k in r:
            if k not in keys:
                keys.append(k)
    out = {}
    for k in keys:
        vals = [r[k] for r in runs if k in r]
        if stat == "best" and not k.endswith("ratio"):
            out[k] = min(vals) if k in LOWER_IS_BETTER else max(vals)
        else:
            out[k] = statistics.median(vals)
    return out


# -- the compile workload ------------------------------------------------------------------


def gen_snow_tu(k):
    lines = ["// Generated by bench/compare/compare.py: one process whose receive handles",
             f"// {k} distinct message types.",
             "#include <snow/snow.hpp>", "", "#include <cstdint>", ""]
    lines += [f"struct M{i} {{ std::int64_t v; }};" for i in range(k)]
    lines += ["", "snow::Proc f(snow::Self self) {", "  std::int64_t sum = 0;",
              "  for (;;) {", "    co_await self.receive("]
    clauses = [f"        snow::on<M{i}>([&](M{i} m) {{ sum += m.v + {i}; }})"
               for i in range(k)]
    lines.append(",\n".join(clauses) + ");")
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def gen_caf_tu(k):
    lines = ["// Generated by bench/compare/compare.py: one actor whose behavior handles",
             f"// {k} distinct message types, registered with CAF 0.17's type-ID block and",
             "// an inspect() overload per type (what CAF requires of a message type).",
             '#include "caf/all.hpp"', "", "#include <cstdint>", "#include <memory>", ""]
    lines += [f"struct M{i};" for i in range(k)]
    lines += ["", "CAF_BEGIN_TYPE_ID_BLOCK(compile_bench, caf::first_custom_type_id)"]
    lines += [f"  CAF_ADD_TYPE_ID(compile_bench, (M{i}))" for i in range(k)]
    lines += ["CAF_END_TYPE_ID_BLOCK(compile_bench)", ""]
    for i in range(k):
        lines += [f"struct M{i} {{ std::int64_t v; }};",
                  "template <class Inspector>",
                  f"typename Inspector::result_type inspect(Inspector& f, M{i}& x) {{",
                  f'  return f(caf::meta::type_name("M{i}"), x.v);', "}"]
    lines += ["", "caf::behavior f(caf::event_based_actor*) {",
              "  auto sum = std::make_shared<std::int64_t>(0);", "  return {"]
    lines += [f"    [=](const M{i}& m) {{ *sum += m.v + {i}; }}," for i in range(k)]
    lines += ["  };", "}", "",
              "void register_compile_bench_types(caf::actor_system_config& cfg) {",
              "  cfg.add_message_types<caf::id_block::compile_bench>();", "}", ""]
    return "\n".join(lines)


# Runs the compiler in a fresh Python child, so that RUSAGE_CHILDREN's ru_maxrss there
# is the peak RSS of this one compilation (the compiler proper, cc1plus, is the largest
# descendant) and not of some earlier child of ours. Prints "<seconds> <maxrss_kb> <rc>".
_MEASURE = r"""
import resource, subprocess, sys, time
t0 = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
dt = time.monotonic() - t0
sys.stderr.write(r.stderr.decode(errors="replace")[-4000:])
print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)
"""


def measure_compile(name, cmd, timeout, idle_wait=0.0):
    wait_idle(idle_wait)
    log(f"[{name}] compile: {' '.join(cmd)}")
    try:
        r = subprocess.run([sys.executable, "-c", _MEASURE] + cmd, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"[{name}] compile: timed out after {timeout} s")
        return None
    try:
        dt, kb, rc = r.stdout.split()
    except ValueError:
        log(f"[{name}] compile: measuring failed:\n{r.stderr[-2000:]}")
        return None
    if int(rc) != 0:
        log(f"[{name}] compile: failed (exit {rc}):\n{r.stderr[-3000:]}")
        return None
    m = {"compile_s": float(dt), "compile_mb": int(kb) / 1024.0}
    log(f"[{name}] compile: {m}")
    return m


def compile_workload(build_dir, cxx, systems, timeout, snow_include, repeat=1,
                     idle_wait=0.0, stat="median"):
    gen = build_dir / "compile"
    gen.mkdir(parents=True, exist_ok=True)
    out = {}
    if "snow" in systems:
        src = gen / "snow_compile.cpp"
        src.write_text(gen_snow_tu(COMPILE_TYPES))
        cmd = [cxx, "-O2", "-std=c++20", "-I", str(snow_include), "-c", str(src), "-o",
               str(gen / "snow_compile.o")]
        out["snow"] = combine_runs(
            [measure_compile("snow", cmd, timeout, idle_wait) for _ in range(repeat)],
            stat)
    if "caf" in systems:
        src = gen / "caf_compile.cpp"
        src.write_text(gen_caf_tu(COMPILE_TYPES))
        cmd = [cxx, "-O2", "-std=c++20", "-c", str(src), "-o", str(gen / "caf_compile.o")]
        out["caf"] = combine_runs(
            [measure_compile("caf", cmd, timeout, idle_wait) for _ in range(repeat)],
            stat)
    return out


# -- the table --------------------------------------------------------------------------------


def fmt(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def table_rows(w, per, transports):
    """(metric label, metric, {system: value}) for each row of workload w. A remote
    workload has one row per metric and peer transport: snow's (TLS) figure in each, the
    peers' over that transport."""
    if w in REMOTE_WORKLOADS:
        out = []
        for t in transports:
            peers = {s: (per.get(f"{s}@{t}") or {}) for s in PEERS}
            metrics = list(PRIMARY_METRICS[w])
            for m in [per.get("snow") or {}] + list(peers.values()):
                metrics += [k for k in m if k not in metrics]
            label = "snow TLS, peers TCP" if t == "tcp" else "all TLS"
            for k in metrics:
                vals = {"snow": (per.get("snow") or {}).get(k)}
                vals.update({s: m.get(k) for s, m in peers.items()})
                out.append((f"{k} [{label}]", k, vals))
        return out
    metrics = list(PRIMARY_METRICS[w])
    for s in SYSTEMS:
        for k in (per.get(s) or {}):
            if k not in metrics:
                metrics.append(k)
    return [(k, k, {s: (per.get(s) or {}).get(k) for s in SYSTEMS}) for k in metrics]


def best_peer(vals, peers, k):
    """(name, value) of the best peer's figure in vals: the highest, or the lowest for a
    (lower=better) metric; (None, None) when no peer has one."""
    have = [(s, vals.get(s)) for s in peers if vals.get(s) is not None]
    if not have:
        return None, None
    pick = min if k in LOWER_IS_BETTER else max
    return pick(have, key=lambda sv: sv[1])


def floor_value(results, w, k):
    """The floor of metric k of workload w (snow_bench's figure for the floor workload
    in this run), or None."""
    if w not in FLOOR_OF:
        return None
    return result_of(results, FLOOR_OF[w], "snow", k)


def table_cells(results, workloads, ns, transports, systems):
    """Header and rows of the table: one value column per system in the run, then the
    best peer, snow's ratio to it and, when some workload has a floor, snow's ratio to
    the floor."""
    shown = [s for s in SYSTEMS if s in systems]
    peers = [s for s in shown if s != "snow"]
    rows = []
    any_floor = False
    for w in workloads:
        for label, k, vals in table_rows(w, results.get(w, {}), transports):
            name = label + (" (lower=better)" if k in LOWER_IS_BETTER else "")
            best, best_v = best_peer(vals, peers, k)
            floor = floor_value(results, w, k)
            any_floor = any_floor or floor is not None
            rows.append([w, str(ns.get(w, "-")), name] + [fmt(vals.get(s)) for s in shown]
                        + [best or "n/a", ratio(vals.get("snow"), best_v),
                           ratio(vals.get("snow"), floor)])
    header = ["workload", "N", "metric"] + shown + ["best peer", "snow/best", "snow/floor"]
    if not any_floor:
        header = header[:-1]
        rows = [r[:-1] for r in rows]
    return header, rows


def table(results, workloads, ns, transports=TRANSPORTS, systems=SYSTEMS):
    header, rows = table_cells(results, workloads, ns, transports, systems)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = []
    for i, r in enumerate([header] + rows):
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2])]
        cells += [c.rjust(wd) for c, wd in zip(r[3:], widths[3:])]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def markdown_table(results, workloads, ns, transports, systems):
    header, rows = table_cells(results, workloads, ns, transports, systems)
    align = ["---", "---:", "---"] + ["---" if h == "best peer" else "---:" for h in header[3:]]
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, align] + rows)


def result_of(results, w, system, k):
    return ((results.get(w) or {}).get(system) or {}).get(k)


def judge(title, checks):
    """Lines judging each (what, a, b, show, ok) check, under `title`; None if none of
    them can be judged (a figure is missing)."""
    lines = []
    for what, a, b, show, ok in checks:
        if a is None or b is None or a == 0 or b == 0:
            lines.append(f"  {what}: n/a")
        else:
            lines.append(f"  {what}: {show(a, b)}  {'met' if ok(a, b) else 'NOT met'}")
    if all(line.endswith("n/a") for line in lines):
        return None
    return title + "\n" + "\n".join(lines)


def call_targets(results):
    """The call_queued targets (the performance issue): a call with 10,000 messages
    queued runs at >= 0.8x its empty-mailbox rate and >= 1.5x Erlang's gen_server:call
    with the same queue; also snow's queued rate over the best peer's."""
    def get(system, k):
        return result_of(results, "call_queued", system, k)

    snow_q, snow_e = get("snow", "calls_per_s_queued"), get("snow", "calls_per_s_empty")
    peers = {s: get(s, "calls_per_s_queued") for s in PEERS}
    best = max((s for s in peers if peers[s]), key=lambda s: peers[s], default=None)
    rate = lambda a, b: f"{a:,.0f} vs {b:,.0f}: x{a / b:.2f}"
    return judge("targets (call_queued):", [
        ("snow queued >= 0.8x snow empty", snow_q, snow_e, rate, lambda a, b: a >= 0.8 * b),
        ("snow queued >= 1.5x Erlang gen_server:call queued", snow_q, peers["erlang"], rate,
         lambda a, b: a >= 1.5 * b),
        (f"snow queued vs the best peer ({best or 'none'}) queued", snow_q, peers.get(best), rate,
         lambda a, b: a >= b),
    ])


def targets(results):
    """The distribution issue's targets, from the figures of this run (None if none of
    them can be judged)."""
    def get(w, system, k):
        return result_of(results, w, system, k)

    snow_rt = get("remote_pingpong", "snow", "rt_per_s")
    erl_tcp_rt = get("remote_pingpong", "erlang@tcp", "rt_per_s")
    floor_rt = get("socket_pingpong", "snow", "rt_per_s")
    snow_tp = get("remote_throughput", "snow", "msgs_per_s")
    erl_tls_tp = get("remote_throughput", "erlang@tls", "msgs_per_s")
    checks = [
        ("snow (TLS) round trips/s >= Erlang over plain TCP", snow_rt, erl_tcp_rt,
         lambda a, b: f"{a:,.0f} vs {b:,.0f}: x{a / b:.2f}", lambda a, b: a >= b),
        ("snow (TLS) round trips/s within 2x of the plain socket floor", snow_rt,
         floor_rt, lambda a, b: f"{a:,.0f} vs floor {b:,.0f}: floor/snow = {b / a:.2f}",
         lambda a, b: b <= 2 * a),
        ("snow (TLS) msgs/s >= 2x Erlang over TLS", snow_tp, erl_tls_tp,
         lambda a, b: f"{a:,.0f} vs {b:,.0f}: x{a / b:.2f}", lambda a, b: a >= 2 * b),
    ]
    return judge("targets (the distribution issue):", checks)


# -- the results file (--results) ------------------------------------------------------------------


def first_line(cmd, env=None):
    """First line of a command's output (stdout, else stderr), or None if it cannot run."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = (r.stdout.strip() or r.stderr.strip()).splitlines()
    return out[0].strip() if r.returncode == 0 and out else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def peer_versions(systems, cxx):
    """What each peer (and the compiler) is, as the machine reports it now."""
    out = [("C++ compiler", first_line([cxx, "--version"]))]
    if "caf" in systems:
        out.append(("CAF", first_line(["dpkg-query", "-W", "-f", "libcaf-dev ${Version}",
                                       "libcaf-dev"])))
    if "erlang" in systems:
        # The full OTP version (e.g. 25.2.3) is in the release's OTP_VERSION file; the
        # release number alone if that cannot be read.
        out.append(("Erlang/OTP", first_line([
            "erl", "-noshell", "-eval",
            'R = erlang:system_info(otp_release), '
            'F = filename:join([code:root_dir(), "releases", R, "OTP_VERSION"]), '
            'V = case file:read_file(F) of {ok, B} -> string:trim(B); _ -> R end, '
            'io:format("OTP ~s, erts ~s~n", [V, erlang:system_info(version)]), halt().'])))
    if "go" in systems:
        out.append(("Go", first_line(["go", "version"])))
    return [(name, v or "not found") for name, v in out]


def mtime(path):
    """Modification time of path, or None if it does not exist."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def utc(t):
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def every_run_table(raw, workloads):
    """Markdown table of each run's figure (in run order), so the spread behind each
    median or best is on record."""
    rows = ["| workload | system | metric | runs |", "| --- | --- | --- | --- |"]
    for w in workloads:
        for key, runs in (raw.get(w) or {}).items():
            metrics = []
            for r in runs:
                metrics += [k for k in (r or {}) if k not in metrics]
            for k in metrics:
                vals = " / ".join(fmt((r or {}).get(k)) for r in runs)
                rows.append(f"| {w} | {key} | {k} | {vals} |")
    return "\n".join(rows)


def write_results(path, started, load1, args, systems, snow_bin, snow_mtime, md_table,
                  notes, checks, runs_table):
    """The Markdown results file: how, when and where the figures were measured, then the
    table and the checks, exactly as this run printed them, then every run's figures."""
    when = utc(started)
    command = " ".join(shlex.quote(a) for a in [os.path.basename(sys.executable)] + sys.argv)
    commit = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    snow_built = "not found" if snow_mtime is None else "built " + utc(snow_mtime)
    if mtime(snow_bin) != snow_mtime:
        # Another build replaced the binary while this ran: snow's runs may mix the two.
        snow_built += (", and REPLACED during the run (now "
                       + ("gone" if mtime(snow_bin) is None else "built " + utc(mtime(snow_bin)))
                       + "): snow's figures may come from either build")
    lines = [
        "# snow and its peers: the latest comparison run",
        "",
        "Written by `bench/compare/compare.py --results` (`make compare`); do not edit it "
        "by hand, run it again. bench/compare/README.md describes the workloads and how "
        "each peer runs them. Compare ratios within this one run: figures from different "
        "runs or machines do not compare.",
        "",
        f"- Date: {when} (the run took {(time.time() - started) / 60:.1f} min)",
        f"- Command (from `{os.getcwd()}`): `{command}`",
        f"- Machine: {os.cpu_count()} cores (`nproc`: {first_line(['nproc']) or '?'}), "
        f"{cpu_model()}, kernel {platform.release()}, {os_name()}; load average "
        f"{'?' if load1 is None else f'{load1:.2f}'} at the start",
        f"- snow: `{snow_bin}` ({snow_built}); this tree (the script, the peers' "
        f"sources) at commit {commit or '?'}",
    ]
    lines += [f"- {name}: {v}" for name, v in peer_versions(systems, args.cxx)]
    lines += [
        f"- Runs: {args.repeat} per system and workload, interleaved, combined by the "
        f"{args.stat}; N scaled by {args.n_scale:g}"
        + (f"; waited up to {args.wait_idle:g} s for an idle machine before each run"
           if args.wait_idle > 0 else ""),
        "",
        md_table,
        "",
    ]
    lines += [f"- {n}" for n in notes]
    if checks:
        lines += ["", "```"] + checks + ["```"]
    lines += ["", "## Every run", "", runs_table]
    path.write_text("\n".join(lines) + "\n")
    log(f"wrote {path}")


# -- main ----------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                    help="comma-separated subset of: " + " ".join(ALL_WORKLOADS))
    ap.add_argument("--n-scale", type=float, default=1.0,
                    help="multiply every workload's N by this (e.g. 0.1 for a quick run)")
    ap.add_argument("--snow", default=str(REPO / "build" / "bench" / "snow_bench"),
                    help="path to snow's snow_bench binary")
    ap.add_argument("--build-dir", default=str(REPO / "build" / "bench-compare"),
                    help="where the peer benchmarks and generated files are built "
                         "(a relative path is taken from the repository root)")
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help="comma-separated subset of: " + " ".join(SYSTEMS))
    ap.add_argument("--transports", default=",".join(TRANSPORTS),
                    help="remote workloads: the peers' transports, a subset of: tcp tls "
                         "(snow always runs TLS)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each benchmark this many times (combined by --stat)")
    ap.add_argument("--stat", choices=["median", "best"], default="median",
                    help="how --repeat runs are combined: the median, or the best run "
                         "(highest rate, lowest time/size; ratios stay the median)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds before one run is abandoned (reported as n/a)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="before each run, wait up to this long for the machine to be "
                         "idle (other work skews every figure)")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--results", metavar="FILE",
                    help="also write the table as Markdown to FILE, with the date, the "
                         "machine, the peers' versions and this command line (`make "
                         "compare` writes bench/compare/RESULTS.md); replaces FILE")
    args = ap.parse_args()

    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ALL_WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s): {', '.join(bad)}")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    bad = [s for s in systems if s not in SYSTEMS]
    if bad:
        ap.error(f"unknown system(s): {', '.join(bad)}")
    if args.n_scale <= 0:
        ap.error("--n-scale must be positive")
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    bad = [t for t in transports if t not in TRANSPORTS]
    if bad:
        ap.error(f"unknown transport(s): {', '.join(bad)}")

    build_dir = Path(args.build_dir)
    if not build_dir.is_absolute():
        build_dir = REPO / build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    runtime_workloads = [w for w in workloads if w != "compile"]

    caf_bin = build_caf(build_dir, args.cxx) if (
        "caf" in systems and runtime_workloads) else None
    erl_dir = build_erlang(build_dir) if (
        "erlang" in systems and runtime_workloads) else None
    go_bin = build_go(build_dir) if (
        "go" in systems and any(w in GO_WORKLOADS for w in workloads)) else None
    snow_bin = Path(args.snow)
    if not snow_bin.is_absolute():
        snow_bin = (Path.cwd() / snow_bin)
    if "snow" in systems and runtime_workloads and not os.access(snow_bin, os.X_OK):
        log(f"snow bench {snow_bin} not found (snow results will be n/a)")
    snow_mtime = mtime(snow_bin)  # to notice a rebuild of snow_bench during the run

    started = time.time()
    load1 = None
    try:
        load1 = os.getloadavg()[0]
        if load1 > 0.5:
            log(f"warning: load average {load1:.2f} before starting; another job on "
                "this machine will skew the figures (see --wait-idle)")
    except OSError:
        pass

    def erl_env(env):
        # A crashing emulator writes erl_crash.dump into the build directory, not into
        # the current one.
        return dict(env or os.environ, ERL_CRASH_DUMP=str(build_dir / "erl_crash.dump"))

    remote = [w for w in workloads if w in REMOTE_WORKLOADS]
    certs = make_certs(build_dir) if remote and "tls" in transports and (
        "caf" in systems or "erlang" in systems) else None
    epmd = PrivateEpmd()
    # A SIGTERM (e.g. from `timeout`) unwinds through the `finally` that stops epmd.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    ns = {}
    results = {}
    raw = {}
    busy_before = {}  # with --wait-idle: the machine's busy fraction before each run
    try:
        for w in workloads:
            results[w] = {}
            if w == "compile":
                results[w] = compile_workload(build_dir, args.cxx, systems, args.timeout,
                                              REPO / "include", args.repeat,
                                              args.wait_idle, args.stat)
                continue
            n = max(1, round(DEFAULT_N[w] * args.n_scale))
            ns[w] = n
            # (key, system, command, environment); a remote workload runs each peer once
            # per transport, under the key "system@transport".
            cmds = []
            if "snow" in systems and os.access(snow_bin, os.X_OK):
                cmds.append(("snow", "snow", [str(snow_bin), w, str(n)], None))
            if w in REMOTE_WORKLOADS:
                for t in transports:
                    if t == "tls" and certs is None:
                        continue
                    if caf_bin is not None:
                        cmd = [str(caf_bin), w, str(n), t]
                        if t == "tls":
                            cmd.append(str(certs))
                        cmds.append((f"caf@{t}", "caf", cmd, None))
                    if erl_dir is not None:
                        env = epmd.env()
                        if env is not None:
                            cmds.append((f"erlang@{t}", "erlang",
                                         erlang_cmd(erl_dir, w, n, t, certs),
                                         erl_env(env)))
            elif w not in SNOW_ONLY:
                if caf_bin is not None:
                    cmds.append(("caf", "caf", [str(caf_bin), w, str(n)], None))
                if erl_dir is not None:
                    cmds.append(("erlang", "erlang", erlang_cmd(erl_dir, w, n),
                                 erl_env(None)))
                if go_bin is not None and w in GO_WORKLOADS:
                    cmds.append(("go", "go", [str(go_bin), w, str(n)], None))
            # Repeats are interleaved (every system once, then again), so that a
            # stretch of noise from elsewhere on the machine hits all of them alike.
            runs = {key: [] for key, _, _, _ in cmds}
            busy = {key: [] for key, _, _, _ in cmds}
            for _ in range(args.repeat):
                for key, _, cmd, env in cmds:
                    runs[key].append(run_cmd(key, cmd, w, args.timeout, args.wait_idle,
                                             env, busy[key]))
            for key, _, _, _ in cmds:
                raw.setdefault(w, {})[key] = runs[key]
                busy_before.setdefault(w, {})[key] = busy[key]
                results[w][key] = combine_runs(runs[key], args.stat)
    finally:
        epmd.close()

    notes = ["snow/best is snow's figure divided by the best peer's (the highest rate, the "
             "lowest (lower=better) figure): above 1 is better for rates, worse for "
             "(lower=better) rows"]
    if any(w in FLOOR_OF and FLOOR_OF[w] in workloads for w in workloads):
        notes.append("snow/floor is snow's figure divided by the floor's: remote_pingpong "
                     "against socket_pingpong (two snow_bench processes bouncing 8 bytes "
                     "over a plain TCP socket, no TLS, no actors)")
    if remote:
        notes.append("remote workloads: two OS processes over 127.0.0.1; snow's nodes always "
                     "speak TLS 1.3, so [snow TLS, peers TCP] rows set snow's TLS figure "
                     "against the peers' plain TCP")
    checks = [t for t in (targets(results), call_targets(results)) if t]
    print(table(results, workloads, ns, transports, systems))
    for line in notes + checks:
        print(line)
    if args.results:
        write_results(Path(args.results), started, load1, args, systems, snow_bin,
                      snow_mtime, markdown_table(results, workloads, ns, transports, systems),
                      notes, checks, every_run_table(raw, workloads))
    if args.json:
        doc = {"n": ns, "stat": args.stat, "results": results, "runs": raw,
               "busy_before": busy_before}
        Path(args.json).write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
