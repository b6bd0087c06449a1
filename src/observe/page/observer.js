// The snow Observer's page: polls the runtime's JSON API (docs/observer.md) once a second
// and draws the cluster, the supervision trees, the process table and a few charts.
// Plain JavaScript, no library: the page is embedded into libsnow and must work offline.
"use strict";

const POLL_MS = 1000;
const HISTORY = 300;  // samples kept for the charts: five minutes at one a second
const COLORS = ["#3572b0", "#d0402b", "#2e8b57", "#b8860b", "#8a2be2", "#20808f", "#c71585", "#556b2f"];

const state = {
  processes: [],
  supervisors: [],
  sortKey: "pid",
  sortUp: true,
  selected: null,  // the id of the process shown in the panel
  message: null,   // the outcome of the last action, shown in the panel
  previous: null,  // the last /api/metrics, for rates
  samples: [],     // {rate, dead: {reason: per second}, p50, p90, p99, runq: []}
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// -- the cluster --

function drawCluster(node) {
  $("node-name").textContent = node.node ? node.node.name : `a runtime (not a node), ${node.workers} workers`;
  const box = $("cluster");
  box.replaceChildren();
  if (!node.node) { box.append(el("p", { class: "muted", text: "This runtime is not a node: no peers." })); return; }
  const t = el("table", { id: "peers" });
  t.append(el("tr", {}, ...["peer", "rtt ms", "bytes in", "bytes out", "queued"].map((h) => el("th", { text: h }))));
  const now = node.peers;
  for (const p of now) {
    t.append(el("tr", {}, el("td", { text: p.name }), el("td", { class: "num", text: p.rtt_ms == null ? "–" : p.rtt_ms.toFixed(2) }),
      el("td", { class: "num", text: p.bytes_in }), el("td", { class: "num", text: p.bytes_out }),
      el("td", { class: "num", text: p.queued_bytes })));
  }
  if (now.length === 0) t.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "no peer connected" })));
  box.append(t);
  if (node.history.length) {
    const h = el("ul", { id: "node-history" });
    for (const e of node.history.slice(-8).reverse()) {
      h.append(el("li", { text: `${new Date(e.at_ms).toLocaleTimeString()} ${e.node} ${e.event}${e.reason ? ": " + e.reason : ""}` }));
    }
    box.append(h);
  }
}

// -- supervision trees --

function drawSupervisors() {
  const byPid = new Map(state.supervisors.map((s) => [s.pid, s]));
  const childPids = new Set();
  for (const s of state.supervisors) for (const c of s.children) if (c.pid) childPids.add(c.pid);
  const names = new Map(state.processes.map((p) => [p.pid, p.name]));
  const subtree = (sup, label, depth) => {
    const li = el("li");
    const head = el("span", { class: "node sup", "data-pid": sup.pid }, `${label} `, el("span", { class: "muted", text: `${sup.pid} ${sup.strategy}` }),
      el("span", { class: "badge" + (sup.restarts ? " hot" : ""), title: "restarts", text: `${sup.restarts}` }));
    li.append(head);
    const ul = el("ul");
    for (const c of sup.children) {
      const nested = c.pid && byPid.get(c.pid);
      if (nested && depth < 32) { ul.append(subtree(nested, c.child_id, depth + 1)); continue; }
      const node = el("span", { class: "node" + (c.pid ? "" : " down"), "data-child-id": c.child_id, "data-pid": c.pid || "" },
        c.child_id, " ", el("span", { class: "muted", text: c.pid ? `${c.pid}${names.get(c.pid) ? " " + names.get(c.pid) : ""}` : "not running" }),
        el("span", { class: "badge" + (c.restarts ? " hot" : ""), title: "restarts", "data-restarts": c.restarts, text: `${c.restarts}` }));
      if (c.last_exit_reason) node.append(el("span", { class: "reason", title: "last exit reason", text: c.last_exit_reason }));
      if (c.id) node.addEventListener("click", () => select(c.id));
      ul.append(el("li", {}, node));
    }
    li.append(ul);
    return li;
  };
  const box = $("supervisors");
  box.replaceChildren();
  const roots = state.supervisors.filter((s) => !childPids.has(s.pid));
  if (!roots.length) { box.append(el("p", { class: "muted", text: "no supervisor" })); return; }
  const tree = el("ul", { class: "tree" });
  for (const r of roots) tree.append(subtree(r, names.get(r.pid) || "supervisor", 0));
  box.append(tree);
}

// -- the process table --

// Bytes as people read them; the column sorts on the exact number.
const bytes = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;

const kindOf = (p) => p.supervisor ? "supervisor" : p.system ? "system" : p.scoped_actor ? "host thread" : "worker";

function drawProcesses(total, truncated) {
  $("process-count").textContent = `${total}${truncated ? ` (the ${state.processes.length} longest mailboxes shown)` : ""}`;
  const filter = $("filter").value.trim().toLowerCase();
  const key = state.sortKey;
  const value = (p) => key === "kind" ? kindOf(p) : key === "pid" ? Number(p.id) : p[key];
  const rows = state.processes.filter((p) => !filter || `${p.pid} ${p.name} ${p.status} ${kindOf(p)}`.toLowerCase().includes(filter));
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return state.sortUp ? c : -c;
  });
  const body = $("processes").tBodies[0];
  body.replaceChildren(...rows.map((p) => {
    const tr = el("tr", { "data-id": p.id, "data-name": p.name }, el("td", { text: p.pid }), el("td", { text: p.name }),
      el("td", { text: p.status }), el("td", { class: "num", text: p.mailbox }), el("td", { class: "num", text: p.reductions }),
      el("td", { class: "num", text: p.messages_received }),
      el("td", { class: "num", title: `${p.memory_bytes} bytes`, text: bytes(p.memory_bytes) }), el("td", { text: kindOf(p) }));
    if (p.id === state.selected) tr.className = "selected";
    tr.addEventListener("click", () => select(p.id));
    return tr;
  }));
  for (const th of $("processes").tHead.rows[0].cells) {
    th.classList.toggle("sorted", th.dataset.key === key);
    th.classList.toggle("up", th.dataset.key === key && state.sortUp);
  }
}

async function select(id) {
  state.selected = id;
  state.message = null;
  await drawPanel();
  refresh();
}

async function drawPanel() {
  const panel = $("panel");
  const message = state.message;
  if (!state.selected) { panel.hidden = true; return; }
  panel.hidden = false;
  let info;
  try {
    info = await getJson(`/api/process/${state.selected}`);
  } catch (e) {
    panel.replaceChildren(el("h3", { text: "process ended" }), el("p", { class: "muted", text: String(e.message) }),
      messageBox(message));
    return;
  }
  const list = (ps) => ps.length ? ps.map((p) => p.pid).join(" ") : "–";
  const dl = el("dl");
  for (const [k, v] of [["name", info.name || "–"], ["status", info.status], ["kind", kindOf(info)], ["mailbox", info.mailbox],
    ["reductions", info.reductions], ["received", info.messages_received], ["memory", `${bytes(info.memory_bytes)} (${info.memory_bytes} bytes)`], ["traps exits", info.traps_exits],
    ["links", list(info.links)], ["monitors", list(info.monitors)], ["monitored by", list(info.monitored_by)]]) {
    dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  }
  const kill = el("button", { id: "kill", text: "Kill" });
  kill.addEventListener("click", () => act(info, "kill"));
  const shut = el("button", { id: "exit-shutdown", text: "Exit (shutdown)" });
  shut.addEventListener("click", () => act(info, "exit?reason=shutdown"));
  panel.replaceChildren(el("h3", { text: `${info.pid} ${info.name}` }), dl, kill, " ", shut, messageBox(message));
}

const messageBox = (message) =>
  el("div", { id: "action-message", class: "message" + (message && message.error ? " error" : ""), text: message ? message.text : "" });

async function act(info, what) {
  let token = $("token").value.trim();
  if (!token) {
    token = (window.prompt("Action token (printed by the node at start-up)") || "").trim();
    $("token").value = token;
  }
  sessionStorage.setItem("snow-token", token);
  const r = await fetch(`/api/process/${info.id}/${what}`, { method: "POST", headers: { "X-Snow-Token": token } });
  const text = r.ok ? `${what.split("?")[0]} sent to ${info.pid}` : r.status === 403 ? "refused: wrong or missing token" : `failed: ${r.status}`;
  state.message = { text, error: !r.ok };
  await drawPanel();
  refresh();
}

// -- charts --

function percentile(bounds, counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= q * total) return bounds[i] == null ? bounds[i - 1] * 4 : bounds[i];
  }
  return null;
}

function sample(m) {
  const prev = state.previous;
  // A refresh right after another (a click) would make a rate out of a few milliseconds:
  // samples are taken at least half a second apart.
  if (prev && m.now_ms - prev.now_ms < 500) return;
  state.previous = m;
  if (!prev) return;
  const dt = (m.now_ms - prev.now_ms) / 1000;
  const s = { rate: Math.max(0, m.messages_received_live - prev.messages_received_live) / dt, dead: {}, runq: m.run_queues };
  for (const k of Object.keys(m.dead_letters)) s.dead[k] = Math.max(0, m.dead_letters[k] - prev.dead_letters[k]) / dt;
  if (m.histograms && prev.histograms) {
    const h = m.time_in_mailbox, counts = h.counts.map((c, i) => Math.max(0, c - prev.time_in_mailbox.counts[i]));
    s.p50 = percentile(h.bounds_ms, counts, 0.5);
    s.p90 = percentile(h.bounds_ms, counts, 0.9);
    s.p99 = percentile(h.bounds_ms, counts, 0.99);
  }
  state.samples.push(s);
  if (state.samples.length > HISTORY) state.samples.shift();
}

// A legend's colour mark; set through the CSSOM (the server's Content-Security-Policy
// refuses inline style attributes).
function swatch(colour) {
  const i = el("i");
  i.style.background = colour;
  return i;
}

// Draws series (arrays of numbers or null) over the canvas, scaled to their maximum.
function plot(canvas, series, legendId, names) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 4, axis = 36;
  ctx.clearRect(0, 0, w, h);
  let max = 0;
  for (const s of series) for (const v of s) if (v != null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  ctx.fillStyle = "#6a737d";
  ctx.font = "10px sans-serif";
  ctx.fillText(max >= 100 ? max.toFixed(0) : max.toPrecision(2), 2, 12);
  ctx.fillText("0", 2, h - pad);
  ctx.strokeStyle = "#eef1f4";
  ctx.beginPath(); ctx.moveTo(axis, h - pad); ctx.lineTo(w, h - pad); ctx.stroke();
  series.forEach((s, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let drawing = false;
    // The x axis spans the first minute until there is more, then up to HISTORY samples.
    const span = Math.min(HISTORY, Math.max(60, s.length));
    s.forEach((v, x) => {
      if (v == null) { drawing = false; return; }
      const px = axis + (w - axis - pad) * (x + span - s.length) / (span - 1);
      const py = h - pad - (h - 2 * pad) * v / max;
      drawing ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      drawing = true;
    });
    ctx.stroke();
  });
  canvas.dataset.points = String(series.reduce((n, s) => n + s.filter((v) => v != null).length, 0));
  if (legendId) {
    $(legendId).replaceChildren(...names.map((n, i) => el("span", {}, swatch(COLORS[i % COLORS.length]), n)));
  }
}

function drawCharts() {
  const s = state.samples;
  plot($("chart-rate"), [s.map((x) => x.rate)]);
  const reasons = state.previous ? Object.keys(state.previous.dead_letters) : [];
  plot($("chart-dead"), reasons.map((r) => s.map((x) => x.dead[r])), "legend-dead", reasons);
  const histOn = state.previous && state.previous.histograms;
  plot($("chart-mailbox"), ["p50", "p90", "p99"].map((q) => s.map((x) => x[q] ?? null)), "legend-mailbox",
    histOn ? ["p50", "p90", "p99"] : ["histograms are off (RuntimeOptions::histograms)"]);
  const workers = state.previous ? state.previous.run_queues.length : 0;
  const names = Array.from({ length: workers }, (_, i) => `worker ${i}`);
  plot($("chart-runq"), names.map((_, i) => s.map((x) => x.runq[i] ?? null)), "legend-runq", names);
}

// -- the loop --

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [node, procs, sups, metrics] = await Promise.all(
      ["/api/node", "/api/processes", "/api/supervisors", "/api/metrics"].map(getJson));
    state.processes = procs.processes;
    state.supervisors = sups.supervisors;
    sample(metrics);
    drawCluster(node);
    drawSupervisors();
    drawProcesses(procs.total, procs.truncated);
    drawCharts();
    $("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  } catch (e) {
    $("status").textContent = `no answer: ${e.message}`;
  } finally {
    refreshing = false;
  }
}

for (const th of $("processes").tHead.rows[0].cells) {
  th.addEventListener("click", () => {
    state.sortUp = state.sortKey === th.dataset.key ? !state.sortUp : true;
    state.sortKey = th.dataset.key;
    drawProcesses(state.processes.length, false);
  });
}
$("filter").addEventListener("input", () => drawProcesses(state.processes.length, false));
$("token").value = sessionStorage.getItem("snow-token") || "";
refresh();
setInterval(() => { refresh(); if (state.selected) drawPanel(); }, POLL_MS);
