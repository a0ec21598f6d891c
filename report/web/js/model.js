// The report's data as every panel uses it: the inlined JSON inflated
// (nestrrLoadData), the event columns decoded, and the shared helpers for
// names, times, DOM building and event links (nestrrModel). The panels are
// the other files of report/web/js/; main.js puts them on the page.
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

function nestrrModel(D) {
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

  function table(head, rows, cls) {
    const t = el("table", cls ? { class: cls } : {});
    t.append(el("tr", {}, ...head.map((h) => el("th", {}, h))));
    for (const r of rows) t.append(el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", typeof c === "number" ? { class: "num" } : {}, typeof c === "number" ? fmtInt(c) : c)))));
    return t;
  }
  const M = {
    D, N, LANE, KIND, T, SEQ, fields, LANES, NK, NMIS, failure,
    DETAIL_LIMIT, ARROW_LIMIT, GUTTER, LANE_H, MARK_TOP, MARK_H, BAND_TOP, BAND_H, AXIS_H,
    MODE_NAMES, MODE_COLORS, kindColor, $, el, svg, fmtInt, fmtTime, cpuName, eventName,
    lowerBound, lastAtOrBefore, table,
    tMin: N ? T[0] : 0,
    // Shows event i in the selection panel (set by main.js); zoomIn also
    // zooms the timeline to it.
    select: null,
  };
  // A link that selects event i.
  M.eventLink = (i) => el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); M.select(i, true); } }, eventName(i));
  return M;
}
