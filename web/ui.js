// depin-sidecar's built-in page (docs/web-ui.md): leaderboard, provider page,
// network capacity and live events. Reads only the sidecar's HTTP API on the
// same origin (so the browser's basic-auth credentials apply) and writes
// every value with textContent or SVG attributes, never as markup.
"use strict";

const TIERS = ["basic", "bronze", "silver", "gold", "platinum"];
const PAGE_SIZE = 100;
const REFRESH_MS = 30000;      // background refresh when no event arrives
const EVENT_REFRESH_MS = 1000; // events arriving together cause one refresh
const EVENTS_SHOWN = 100;
const RECONNECT_MS = 10000;    // after the server refused the event stream
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- helpers

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "–";
  if (typeof v !== "number") return String(v);
  return v.toFixed(digits === undefined ? 1 : digits);
}

function utcTime(ms) {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

function clockTime(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  if (seconds < 120) return Math.round(seconds) + " s";
  if (seconds < 7200) return Math.round(seconds / 60) + " min";
  if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h";
  return (seconds / 86400).toFixed(1) + " d";
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function cell(tr, text, className) {
  return tr.appendChild(el("td", text, className));
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

// A horizontal bar of `fraction` (0..1) with a tooltip.
function bar(fraction, title, width, extraClass) {
  const w = width || 100;
  const f = isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const s = svg("svg", {width: w, height: 10, class: "bar", role: "img", "aria-label": title});
  svg("title", {}, s).textContent = title;
  svg("rect", {x: 0, y: 0, width: w, height: 10, class: "bar-bg"}, s);
  svg("rect", {x: 0, y: 0, width: (f * w).toFixed(1), height: 10,
               class: "bar-fg" + (extraClass ? " " + extraClass : "")}, s);
  return s;
}

function tierBadge(tier) {
  return el("span", tier || "unscored", "tier " + (tier ? "tier-" + tier : "tier-none"));
}

function providerLink(id) {
  const a = el("a", id);
  a.href = "#/provider/" + encodeURIComponent(id);
  return a;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

class HttpError extends Error {
  constructor(url, status, message) {
    super(url + ": HTTP " + status + (message ? " (" + message + ")" : ""));
    this.status = status;
  }
}

async function getText(url) {
  // Absolute from the origin: a page opened as http://user:pass@host/ui
  // would otherwise resolve relative URLs with the credentials in them,
  // which fetch() refuses; the browser sends its cached credentials anyway.
  const r = await fetch(location.origin + url, {cache: "no-store"});
  const body = await r.text();
  if (!r.ok) {
    let message = body.trim();
    try { message = JSON.parse(body).error || message; } catch (e) { /* plain text */ }
    throw new HttpError(url, r.status, message.slice(0, 200));
  }
  return body;
}

async function getJson(url) {
  return JSON.parse(await getText(url));
}

function showError(err) {
  const box = $("error");
  if (!err) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.textContent = err.status === 503
      ? "Waiting for the sidecar's first evaluation…"
      : "Could not load data: " + err.message;
}

// ---------------------------------------------------------------- routing
// #/?region=..&gpu_model=..&tier=..&min_score=..&sort=..&order=..&offset=..
// is the leaderboard with those filters; #/provider/<id> a provider page.

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const m = hash.match(/^\/provider\/(.+)$/);
  if (m) return {view: "provider", id: decodeURIComponent(m[1])};
  const q = hash.indexOf("?");
  return {view: "board", params: new URLSearchParams(q < 0 ? "" : hash.slice(q + 1))};
}

function setBoardParams(params) {
  for (const [k, v] of [...params.entries()]) if (v === "" || v === null) params.delete(k);
  const text = params.toString();
  location.hash = "#/" + (text ? "?" + text : "");
}

// ---------------------------------------------------------------- leaderboard

const FILTERS = {"f-region": "region", "f-gpu": "gpu_model", "f-tier": "tier", "f-score": "min_score"};

function syncFilterControls(params) {
  for (const [id, name] of Object.entries(FILTERS)) {
    const control = $(id);
    const value = params.get(name) || "";
    if (control.tagName === "SELECT" && value && ![...control.options].some((o) => o.value === value)) {
      control.appendChild(new Option(value, value));  // not (yet) in the network's list
    }
    control.value = value;
  }
  const sort = params.get("sort") || "rank";
  for (const b of document.querySelectorAll("#board th button")) {
    if (b.dataset.sort === sort) {
      const order = params.get("order") || (["rank", "price", "id"].includes(sort) ? "asc" : "desc");
      b.setAttribute("aria-sort", order === "asc" ? "ascending" : "descending");
    } else {
      b.removeAttribute("aria-sort");
    }
  }
}

function onFilterChange() {
  const params = route().params || new URLSearchParams();
  for (const [id, name] of Object.entries(FILTERS)) params.set(name, $(id).value.trim());
  params.delete("offset");
  setBoardParams(params);
}

async function loadBoard(params) {
  const q = new URLSearchParams(params);
  q.set("limit", String(PAGE_SIZE));
  const page = await getJson("/api/v1/providers?" + q);
  const body = $("board").tBodies[0];
  clear(body);
  for (const p of page.providers) {
    const tr = document.createElement("tr");
    tr.dataset.provider = p.id;
    cell(tr, fmt(p.rank, 0), "num");
    cell(tr, "").appendChild(providerLink(p.id));
    cell(tr, p.region);
    cell(tr, p.gpu_model);
    cell(tr, "").appendChild(tierBadge(p.tier));
    const rep = cell(tr, fmt(p.reputation) + " ", "num");
    rep.appendChild(bar((p.reputation || 0) / 100, "reputation " + fmt(p.reputation), 60));
    cell(tr, fmt(p.performance), "num");
    cell(tr, fmt(p.confidence, 2), "num");
    cell(tr, p.penalty_points ? fmt(p.penalty_points) : "", "num");
    cell(tr, fmt(p.price_per_gpu_hour, 2), "num");
    cell(tr, fmt(p.gpus_free, 0), "num");
    body.appendChild(tr);
  }
  const offset = page.offset || 0;
  const filtered = [...params.keys()].some((k) => ["region", "gpu_model", "tier", "min_score"].includes(k));
  $("board-summary").textContent = page.total === 0
      ? "No provider matches these filters."
      : page.total + (filtered ? " matching" : "") + " provider" + (page.total === 1 ? "" : "s");
  $("page-info").textContent = page.total > PAGE_SIZE
      ? (offset + 1) + "–" + (offset + page.providers.length) + " of " + page.total : "";
  $("page-prev").hidden = page.total <= PAGE_SIZE;
  $("page-next").hidden = page.total <= PAGE_SIZE;
  $("page-prev").disabled = offset === 0;
  $("page-next").disabled = offset + page.providers.length >= page.total;
  $("board").dataset.offset = String(offset);
}

function turnPage(delta) {
  const params = route().params;
  const offset = Math.max(0, (Number(params.get("offset")) || 0) + delta * PAGE_SIZE);
  params.set("offset", offset ? String(offset) : "");
  setBoardParams(params);
}

function sortBy(key) {
  const params = route().params;
  const current = params.get("sort") || "rank";
  if (current === key) {
    const defaultAsc = ["rank", "price", "id"].includes(key);
    const order = params.get("order") || (defaultAsc ? "asc" : "desc");
    params.set("order", order === "asc" ? "desc" : "asc");
  } else {
    params.set("sort", key === "rank" ? "" : key);
    params.delete("order");
  }
  params.delete("offset");
  setBoardParams(params);
}

// ---------------------------------------------------------------- network

function fillOptions(select, values) {
  const keep = select.value;
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (!have.has(v)) select.appendChild(new Option(v, v));
  select.value = keep;
}

function tierChart(tiers, scored) {
  const box = $("tier-chart");
  clear(box);
  const width = 480;
  const s = svg("svg", {width: width, height: 40, role: "img",
                        "aria-label": "scored providers per tier"}, box);
  let x = 0;
  for (const t of TIERS) {
    const n = (tiers && tiers[t]) || 0;
    if (!n || !scored) continue;
    const w = (n / scored) * width;
    const r = svg("rect", {x: x.toFixed(1), y: 0, width: w.toFixed(1), height: 18,
                           class: "seg-" + t}, s);
    svg("title", {}, r).textContent = t + ": " + n;
    if (w > 40) {
      svg("text", {x: (x + 4).toFixed(1), y: 32}, s).textContent = t + " " + n;
    }
    x += w;
  }
  if (!scored) svg("text", {x: 0, y: 14, class: "muted"}, s).textContent = "no provider scored yet";
}

function capacityCell(tr, allocated, total) {
  const td = cell(tr, fmt(allocated, 0) + " / " + fmt(total, 0) + " ", "num");
  const share = total ? allocated / total : 0;
  td.appendChild(bar(share, Math.round(share * 100) + " % allocated", 120, share >= 0.9 ? "high" : ""));
  return td;
}

async function loadNetwork() {
  const n = await getJson("/api/v1/network");
  $("network-summary").textContent = n.providers + " providers, " + n.scored + " scored, " +
      n.regions.length + " region" + (n.regions.length === 1 ? "" : "s");
  tierChart(n.tiers, n.scored);
  const regions = $("regions").tBodies[0];
  clear(regions);
  for (const r of n.regions) {
    const tr = document.createElement("tr");
    tr.dataset.region = r.region;
    cell(tr, r.region);
    cell(tr, String(r.providers), "num");
    cell(tr, String(r.providers_down), "num" + (r.providers_down ? " warn" : ""));
    capacityCell(tr, r.gpus_allocated, r.gpus_total);
    const warnings = [];
    if (r.correlated_failure) warnings.push("correlated failure");
    if (r.capacity_exhaustion_seconds !== null && r.capacity_exhaustion_seconds !== undefined) {
      warnings.push("GPUs run out in " + duration(r.capacity_exhaustion_seconds));
    }
    cell(tr, warnings.join("; "), "warn");
    regions.appendChild(tr);
  }
  const models = $("gpu-models").tBodies[0];
  clear(models);
  for (const g of n.gpu_models) {
    const tr = document.createElement("tr");
    cell(tr, g.gpu_model);
    cell(tr, String(g.providers), "num");
    capacityCell(tr, g.gpus_allocated, g.gpus_total);
    models.appendChild(tr);
  }
  fillOptions($("f-region"), n.regions.map((r) => r.region));
  fillOptions($("f-gpu"), n.gpu_models.map((g) => g.gpu_model));
}

// ---------------------------------------------------------------- provider

const liveAnomalies = new Map();  // provider -> [{timestamp_ms, signal}] seen on the stream

function renderComponents(p) {
  const body = $("components").tBodies[0];
  clear(body);
  for (const c of p.components || []) {
    const tr = document.createElement("tr");
    tr.dataset.component = c.component;
    cell(tr, c.component);
    cell(tr, fmt(c.weight, 2), "num");
    cell(tr, fmt(c.value, 3), "num");
    const contribution = c.value === null ? null : 100 * c.weight * c.value;
    const td = cell(tr, fmt(contribution) + " ", "num");
    td.appendChild(bar(c.value === null ? 0 : c.weight * c.value, "weight × value = " +
                       fmt(contribution) + " of 100", 100 * c.weight));
    cell(tr, c.reason);
    body.appendChild(tr);
  }
  const crit = $("criteria").tBodies[0];
  clear(crit);
  for (const c of p.criteria || []) {
    const tr = document.createElement("tr");
    cell(tr, c.criterion);
    cell(tr, fmt(c.weight, 2), "num");
    cell(tr, fmt(c.value, 3), "num");
    cell(tr, "").appendChild(bar(c.value || 0, c.criterion + " " + fmt(c.value, 3), 100));
    crit.appendChild(tr);
  }
  $("p-reputation").textContent = "Reputation " + fmt(p.reputation) + " = weighted criteria " +
      fmt(p.raw_reputation) + (p.penalty_points ? " − penalties " + fmt(p.penalty_points) : "") + ".";
  const rel = p.reliability || {};
  $("p-reliability").textContent = "Uptime " + (rel.uptime_ratio === null || rel.uptime_ratio === undefined
      ? "–" : fmt(100 * rel.uptime_ratio, 2) + " %") + ", " + rel.outages + " outage" +
      (rel.outages === 1 ? "" : "s") + ", MTBF " + duration(rel.mtbf_seconds) + ", MTTR " +
      duration(rel.mttr_seconds) + ".";
}

function tierOrNumber(kind, v) {
  if (kind === "tier" && Number.isInteger(v) && v >= 0 && v < TIERS.length) return TIERS[v];
  return fmt(v, 2);
}

const INCIDENT_KINDS = {tier: "tier change", penalty: "penalty", score: "score move"};

function renderIncidents(p, audit) {
  const rows = [];
  for (const r of audit.records || []) {
    rows.push({t: r.timestamp_ms, kind: INCIDENT_KINDS[r.kind] || r.kind, what: r.rule,
               change: tierOrNumber(r.kind, r.before) + " → " + tierOrNumber(r.kind, r.after),
               inputs: r.inputs});
  }
  for (const a of liveAnomalies.get(p.id) || []) {
    rows.push({t: a.timestamp_ms, kind: "anomaly", what: a.signal, change: "turned anomalous",
               inputs: ""});
  }
  rows.sort((a, b) => b.t - a.t);
  const body = $("incidents").tBodies[0];
  clear(body);
  for (const s of p.anomalous_signals || []) {
    const tr = el("tr");
    tr.dataset.kind = "anomaly";
    cell(tr, "now", "nowrap");
    cell(tr, "anomaly", "warn");
    cell(tr, s);
    cell(tr, "anomalous now");
    cell(tr, "");
    body.appendChild(tr);
  }
  for (const r of rows.slice(0, 200)) {
    const tr = el("tr");
    tr.dataset.kind = r.kind;
    cell(tr, utcTime(r.t), "nowrap");
    cell(tr, r.kind, r.kind === "penalty" || r.kind === "anomaly" ? "nowrap warn" : "nowrap");
    cell(tr, r.what);
    cell(tr, r.change, "num");
    cell(tr, r.inputs);
    body.appendChild(tr);
  }
  if (!body.rows.length) {
    const tr = el("tr");
    const td = cell(tr, "No incident recorded.");
    td.colSpan = 5;
    body.appendChild(tr);
  }
}

// Prometheus durations as FormatDuration writes them ("90s", "1h30m", "1d").
function durationMs(text) {
  const units = {ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10};
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * units[m[2]];
  return total;
}

// A selector for one provider's series of `metric` (label value quoted as
// Prometheus does).
function providerSelector(metric, provider) {
  return metric + '{provider="' + provider.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"}';
}

// The derived-series history (docs/query.md) of one selector: the matrix's
// series. Without start and end the server takes its own last hour.
async function history(selector, step) {
  const q = new URLSearchParams({"match[]": selector, step: String(step)});
  const answer = await getJson("/api/v1/history?" + q);
  return (answer.data && answer.data.result) || [];
}

// signal -> [{horizon, ms, lower, mean, upper}] from the forecast series'
// newest values.
function forecastPoints(series) {
  const out = {};
  for (const s of series) {
    const m = s.metric;
    if (!s.values.length) continue;
    const value = Number(s.values[s.values.length - 1][1]);
    const points = out[m.signal] || (out[m.signal] = {});
    const point = points[m.horizon] ||
        (points[m.horizon] = {horizon: m.horizon, ms: durationMs(m.horizon)});
    point[m.bound] = value;
  }
  const result = {};
  for (const [signal, points] of Object.entries(out)) {
    result[signal] = Object.values(points).sort((a, b) => a.ms - b.ms);
  }
  return result;
}

function forecastChart(signal, points) {
  const fig = el("figure");
  fig.dataset.signal = signal;
  fig.appendChild(el("figcaption", signal));
  const W = 300, H = 130, L = 48, R = 20, T = 8, B = 22;
  const s = svg("svg", {width: W, height: H, role: "img", "aria-label": signal + " forecast"}, fig);
  const finite = points.filter((p) => isFinite(p.lower) && isFinite(p.upper) && isFinite(p.mean));
  if (!finite.length) {
    svg("text", {x: L, y: H / 2, class: "muted"}, s).textContent = "no finite forecast";
    return fig;
  }
  let lo = Math.min(...finite.map((p) => p.lower));
  let hi = Math.max(...finite.map((p) => p.upper));
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.08;
  lo -= pad; hi += pad;
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const x = (i) => finite.length === 1 ? (L + W - R) / 2 : L + (W - L - R) * i / (finite.length - 1);
  svg("line", {x1: L, y1: T, x2: L, y2: H - B, class: "axis"}, s);
  svg("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis"}, s);
  for (const v of [hi - pad, lo + pad]) {
    svg("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "muted"}, s).textContent =
        Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
  }
  const upper = finite.map((p, i) => x(i).toFixed(1) + "," + y(p.upper).toFixed(1));
  const lower = finite.map((p, i) => x(i).toFixed(1) + "," + y(p.lower).toFixed(1)).reverse();
  if (finite.length === 1) {
    svg("rect", {x: x(0) - 8, y: y(finite[0].upper), width: 16,
                 height: Math.max(1, y(finite[0].lower) - y(finite[0].upper)), class: "band"}, s);
  } else {
    svg("polygon", {points: upper.concat(lower).join(" "), class: "band"}, s);
    svg("polyline", {points: finite.map((p, i) => x(i).toFixed(1) + "," + y(p.mean).toFixed(1)).join(" "),
                     class: "mean"}, s);
  }
  finite.forEach((p, i) => {
    const dot = svg("circle", {cx: x(i).toFixed(1), cy: y(p.mean).toFixed(1), r: 3, class: "dot"}, s);
    svg("title", {}, dot).textContent = "in " + p.horizon + ": " + p.mean.toPrecision(4) + " (80 %: " +
        p.lower.toPrecision(4) + " … " + p.upper.toPrecision(4) + ")";
    svg("text", {x: x(i).toFixed(1), y: H - 6, "text-anchor": "middle", class: "muted"}, s)
        .textContent = "+" + p.horizon;
  });
  return fig;
}

// The reputation over the server's last hour, one point a minute.
function reputationChart(values) {
  const box = $("reputation-chart");
  clear(box);
  const points = values.map(([t, v]) => [Number(t), Number(v)]).filter(([, v]) => isFinite(v));
  box.dataset.points = String(points.length);
  if (points.length < 2) {
    box.appendChild(el("p", "Not enough history yet (one point a minute).", "hint"));
    return;
  }
  box.appendChild(el("p", "Reputation over the last hour, one point a minute:", "hint"));
  const W = 480, H = 90, L = 36, R = 8, T = 6, B = 18;
  const s = svg("svg", {width: W, height: H, role: "img", "aria-label": "reputation, last hour"}, box);
  const t0 = points[0][0], t1 = points[points.length - 1][0];
  const x = (t) => L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0);
  const y = (v) => T + (H - T - B) * (1 - v / 100);
  svg("line", {x1: L, y1: T, x2: L, y2: H - B, class: "axis"}, s);
  svg("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis"}, s);
  for (const v of [0, 50, 100]) {
    svg("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "muted"}, s).textContent = v;
  }
  svg("text", {x: L, y: H - 4, class: "muted"}, s).textContent = clockTime(t0 * 1000);
  svg("text", {x: W - R, y: H - 4, "text-anchor": "end", class: "muted"}, s).textContent =
      clockTime(t1 * 1000) + " UTC";
  svg("polyline", {points: points.map(([t, v]) => x(t).toFixed(1) + "," + y(v).toFixed(1)).join(" "),
                   class: "mean"}, s);
}

// Forecast band and reputation history from /api/v1/history; loaded when
// the page opens and every 30 s, not on every event.
async function loadHistory(id) {
  const [forecastSeries, reputation] = await Promise.all([
    history(providerSelector("depin_provider_forecast", id), 3600),
    history(providerSelector("depin_provider_reputation_score", id), 60)]);
  if (route().id !== id) return;
  reputationChart(reputation.length ? reputation[0].values : []);
  const forecasts = forecastPoints(forecastSeries);
  const box = $("forecast");
  clear(box);
  const signals = Object.keys(forecasts).sort();
  for (const signal of signals) box.appendChild(forecastChart(signal, forecasts[signal]));
  if (!signals.length) {
    box.appendChild(el("p", "No forecast yet: a model forecasts after two seasons of data " +
                           "(forecast.season), or forecasts are disabled.", "hint"));
  }
  box.dataset.provider = id;
}

async function loadProvider(id, withHistory) {
  const path = "/api/v1/providers/" + encodeURIComponent(id);
  const [p, audit] = await Promise.all([getJson(path), getJson(path + "/audit")]);
  if (route().id !== id) return;  // navigated away meanwhile
  $("p-title").textContent = "Provider " + p.id;
  const summary = $("p-summary");
  clear(summary);
  summary.appendChild(tierBadge(p.tier));
  summary.appendChild(document.createTextNode(
      " rank " + fmt(p.rank, 0) + (p.percentile === null ? "" : " (percentile " + fmt(p.percentile) + ")") +
      " · reputation " + fmt(p.reputation) + " · performance " + fmt(p.performance) +
      " · confidence " + fmt(p.confidence, 2) + " · " + p.region + " · " + p.gpu_model +
      " · $" + fmt(p.price_per_gpu_hour, 2) + "/GPU-h · " + fmt(p.gpus_free, 0) + " free GPUs"));
  $("p-note").hidden = !p.reason;
  $("p-note").textContent = p.reason || "";
  renderComponents(p);
  renderIncidents(p, audit);
  $("view-provider").dataset.provider = id;
  if (withHistory) await loadHistory(id);
}

// ---------------------------------------------------------------- views

let refreshing = null;
let refreshAgain = false;
let lastHistoryMs = 0;

// Reloads what the current view shows; calls that arrive while a load runs
// are folded into one more load after it.
function refresh(reason) {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  const r = route();
  const board = r.view === "board";
  $("view-board").hidden = !board;
  $("view-network").hidden = !board;
  $("view-provider").hidden = board;
  let work;
  if (board) {
    syncFilterControls(r.params);
    work = Promise.all([loadNetwork(), loadBoard(r.params)]);
  } else {
    const now = Date.now();
    const withHistory = reason !== "event" || now - lastHistoryMs > REFRESH_MS ||
        $("forecast").dataset.provider !== r.id;
    if (withHistory) lastHistoryMs = now;
    work = loadProvider(r.id, withHistory);
  }
  refreshing = work.then(() => {
    showError(null);
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    document.body.dataset.view = r.view;
  }, (err) => {
    showError(err);
    console.error(err);
  }).finally(() => {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refresh(reason);
    }
  });
  return refreshing;
}

// ---------------------------------------------------------------- live events

let eventCount = 0;
let eventTimer = null;

function describe(kind, d) {
  switch (kind) {
    case "tier_change": return d.provider + " tier " + d.before + " → " + d.after;
    case "penalty": return d.provider + " penalty " + d.rule + ": " + fmt(d.before) + " → " +
        fmt(d.after) + " points";
    case "score_move": return d.provider + " " + d.rule + ": " + fmt(d.before) + " → " + fmt(d.after);
    case "anomaly": return d.provider + " " + d.signal + " anomalous";
    case "capacity_warning": return d.region + " " + String(d.warning).replace(/_/g, " ") +
        (d.exhaustion_seconds !== undefined ? " (" + duration(d.exhaustion_seconds) + ")" : "");
    default: return JSON.stringify(d);
  }
}

function onEvent(e) {
  let d = {};
  try { d = JSON.parse(e.data); } catch (err) { /* shown raw below */ }
  eventCount++;
  const when = d.timestamp_ms ? clockTime(d.timestamp_ms) : clockTime(Date.now());
  const text = describe(e.type, d);
  $("event-count").textContent = String(eventCount);
  $("last-event").textContent = when + " " + e.type + " " + text;
  $("live").dataset.lastEventId = e.lastEventId;

  const li = el("li");
  li.dataset.kind = e.type;
  li.appendChild(document.createTextNode(when + " "));
  li.appendChild(el("span", e.type, "kind kind-" + e.type));
  li.appendChild(document.createTextNode(" "));
  if (d.provider) {
    li.appendChild(providerLink(d.provider));
    li.appendChild(document.createTextNode(" " + text.slice(d.provider.length + 1)));
  } else {
    li.appendChild(document.createTextNode(text));
  }
  const list = $("events");
  $("events-empty").hidden = true;
  list.insertBefore(li, list.firstChild);
  while (list.children.length > EVENTS_SHOWN) list.removeChild(list.lastChild);

  if (e.type === "anomaly" && d.provider) {
    const seen = liveAnomalies.get(d.provider) || [];
    seen.push({timestamp_ms: d.timestamp_ms || Date.now(), signal: d.signal});
    liveAnomalies.set(d.provider, seen.slice(-100));
  }
  if (!eventTimer) {
    eventTimer = setTimeout(() => {
      eventTimer = null;
      refresh("event");
    }, EVENT_REFRESH_MS);
  }
}

function connectEvents() {
  const state = $("live-state");
  const source = new EventSource("/api/v1/events");
  source.onopen = () => {
    state.dataset.state = "connected";
    state.textContent = "live";
  };
  // EventSource reconnects by itself (with Last-Event-ID) after a network
  // error, but gives up on an HTTP error (503 past the server's stream cap):
  // then a new one is opened a little later.
  source.onerror = () => {
    state.dataset.state = "reconnecting";
    state.textContent = "reconnecting…";
    if (source.readyState === EventSource.CLOSED) setTimeout(connectEvents, RECONNECT_MS);
  };
  for (const kind of ["tier_change", "penalty", "score_move", "anomaly", "capacity_warning"]) {
    source.addEventListener(kind, onEvent);
  }
}

// ---------------------------------------------------------------- start

function start() {
  for (const id of Object.keys(FILTERS)) $(id).addEventListener("change", onFilterChange);
  $("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    onFilterChange();
  });
  $("f-reset").addEventListener("click", () => setBoardParams(new URLSearchParams()));
  $("page-prev").addEventListener("click", () => turnPage(-1));
  $("page-next").addEventListener("click", () => turnPage(1));
  for (const b of document.querySelectorAll("#board th button")) {
    b.addEventListener("click", () => sortBy(b.dataset.sort));
  }
  window.addEventListener("hashchange", () => {
    window.scrollTo(0, 0);
    refresh("navigation");
  });
  refresh("start");
  setInterval(() => refresh("timer"), REFRESH_MS);
  connectEvents();
}

start();
