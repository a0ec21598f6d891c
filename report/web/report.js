// nestrr HTML report: reads the inlined JSON (see report/src/report_json.cc
// for its fields) and draws the timeline (canvas for event marks, SVG for
// NMI arrows, quiesce bars and markers), the failure panel, the selection
// with every CPU's state, and the summary. No libraries, no network.
"use strict";

// The data element holds the JSON gzip-compressed and base64-encoded; the
// browser's own DecompressionStream inflates it.
async function nestrrLoadData() {
  const text = document.getElementById("nestrr-data").textContent.trim();
  let bytes;
  if (Uint8Array.fromBase64) {
    bytes = Uint8Array.fromBase64(text);
  } else {
    const binary = atob(text);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  }
  performance.mark("nestrr-data-decoded");
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const json = await new Response(stream).text();
  performance.mark("nestrr-data-inflated");
  const data = JSON.parse(json);
  performance.mark("nestrr-data-parsed");
  return data;
}

nestrrLoadData().then(function (D) {
  const N = D.events.dt.length;
  const LANE = Uint16Array.from(D.events.lane);
  const KIND = Uint16Array.from(D.events.kind);
  // Times and sequence numbers come as deltas (see report_json.cc).
  const T = new Float64Array(N), SEQ = new Float64Array(N);
  {
    let milli = 0;
    const lastSeq = new Float64Array(D.cpus.length);
    const dt = D.events.dt, dseq = D.events.dseq;
    for (let i = 0; i < N; i++) {
      milli += dt[i];
      T[i] = milli / 1000;
      lastSeq[LANE[i]] += dseq[i];
      SEQ[i] = lastSeq[LANE[i]];
    }
  }
  const DETAIL = D.events.detail;
  // Event i's field text: its shape with the numbers put back (see
  // EventColumns in report_data.h). Offsets into args built on first use.
  const SHAPES = D.events.details.map((s) => s.split("\u0001"));
  let argStart = null;
  function fields(i) {
    if (!argStart) {
      argStart = new Uint32Array(N + 1);
      for (let j = 0; j < N; j++) argStart[j + 1] = argStart[j] + SHAPES[DETAIL[j]].length - 1;
    }
    const parts = SHAPES[DETAIL[i]];
    let out = parts[0];
    for (let k = 1; k < parts.length; k++) out += String(D.events.args[argStart[i] + k - 1]) + parts[k];
    return out;
  }
  const LANES = D.cpus.length;
  const NK = D.kinds.length;
  const NMIS = D.nmis;  // flat from, to pairs
  const failure = D.failure;

  // Above this many events in view, lanes are drawn as per-pixel aggregates.
  const DETAIL_LIMIT = 20000;
  // Above this many NMIs in view, arrows are left out (and the page says so).
  const ARROW_LIMIT = 400;
  const GUTTER = 76, LANE_H = 46, MARK_TOP = 8, MARK_H = 22, BAND_TOP = 33, BAND_H = 8, AXIS_H = 22;
  const MODE_NAMES = ["disabled", "root", "non-root"];
  const MODE_COLORS = ["#c9ccd4", "#4a7fd6", "#e8912d"];
  const KNOWN_COLORS = {
    vm_exit: "#3b82c4", vm_entry: "#62b0e8", nmi_sent: "#c0392b", nmi_received: "#e74c3c",
    quiesce_begin: "#8e44ad", quiesce_ack: "#a569bd", quiesce_end: "#6c3483",
    ept_flush: "#16a085", ept01_rewalk: "#1abc9c", ept01_change: "#d35400", vmx_mode_change: "#f39c12",
    vmcs12_load: "#27ae60", vmcs12_clear: "#7f8c8d", vmcs02_translation: "#2ecc71",
    vmx_instruction: "#34495e", sync_point: "#b0b6c3", assertion_failure: "#ff0000",
    pal_register: "#9b59b6", pal_unregister: "#9b59b6", records_lost: "#000000",
    memory_snapshot: "#95a5a6", console_text: "#95a5a6",
  };
  const kindColor = D.kinds.map((k, i) => KNOWN_COLORS[k] || "hsl(" + ((i * 67) % 360) + ",55%,48%)");

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  const fmtInt = (n) => Number(n).toLocaleString("en-US");
  function fmtTime(v) {
    if (D.time_unit !== "us") return fmtInt(Math.round(v)) + " ticks";
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(3) + " s";
    if (a >= 1e3) return (v / 1e3).toFixed(3) + " ms";
    return v.toFixed(3) + " µs";
  }
  const cpuName = (lane) => "cpu" + D.cpus[lane];
  const eventName = (i) => D.kinds[KIND[i]] + " (" + cpuName(LANE[i]) + " #" + SEQ[i] + ")";

  // Index of the first event with time >= t.
  function lowerBound(t) {
    let lo = 0, hi = N;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (T[mid] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  // Index of the last entry of a sorted array that is <= v, or -1.
  function lastAtOrBefore(arr, v) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid] <= v) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  // ---- header and summary ------------------------------------------------
  $("title").textContent = D.title;
  if (failure) {
    const b = $("failure-banner");
    b.hidden = false;
    b.textContent = "Failure: " + failure.title;
  }

  function table(head, rows, cls) {
    const t = el("table", cls ? { class: cls } : {});
    t.append(el("tr", {}, ...head.map((h) => el("th", {}, h))));
    for (const r of rows) t.append(el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", typeof c === "number" ? { class: "num" } : {}, typeof c === "number" ? fmtInt(c) : c)))));
    return t;
  }
  function buildSummary() {
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
    const L = s.loss, M = s.merge;
    const lossRows = [
      ["records lost in transport", L.records_lost_transport], ["records dropped by the logger", L.records_dropped_logger],
      ["damaged frames", L.frames_damaged], ["resyncs", L.resyncs], ["duplicate records", L.duplicate_records],
      ["conflicting records", L.conflicting_records], ["console lines", L.console_lines],
      ["causal edges with clock skew", M.skewed_edges], ["merge cycles broken", M.cycles_broken], ["unmatched NMIs", M.unmatched_nmis],
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
  function eventLink(i) {
    return el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); select(i, true); } }, eventName(i));
  }

  // ---- legend ------------------------------------------------------------
  function buildLegend() {
    const box = $("legend");
    for (let k = 0; k < NK; k++) box.append(el("span", {}, el("span", { class: "swatch", style: "background:" + kindColor[k] }), D.kinds[k]));
    for (let m = 0; m < 3; m++) box.append(el("span", {}, el("span", { class: "swatch", style: "background:" + MODE_COLORS[m] + ";height:5px" }), "VMX " + MODE_NAMES[m]));
    box.append(el("span", {}, el("span", { class: "swatch", style: "background:rgba(142,68,173,.3)" }), "quiesce"));
    box.append(el("span", {}, el("span", { class: "swatch", style: "background:#c0392b;height:2px" }), "NMI sender → receiver"));
  }

  // ---- timeline ----------------------------------------------------------
  const canvas = $("tl-canvas"), overlay = $("tl-overlay"), ctx = canvas.getContext("2d");
  const tMin = N ? T[0] : 0, tMax = N ? T[N - 1] : 1;
  const span0 = Math.max(tMax - tMin, 1e-3);
  const view = { t0: tMin - span0 * 0.01, t1: tMax + span0 * 0.01 };
  let width = 800, selected = -1;
  const height = LANES * LANE_H + AXIS_H;
  // Mode bands: per lane, [time, mode] runs from the state changes.
  const modeRuns = D.states.map((s) => {
    const runs = [];
    for (let j = 0; j < s.at.length; j++) {
      if (runs.length && runs[runs.length - 1].mode === s.mode[j]) continue;
      runs.push({ t: T[s.at[j]], mode: s.mode[j] });
    }
    return runs;
  });

  const xOf = (t) => GUTTER + ((t - view.t0) / (view.t1 - view.t0)) * (width - GUTTER);
  const tOf = (x) => view.t0 + ((x - GUTTER) / (width - GUTTER)) * (view.t1 - view.t0);
  const laneY = (l) => l * LANE_H;

  function layout() {
    width = Math.max(400, $("timeline").clientWidth);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = height * dpr;
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    overlay.setAttribute("width", width);
    overlay.setAttribute("height", height);
    overlay.setAttribute("viewBox", "0 0 " + width + " " + height);
    const labels = $("lane-labels");
    labels.textContent = "";
    for (let l = 0; l < LANES; l++) {
      labels.append(el("div", { class: "lane-label", "data-cpu": D.cpus[l], style: "top:" + (laneY(l) + 8) + "px" },
        cpuName(l), el("small", {}, fmtInt(D.summary.counts.reduce((a, c) => a + c.per_lane[l], 0)) + " ev")));
    }
  }

  function draw() {
    const w = width;
    ctx.clearRect(0, 0, w, height);
    const lo = lowerBound(view.t0), hi = lowerBound(view.t1 + 1e-9);
    const inView = hi - lo;
    // Lanes.
    for (let l = 0; l < LANES; l++) {
      ctx.fillStyle = l % 2 ? "#f7f8fb" : "#ffffff";
      ctx.fillRect(0, laneY(l), w, LANE_H);
      ctx.fillStyle = "#eceef3";
      ctx.fillRect(GUTTER, laneY(l) + BAND_TOP, w - GUTTER, BAND_H);
    }
    // VMX mode bands.
    for (let l = 0; l < LANES; l++) {
      const runs = modeRuns[l];
      for (let j = 0; j < runs.length; j++) {
        if (runs[j].mode < 0) continue;
        const x0 = Math.max(GUTTER, xOf(runs[j].t));
        const x1 = Math.min(w, j + 1 < runs.length ? xOf(runs[j + 1].t) : xOf(tMax));
        if (x1 < GUTTER || x0 > w) continue;
        ctx.fillStyle = MODE_COLORS[runs[j].mode];
        ctx.fillRect(x0, laneY(l) + BAND_TOP, Math.max(1, x1 - x0), BAND_H);
      }
    }
    const note = $("lod-note");
    if (inView <= DETAIL_LIMIT) {
      note.hidden = true;
      for (let i = lo; i < hi; i++) {
        ctx.fillStyle = kindColor[KIND[i]];
        const x = xOf(T[i]);
        ctx.fillRect(x - 1, laneY(LANE[i]) + MARK_TOP, 2, MARK_H);
      }
    } else {
      // Aggregate: per lane and pixel column, the count and the most
      // frequent kind; bar height grows with log(count).
      const px = Math.ceil(w - GUTTER) + 1;
      const counts = new Uint32Array(LANES * px);
      const perKind = new Uint32Array(LANES * px * NK);
      const scale = (px - 1) / (view.t1 - view.t0);
      for (let i = lo; i < hi; i++) {
        const p = ((T[i] - view.t0) * scale) | 0;
        const cell = LANE[i] * px + p;
        counts[cell]++;
        perKind[cell * NK + KIND[i]]++;
      }
      let maxCount = 1;
      for (let c = 0; c < counts.length; c++) if (counts[c] > maxCount) maxCount = counts[c];
      const logMax = Math.log(maxCount + 1);
      for (let l = 0; l < LANES; l++) {
        for (let p = 0; p < px; p++) {
          const cell = l * px + p, n = counts[cell];
          if (!n) continue;
          let best = 0;
          for (let k = 1; k < NK; k++) if (perKind[cell * NK + k] > perKind[cell * NK + best]) best = k;
          const h = Math.max(3, (Math.log(n + 1) / logMax) * MARK_H);
          ctx.fillStyle = kindColor[best];
          ctx.fillRect(GUTTER + p, laneY(l) + MARK_TOP + MARK_H - h, 1, h);
        }
      }
      note.hidden = false;
      note.textContent = "Aggregated view: " + fmtInt(inView) + " events in view are drawn as one bar per pixel column and CPU " +
        "(height grows with the log of the count, colour of the most frequent kind). Zoom in to below " +
        fmtInt(DETAIL_LIMIT) + " events to see single events.";
    }
    // Axis.
    const axisY = LANES * LANE_H;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, axisY, w, AXIS_H);
    ctx.fillStyle = "#5b6275";
    ctx.font = "11px sans-serif";
    const ticks = 8;
    for (let k = 0; k <= ticks; k++) {
      const t = view.t0 + ((view.t1 - view.t0) * k) / ticks;
      const x = xOf(t);
      ctx.fillRect(x, axisY, 1, 4);
      ctx.fillText(fmtTime(t - tMin), Math.min(x + 2, w - 70), axisY + 15);
    }
    drawOverlay(lo, hi);
    $("view-range").textContent = fmtTime(view.t0 - tMin) + " – " + fmtTime(view.t1 - tMin) + ", " + fmtInt(inView) + " of " + fmtInt(N) + " events in view";
  }

  function drawOverlay(lo, hi) {
    const q = $("quiesce-layer"), nm = $("nmi-layer"), mk = $("marker-layer");
    q.textContent = ""; nm.textContent = ""; mk.textContent = "";
    // Quiesce bars: SVG (one element each, with its generation) while few
    // are in view, canvas beyond that.
    const bars = [];
    const Q = D.quiesces;
    for (let j = 0; j < Q.length; j += 5) {
      const s = { lane: Q[j], begin: Q[j + 1], end: Q[j + 2], generation: Q[j + 3], ended: Q[j + 4] };
      const x0 = xOf(T[s.begin]), x1 = xOf(T[s.end]);
      if (x1 < GUTTER || x0 > width) continue;
      bars.push(s);
    }
    for (const s of bars) {
      const a = Math.max(GUTTER, xOf(T[s.begin])), b = Math.min(width, xOf(T[s.end]));
      if (bars.length > ARROW_LIMIT) {
        ctx.fillStyle = "rgba(142, 68, 173, 0.35)";
        ctx.fillRect(a, laneY(s.lane) + 3, Math.max(2, b - a), 4);
        continue;
      }
      q.append(svg("rect", { class: "quiesce-bar", x: a, y: laneY(s.lane) + 3, width: Math.max(2, b - a), height: 4, "data-generation": s.generation }));
    }
    let visible = 0;
    for (let j = 0; j < NMIS.length; j += 2) {
      const f = NMIS[j], t = NMIS[j + 1];
      if ((f < lo || f >= hi) && (t < lo || t >= hi)) continue;
      visible++;
    }
    const note = $("lod-note");
    if (visible > ARROW_LIMIT) {
      const before = note.hidden ? "" : note.textContent + " ";
      note.hidden = false;
      note.textContent = before + fmtInt(visible) + " NMIs in view: their arrows are drawn once fewer than " + ARROW_LIMIT + " are.";
    } else {
      for (let j = 0; j < NMIS.length; j += 2) {
        const f = NMIS[j], t = NMIS[j + 1];
        if ((f < lo || f >= hi) && (t < lo || t >= hi)) continue;
        const y0 = laneY(LANE[f]) + MARK_TOP + MARK_H / 2, y1 = laneY(LANE[t]) + MARK_TOP + (LANE[t] > LANE[f] ? 0 : MARK_H);
        nm.append(svg("line", { class: "nmi-arrow", x1: xOf(T[f]), y1: y0, x2: xOf(T[t]), y2: y1, "marker-end": "url(#nmi-head)",
          "data-from": D.cpus[LANE[f]], "data-to": D.cpus[LANE[t]], "data-sent": f, "data-received": t }));
      }
    }
    if (failure && failure.event !== null) {
      const x = xOf(T[failure.event]);
      const g = svg("g", { id: "failure-marker" });
      g.append(svg("line", { x1: x, y1: 0, x2: x, y2: LANES * LANE_H }));
      const label = svg("text", { x: Math.min(x + 3, width - 50), y: laneY(failure.lane) + LANE_H - 2 });
      label.textContent = "failure";
      g.append(label);
      mk.append(g);
    }
    if (selected >= 0) {
      const x = xOf(T[selected]);
      mk.append(svg("rect", { id: "selected-marker", x: x - 3, y: laneY(LANE[selected]) + MARK_TOP - 3, width: 6, height: MARK_H + 6, fill: "none" }));
    }
  }

  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }
  function zoom(factor, atX) {
    const t = tOf(atX === undefined ? (GUTTER + width) / 2 : atX);
    const minSpan = 1e-3;
    const span = Math.max(minSpan, (view.t1 - view.t0) * factor);
    const frac = (t - view.t0) / (view.t1 - view.t0);
    view.t0 = t - frac * span;
    view.t1 = view.t0 + span;
    redraw();
  }
  function zoomTo(i) {
    // A window around event i holding a few dozen events.
    const a = Math.max(0, i - 30), b = Math.min(N - 1, i + 10);
    const pad = Math.max((T[b] - T[a]) * 0.1, 1e-3);
    view.t0 = T[a] - pad;
    view.t1 = T[b] + pad;
    redraw();
  }

  // Nearest event to (x, y) within 5 pixels on the lane under the cursor.
  function hit(x, y) {
    const lane = Math.floor(y / LANE_H);
    if (lane < 0 || lane >= LANES || x < GUTTER) return -1;
    const tol = (5 * (view.t1 - view.t0)) / (width - GUTTER);
    const t = tOf(x);
    const lo = lowerBound(t - tol), hi = lowerBound(t + tol);
    let best = -1, bestD = Infinity;
    for (let i = lo; i < hi; i++) {
      if (LANE[i] !== lane) continue;
      const d = Math.abs(T[i] - t);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  let drag = null;
  canvas.addEventListener("mousedown", (e) => {
    drag = { x: e.offsetX, t0: view.t0, t1: view.t1, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mouseup", (e) => {
    if (!drag) return;
    canvas.classList.remove("dragging");
    const wasClick = !drag.moved;
    drag = null;
    if (wasClick && e.target === canvas) {
      const i = hit(e.offsetX, e.offsetY);
      if (i >= 0) select(i, false);
    }
  });
  canvas.addEventListener("mousemove", (e) => {
    if (drag) {
      const dx = e.offsetX - drag.x;
      if (Math.abs(dx) > 2) drag.moved = true;
      const dt = (dx * (drag.t1 - drag.t0)) / (width - GUTTER);
      view.t0 = drag.t0 - dt;
      view.t1 = drag.t1 - dt;
      redraw();
      return;
    }
    const i = hit(e.offsetX, e.offsetY);
    const tip = $("tooltip");
    if (i < 0) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.textContent = eventName(i) + "\n" + fmtTime(T[i] - tMin) + "\n" + (fields(i) || "(no fields)");
    tip.style.left = Math.min(e.offsetX + 12, width - 300) + "px";
    tip.style.top = e.offsetY + 14 + "px";
  });
  canvas.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, e.offsetX);
  }, { passive: false });
  $("zoom-in").onclick = () => zoom(0.5);
  $("zoom-out").onclick = () => zoom(2);
  $("zoom-fit").onclick = () => { view.t0 = tMin - span0 * 0.01; view.t1 = tMax + span0 * 0.01; redraw(); };
  $("zoom-failure").onclick = () => { if (failure && failure.event !== null) zoomTo(failure.event); };
  $("zoom-failure").disabled = !(failure && failure.event !== null);
  window.addEventListener("resize", () => { layout(); redraw(); });

  // ---- selection: the event and every CPU's state at that moment ---------
  function stateAt(lane, i) {
    const s = D.states[lane];
    const j = lastAtOrBefore(s.at, i);
    if (j < 0) return null;
    return { mode: s.mode[j], vmcs12: s.vmcs12[j], ept02: s.ept02[j], stale: s.stale[j] };
  }
  function select(i, zoomIn) {
    selected = i;
    const box = $("selection");
    box.textContent = "";
    box.append(el("p", { class: "selected-fields" }, el("b", {}, eventName(i)), " at " + fmtTime(T[i] - tMin) + " (event " + fmtInt(i) + "): ",
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
      zoomTo(i);
      document.getElementById("timeline-section").scrollIntoView({ behavior: "instant" });
    } else {
      redraw();
    }
  }

  // ---- failure panel -----------------------------------------------------
  function buildFailure() {
    if (!failure) return;
    const box = $("failure");
    box.textContent = "";
    box.append(el("p", { class: "bad" }, failure.title, failure.event !== null ? " — " : "", failure.event !== null ? eventLink(failure.event) : null));
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
      if (r.event !== undefined) tr.addEventListener("click", () => select(r.event, true));
      t.append(tr);
    }
    box.append(t);

    box.append(el("h3", {}, "Stack of " + cpuName(failure.lane) + (failure.stack_source ? " (" + failure.stack_source + ")" : "")));
    const stack = el("div", { id: "stack" });
    if (failure.stack.length) {
      // Outermost first, one level per call.
      let parent = stack;
      for (let j = failure.stack.length - 1; j >= 0; j--) {
        const f = failure.stack[j];
        const ul = el("ul", {});
        const li = el("li", { class: j === 0 ? "innermost frame" : "frame" },
          el("span", { class: "frame-fn" }, f.function || "??"), " ",
          f.location ? el("span", { class: "frame-loc" }, f.location) : null, " ",
          el("span", { class: "frame-method" }, "[" + f.method + (f.inlined ? ", inlined" : "") + "] " + f.address));
        ul.append(li);
        parent.append(ul);
        parent = li;
      }
    }
    if (failure.stack_note) stack.append(el("p", { class: "note" }, failure.stack_note));
    box.append(stack);

    box.append(el("h3", {}, "Listing: " + (failure.listing_title || "none")));
    if (failure.listing.length) {
      const pre = el("pre", { id: "listing" });
      for (const line of failure.listing) {
        if (line.startsWith("->")) pre.append(el("span", { class: "arrow-line" }, line), "\n");
        else pre.append(line + "\n");
      }
      box.append(pre);
    }
    if (failure.listing_note) box.append(el("p", { class: "note" }, failure.listing_note));
  }

  buildLegend();
  buildFailure();
  buildSummary();
  layout();
  draw();
  if (failure && failure.event !== null) select(failure.event, false);
  // For tests and the load benchmark: when the first complete drawing was
  // done, and where an event is drawn (page coordinates of its mark).
  window.nestrrReport = {
    drawnAt: performance.now(),
    events: N,
    eventPoint(i) {
      const r = canvas.getBoundingClientRect();
      return { x: r.left + xOf(T[i]), y: r.top + laneY(LANE[i]) + MARK_TOP + MARK_H / 2 };
    },
    zoomTo,
    failureEvent: failure ? failure.event : null,
  };
  performance.mark("nestrr-drawn");
});
