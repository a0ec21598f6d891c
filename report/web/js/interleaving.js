// The interleaving table of the failure panel: one column per CPU, one row
// per yield point, record or NMI in the order the CPUs ran them (from the
// replay, else from the merged log); a row with an event selects it.
"use strict";

function nestrrInterleaving(M, box) {
  const { D, LANES, failure, el } = M;
  box.append(el("h3", {}, "Interleaving before the failure (" + (failure.interleaving_source === "replay"
    ? "deterministic replay: yield points, logged records and NMIs in the order the CPUs ran them"
    : "merged log: the last events up to the failure and the events that explain it") + ")"));
  const t = el("table", { id: "interleaving" });
  t.append(el("tr", {}, ...D.cpus.map((c) => el("th", {}, "cpu" + c))));
  for (const r of failure.interleaving) {
    const tr = el("tr", { class: "role-" + r.role + (r.event !== undefined ? " clickable" : "") });
    if (r.role === "gap") {
      tr.append(el("td", { colspan: LANES }, r.text));
    } else {
      for (let l = 0; l < LANES; l++) {
        const td = el("td", {});
        if (l === r.lane) {
          td.className = "active";
          if (r.role === "nmi" && r.from !== undefined) td.append(el("span", { class: "nmi-cell-arrow" }, (r.from < r.lane ? "⇒ " : "⇐ ")));
          td.append(r.text);
        } else if (r.role === "nmi" && r.from !== undefined && ((l >= r.from && l < r.lane) || (l <= r.from && l > r.lane))) {
          td.append(el("span", { class: "nmi-cell-arrow" }, l === r.from ? "NMI " + (r.from < r.lane ? "⇒⇒⇒" : "⇐⇐⇐") : "⇒⇒⇒"));
        }
        tr.append(td);
      }
    }
    if (r.event !== undefined) tr.addEventListener("click", () => M.select(r.event, true));
    t.append(tr);
  }
  box.append(t);
}
