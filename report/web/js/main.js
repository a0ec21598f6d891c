// nestrr HTML report: reads the inlined JSON (see report/src/report_json.cc
// for its fields) and puts the panels on the page: the timeline (canvas for
// event marks, SVG for NMI arrows, quiesce bars and markers), the failure
// panel, the selection with every CPU's state, and the summary. No
// libraries, no network. The other files of report/web/js/ come first in
// the page's one script (report/CMakeLists.txt lists the order).
"use strict";

nestrrLoadData().then(function (D) {
  const M = nestrrModel(D);
  const { failure, $, N } = M;
  $("title").textContent = D.title;
  if (failure) {
    const b = $("failure-banner");
    b.hidden = false;
    b.textContent = "Failure: " + failure.title;
  }

  const timeline = nestrrTimeline(M);
  M.select = nestrrSelection(M, timeline);
  timeline.legend();
  nestrrFailurePanel(M);
  nestrrSummary(M);
  timeline.layout();
  timeline.draw();
  if (failure && failure.event !== null) M.select(failure.event, false);
  // For tests and the load benchmark: when the first complete drawing was
  // done, and where an event is drawn (page coordinates of its mark).
  window.nestrrReport = {
    drawnAt: performance.now(),
    events: N,
    eventPoint: timeline.eventPoint,
    zoomTo: timeline.zoomTo,
    failureEvent: failure ? failure.event : null,
  };
  performance.mark("nestrr-drawn");
});
