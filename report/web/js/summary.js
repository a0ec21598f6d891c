// The summary panel: the log's header, events per kind and CPU, loss and
// resyncs, the invariants checked and their violations.
"use strict";

function nestrrSummary(M) {
  const { D, kindColor, $, el, fmtInt, table, eventLink } = M;
  const s = D.summary, box = $("summary");
  box.append(el("h3", {}, "Header"));
  box.append(table(["field", "value"], [
    ["description", s.description || "(none)"],
    ["variant", s.variant || "(not a run of nestrr's core)"],
    ["origin", s.origin || "-"], ["sink", s.sink || "-"],
    ["CPUs", D.cpus.length + " with events" + (s.header_cpu_count ? ", header says " + s.header_cpu_count : "") +
      (s.loss.silent_cpus.length ? "; no records: " + s.loss.silent_cpus.map((c) => "cpu" + c).join(", ") : "")],
    ["TSC rate", s.tsc_hz ? fmtInt(s.tsc_hz) + " Hz" : "unknown (times in ticks)"],
    ["events", s.events], ["log bytes", s.bytes],
    ["replay", s.replay_outcome || "not run"],
  ], "summary-header"));
  box.append(el("h3", {}, "Events per kind and CPU"));
  const rows = s.counts.map((c) => [el("span", {}, el("span", { class: "swatch", style: "background:" + kindColor[D.kinds.indexOf(c.kind)] }), c.kind), ...c.per_lane, c.total]);
  const totals = D.cpus.map((_, l) => s.counts.reduce((a, c) => a + c.per_lane[l], 0));
  rows.push(["all", ...totals, s.events]);
  box.append(table(["kind", ...D.cpus.map((c) => "cpu" + c), "total"], rows, "counts"));
  box.append(el("h3", {}, "Loss and resyncs"));
  const L = s.loss, merge = s.merge;
  const lossRows = [
    ["records lost in transport", L.records_lost_transport], ["records dropped by the logger", L.records_dropped_logger],
    ["damaged frames", L.frames_damaged], ["resyncs", L.resyncs], ["duplicate records", L.duplicate_records],
    ["conflicting records", L.conflicting_records], ["console lines", L.console_lines],
    ["causal edges with clock skew", merge.skewed_edges], ["merge cycles broken", merge.cycles_broken], ["unmatched NMIs", merge.unmatched_nmis],
  ];
  box.append(table(["what", "count"], lossRows, "loss"));
  if (L.lost.length) {
    box.append(el("p", {}, "Records lost, where (" + fmtInt(L.lost_ranges) + " ranges; any of them could hide a violation):"));
    box.append(el("ul", { class: "lost" }, ...L.lost.map((t) => el("li", {}, t))));
  }
  box.append(el("h3", {}, "Invariants checked (" + fmtInt(s.checks) + " evaluations)"));
  box.append(table(["invariant", "meaning", "outcome", "violations"], s.invariants.map((v) => [
    el("code", {}, v.id), v.description,
    el("span", { class: v.outcome === "holds" ? "good" : "bad" }, v.outcome +
      (v.unknown ? " (" + fmtInt(v.unknown) + " found where records were lost)" : "")),
    el("span", { class: v.violations ? "bad" : "good" }, v.violations ? fmtInt(v.violations) : "none")]), "invariants"));
  if (D.violations.length) {
    box.append(el("h3", {}, "Violations"));
    const ul = el("ul", { class: "violations" });
    for (const v of D.violations) {
      const li = el("li", {}, el("code", {}, "[" + v.invariant + "] "), v.message, " at ", eventLink(v.event));
      const causes = el("ul", {});
      for (const c of v.causes) causes.append(el("li", {}, c.note + ": ", eventLink(c.event)));
      li.append(causes);
      ul.append(li);
    }
    box.append(ul);
  }
}
