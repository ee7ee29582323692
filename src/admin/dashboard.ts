import type { SeriesPoint } from '../metrics/throughput-series.js';

/** What the dashboard shows; the server fills it in from its live state and the audit store. */
export interface DashboardSnapshot {
  now: string;
  agents: { identity: string; instanceId: string; version: string; address: string; since: string }[];
  tunnels: { id: string; client: string; agent: string; target: string; bytesUp: number; bytesDown: number; ageMs: number }[];
  denies: { time: string; layer: string; rule?: string; identity: string; target?: string; reason: string }[];
  series: SeriesPoint[];
}

export const DASHBOARD_DATA_PATH = '/dashboard.json';

/**
 * The dashboard page: plain HTML and JS, no build step. It holds no data itself; it fetches
 * /dashboard.json every 2 s (with the bearer token from `#token=...` when the listener needs one) and
 * renders every value with textContent, so names from the wire stay text.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Causeway dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
  #status { color: #5b6472; font-size: .85rem; }
  #status.error { color: #b42318; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e6ea; font-variant-numeric: tabular-nums; }
  th { background: #eef0f3; font-weight: 600; }
  td.empty { color: #8a93a0; font-style: italic; }
  canvas { background: #fff; border: 1px solid #e3e6ea; width: 100%; height: 220px; }
  .legend span { display: inline-block; margin-right: 1rem; font-size: .85rem; }
  .sw { display: inline-block; width: .8rem; height: .8rem; vertical-align: middle; margin-right: .3rem; }
</style>
</head>
<body>
<h1>Causeway</h1>
<div id="status">loading…</div>
<h2>Throughput and tunnels, last 15 minutes</h2>
<div class="legend"><span><i class="sw" style="background:#2563eb"></i>bytes/s</span><span><i class="sw" style="background:#d97706"></i>open tunnels</span></div>
<canvas id="plot" width="1000" height="220"></canvas>
<h2>Connected agents</h2>
<table id="agents"><thead><tr><th>identity</th><th>instance</th><th>version</th><th>address</th><th>since</th></tr></thead><tbody></tbody></table>
<h2>Live tunnels</h2>
<table id="tunnels"><thead><tr><th>client</th><th>→ agent</th><th>→ target</th><th>bytes up</th><th>bytes down</th><th>age</th></tr></thead><tbody></tbody></table>
<h2>Recent denies</h2>
<table id="denies"><thead><tr><th>time</th><th>layer</th><th>rule</th><th>identity</th><th>target</th><th>reason</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = token ? { authorization: "Bearer " + token } : {};
function fill(id, rows, columns) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow(); const td = tr.insertCell();
    td.colSpan = columns; td.className = "empty"; td.textContent = "none";
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const value of row) tr.insertCell().textContent = value === undefined ? "" : String(value);
  }
}
function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
}
function age(ms) {
  const s = Math.floor(ms / 1000);
  return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function plot(series) {
  const canvas = document.getElementById("plot"); const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 30;
  g.clearRect(0, 0, w, h);
  const end = Date.now(), start = end - 15 * 60 * 1000;
  const x = (t) => pad + ((t - start) / (end - start)) * (w - 2 * pad);
  g.strokeStyle = "#e3e6ea"; g.beginPath();
  for (let m = 0; m <= 15; m += 5) { g.moveTo(x(start + m * 60000), pad / 2); g.lineTo(x(start + m * 60000), h - pad); }
  g.stroke();
  g.fillStyle = "#5b6472"; g.font = "11px system-ui";
  for (let m = 0; m <= 15; m += 5) g.fillText(m === 15 ? "now" : "-" + (15 - m) + " min", x(start + m * 60000) - 14, h - 10);
  const line = (key, color) => {
    const max = Math.max(1, ...series.map((p) => p[key]));
    g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
    series.forEach((p, i) => { const px = x(p.t), py = h - pad - (p[key] / max) * (h - 2 * pad); i ? g.lineTo(px, py) : g.moveTo(px, py); });
    g.stroke();
    return max;
  };
  const maxBytes = line("bytesPerSecond", "#2563eb");
  const maxTunnels = line("tunnels", "#d97706");
  g.fillStyle = "#2563eb"; g.fillText("max " + bytes(maxBytes) + "/s", pad, 12);
  g.fillStyle = "#d97706"; g.fillText("max " + maxTunnels + " tunnels", w - pad - 90, 12);
}
async function refresh() {
  const status = document.getElementById("status");
  try {
    const res = await fetch("${DASHBOARD_DATA_PATH}", { headers, cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status + (res.status === 401 ? " (add #token=... to the URL)" : ""));
    const d = await res.json();
    fill("agents", d.agents.map((a) => [a.identity, a.instanceId, a.version, a.address, new Date(a.since).toLocaleString()]), 5);
    fill("tunnels", d.tunnels.map((t) => [t.client, t.agent, t.target, bytes(t.bytesUp), bytes(t.bytesDown), age(t.ageMs)]), 6);
    fill("denies", d.denies.map((x) => [new Date(x.time).toLocaleTimeString(), x.layer, x.rule, x.identity, x.target, x.reason]), 6);
    plot(d.series);
    status.className = ""; status.textContent = d.agents.length + " agent(s), " + d.tunnels.length + " live tunnel(s) · updated " + new Date(d.now).toLocaleTimeString();
  } catch (err) {
    status.className = "error"; status.textContent = "cannot refresh: " + err.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
