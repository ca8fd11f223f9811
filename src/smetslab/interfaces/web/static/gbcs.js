// GBCS tools page: parse/verify messages and issue/decode/verify UTRNs against a keystore the server holds.
"use strict";

function ks() { return $("keystore").value; }

async function parse() {
  showError("parse-error", null);
  const v = clear($("verdict")); const t = clear($("tree")); clear($("verify-table"));
  try {
    const d = await api("POST", "/api/gbcs/parse", { hex: $("hex").value, keystore: ks() });
    v.appendChild(el("span", { text: d.message_code + " " + (d.message_name || "") + " · " }));
    v.appendChild(badge("MAC " + d.mac_status, d.mac_status));
    v.appendChild(badge("signature " + d.signature_status, d.signature_status));
    t.appendChild(tree(d));
  } catch (e) { showError("parse-error", e); }
}

async function verifyFiles(ev) {
  showError("parse-error", null);
  const messages = [];
  for (const f of ev.target.files) messages.push({ name: f.name, hex: await f.text() });
  if (!messages.length) return;
  clear($("verdict")); clear($("tree"));
  try {
    const r = await api("POST", "/api/gbcs/verify", { messages, keystore: ks() });
    const t = clear($("verify-table"));
    t.appendChild(el("tr", {}, ...["file", "message", "MAC", "signature", "error"].map((h) => el("th", { text: h }))));
    for (const x of r.results) t.appendChild(el("tr", {}, el("td", { text: x.name }), el("td", { text: x.message_code || "" }),
      el("td", {}, x.mac ? badge(x.mac) : ""), el("td", {}, x.signature ? badge(x.signature) : ""), el("td", { cls: "err", text: x.error || "" })));
    $("verdict").appendChild(badge(r.summary.ok ? "all valid" : "problems found", r.summary.ok ? "valid" : "invalid"));
  } catch (e) { showError("parse-error", e); }
}

function utrnOut(d) {
  const out = clear($("utrn-out"));
  if (d.verdict) out.appendChild(badge(d.verdict, d.valid ? "valid" : "invalid"));
  out.appendChild(tree(d));
}

async function utrn(kind) {
  showError("utrn-error", null);
  try {
    let d;
    if (kind === "issue") {
      d = await api("POST", "/api/utrn/issue", { keystore: ks(), supplier: $("u-supplier").value, meter: $("u-meter").value,
        counter: Number($("u-counter").value), value: Number($("u-value").value), value_class: $("u-class").value });
      $("u-code").value = d.utrn;
    } else if (kind === "decode") d = await api("POST", "/api/utrn/decode", { utrn: $("u-code").value });
    else d = await api("POST", "/api/utrn/verify", { keystore: ks(), utrn: $("u-code").value, supplier: $("u-supplier").value, meter: $("u-meter").value });
    utrnOut(d);
  } catch (e) { showError("utrn-error", e); clear($("utrn-out")); }
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    const r = await api("GET", "/api/keystores");
    for (const k of r.keystores) $("keystore").appendChild(el("option", { value: k.name, text: k.name, title: k.source }));
    const show = () => { const k = r.keystores.find((x) => x.name === ks()); $("keystore-source").textContent = k ? k.source : ""; };
    $("keystore").addEventListener("change", show);
    if (r.keystores.some((k) => k.name === "configured")) $("keystore").value = "configured";
    show();
  } catch (e) { showError("parse-error", e); }
  $("parse").addEventListener("click", parse);
  $("files").addEventListener("change", verifyFiles);
  $("u-issue").addEventListener("click", () => utrn("issue"));
  $("u-decode").addEventListener("click", () => utrn("decode"));
  $("u-verify").addEventListener("click", () => utrn("verify"));
  document.body.dataset.ready = "1";
});
