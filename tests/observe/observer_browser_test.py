#!/usr/bin/env python3
"""The Observer in a real browser: Debian's chromium, headless, driven over the DevTools
protocol on a pipe (--remote-debugging-pipe: commands on its fd 3, answers on its fd 4,
each a JSON text ended by a NUL byte), with nothing but Python's standard library.

    observer_browser_test.py --demo build/tests/observer_demo --screenshot OUT.png

Starts observer_demo (a supervised program with a known tree, tests/observe/), opens its
page and checks that the supervision tree, the process table and a chart show the right
names; kills a worker through the page with the token and sees its supervisor restart it;
and checks that the same action without the token, or with a wrong one, is refused.
Saves a screenshot. Exits 77 (skipped) where chromium is missing or cannot start.
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
DEADLINE_S = 50  # the whole test; meson's timeout is the backstop


class DevTools:
    """A DevTools protocol client over chromium's pipe."""

    def __init__(self, write_fd, read_fd):
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, timeout=15):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.write_fd, data):]
        end = time.monotonic() + timeout
        while True:
            reply = self._read(end)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self, end):
        while b"\0" not in self.buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed its pipe")
                self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)


class Page:
    def __init__(self, devtools, session):
        self.dt, self.session = devtools, session

    def eval(self, expression):
        r = self.dt.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": True}, self.session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page: {r['exceptionDetails'].get('text')} in {expression[:80]}")
        return r["result"].get("value")

    def wait_for(self, expression, what, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                value = self.eval(expression)
            except RuntimeError:  # the page is still loading (no body yet, say)
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def read_demo_lines(proc, prefixes, timeout=15):
    """The values of the lines "PREFIX VALUE" the demo prints, read straight from its pipe
    (a buffered reader would hide a second line from select)."""
    found, buffer = {}, b""
    fd = proc.stdout.fileno()
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(found) < len(prefixes):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("observer_demo ended early")
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            key, _, value = line.decode().partition(" ")
            if key in prefixes:
                found[key] = value.strip()
    missing = [p for p in prefixes if p not in found]
    if missing:
        raise TimeoutError(f"observer_demo printed no {missing}")
    return [found[p] for p in prefixes]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def start_chromium(binary, profile):
    # Our ends: we write commands into to_chrome_w, read answers from from_chrome_r.
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--remote-debugging-pipe", f"--user-data-dir={profile}", "--window-size=1400,1300", "about:blank"]
    # bash puts the two pipe ends on the descriptors chromium expects, 3 and 4 (bash, not
    # sh: Debian's dash takes single-digit descriptors only, and ours may be 10 or more).
    proc = subprocess.Popen(["bash", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "bash"] + args,
                            pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "stderr.log"), "wb"))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    return proc, DevTools(to_chrome_w, from_chrome_r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--settle", type=float, default=0, help="seconds more of charts before the screenshot (docs)")
    opts = ap.parse_args()
    started = time.monotonic()

    binary = find_chromium()
    if binary is None:
        print("SKIP: chromium is not installed (scripts/ensure-deps.sh installs it)")
        return SKIP

    demo = subprocess.Popen([opts.demo], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    profile = tempfile.mkdtemp(prefix="snow-observer-test-")
    chrome = None
    try:
        url, token = read_demo_lines(demo, ["observer-url", "observer-token"])
        try:
            chrome, dt = start_chromium(binary, profile)
            dt.call("Browser.getVersion", timeout=20)
        except Exception as e:  # noqa: BLE001: any failure to start is "cannot run here"
            log = open(os.path.join(profile, "stderr.log"), errors="replace").read()[-600:]
            print(f"SKIP: chromium cannot run here ({e}); its stderr ends with:\n{log}")
            return SKIP

        target = dt.call("Target.createTarget", {"url": url})["targetId"]
        session = dt.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(dt, session)

        # 1. The supervision tree, with the names the program gave its children.
        page.wait_for("document.body && document.body.dataset.updates >= 2", "the page's first updates")
        tree_text = page.wait_for(
            "(() => { const t = document.getElementById('supervisors').innerText;"
            " return ['app', 'pool', 'inventory', 'worker_a', 'worker_b', 'pinger'].every(n => t.includes(n)) && t; })()",
            "the supervision tree")
        nested = page.eval("!!document.querySelector('#supervisors ul.tree ul ul [data-child-id=\"worker_a\"]')")
        assert nested, f"worker_a is not drawn under pool under app:\n{tree_text}"

        # 1b. The cluster: this node's name, its peer with a round trip.
        page.wait_for("document.getElementById('node-name').textContent.startsWith('observer_demo@127.0.0.1:')",
                      "the node's name")
        page.wait_for("(() => { const t = document.getElementById('peers'); if (!t) return false;"
                      " const cells = [...t.rows].slice(1).map(r => [...r.cells].map(c => c.textContent));"
                      " return cells.some(c => c[0].startsWith('peer@127.0.0.1:') && c[1] !== '–'); })()",
                      "the peer with its round trip")

        # 2. The process table, with the registered names, and a filter that works.
        for name in ("app", "inventory", "worker_a", "worker_b"):
            page.wait_for(f"!!document.querySelector('#processes tbody tr[data-name=\"{name}\"]')", f"row {name}")
        page.eval("(() => { const f = document.getElementById('filter'); f.value = 'worker_';"
                  " f.dispatchEvent(new Event('input')); })()")
        shown = page.eval("[...document.querySelectorAll('#processes tbody tr')].map(r => r.dataset.name).sort().join(',')")
        assert shown == "worker_a,worker_b", f"filter 'worker_' shows {shown}"
        page.eval("(() => { const f = document.getElementById('filter'); f.value = '';"
                  " f.dispatchEvent(new Event('input')); })()")

        # 2b. The memory column: each row's bytes, and its heading sorts by them (twice: down).
        memory_column = (
            "(() => { const th = document.querySelector('#processes th[data-key=\"memory_bytes\"]');"
            " if (!th.classList.contains('sorted')) return null; const i = [...th.parentNode.cells].indexOf(th);"
            " return JSON.stringify([th.textContent, th.classList.contains('up'),"
            " [...document.querySelectorAll('#processes tbody tr')].map(r => Number(r.cells[i].title.split(' ')[0]))]); })()")
        for clicks, up in ((1, True), (2, False)):
            page.eval("document.querySelector('#processes th[data-key=\"memory_bytes\"]').click()")
            heading, shown_up, values = json.loads(page.wait_for(memory_column, f"the table sorted by memory ({clicks})"))
            assert heading == "memory" and shown_up == up, f"memory heading {heading!r}, up {shown_up}"
            assert values and all(v > 0 for v in values), f"memory column {values}"
            assert values == sorted(values, reverse=not up), f"not sorted by memory (up {up}): {values}"

        # 3. A chart with points: the message rate (the pinger sends all the time).
        page.wait_for("Number(document.getElementById('chart-rate').dataset.points) >= 2", "message rate points")
        page.wait_for("Number(document.getElementById('chart-runq').dataset.points) >= 2", "run queue points")

        # 4. Refused: the same action without the token, and with a wrong one.
        worker_id = page.eval("document.querySelector('#processes tbody tr[data-name=\"worker_a\"]').dataset.id")
        worker_pid = page.eval("document.querySelector('#processes tbody tr[data-name=\"worker_a\"] td').textContent")
        for header in ("{}", "{'X-Snow-Token': 'not-the-token'}"):
            status = page.eval(f"fetch('/api/process/{worker_id}/kill', {{method: 'POST', headers: {header}}})"
                               ".then(r => r.status)")
            assert status == 403, f"a kill with headers {header} answered {status}, not 403"
        refused = page.eval("fetch('/api/metrics').then(r => r.json()).then(m => m.refused_actions)")
        assert refused == 2, f"refused_actions is {refused}, not 2"
        alive = page.eval(f"fetch('/api/process/{worker_id}').then(r => r.status)")
        assert alive == 200, "worker_a died from a refused action"

        # 5. Killed through the page with the token: the supervisor restarts it.
        page.eval(f"document.getElementById('token').value = {json.dumps(token)}")
        page.eval("document.querySelector('#processes tbody tr[data-name=\"worker_a\"]').click()")
        page.wait_for("!!document.getElementById('kill')", "the process panel's kill button")
        page.eval("document.getElementById('kill').click()")
        page.wait_for(f"(document.getElementById('action-message') || {{}}).textContent === 'kill sent to {worker_pid}'",
                      "the kill's confirmation")
        restarted = page.wait_for(
            "(() => { const n = document.querySelector('#supervisors [data-child-id=\"worker_a\"]');"
            " if (!n) return null; const b = n.querySelector('.badge'), r = n.querySelector('.reason');"
            " return b && b.dataset.restarts === '1' && r && r.textContent === 'killed' && n.dataset.pid; })()",
            "worker_a's restart in the tree")
        new_id = page.wait_for("(() => { const r = document.querySelector('#processes tbody tr[data-name=\"worker_a\"]');"
                               f" return r && r.dataset.id !== '{worker_id}' && r.dataset.id; }})()",
                               "the restarted worker_a in the table")
        other = page.eval("document.querySelector('#supervisors [data-child-id=\"worker_b\"] .badge').dataset.restarts")
        assert other == "0", f"worker_b was restarted too ({other})"

        # The screenshot, once the charts have a few more points.
        page.wait_for("Number(document.getElementById('chart-rate').dataset.points) >= 4", "more chart points")
        time.sleep(opts.settle)
        page.eval("document.querySelector('#processes tbody tr[data-name=\"worker_a\"]').click()")
        time.sleep(0.3)
        png = dt.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)["data"]
        import base64
        with open(opts.screenshot, "wb") as f:
            f.write(base64.b64decode(png))
        print(f"ok: tree, table, charts; worker_a {worker_id} killed through the page, restarted as {restarted}"
              f" ({new_id}); 2 refusals without the token; screenshot {opts.screenshot};"
              f" {time.monotonic() - started:.1f} s")
        if time.monotonic() - started > DEADLINE_S:
            print(f"FAIL: took over {DEADLINE_S} s")
            return 1
        return 0
    finally:
        if chrome is not None:
            chrome.kill()
            chrome.wait()
        demo.stdin.close()
        try:
            demo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
