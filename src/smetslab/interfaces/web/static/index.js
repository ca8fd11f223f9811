"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  try {
    const h = await api("GET", "/api/health");
    $("health").textContent = "smetslab " + h.version + " · workspace " + h.workspace + " · " + h.runs_active + " run(s) active";
  } catch (e) { $("health").textContent = e.message; }
});
