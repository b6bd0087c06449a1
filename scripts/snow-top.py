#!/usr/bin/env python3
"""snow top: a node's processes in the terminal, from its Observer's JSON API.

    scripts/snow-top.py http://127.0.0.1:9464/            refreshes every second (^C ends)
    scripts/snow-top.py --once --sort reductions URL      one table, then exits

Reads /api/metrics and /api/processes (docs/observer.md); needs the node to run its
MetricsEndpoint with observer = true. Python's standard library only.
"""
import argparse
import json
import sys
import time
import urllib.request

SORTS = {"mailbox": "mailbox", "reductions": "reductions", "received": "messages_received", "memory": "memory_bytes",
         "pid": "id"}


def human_bytes(n):
    """Bytes in at most 7 characters: 512B, 3.4K, 12.0M (powers of 1024)."""
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024


def get(base, path):
    with urllib.request.urlopen(base.rstrip("/") + path, timeout=5) as r:
        return json.load(r)


def table(base, sort, limit, previous):
    m = get(base, "/api/metrics")
    procs = get(base, "/api/processes")
    rate = ""
    if previous is not None:
        dt = max(0.001, (m["now_ms"] - previous["now_ms"]) / 1000)
        rate = f", {max(0, m['messages_received_live'] - previous['messages_received_live']) / dt:.0f} msg/s"
    dead = m["dead_letters"]
    lines = [
        f"snow top  {base}  {m['processes']} processes, {m['workers']} workers{rate}",
        f"mailboxes {m['mailbox_messages']} messages (longest {m['mailbox_max']}); run queues {m['run_queues']}; "
        f"dead letters {sum(dead.values())} ({', '.join(f'{k} {v}' for k, v in dead.items())})",
        "",
        f"{'PID':<14} {'NAME':<22} {'STATUS':<9} {'MAILBOX':>8} {'REDUCTIONS':>12} {'RECEIVED':>10} {'MEMORY':>8}  KIND",
    ]
    rows = procs["processes"]
    key = SORTS[sort]
    rows.sort(key=lambda p: int(p[key]) if key == "id" else p[key], reverse=key != "id")
    for p in rows[:limit]:
        kind = "supervisor" if p["supervisor"] else "system" if p["system"] else "host" if p["scoped_actor"] else "worker"
        lines.append(f"{p['pid']:<14} {p['name'][:22]:<22} {p['status']:<9} {p['mailbox']:>8} {p['reductions']:>12} "
                     f"{p['messages_received']:>10} {human_bytes(p['memory_bytes']):>8}  {kind}")
    return "\n".join(lines), m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="the Observer's address, e.g. http://127.0.0.1:9464/")
    ap.add_argument("--once", action="store_true", help="print one table and exit")
    ap.add_argument("--sort", choices=sorted(SORTS), default="mailbox")
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    previous = None
    try:
        while True:
            text, previous = table(args.url, args.sort, args.limit, previous)
            if args.once:
                print(text)
                return 0
            sys.stdout.write("\033[H\033[2J" + text + "\n")
            sys.stdout.flush()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    except OSError as e:
        print(f"snow top: {args.url}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
