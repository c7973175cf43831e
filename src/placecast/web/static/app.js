// Placecast's page script: no inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  const token = () => (document.querySelector('input[name="csrftoken"]') || {}).value || "";

  // The council switcher: go to the chosen council.
  const sw = document.querySelector("[data-switch]");
  if (sw) sw.addEventListener("change", () => { window.location.href = sw.value; });

  // Charts: the report's Vega-Lite specifications, made interactive when the library is there.
  const specs = document.getElementById("placecast-specs");
  if (specs && window.vegaEmbed) {
    const all = JSON.parse(specs.textContent);
    for (const [id, spec] of Object.entries(all)) {
      const el = document.querySelector("#" + id + " .embed");
      if (el) window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).catch(() => {});
    }
  }

  // Background work: poll each job shown and reload when it ends.
  const poll = (el, onDone) => {
    const url = el.dataset.url || "/c/" + el.dataset.slug + "/jobs/" + (el.dataset.job || el.dataset.jobPage);
    const tick = () => fetch(url, { headers: { accept: "application/json" } })
      .then((r) => r.json())
      .then((j) => {
        const progress = el.querySelector('[data-field="progress"]') || el;
        progress.textContent = j.progress;
        const status = el.querySelector('[data-field="status"]');
        if (status) status.textContent = j.status;
        if (j.status === "done" || j.status === "failed") onDone(j); else setTimeout(tick, 1500);
      }).catch(() => setTimeout(tick, 5000));
    setTimeout(tick, 1000);
  };
  document.querySelectorAll("[data-job]").forEach((el) => poll(el, () => window.location.reload()));
  const jobPage = document.querySelector("[data-job-page]");
  if (jobPage) poll(jobPage, (j) => {
    if (j.status === "done") window.location.href = jobPage.dataset.done;
    else window.location.reload();
  });

  // The scenario planner's instant preview: the expected value as the levers change.
  const form = document.querySelector("form[data-preview]");
  const out = document.querySelector("[data-preview-out]");
  if (form && out) {
    let timer = null;
    const fmt = (v) => typeof v === "number" ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-GB") : (Math.round(v * 10) / 10).toLocaleString("en-GB")) : String(v);
    const table = (title, rows, cols) => {
      const t = document.createElement("table");
      const cap = t.createCaption(); cap.textContent = title;
      const head = t.createTHead().insertRow();
      cols.forEach(([, label]) => { const th = document.createElement("th"); th.scope = "col"; th.textContent = label; head.appendChild(th); });
      const body = t.createTBody();
      rows.forEach((r) => { const tr = body.insertRow(); cols.forEach(([k]) => { const td = tr.insertCell(); td.textContent = fmt(r[k]); if (typeof r[k] === "number") td.className = "num"; }); });
      const wrap = document.createElement("div"); wrap.className = "table-wrap"; wrap.tabIndex = 0; wrap.setAttribute("role", "region"); wrap.setAttribute("aria-label", title); wrap.appendChild(t); return wrap;
    };
    const run = () => {
      const data = new FormData(form);
      fetch(form.dataset.preview, { method: "POST", body: new URLSearchParams(data), headers: { "x-csrftoken": token(), accept: "application/json" } })
        .then((r) => r.json())
        .then((j) => {
          out.replaceChildren();
          if (j.errors && Object.keys(j.errors).length) {
            const p = document.createElement("p"); p.className = "field-error";
            p.textContent = "Not previewed: " + Object.entries(j.errors).map(([k, v]) => k.replaceAll("_", " ") + ": " + v).join("; ");
            out.appendChild(p); return;
          }
          out.appendChild(table("Children in care at the horizon: baseline and scenario (expected)", j.tables.children_compared, [["category", "Category"], ["baseline", "Baseline"], ["scenario", "Scenario"], ["change", "Change"]]));
          out.appendChild(table("Placement cost by financial year: baseline and scenario (£, expected)", j.tables.cost_compared, [["financial_year", "Year"], ["baseline", "Baseline"], ["scenario", "Scenario"], ["avoided", "Avoided"], ["delivery_cost", "Delivery cost"], ["net_saving", "Net saving"]]));
          if (j.tables.beds.length) out.appendChild(table("Beds needed against in-house capacity (peak of the expected path, whole beds)", j.tables.beds, [["scenario", "Scenario"], ["category", "Category"], ["in_house_capacity", "Capacity"], ["needed_p50", "Needed"], ["shortfall_p90", "Shortfall"]]));
        }).catch(() => { out.textContent = "The preview could not be computed."; });
    };
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 400); });
    if (form.querySelector("#name")) run();
  }
})();
