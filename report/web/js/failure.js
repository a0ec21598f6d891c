// The failure panel: what failed and where (a link to the event), the
// interleaving before it (interleaving.js), the failing CPU's stack, and
// the source view around the failing instruction (source.js).
"use strict";

function nestrrFailurePanel(M) {
  const { failure, $, el, cpuName, eventLink } = M;
  if (!failure) return;
  const box = $("failure");
  box.textContent = "";
  box.append(el("p", { class: "bad" }, failure.title, failure.event !== null ? " — " : "", failure.event !== null ? eventLink(failure.event) : null));
  nestrrInterleaving(M, box);

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

  nestrrSourceView(M, box);
}
