// smetslab workbench: shared helpers. No framework, no third-party code; the token travels in an
// HttpOnly cookie the first page visit set, so scripts never see it.
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k === "cls") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "text") e.textContent = v;
    else if (k === "cls") e.setAttribute("class", v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) e.appendChild(c);
  return e;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || ("HTTP " + status));
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let data = null;
  const type = resp.headers.get("content-type") || "";
  if (type.includes("json")) data = await resp.json();
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
function $(id) { return document.getElementById(id); }
function showError(id, err) { $(id).textContent = err ? (err.message || String(err)) : ""; }

function fmt(v) {
  if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) return "—";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e9)) return v.toExponential(3);
  if (Number.isInteger(v)) return v.toLocaleString("en-GB");
  return v.toLocaleString("en-GB", { maximumSignificantDigits: 4 });
}

function money(pence) { return "£" + fmt(pence / 100); }
function fmtUnit(v, unit) { return unit && unit.includes("pence") ? money(v) : fmt(v); }

// a JSON-like value as a nested tree (the GBCS decode trees)
function tree(value, label) {
  const ul = el("ul", { cls: "tree" });
  const add = (k, v) => {
    if (v !== null && typeof v === "object" && Object.keys(v).length) {
      const li = el("li", {}, el("span", { cls: "k", text: k }));
      li.appendChild(tree(v));
      ul.appendChild(li);
    } else {
      const shown = v === null ? "—" : (typeof v === "object" ? JSON.stringify(v) : String(v));
      ul.appendChild(el("li", {}, el("span", { cls: "k", text: k + ": " }), shown));
    }
  };
  if (Array.isArray(value)) value.forEach((v, i) => add("[" + i + "]", v));
  else if (value && typeof value === "object") Object.entries(value).forEach(([k, v]) => add(k, v));
  else add(label || "value", value);
  return ul;
}

function badge(text, kind) { return el("span", { cls: "badge " + (kind || text), text }); }

// hover tooltips for charts (a <title> also gives the browser's own tooltip)
function tipOn(node, text) {
  node.appendChild(svg("title", { text }));
  node.addEventListener("mousemove", (e) => { const t = $("tip"); if (!t) return; t.textContent = text;
    t.style.display = "block"; t.style.left = (e.clientX + 12) + "px"; t.style.top = (e.clientY + 12) + "px"; });
  node.addEventListener("mouseleave", () => { const t = $("tip"); if (t) t.style.display = "none"; });
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  const nav = $("nav-" + page);
  if (nav) nav.classList.add("here");
});
