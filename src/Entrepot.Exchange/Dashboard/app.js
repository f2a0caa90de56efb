// The exchange's dashboard: polls /admin/dashboard every two seconds and draws the cable network,
// the sellers, live flows along their cable paths, the price index, compliance interventions and
// the ledger's health. Plain modules, no third-party code.
import { LAND } from "/dashboard/world.js";

const W = 1000, H = 470, CENTRE = 10, TOP = 75, BOTTOM = -50;
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#ffd166", "#4fb3d9", "#5ad17a", "#c792ea", "#ff8c61", "#9fb3c4", "#f25f9a"];
const $ = (sel) => document.querySelector(sel);
let key = null, last = null, selected = null, timer = null;

const x = (lon) => (((lon - CENTRE + 540) % 360) / 360) * W;
const y = (lat) => ((TOP - lat) / (TOP - BOTTOM)) * H;

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  if (cls) td.className = cls;
  return td;
}

// Points along the great circle between two places, longitudes unwrapped so a line crossing the
// map's edge stays continuous (it is drawn twice, one copy a map-width over, and clipped).
function arc(a, b, steps = 24) {
  const r = Math.PI / 180, p1 = [a[1] * r, a[0] * r], p2 = [b[1] * r, b[0] * r];
  const d = 2 * Math.asin(Math.sqrt(Math.sin((p2[0] - p1[0]) / 2) ** 2 + Math.cos(p1[0]) * Math.cos(p2[0]) * Math.sin((p2[1] - p1[1]) / 2) ** 2));
  const pts = [];
  for (let i = 0; i <= steps; i++) {
    const f = i / steps;
    let lat, lon;
    if (d < 1e-6) { lat = a[1]; lon = a[0]; } else {
      const A = Math.sin((1 - f) * d) / Math.sin(d), B = Math.sin(f * d) / Math.sin(d);
      const X = A * Math.cos(p1[0]) * Math.cos(p1[1]) + B * Math.cos(p2[0]) * Math.cos(p2[1]);
      const Y = A * Math.cos(p1[0]) * Math.sin(p1[1]) + B * Math.cos(p2[0]) * Math.sin(p2[1]);
      const Z = A * Math.sin(p1[0]) + B * Math.sin(p2[0]);
      lat = Math.atan2(Z, Math.sqrt(X * X + Y * Y)) / r; lon = Math.atan2(Y, X) / r;
    }
    pts.push([lon, lat]);
  }
  return pts;
}

function pathOf(points) {
  let d = "", prevX = null, shift = 0;
  for (const [lon, lat] of points) {
    let px = x(lon) + shift;
    if (prevX !== null && Math.abs(px - prevX) > W / 2) { shift += px < prevX ? W : -W; px += px < prevX ? W : -W; }
    d += (d ? "L" : "M") + px.toFixed(1) + "," + y(lat).toFixed(1);
    prevX = px;
  }
  return d;
}

function addLine(group, points, attrs) {
  const d = pathOf(points);
  const xs = [...d.matchAll(/[ML](-?[\d.]+)/g)].map((m) => +m[1]);
  const shifts = [0];
  if (Math.min(...xs) < 0) shifts.push(W);
  if (Math.max(...xs) > W) shifts.push(-W);
  return shifts.map((s) => {
    const p = el("path", { d, ...attrs });
    if (s) p.setAttribute("transform", `translate(${s},0)`);
    group.appendChild(p);
    return p;
  });
}

function drawBase() {
  const g = $("#graticule");
  for (let lat = -40; lat <= 60; lat += 20) g.appendChild(el("path", { d: `M0,${y(lat)}H${W}` }));
  for (let lon = -180; lon < 180; lon += 30) g.appendChild(el("path", { d: `M${x(lon)},0V${H}` }));
  const land = $("#land");
  for (const [name, poly] of Object.entries(LAND)) {
    const p = el("path", { d: poly.map(([lon, lat], i) => (i ? "L" : "M") + x(lon).toFixed(1) + "," + y(lat).toFixed(1)).join("") + "Z" });
    p.appendChild(el("title", {}, name));
    land.appendChild(p);
  }
}

function drawNetwork(view) {
  const places = Object.fromEntries(view.network.locations.map((l) => [l.locode, l]));
  const at = (code) => [places[code].longitude, places[code].latitude];
  const cables = $("#cables"), links = $("#links"), dots = $("#places");
  cables.replaceChildren(); links.replaceChildren(); dots.replaceChildren();
  for (const [a, b] of view.network.land_links) addLine(links, arc(at(a), at(b), 4), {});
  for (const c of view.network.cables) {
    for (const [a, b] of c.segments) {
      for (const p of addLine(cables, arc(at(a), at(b)), { "data-cable": c.id, class: c.cut ? "cut" : "" })) {
        p.appendChild(el("title", {}, `${c.name} — ${c.length_km.toLocaleString()} km, ${c.ready_for_service}${c.cut ? " — CUT" : ""}`));
        p.addEventListener("click", () => showCable(c));
        if (selected === c.id) p.classList.add("selected");
      }
    }
    if (c.cut) {
      const [a, b] = c.segments[Math.floor(c.segments.length / 2)];
      const mid = arc(at(a), at(b), 2)[1];
      cables.appendChild(el("text", { x: x(mid[0]) - 4, y: y(mid[1]) + 5, "data-cut-mark": c.id }, "✕"));
    }
  }
  for (const l of view.network.locations.filter((l) => l.inference)) {
    dots.appendChild(el("circle", { cx: x(l.longitude), cy: y(l.latitude), r: 1.8 }));
  }
  return at;
}

function drawNodes(view, at) {
  const nodes = $("#nodes"), flows = $("#flows");
  nodes.replaceChildren(); flows.replaceChildren();
  const sellers = Object.fromEntries(view.sellers.map((s) => [s.id, s]));
  // Live flows follow the cable path the exchange estimated to each seller.
  const shown = new Set();
  for (const f of view.flows) {
    const s = sellers[f.provider];
    if (!s || shown.has(f.provider) || !s.path) continue;
    shown.add(f.provider);
    if (s.path.length < 2) {
      // A seller in the exchange's own city: the flow is a pulse around it.
      const [lon, lat] = at(s.path[0]), cx = x(lon), cy = y(lat);
      const ring = el("path", { d: `M${cx - 11},${cy}a11,11 0 1,0 22,0a11,11 0 1,0 -22,0`, class: "flow", "data-provider": f.provider });
      ring.appendChild(el("title", {}, `${f.origin} → ${f.destination} via ${f.provider}`));
      flows.appendChild(ring);
      continue;
    }
    const pts = [];
    for (let i = 0; i + 1 < s.path.length; i++) pts.push(...arc(at(s.path[i]), at(s.path[i + 1]), 10));
    for (const p of addLine(flows, pts, { class: "flow", "data-provider": f.provider })) p.appendChild(el("title", {}, `${f.origin} → ${f.destination} via ${f.provider}`));
  }
  if (view.locode) {
    const [lon, lat] = at(view.locode);
    nodes.appendChild(el("circle", { cx: x(lon), cy: y(lat), r: 7, class: "exchange", "data-exchange": view.locode }));
    nodes.appendChild(el("text", { x: x(lon) + 9, y: y(lat) - 8 }, "exchange"));
  }
  for (const s of view.sellers) {
    if (!s.locode) continue;
    const [lon, lat] = at(s.locode);
    const up = s.in_market && s.reachable && s.circuit !== "open";
    const c = el("circle", { cx: x(lon), cy: y(lat), r: 5.5, class: up ? "up" : "down", "data-seller": s.id });
    c.appendChild(el("title", {}, `${s.id} (${s.jurisdiction}) ${up ? "in market" : "out"}`));
    nodes.appendChild(c);
    nodes.appendChild(el("text", { x: x(lon) + 8, y: y(lat) + 4 }, s.id));
  }
}

function showCable(c) {
  selected = c.id;
  $("#cable-info").textContent = `${c.name} (${c.id}): ${c.length_km.toLocaleString()} km, ready ${c.ready_for_service}, ${c.segments.length} segments — ${c.cut ? "CUT" : "in service"}. Source: ${c.source}`;
  if (last) render(last);
}

function fill(view) {
  const sellers = $("#sellers tbody"); sellers.replaceChildren();
  for (const s of view.sellers) {
    const r = sellers.insertRow(); r.dataset.seller = s.id;
    cell(r, s.id); cell(r, `${s.city ?? ""} ${s.jurisdiction} ${s.locode ?? ""}`);
    const state = !s.in_market ? "left the market" : !s.reachable ? "cut off" : s.circuit === "open" ? "circuit open" : "trading";
    cell(r, state, state === "trading" ? "state-ok" : "state-cut");
    cell(r, s.measured_ttfb_ms != null ? `${s.measured_ttfb_ms} (measured)` : s.estimated_rtt_ms ?? "—", "num");
    cell(r, s.load.toFixed(2), "num");
    cell(r, `${s.spot_input_price} / ${s.spot_output_price} ${s.currency}`, "num");
    cell(r, s.last_heartbeat ? new Date(s.last_heartbeat).toLocaleTimeString() : "—");
    const d = s.disputes;
    cell(r, d && d.trades ? `${(100 * d.rate).toFixed(1)} % of ${d.trades}` : "—", d && d.disputed ? "num state-cut" : "num");
  }

  const flows = $("#flow-table tbody"); flows.replaceChildren();
  for (const f of view.flows.slice(0, 12)) {
    const r = flows.insertRow();
    cell(r, new Date(f.timestamp).toLocaleTimeString()); cell(r, f.provider); cell(r, `${f.origin} → ${f.destination ?? "?"}`);
    cell(r, f.tokens, "num"); cell(r, `${f.value} ${f.currency}`, "num"); cell(r, f.outcome);
  }

  const comp = $("#compliance tbody"); comp.replaceChildren();
  for (const d of view.compliance) {
    const r = comp.insertRow();
    cell(r, new Date(d.timestamp).toLocaleTimeString()); cell(r, `${d.origin} → ${d.destination ?? "?"}`); cell(r, d.data_class);
    cell(r, d.verdict + (d.redactions ? ` (${d.redactions} redacted)` : ""), "verdict-" + d.verdict); cell(r, d.rules);
  }
  if (!view.compliance.length) cell(comp.insertRow(), "No refusals or redactions yet.");

  const dl = (id, pairs) => { const e = $(id); e.replaceChildren(); for (const [k, v, cls] of pairs) { e.appendChild(Object.assign(document.createElement("dt"), { textContent: k })); e.appendChild(Object.assign(document.createElement("dd"), { textContent: v, className: cls ?? "" })); } };
  const l = view.ledger;
  dl("#ledger", [
    l.verified ? ["ledger", "chain and signatures verified", "state-ok"]
      : l.problem === "verifying ..." ? ["ledger", "verifying ..."] : ["ledger", "VERIFICATION FAILED: " + l.problem, "state-cut"],
    ["entries", String(l.entries)], ["checkpoints", String(l.checkpoints)],
    ["last entry", l.last_entry ? new Date(l.last_entry).toLocaleString() : "—"], ["verified at", l.verified ? new Date(l.checked_at).toLocaleTimeString() + " (entries up to then)" : "—"],
  ]);
  const h = view.health;
  dl("#health", [["sellers", `${h.in_market} in market of ${h.sellers}, ${h.reachable} reachable`], ["open circuits", String(h.open_circuits)], ["models", String(h.models)], ["cables cut", String(h.cables_cut), h.cables_cut ? "state-cut" : ""]]);

  const list = $("#cable-list tbody"); list.replaceChildren();
  for (const c of view.network.cables) {
    const r = list.insertRow(); r.dataset.cable = c.id;
    cell(r, `${c.name} (${c.id})`); cell(r, c.length_km.toLocaleString(), "num"); cell(r, c.ready_for_service, "num");
    cell(r, c.cut ? "cut" : "in service", c.cut ? "state-cut" : "state-ok");
    const b = document.createElement("button");
    b.textContent = c.cut ? "Restore" : "Cut";
    b.className = c.cut ? "restore" : "";
    b.dataset[c.cut ? "restore" : "cut"] = c.id;
    b.addEventListener("click", () => fault(c.id, !c.cut));
    r.insertCell().appendChild(b);
  }
  drawIndex(view.price_index);
}

function drawIndex(points) {
  const chart = $("#index-chart"); chart.replaceChildren();
  const table = $("#index-table tbody"); table.replaceChildren();
  for (const p of points.slice(-12).reverse()) {
    const r = table.insertRow();
    cell(r, p.bucket.slice(5, 16).replace("T", " ")); cell(r, p.model_class); cell(r, p.jurisdiction);
    cell(r, `${p.price_per_million} ${p.currency}`, "num"); cell(r, p.tokens, "num");
  }
  if (!points.length) { chart.appendChild(el("text", { x: 150, y: 100 }, "No trades in the last 24 hours.")); return; }
  const series = {};
  for (const p of points) (series[`${p.model_class} ${p.jurisdiction} ${p.currency}`] ??= []).push(p);
  const times = points.map((p) => Date.parse(p.bucket)), prices = points.map((p) => p.price_per_million);
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 3600e3), pmax = Math.max(...prices) * 1.15 || 1;
  const px = (t) => 40 + ((t - t0) / (t1 - t0)) * 420, py = (v) => 180 - (v / pmax) * 160;
  chart.appendChild(el("text", { x: 2, y: 20 }, pmax.toPrecision(3)));
  chart.appendChild(el("text", { x: 2, y: 182 }, "0"));
  Object.entries(series).forEach(([name, ps], i) => {
    const colour = COLOURS[i % COLOURS.length];
    chart.appendChild(el("path", { d: ps.map((p, j) => (j ? "L" : "M") + px(Date.parse(p.bucket)) + "," + py(p.price_per_million)).join(""), stroke: colour, "data-series": name }));
    for (const p of ps) chart.appendChild(el("circle", { cx: px(Date.parse(p.bucket)), cy: py(p.price_per_million), r: 3, fill: colour }));
    chart.appendChild(el("text", { x: 50, y: 14 + i * 12, fill: colour }, name));
  });
}

function render(view) {
  $("#where").textContent = `${view.city ?? ""} ${view.jurisdiction} ${view.locode ?? ""}`;
  drawNodes(view, drawNetwork(view));
  fill(view);
}

async function fault(cable, cut) {
  const r = await fetch(cut ? "/admin/network/cuts" : "/admin/network/cuts/" + encodeURIComponent(cable), {
    method: cut ? "POST" : "DELETE",
    headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
    body: cut ? JSON.stringify({ cable }) : undefined,
  });
  if (!r.ok) { status(`could not ${cut ? "cut" : "restore"} ${cable}: ${r.status}`, true); return; }
  await poll();
}

function status(text, error = false) { const s = $("#status"); s.textContent = text; s.classList.toggle("error", error); }

async function poll() {
  try {
    const r = await fetch("/admin/dashboard", { headers: { Authorization: "Bearer " + key } });
    if (r.status === 401 || r.status === 403) { sessionStorage.removeItem("entrepot-admin-key"); showLogin("That key was refused."); return; }
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    last = await r.json();
    render(last);
    document.body.dataset.ready = "1";
    status(`updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    status(`cannot reach the exchange: ${e.message}`, true);
  }
}

function showLogin(message) {
  clearInterval(timer);
  $("#board").hidden = true; $("#login").hidden = false;
  status(message ?? "enter the admin key", !!message);
}

function start() {
  $("#login").hidden = true; $("#board").hidden = false;
  poll();
  clearInterval(timer);
  timer = setInterval(poll, 2000);
}

drawBase();
const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
if (fromHash) { sessionStorage.setItem("entrepot-admin-key", fromHash); history.replaceState(null, "", location.pathname); }
key = sessionStorage.getItem("entrepot-admin-key");
$("#login").addEventListener("submit", (e) => { e.preventDefault(); key = $("#admin-key").value.trim(); if (key) { sessionStorage.setItem("entrepot-admin-key", key); start(); } });
if (key) start(); else showLogin();
