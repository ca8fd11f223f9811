// Premises page: pick an example story or build one by clicking, run it, see the timeline of devices
// and events, click a HAN/WAN frame for its GBCS decode tree with MAC and signature status.
"use strict";
let STEPS = [];
let RUN = null;
let UTRNS = 0;
const QUIET = new Set(["FrameQueued", "FrameDelivered", "DeviceWoke", "DeviceLogChanged", "InputIgnored", "DisplayUpdated",
  "ReportPublished", "MirrorUpdated", "MirrorPublished"]);
const BUTTONS = [
  ["install", "Install"], ["wan_lost", "Lose the WAN"], ["wan_restored", "Restore the WAN"], ["ppmid_lost", "Lose the PPMID"],
  ["replacement_ppmid_arrives", "Replacement PPMID arrives"], ["button_pressed", "Press the hub button"],
  ["hub_power_cycled", "Power-cycle the hub"], ["engineer_arrives", "Engineer arrives"]];
const ATTACKS = ["rogue_join", "join_flood", "replay_utrn", "forge_utrn", "replay_command", "forge_command", "relay_drop", "relay_delay", "relay_replay", "relay_flood"];

function addStep(step) {
  STEPS.push(Object.assign({ at: $("b-at").value.trim() || "0" }, step));
  drawSteps();
}

function drawSteps() {
  const ol = clear($("b-steps"));
  STEPS.forEach((s, i) => {
    const { at, do: kind, ...rest } = s;
    const extra = Object.entries(rest).map(([k, v]) => k + "=" + v).join(" ");
    ol.appendChild(el("li", {}, el("code", { text: at }), " " + kind + " " + extra + " ",
      el("button", { text: "✕", title: "remove", onclick: () => { STEPS.splice(i, 1); drawSteps(); } })));
  });
}

function builtStory() {
  const expect = $("b-expect").value.split("\n").map((s) => s.trim()).filter(Boolean);
  return { name: "click-built", seed: 1, options: $("b-options").value, horizon: $("b-horizon").value.trim(),
    premises: { fuel: "electricity" }, timeline: STEPS, expect };
}

function keypad() {
  const pad = $("keypad");
  const screen = $("keypad-screen");
  for (const k of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "OK"]) {
    pad.appendChild(el("button", { type: "button", "data-key": k, text: k, onclick: () => {
      if (k === "←") screen.textContent = screen.textContent.slice(0, -1);
      else if (k === "OK") {
        if (screen.textContent) addStep({ do: "utrn_entered", label: screen.textContent, on: "ppmid" });
        screen.textContent = "";
      } else screen.textContent += k;
    } }));
  }
}

async function runStory(body) {
  showError("story-error", null);
  $("story-verdict").textContent = "running…"; $("story-verdict").className = "badge running";
  try {
    RUN = await api("POST", "/api/premises/runs", body);
    render();
  } catch (e) {
    showError("story-error", e);
    $("story-verdict").textContent = "error"; $("story-verdict").className = "badge failed";
  }
}

function render() {
  const s = RUN.summary;
  $("story-verdict").textContent = RUN.passed ? "PASSED" : "FAILED";
  $("story-verdict").className = "badge " + (RUN.passed ? "passed" : "failed");
  $("story-title").textContent = s.story + " · options " + s.options + " · seed " + s.seed + " · " + s.events + " events";
  const v = clear($("verdicts"));
  for (const x of RUN.verdicts) v.appendChild(el("li", { cls: "verdict" }, badge(x.passed ? "✓" : "✗", x.passed ? "passed" : "failed"), " expect[" + x.index + "] " + x.expectation + " ", el("span", { cls: "dim", text: "(" + x.observed + ")" })));
  if (!RUN.verdicts.length) v.appendChild(el("li", { cls: "dim", text: "the story states no expectations" }));
  const c = clear($("counters"));
  for (const [k, val] of Object.entries(s.counters)) c.appendChild(el("tr", {}, el("td", {}, el("code", { text: k })), el("td", { cls: "num", text: fmt(val) })));
  timeline(); framesTable();
}

function timeline() {
  const box = clear($("timeline"));
  const devices = ["story", ...RUN.devices];
  const horizon = RUN.summary.horizon_s || 1;
  const W = 1000, L = 90, laneH = 18, H = devices.length * laneH + 30;
  const X = (t) => L + t / horizon * (W - L - 10);
  const g = svg("svg", { cls: "timeline", viewBox: "0 0 " + W + " " + H, width: W, height: H });
  devices.forEach((d, i) => {
    g.appendChild(svg("line", { cls: "lane", x1: L, x2: W - 10, y1: i * laneH + 10, y2: i * laneH + 10 }));
    g.appendChild(svg("text", { x: 4, y: i * laneH + 14, text: d, "font-size": "11" }));
  });
  for (let dday = 0; dday <= horizon / 86400; dday += Math.max(1, Math.ceil(horizon / 86400 / 14)))
    g.appendChild(svg("text", { x: X(dday * 86400), y: H - 6, "font-size": "10", "text-anchor": "middle", text: "d" + dday }));
  for (const st of RUN.steps) {
    const m = svg("rect", { cls: "step", x: X(st.time) - 3, y: 4, width: 6, height: 12 });
    tipOn(m, st.clock + " ▶ " + st.text); g.appendChild(m);
  }
  const lane = (d) => devices.indexOf(d) * laneH + 10;
  for (const r of RUN.records) {
    if (r.frame !== null) continue;
    if (QUIET.has(r.event)) continue;
    const m = svg("circle", { cls: "ev", cx: X(r.time), cy: lane(r.device), r: 3 });
    tipOn(m, r.device + " " + r.event + " " + r.text); g.appendChild(m);
  }
  for (const f of RUN.frames) {
    const m = svg("rect", { cls: "frame", "data-frame": f.n, x: X(f.time) - 4, y: lane(f.device) - 4, width: 8, height: 8, onclick: () => openFrame(f.n) });
    tipOn(m, f.device + " → " + (f.to || "?") + " " + (f.message || f.event) + " (" + f.bytes + " bytes)"); g.appendChild(m);
  }
  box.appendChild(g);
}

function framesTable() {
  const t = clear($("frames-table"));
  t.appendChild(el("tr", {}, ...["#", "time", "from", "to", "via", "message", "bytes"].map((h) => el("th", { text: h }))));
  for (const f of RUN.frames) {
    t.appendChild(el("tr", { cls: "frame-row", id: "frame-" + f.n, "data-frame": f.n, onclick: () => openFrame(f.n) },
      el("td", { cls: "num", text: String(f.n) }), el("td", { cls: "num", text: fmt(f.time) + " s" }), el("td", { text: f.device }),
      el("td", { text: f.to || "" }), el("td", { text: f.via || f.event }), el("td", { text: f.message || "" }), el("td", { cls: "num", text: String(f.bytes) })));
  }
}

async function openFrame(n) {
  for (const x of document.querySelectorAll(".sel")) x.classList.remove("sel");
  for (const x of document.querySelectorAll("[data-frame='" + n + "']")) x.classList.add("sel");
  const box = clear($("frame-tree")); const st = clear($("frame-status"));
  try {
    const f = await api("GET", "/api/premises/runs/" + RUN.id + "/frames/" + n);
    const d = f.decode;
    st.appendChild(el("span", { text: (f.message || f.event) + " · " + d.message_code + " " + (d.message_name || "") + " " }));
    st.appendChild(badge("MAC " + d.mac_status, d.mac_status)); st.appendChild(badge("signature " + d.signature_status, d.signature_status));
    box.classList.remove("dim");
    box.appendChild(tree(d));
  } catch (e) { box.textContent = e.message; }
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    const st = await api("GET", "/api/stories");
    for (const s of st.stories) $("story-select").appendChild(el("option", { value: s.name, text: s.name, title: s.description }));
    const form = await api("GET", "/api/story-form");
    for (const o of form.options) $("b-options").appendChild(el("option", { value: o, text: o }));
  } catch (e) { showError("story-error", e); }
  for (const [kind, label] of BUTTONS) $("step-buttons").appendChild(el("button", { id: "b-" + kind, text: label, onclick: () => addStep({ do: kind }) }));
  for (const a of ATTACKS) $("b-attack").appendChild(el("option", { value: a, text: a }));
  $("b-issue").addEventListener("click", () => { UTRNS += 1; addStep({ do: "utrn_issued", value_pence: Number($("b-value").value), fuel: "electricity", route: $("b-route").value, label: String(UTRNS) }); });
  $("b-attacker").addEventListener("click", () => addStep({ do: "attacker_arrives", kind: $("b-attack").value }));
  $("b-clear").addEventListener("click", () => { STEPS = []; UTRNS = 0; drawSteps(); });
  keypad();
  $("story-load").addEventListener("click", async () => {
    try { $("story-yaml").value = (await api("GET", "/api/stories/" + encodeURIComponent($("story-select").value))).yaml; }
    catch (e) { showError("story-error", e); }
  });
  $("run-yaml").addEventListener("click", () => runStory({ yaml: $("story-yaml").value }));
  $("run-built").addEventListener("click", () => runStory({ story: builtStory() }));
  document.body.dataset.ready = "1";
});
