// Compare page, risk register: the views of the register the server scored from the run (GET
// /api/runs/{id}/risk, or the results' risk_register). Nothing is scored here; this script only draws.
"use strict";
let RISK = null;          // the register being shown
const RISK_METHODS = ["seed", "nist", "owasp"];

function ratingCell(rating) { return el("td", { cls: "rating rt-" + rating, text: rating }); }

function riskCounts() {
  const t = clear($("risk-counts"));
  const head = ["option", "risks", "unique", "critical", "high", "moderate", "low", "new", "removed", "changed",
    "total score", "appetite", "not beaten"];
  t.appendChild(el("tr", {}, ...head.map((h) => el("th", { text: h }))));
  for (const o of RISK.options) {
    const c = o.counts;
    const tr = el("tr", { cls: o.option === "baseline" ? "baseline" : "", "data-option": o.option },
      el("td", {}, el("code", { text: o.option })),
      ...["risks", "unique", "critical", "high", "moderate", "low"].map((k) => el("td", { cls: "num count-" + k, text: String(c[k]) })));
    for (const k of ["new", "removed", "changed"]) {
      const v = o[k];
      const ids = v === null ? "" : v.map((x) => (typeof x === "string" ? x : x.threat)).join(", ");
      tr.appendChild(el("td", { cls: "num", title: ids, text: v === null ? "—" : String(v.length) }));
    }
    tr.appendChild(el("td", { cls: "num", text: fmt(o.total_score) }));
    tr.appendChild(el("td", { cls: "appetite " + (o.within_appetite ? "better" : "worse"), text: o.within_appetite ? "within" : "over" }));
    tr.appendChild(el("td", { text: o.not_beaten ? "✓" : "" }));
    t.appendChild(tr);
  }
  const p = clear($("risk-pareto"));
  p.appendChild(el("b", { text: "Not beaten on harm, cost and risk together" }));
  p.appendChild(document.createTextNode(" (no other option is at least as good on days without a route, total cost and total risk score, and better on one): "));
  RISK.not_beaten.forEach((o, i) => { if (i) p.appendChild(document.createTextNode(", ")); p.appendChild(el("code", { text: o })); });
  if (!RISK.not_beaten.length) p.appendChild(document.createTextNode("none"));
}

function riskHarm() {
  const box = clear($("risk-harm"));
  const opts = RISK.options;
  if (!opts.length) return;
  const cap = RISK.appetite.max_high;
  const W = 640, H = 340, L = 56, B = 40, T = 12, R = 20;
  const x1 = (Math.max(...opts.map((o) => o.harm)) * 1.1) || 1;
  const y1 = Math.max(cap, ...opts.map((o) => o.high_or_critical)) + 2;
  const X = (v) => L + v / x1 * (W - L - R), Y = (v) => H - B - v / y1 * (H - B - T);
  const g = svg("svg", { cls: "chart", id: "risk-harm-svg", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
    "aria-label": "harm against risks rated High or Critical" });
  g.appendChild(svg("line", { cls: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  g.appendChild(svg("line", { cls: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  g.appendChild(svg("text", { x: (L + W) / 2, y: H - 6, "text-anchor": "middle", text: "days without a top-up route per premises-year (harm)" }));
  g.appendChild(svg("text", { x: 12, y: (H - B) / 2, transform: "rotate(-90 12 " + (H - B) / 2 + ")", "text-anchor": "middle", text: "risks rated High or Critical" }));
  for (const v of [0, x1]) g.appendChild(svg("text", { x: X(v), y: H - B + 14, "text-anchor": "middle", text: fmt(v) }));
  for (const v of [0, y1]) g.appendChild(svg("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end", text: fmt(v) }));
  // the appetite: at most max_high High and nothing above max_rating; the line sits between max_high and max_high + 1
  const ya = Y(cap + 0.5);
  g.appendChild(svg("line", { cls: "appetite", x1: L, x2: W - R, y1: ya, y2: ya }));
  g.appendChild(svg("text", { cls: "appetite", x: W - R, y: ya - 4, "text-anchor": "end",
    text: "risk appetite: at most " + cap + " High, nothing above " + RISK.appetite.max_rating }));
  opts.forEach((o, i) => {
    const p = svg("circle", { cls: "pt " + (o.within_appetite ? "within" : "over"), cx: X(o.harm), cy: Y(o.high_or_critical), r: 5, "data-option": o.option });
    tipOn(p, o.option + ": " + fmt(o.harm) + " days, " + o.high_or_critical + " High/Critical, " + (o.within_appetite ? "within" : "over") + " the appetite");
    g.appendChild(p);
    g.appendChild(svg("text", { x: X(o.harm) + 7, y: Y(o.high_or_critical) - 4 - 10 * (i % 2), text: o.option }));
  });
  box.appendChild(g);
}

function riskHeat() {
  const box = clear($("risk-heat"));
  const C = 26, L = 34, T = 20, B = 30;
  for (const o of RISK.options) {
    const W = L + 5 * C + 6, H = T + 5 * C + B;
    const g = svg("svg", { cls: "heat", viewBox: "0 0 " + W + " " + H, width: W, height: H, "data-option": o.option, role: "img",
      "aria-label": o.option + ": threats by likelihood and impact" });
    g.appendChild(svg("text", { x: 0, y: 13, text: o.option }));
    o.heat.forEach((row, r) => row.forEach((cell, c) => {
      const rect = svg("rect", { cls: "cell " + (cell.worst ? "r-" + cell.worst : "empty"), x: L + c * C, y: T + r * C, width: C, height: C });
      tipOn(rect, o.option + ": likelihood " + cell.likelihood + ", impact " + cell.impact + ": " + cell.count + " threat(s)" + (cell.worst ? ", worst " + cell.worst : ""));
      g.appendChild(rect);
      if (cell.count) g.appendChild(svg("text", { cls: "n", x: L + c * C + C / 2, y: T + r * C + C / 2 + 4, "text-anchor": "middle", text: String(cell.count) }));
    }));
    for (let i = 0; i < 5; i++) {
      g.appendChild(svg("text", { x: L - 6, y: T + i * C + C / 2 + 4, "text-anchor": "end", text: String(5 - i) }));
      g.appendChild(svg("text", { x: L + i * C + C / 2, y: T + 5 * C + 13, "text-anchor": "middle", text: String(i + 1) }));
    }
    g.appendChild(svg("text", { x: L + 2.5 * C, y: H - 3, "text-anchor": "middle", text: "likelihood →" }));
    box.appendChild(g);
  }
  box.appendChild(el("p", { cls: "dim", text: "Rows: impact 5 (top) to 1; columns: likelihood 1 to 5; each cell counts the option's threats there, coloured by the worst rating among them (hover a cell)." }));
}

function riskRow(optionName, r) {
  return el("tr", { "data-option": optionName, "data-rating": r.rating },
    el("td", {}, el("code", { text: optionName })), el("td", {}, el("code", { text: r.threat })), el("td", { text: r.title }),
    el("td", { text: r.asset }), el("td", { text: r.stride }), el("td", { text: r.attacker }), el("td", { text: r.cia.join("") }),
    el("td", { cls: "num", text: String(r.capability) }), el("td", { cls: "num", text: String(r.likelihood) }),
    el("td", { cls: "num", text: String(r.impact) }), el("td", { cls: "num", text: fmt(r.score) }), ratingCell(r.rating),
    el("td", { cls: "drivers", text: r.drivers }));
}

const RISK_HEAD = ["option", "threat", "title", "asset", "STRIDE", "attacker", "CIA", "capability", "likelihood", "impact", "score", "rating", "what drives it"];

function riskTop() {
  const t = clear($("risk-top"));
  t.appendChild(el("tr", {}, ...RISK_HEAD.map((h) => el("th", { text: h }))));
  for (const o of RISK.options) for (const r of o.top) t.appendChild(riskRow(o.option, r));
}

function riskChanges() {
  const t = clear($("risk-changes"));
  t.appendChild(el("tr", {}, ...["option", "new threats", "removed threats", "changed rating (baseline → option)"].map((h) => el("th", { text: h }))));
  for (const o of RISK.options) {
    if (o.new === null) continue;
    t.appendChild(el("tr", { "data-option": o.option }, el("td", {}, el("code", { text: o.option })),
      el("td", { text: o.new.join(", ") || "—" }), el("td", { text: o.removed.join(", ") || "—" }),
      el("td", { text: o.changed.map((c) => c.threat + " " + c.baseline + " → " + c.rating).join(", ") || "—" })));
  }
}

function riskTable() {
  const t = clear($("risk-table"));
  const opt = $("risk-f-option").value, rating = $("risk-f-rating").value;
  const text = $("risk-f-text").value.trim().toLowerCase();
  t.appendChild(el("tr", {}, ...RISK_HEAD.map((h) => el("th", { text: h }))));
  let shown = 0, total = 0;
  for (const o of RISK.options) for (const r of o.rows) {
    total++;
    if (opt && o.option !== opt) continue;
    if (rating && r.rating !== rating) continue;
    if (text && ![r.threat, r.title, r.asset, r.attacker, r.stride].join(" ").toLowerCase().includes(text)) continue;
    t.appendChild(riskRow(o.option, r));
    shown++;
  }
  $("risk-f-count").textContent = shown + " of " + total + " rows";
}

function riskStability() {
  const box = clear($("risk-stability"));
  if (RISK.stability === null) {
    box.appendChild(el("p", { cls: "dim", text: "Not run: tick \"sensitivity sweeps\" to see which risks change rating when an assumption moves to its low or high value." }));
    return;
  }
  if (!RISK.stability.length) {
    box.appendChild(el("p", { text: "No risk changes rating when a swept assumption moves to its low or high value." }));
    return;
  }
  const t = el("table", { id: "risk-stability-table" }, el("tr", {}, ...["swept assumption", "end", "option", "threat", "central rating", "rating there"].map((h) => el("th", { text: h }))));
  for (const c of RISK.stability) {
    t.appendChild(el("tr", { "data-option": c.option }, el("td", {}, el("code", { text: c.param }), el("span", { cls: "iv", text: c.label })),
      el("td", { text: c.end + " = " + fmt(c.value) }), el("td", {}, el("code", { text: c.option })), el("td", {}, el("code", { text: c.threat })),
      c.central ? ratingCell(c.central) : el("td", { text: "absent" }), c.moved ? ratingCell(c.moved) : el("td", { text: "absent" })));
  }
  box.appendChild(t);
}

function riskFilters() {
  const fo = $("risk-f-option"), fr = $("risk-f-rating");
  const keepO = fo.value, keepR = fr.value;
  clear(fo).appendChild(el("option", { value: "", text: "all" }));
  for (const o of RISK.options) fo.appendChild(el("option", { value: o.option, text: o.option, selected: o.option === keepO ? true : null }));
  clear(fr).appendChild(el("option", { value: "", text: "all" }));
  for (const r of [...RISK.ratings].reverse()) fr.appendChild(el("option", { value: r, text: r, selected: r === keepR ? true : null }));
}

function showRisk(reg) {
  RISK = null;
  const box = $("risk-register"), note = $("risk-note");
  if (!reg || !reg.available) {
    box.hidden = true;
    note.textContent = reg ? "Not available for this run: " + reg.reason : "The risk register of a finished run appears here.";
    return;
  }
  RISK = reg;
  $("risk-method").value = reg.method;
  note.textContent = "scored with the " + reg.method + " method (docs/risk.md); risk appetite: nothing above " + reg.appetite.max_rating +
    ", at most " + reg.appetite.max_high + " High; likelihood from expected successful attacks a year across " + fmt(reg.national_premises) + " premises";
  box.hidden = false;
  riskCounts(); riskHarm(); riskHeat(); riskTop(); riskChanges(); riskFilters(); riskTable(); riskStability();
}

async function rescoreRisk() {
  if (!CURRENT || !RISK) return;
  try {
    const reg = await api("GET", "/api/runs/" + encodeURIComponent(CURRENT) + "/risk?method=" + encodeURIComponent($("risk-method").value));
    showRisk(reg);
  } catch (e) { $("risk-note").textContent = e.message; }
}

(function initRisk() {
  for (const m of RISK_METHODS) $("risk-method").appendChild(el("option", { value: m, text: m }));
  $("risk-register").hidden = true;
  $("risk-method").addEventListener("change", rescoreRisk);
  for (const id of ["risk-f-option", "risk-f-rating"]) $(id).addEventListener("change", riskTable);
  $("risk-f-text").addEventListener("input", riskTable);
})();
