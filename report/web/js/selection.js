// The selection panel: the selected event's fields and every CPU's state
// at that moment (VMX mode, current VMCS12, EPT02, VMCS02 address fields).
// nestrrSelection(M, timeline) returns select(i, zoomIn).
"use strict";

function nestrrSelection(M, timeline) {
  const { D, LANE, T, SEQ, fields, LANES, MODE_NAMES, $, el, fmtInt, fmtTime, cpuName, eventName,
    lastAtOrBefore, table } = M;

  function stateAt(lane, i) {
    const s = D.states[lane];
    const j = lastAtOrBefore(s.at, i);
    if (j < 0) return null;
    return { mode: s.mode[j], vmcs12: s.vmcs12[j], ept02: s.ept02[j], stale: s.stale[j] };
  }
  function select(i, zoomIn) {
    timeline.setSelected(i);
    const box = $("selection");
    box.textContent = "";
    box.append(el("p", { class: "selected-fields" }, el("b", {}, eventName(i)), " at " + fmtTime(T[i] - M.tMin) + " (event " + fmtInt(i) + "): ",
      el("code", {}, fields(i) || "(no fields)")));
    const rows = [];
    for (let l = 0; l < LANES; l++) {
      const s = stateAt(l, i);
      if (!s) { rows.push([cpuName(l), "unknown", "unknown", "unknown", "unknown"]); continue; }
      rows.push([
        cpuName(l),
        s.mode >= 0 ? MODE_NAMES[s.mode] : "unknown",
        s.vmcs12 === null ? "unknown" : s.vmcs12,
        el("span", { class: s.ept02 < 0 ? "good" : "bad" }, s.ept02 < 0 ? "valid" : "stale since the EPT01 change at " + cpuName(LANE[s.ept02]) + " #" + SEQ[s.ept02]),
        el("span", { class: s.stale ? "bad" : "good" }, s.stale ? "stale: " + s.stale : "match EPT01"),
      ]);
    }
    box.append(table(["CPU", "VMX mode", "current VMCS12", "EPT02", "VMCS02 address fields"], rows, "state-table"));
    if (zoomIn) {
      timeline.zoomTo(i);
      document.getElementById("timeline-section").scrollIntoView({ behavior: "instant" });
    } else {
      timeline.redraw();
    }
  }
  return select;
}
