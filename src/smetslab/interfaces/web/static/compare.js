// Compare page: the scenario as a form, a run with live progress (server-sent events) and cancel,
// ranked results with intervals, charts drawn here as SVG from the API's numbers, run-to-run diffs.
"use strict";
let FORM = null;          // /api/scenario-form
let SCEN = null;          // the scenario data the form started from
let CURRENT = null;       // run id being shown
let RESULTS = null;       // its results
let SOURCE = null;        // EventSource of the running run
let validateTimer = null;

function rangeText(p) {
  const parts = [];
  if (p.min !== undefined) parts.push("≥ " + fmt(p.min));
  if (p.exclusive_min !== undefined) parts.push("> " + fmt(p.exclusive_min));
  if (p.max !== undefined) parts.push("≤ " + fmt(p.max));
  if (p.exclusive_max !== undefined) parts.push("< " + fmt(p.exclusive_max));
  if (p.choices) parts.push((p.kind === "list" ? "comma-separated, any of " : "") + p.choices.join(" | "));
  return parts.join(", ");
}

function inputFor(p, value) {
  const id = "f-" + p.path;
  if (p.kind === "bool") return el("input", { type: "checkbox", id, "data-path": p.path, "data-kind": p.kind, checked: value ? true : null });
  if (p.kind === "choice") {
    const s = el("select", { id, "data-path": p.path, "data-kind": p.kind });
    for (const c of p.choices) s.appendChild(el("option", { value: c, selected: c === value ? true : null, text: c }));
    return s;
  }
  const shown = Array.isArray(value) ? value.join(", ") : value;   // list kinds: comma-separated items
  const attrs = { id, "data-path": p.path, "data-kind": p.kind, value: shown === undefined || shown === null ? "" : String(shown) };
  if (p.kind === "int" || p.kind === "float") {
    attrs.type = "number"; attrs.step = p.kind === "int" ? "1" : "any";
    if (p.min !== undefined) attrs.min = p.min;
    if (p.max !== undefined) attrs.max = p.max;
  } else attrs.type = "text";
  return el("input", attrs);
}

function paramRow(p, param) {
  const isParam = param && typeof param === "object" && "value" in param;
  const value = isParam ? param.value : param;
  const row = el("div", { cls: "param", id: "row-" + p.path },
    el("label", { for: "f-" + p.path, title: p.description || "", text: p.path }),
    inputFor(p, value),
    el("div", { cls: "meta", text: [p.unit, rangeText(p) && ("allowed " + rangeText(p)), p.description].filter(Boolean).join(" · ") }));
  if (isParam) row.appendChild(el("input", { type: "text", cls: "src", id: "s-" + p.path, "data-source": p.path,
    value: param.source || "", title: "source: a citation, or 'assumption: …'" }));
  row.appendChild(el("div", { cls: "err", id: "e-" + p.path }));
  return row;
}

function buildForm() {
  const form = clear($("scenario-form"));
  const top = el("fieldset", {}, el("legend", { text: "Run settings" }));
  for (const p of FORM.settings) top.appendChild(paramRow(p, SCEN[p.path]));
  form.appendChild(top);
  const opts = el("fieldset", {}, el("legend", { text: "Options compared (baseline is required)" }));
  const chosen = new Set(SCEN.options);
  for (const o of FORM.options) {
    opts.appendChild(el("div", {}, el("label", {}, el("input", { type: "checkbox", cls: "opt", value: o.id, id: "o-" + o.id,
      checked: chosen.has(o.id) ? true : null }), " " + o.id + " ", el("span", { cls: "dim", text: o.title + (o.cpa_needed ? " · CPA" : "") }))));
  }
  const combos = SCEN.options.filter((o) => o.includes("+"));
  opts.appendChild(el("label", { for: "f-combos", text: "combinations (comma-separated, e.g. secmp0037+secmp0032)" }));
  opts.appendChild(el("input", { type: "text", id: "f-combos", value: combos.join(", ") }));
  opts.appendChild(el("div", { cls: "err", id: "e-options" }));
  form.appendChild(opts);
  for (const g of FORM.groups) {
    const fs = el("fieldset", { id: "g-" + g.id }, el("legend", { text: g.id + " — " + g.title }));
    for (const p of g.params) fs.appendChild(paramRow(p, (SCEN[g.id] || {})[p.name]));
    form.appendChild(fs);
  }
  form.addEventListener("input", scheduleValidate);
  form.addEventListener("change", scheduleValidate);
}

function readValue(input) {
  const kind = input.dataset.kind;
  if (kind === "bool") return input.checked;
  const raw = input.value.trim();
  if (kind.endsWith("list")) {
    const items = raw.split(",").map((x) => x.trim()).filter(Boolean);
    return kind === "number_list" ? items.map((x) => (isNaN(Number(x)) ? x : Number(x))) : items;
  }
  if (kind === "int" || kind === "float") {
    if (raw === "") return raw;               // the server names the field and what is allowed
    const n = Number(raw);
    return isNaN(n) ? raw : n;
  }
  return input.value;
}

function collect() {
  const data = JSON.parse(JSON.stringify(SCEN));
  for (const input of document.querySelectorAll("#scenario-form [data-path]")) {
    const path = input.dataset.path.split(".");
    const v = readValue(input);
    if (path.length === 1) data[path[0]] = v;
    else data[path[0]][path[1]] = Object.assign({}, data[path[0]][path[1]], { value: v });
  }
  for (const input of document.querySelectorAll("#scenario-form [data-source]")) {
    const [g, n] = input.dataset.source.split(".");
    data[g][n].source = input.value;
  }
  const opts = [...document.querySelectorAll("#scenario-form input.opt:checked")].map((i) => i.value);
  const combos = $("f-combos").value.split(",").map((s) => s.trim()).filter(Boolean);
  data.options = [...opts, ...combos];
  return data;
}

function markErrors(errors) {
  for (const e of document.querySelectorAll("#scenario-form .err")) e.textContent = "";
  for (const i of document.querySelectorAll("#scenario-form .invalid")) i.classList.remove("invalid");
  showError("form-error", null);
  for (const err of errors || []) {
    let path = err.field.replace(/\.(value|source)$/, "");
    if (path.startsWith("options")) path = "options";
    const box = $("e-" + path);
    const input = $("f-" + path) || $("s-" + path);
    const val = err.value === null || err.value === undefined ? "" : " (" + JSON.stringify(err.value) + ")";
    if (box) { box.textContent = err.message + val; if (input) input.classList.add("invalid"); }
    else $("form-error").textContent = err.field + ": " + err.message + val;
  }
}

function scheduleValidate() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(async () => {
    try { await api("POST", "/api/scenarios/validate", collect()); markErrors([]); }
    catch (e) { markErrors(e.body.errors || [{ field: "scenario", message: e.message }]); }
  }, 250);
}

async function loadBase() {
  const name = $("base").value;
  const r = await api("GET", "/api/scenarios/" + encodeURIComponent(name));
  SCEN = r.scenario;
  SCEN.sensitivity = SCEN.sensitivity || [];
  buildForm();
}

async function upload(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  const text = await file.text();
  try {
    const r = await api("POST", "/api/scenarios/parse", { yaml: text });
    SCEN = r.scenario; buildForm(); showError("form-error", null);
  } catch (e) { showError("form-error", e); }
}

function setProgress(rec) {
  const total = rec.total || 1;
  $("progress").max = total; $("progress").value = Math.min(rec.done, total);
  $("progress-text").textContent = (rec.phase || rec.state) + ": " + rec.done + " / " + (rec.total || "?") + " chunks";
  const st = $("run-state"); st.textContent = rec.state; st.className = "badge " + rec.state;
}

async function run() {
  const data = collect();
  data.sensitivity = $("with-sensitivity").checked ? (SCEN.sensitivity || []) : [];
  try {
    const rec = await api("POST", "/api/runs", { scenario: data, sensitivity: $("with-sensitivity").checked, rank_by: $("rank-by").value });
    markErrors([]);
    follow(rec.id);
  } catch (e) {
    if (e.body && e.body.errors) markErrors(e.body.errors); else showError("form-error", e);
  }
}

function follow(id) {
  CURRENT = id;
  $("run").disabled = true; $("cancel").disabled = false;
  if (SOURCE) SOURCE.close();
  SOURCE = new EventSource("/api/runs/" + encodeURIComponent(id) + "/events");
  SOURCE.addEventListener("progress", (e) => setProgress(JSON.parse(e.data)));
  SOURCE.addEventListener("end", async (e) => {
    SOURCE.close(); SOURCE = null;
    const rec = JSON.parse(e.data);
    setProgress(rec);
    $("run").disabled = false; $("cancel").disabled = true;
    if (rec.state === "finished") await showResults(id);
    else if (rec.error) showError("form-error", new Error(rec.error));
    await listRuns();
  });
  SOURCE.onerror = () => { /* the browser reconnects by itself */ };
}

async function cancel() { if (CURRENT) await api("POST", "/api/runs/" + encodeURIComponent(CURRENT) + "/cancel"); }

function metricMeta(id) { return (RESULTS.metrics.find((m) => m.id === id)) || { id, label: id, unit: "", better: "lower" }; }

function renderTable() {
  const table = clear($("ranked-table"));
  const ids = RESULTS.metrics.map((m) => m.id);
  const head = el("tr", {}, el("th", { text: "#" }), el("th", { text: "option" }));
  for (const m of RESULTS.metrics) head.appendChild(el("th", { title: m.id }, m.label + (m.id === RESULTS.rank_by ? " ★" : ""),
    el("span", { cls: "iv", text: m.unit + " · " + m.better + " is better" })));
  table.appendChild(el("thead", {}, head));
  const body = el("tbody");
  for (const r of RESULTS.rows) {
    const tr = el("tr", { cls: r.option === "baseline" ? "baseline" : "", "data-option": r.option },
      el("td", { cls: "num", text: String(r.rank) }),
      el("td", {}, el("code", { text: r.option }), r.cpa_needed ? " · CPA" : "", el("span", { cls: "iv", text: r.title })));
    for (const id of ids) {
      const c = r.cells[id]; const m = metricMeta(id);
      if (!c) { tr.appendChild(el("td", { text: "—" })); continue; }
      const td = el("td", { cls: "num" }, fmtUnit(c.mean, m.unit), el("span", { cls: "iv", text: "[" + fmtUnit(c.lo, m.unit) + " – " + fmtUnit(c.hi, m.unit) + "]" }));
      if (r.option !== "baseline" && c.delta !== null && c.delta !== 0) {
        const good = (m.better === "lower") ? c.delta < 0 : c.delta > 0;
        td.appendChild(el("span", { cls: "iv " + (good ? "better" : "worse"), text: "Δ " + (c.delta > 0 ? "+" : "") + fmtUnit(c.delta, m.unit) }));
      }
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
}

function barChart() {
  const box = clear($("bar-chart"));
  const id = $("plot-metric").value; const m = metricMeta(id);
  const rows = RESULTS.rows.filter((r) => r.cells[id]);
  if (!rows.length) return;
  const W = 760, left = 190, rowH = 20, top = 10, H = top + rows.length * rowH + 30;
  const hi = Math.max(...rows.map((r) => Math.max(r.cells[id].hi, r.cells[id].mean)), 0);
  const lo = Math.min(...rows.map((r) => Math.min(r.cells[id].lo, r.cells[id].mean)), 0);
  const span = (hi - lo) || 1; const x = (v) => left + (v - lo) / span * (W - left - 20);
  const g = svg("svg", { cls: "chart", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": m.label });
  for (let i = 0; i <= 4; i++) {
    const v = lo + span * i / 4;
    g.appendChild(svg("line", { cls: "grid", x1: x(v), x2: x(v), y1: top, y2: H - 24 }));
    g.appendChild(svg("text", { x: x(v), y: H - 8, "text-anchor": "middle", text: fmtUnit(v, m.unit) }));
  }
  rows.forEach((r, i) => {
    const c = r.cells[id]; const y = top + i * rowH;
    g.appendChild(svg("text", { x: left - 6, y: y + 14, "text-anchor": "end", text: r.rank + ". " + r.option }));
    const bar = svg("rect", { cls: "bar" + (r.option === "baseline" ? " baseline" : ""), x: Math.min(x(0), x(c.mean)), y: y + 3,
      width: Math.max(1, Math.abs(x(c.mean) - x(0))), height: rowH - 6 });
    tipOn(bar, r.option + ": " + fmtUnit(c.mean, m.unit) + " [" + fmtUnit(c.lo, m.unit) + " – " + fmtUnit(c.hi, m.unit) + "] " + m.unit);
    g.appendChild(bar);
    g.appendChild(svg("line", { cls: "whisker", x1: x(c.lo), x2: x(c.hi), y1: y + rowH / 2, y2: y + rowH / 2 }));
  });
  g.appendChild(svg("line", { cls: "axis", x1: x(0), x2: x(0), y1: top, y2: H - 24 }));
  box.appendChild(el("div", { cls: "dim", text: m.label + " (" + m.unit + "), mean and 95% interval across replicates; hover a bar" }));
  box.appendChild(g);
}

function scatter() {
  const box = clear($("scatter-chart"));
  const xid = "no_route_days", yid = $("scatter-y").value;
  const rows = RESULTS.rows.filter((r) => r.cells[xid] && r.cells[yid]);
  if (!rows.length) return;
  const mx = metricMeta(xid), my = metricMeta(yid);
  const W = 560, H = 340, L = 60, B = 40, T = 10, R = 20;
  const xs = rows.map((r) => r.cells[xid]), ys = rows.map((r) => r.cells[yid]);
  const x0 = Math.min(0, ...xs.map((c) => c.lo)), x1 = Math.max(...xs.map((c) => c.hi)) || 1;
  const y0 = Math.min(0, ...ys.map((c) => c.lo)), y1 = Math.max(...ys.map((c) => c.hi)) || 1;
  const X = (v) => L + (v - x0) / ((x1 - x0) || 1) * (W - L - R), Y = (v) => H - B - (v - y0) / ((y1 - y0) || 1) * (H - B - T);
  const g = svg("svg", { cls: "chart", viewBox: "0 0 " + W + " " + H, width: W, height: H });
  g.appendChild(svg("line", { cls: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  g.appendChild(svg("line", { cls: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  g.appendChild(svg("text", { x: (L + W) / 2, y: H - 6, "text-anchor": "middle", text: mx.label + " (" + mx.unit + ")" }));
  g.appendChild(svg("text", { x: 12, y: (H - B) / 2, transform: "rotate(-90 12 " + (H - B) / 2 + ")", "text-anchor": "middle", text: my.label }));
  for (const v of [x0, x1]) g.appendChild(svg("text", { x: X(v), y: H - B + 14, "text-anchor": "middle", text: fmt(v) }));
  for (const v of [y0, y1]) g.appendChild(svg("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end", text: fmt(v) }));
  rows.forEach((r) => {
    const cx = r.cells[xid], cy = r.cells[yid];
    g.appendChild(svg("line", { cls: "whisker", x1: X(cx.lo), x2: X(cx.hi), y1: Y(cy.mean), y2: Y(cy.mean) }));
    g.appendChild(svg("line", { cls: "whisker", x1: X(cx.mean), x2: X(cx.mean), y1: Y(cy.lo), y2: Y(cy.hi) }));
    const p = svg("circle", { cls: "pt", cx: X(cx.mean), cy: Y(cy.mean), r: 5 });
    tipOn(p, r.rank + ". " + r.option + ": harm " + fmt(cx.mean) + ", " + yid + " " + fmt(cy.mean));
    g.appendChild(p);
    g.appendChild(svg("text", { x: X(cx.mean) + 6, y: Y(cy.mean) - 6, text: String(r.rank) }));
  });
  box.appendChild(g);
}

function sensitivity() {
  const box = clear($("sensitivity"));
  if (!RESULTS.sensitivity) { box.textContent = "Run with \"sensitivity sweeps\" to see which assumptions move the ranking."; return; }
  const t = el("table", {}, el("tr", {}, ...["parameter", "central", "low → positions moved", "high → positions moved", "source"].map((h) => el("th", { text: h }))));
  for (const s of RESULTS.sensitivity) t.appendChild(el("tr", {}, el("td", {}, el("code", { text: s.param }), el("span", { cls: "iv", text: s.label })),
    el("td", { cls: "num", text: fmt(s.central) }), el("td", { cls: "num", text: fmt(s.low) + " → " + s.low_moved + (s.low_top_changed ? " (top changes)" : "") }),
    el("td", { cls: "num", text: fmt(s.high) + " → " + s.high_moved + (s.high_top_changed ? " (top changes)" : "") }), el("td", { cls: "dim", text: s.source || "" })));
  box.appendChild(t);
}

function downloads(id) {
  const box = clear($("downloads"));
  box.appendChild(el("span", { cls: "dim", text: "download:" }));
  for (const f of ["scenario.yaml", "results.duckdb", "report.html"])
    box.appendChild(el("a", { href: "/api/runs/" + encodeURIComponent(id) + "/files/" + f, id: "dl-" + f.replace(".", "-"), text: f }));
  const rep = clear($("report-box"));
  rep.appendChild(el("iframe", { cls: "report", src: "/api/runs/" + encodeURIComponent(id) + "/files/report.html?inline=1", title: "report", sandbox: "allow-same-origin" }));
}

async function showResults(id) {
  RESULTS = await api("GET", "/api/runs/" + encodeURIComponent(id) + "/results");
  CURRENT = id;
  const pm = clear($("plot-metric")), sy = clear($("scatter-y"));
  for (const m of RESULTS.metrics) {
    pm.appendChild(el("option", { value: m.id, text: m.label, selected: m.id === RESULTS.rank_by ? true : null }));
    if (m.kind === "security") sy.appendChild(el("option", { value: m.id, text: m.label }));
  }
  renderTable(); barChart(); scatter(); sensitivity(); downloads(id);
  showRisk(RESULTS.risk_register);  // risk.js
  $("ranked-table").dataset.run = id;
}

async function listRuns() {
  const r = await api("GET", "/api/runs");
  const t = clear($("runs-table"));
  t.appendChild(el("tr", {}, ...["run", "scenario", "state", "premises × replicates", "created", ""].map((h) => el("th", { text: h }))));
  const a = clear($("compare-a")), b = clear($("compare-b"));
  for (const rec of r.runs) {
    const show = el("button", { text: "show", onclick: () => showResults(rec.id).then(() => setProgress(rec)) });
    t.appendChild(el("tr", { id: "run-" + rec.id }, el("td", {}, el("code", { text: rec.id })), el("td", { text: rec.name }),
      el("td", {}, badge(rec.state), rec.notes && rec.notes.length ? el("span", { cls: "iv", text: rec.notes[rec.notes.length - 1] }) : null),
      el("td", { cls: "num", text: fmt(rec.premises) + " × " + rec.replicates }), el("td", { cls: "dim", text: rec.created }),
      el("td", {}, rec.state === "finished" ? show : (["queued", "running"].includes(rec.state) ? el("button", { text: "follow", onclick: () => follow(rec.id) }) : null))));
    if (rec.state === "finished") {
      a.appendChild(el("option", { value: rec.id, text: rec.id + " " + rec.name }));
      b.appendChild(el("option", { value: rec.id, text: rec.id + " " + rec.name }));
    }
  }
  if (b.options.length > 1) b.selectedIndex = 1;
}

async function compareRuns() {
  const out = clear($("compare-out"));
  try {
    const d = await api("GET", "/api/runs/" + encodeURIComponent($("compare-a").value) + "/compare/" + encodeURIComponent($("compare-b").value));
    out.appendChild(el("h3", { text: "What changed (" + d.earlier + " → " + d.run + ")" }));
    const ch = el("table", { id: "diff-params" }, el("tr", {}, el("th", { text: "parameter" }), el("th", { text: "before" }), el("th", { text: "after" })));
    for (const c of d.changed) ch.appendChild(el("tr", {}, el("td", {}, el("code", { text: c.param })), el("td", { text: JSON.stringify(c.before) }), el("td", { text: JSON.stringify(c.after) })));
    if (!d.changed.length) ch.appendChild(el("tr", {}, el("td", { colspan: "3", text: "nothing: the same scenario" })));
    out.appendChild(ch);
    out.appendChild(el("h3", { text: "How the ranking moved (by " + d.rank_by + ")" }));
    const mv = el("table", { id: "diff-ranking" }, el("tr", {}, ...["option", "rank before", "rank after", "moved", d.rank_by + " before", "after"].map((h) => el("th", { text: h }))));
    for (const m of d.ranking) mv.appendChild(el("tr", {}, el("td", {}, el("code", { text: m.option })), el("td", { cls: "num", text: fmt(m.rank_before) }),
      el("td", { cls: "num", text: fmt(m.rank_after) }), el("td", { cls: "num " + (m.moved > 0 ? "better" : (m.moved < 0 ? "worse" : "")), text: m.moved === null ? "—" : (m.moved > 0 ? "▲" + m.moved : (m.moved < 0 ? "▼" + (-m.moved) : "=")) }),
      el("td", { cls: "num", text: fmt(m.rank_by_before) }), el("td", { cls: "num", text: fmt(m.rank_by_after) })));
    out.appendChild(mv);
  } catch (e) { out.textContent = e.message; }
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    FORM = await api("GET", "/api/scenario-form");
    const names = (await api("GET", "/api/scenarios")).scenarios;
    for (const n of names) $("base").appendChild(el("option", { value: n, text: n }));
    for (const m of FORM.metrics) $("rank-by").appendChild(el("option", { value: m.id, text: m.id, selected: m.id === "no_route_days" ? true : null }));
    await loadBase();
    await listRuns();
  } catch (e) { showError("form-error", e); }
  $("load-base").addEventListener("click", loadBase);
  $("upload").addEventListener("change", upload);
  $("run").addEventListener("click", run);
  $("cancel").addEventListener("click", cancel);
  $("plot-metric").addEventListener("change", barChart);
  $("scatter-y").addEventListener("change", scatter);
  $("compare-go").addEventListener("click", compareRuns);
  document.body.dataset.ready = "1";
});
