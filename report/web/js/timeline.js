// The timeline panel: a lane per CPU on a canvas (event marks, VMX mode
// bands, the time axis) under an SVG overlay (NMI arrows, quiesce bars,
// the failure and selection markers), the legend, zoom, pan, hover and
// click. nestrrTimeline(M) draws nothing until layout() and draw().
"use strict";

function nestrrTimeline(M) {
  const { D, N, LANE, KIND, T, fields, LANES, NK, NMIS, failure, DETAIL_LIMIT, ARROW_LIMIT, GUTTER,
    LANE_H, MARK_TOP, MARK_H, BAND_TOP, BAND_H, AXIS_H, MODE_NAMES, MODE_COLORS, kindColor, $, el,
    svg, fmtInt, fmtTime, cpuName, eventName, lowerBound } = M;

  function buildLegend() {
    const box = $("legend");
    for (let k = 0; k < NK; k++) box.append(el("span", {}, el("span", { class: "swatch", style: "background:" + kindColor[k] }), D.kinds[k]));
    for (let m = 0; m < 3; m++) box.append(el("span", {}, el("span", { class: "swatch", style: "background:" + MODE_COLORS[m] + ";height:5px" }), "VMX " + MODE_NAMES[m]));
    box.append(el("span", {}, el("span", { class: "swatch", style: "background:rgba(142,68,173,.3)" }), "quiesce"));
    box.append(el("span", {}, el("span", { class: "swatch", style: "background:#c0392b;height:2px" }), "NMI sender → receiver"));
  }

  const canvas = $("tl-canvas"), overlay = $("tl-overlay"), ctx = canvas.getContext("2d");
  const tMin = M.tMin, tMax = N ? T[N - 1] : 1;
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
      if (i >= 0) M.select(i, false);
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

  return {
    legend: buildLegend, layout, draw, redraw, zoomTo,
    setSelected(i) { selected = i; },
    // Page coordinates of event i's mark.
    eventPoint(i) {
      const r = canvas.getBoundingClientRect();
      return { x: r.left + xOf(T[i]), y: r.top + laneY(LANE[i]) + MARK_TOP + MARK_H / 2 };
    },
  };
}
