# Each panel module of the report's page (report/web/js/) renders: the
# page of a replayed VMXON race is opened in headless Chromium and every
# panel is checked for its own content, so a module left out of the page's
# script or failing on its own shows up by name.
#   report_panels_test.py NESTRR_BIN OUT_DIR
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # keep the source tree clean
import headless  # noqa: E402

# Panel: (its module's entry point, JavaScript that is truthy once it rendered).
PANELS = {
    "timeline": ("nestrrTimeline",
                 "document.querySelectorAll('#lane-labels .lane-label').length === 2 && "
                 "document.querySelectorAll('#legend .swatch').length > 0 && "
                 "(() => { const c = document.getElementById('tl-canvas');"
                 "  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                 "  for (let i = 3; i < px.length; i += 4) if (px[i]) return true; return false; })()"),
    "selection": ("nestrrSelection",
                  "document.querySelectorAll('#selection table.state-table tr').length === 3"),
    "interleaving table": ("nestrrInterleaving",
                           "document.querySelectorAll('#interleaving tr.role-assertion').length > 0"),
    "failure panel": ("nestrrFailurePanel",
                      "document.querySelector('#failure p.bad a') !== null && "
                      "document.querySelectorAll('#stack .frame-fn').length > 1"),
    "source view": ("nestrrSourceView",
                    "(document.querySelector('#listing .arrow-line') || {}).textContent.startsWith('->')"),
    "summary": ("nestrrSummary",
                "['summary-header', 'counts', 'loss', 'invariants'].every("
                "  c => document.querySelector('#summary table.' + c + ' tr td') !== null)"),
}


def main():
    binary, out_dir = (os.path.abspath(a) for a in sys.argv[1:3])
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    for args in (["record", "--variant", "vmxon-two-flags", "--cpus", "2", "--seed", "3",
                  "--widen", "vmxon:20000", "--time-limit", "5", "-o", "race.nrr"],
                 ["report", "race.nrr", "-o", "race.html"]):
        r = subprocess.run([binary, *args], cwd=out_dir, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            sys.exit("nestrr %s exited %d:\n%s" % (" ".join(args), r.returncode, r.stderr))

    failures = []
    with headless.Browser() as b:
        b.open(os.path.join(out_dir, "race.html"))
        drawn = b.evaluate("new Promise(done => { const t0 = Date.now(); const poll = () => "
                           "window.nestrrReport ? done(true) : Date.now() - t0 > 30000 ? done(false) "
                           ": setTimeout(poll, 20); poll(); })")
        if not drawn:
            failures.append("the page's script never finished: %s" % b.console_errors())
        for panel, (entry, rendered) in PANELS.items():
            ok = b.evaluate("typeof %s === 'function'" % entry) is True
            ok = ok and bool(b.evaluate("!!(%s)" % rendered))
            print(("ok    " if ok else "FAIL  ") + panel)
            if not ok:
                failures.append(panel)
        errors = b.console_errors()
        if errors:
            failures.append("console errors: %s" % errors)
    if failures:
        sys.exit("panels not rendered: %s" % failures)


if __name__ == "__main__":
    main()
