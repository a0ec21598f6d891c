// The source view of the failure panel: the disassembly listing of the
// failing function with its source lines, the stopped instruction marked.
"use strict";

function nestrrSourceView(M, box) {
  const { failure, el } = M;
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
