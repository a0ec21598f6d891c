# The HTML report of a replayed VMXON race, opened in real headless
# Chromium: one lane per CPU, the NMI arrow into the failing CPU, the
# failure panel with the interleaving, the stack and the listing, hover and
# click working, no console error, no request beyond the file itself, and
# event counts that agree with the Chrome trace export. Leaves the report
# and a screenshot in the output directory.
#   report_browser_test.py NESTRR_BIN SOURCE_DIR OUT_DIR
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # keep the source tree clean
import headless  # noqa: E402

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)
    return cond


def nestrr(binary, out_dir, *args):
    r = subprocess.run([binary, *args], cwd=out_dir, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("nestrr %s exited %d:\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def chrome_trace_counts(path):
    """Log events per CPU in a Chrome trace: one B/E/X/i entry each."""
    with open(path) as f:
        trace = json.load(f)
    per_cpu = {}
    for e in trace["traceEvents"]:
        if e["ph"] not in ("B", "E", "X", "i") or e.get("cat") == "console":
            continue
        if e["ph"] == "E" and e.get("args", {}).get("unterminated"):
            continue
        per_cpu[e["tid"]] = per_cpu.get(e["tid"], 0) + 1
    return per_cpu


def main():
    binary, source_dir, out_dir = (os.path.abspath(a) for a in sys.argv[1:4])
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    nestrr(binary, out_dir, "record", "--variant", "vmxon-two-flags", "--cpus", "2", "--seed", "3",
           "--widen", "vmxon:20000", "--time-limit", "5", "-o", "race.nrr")
    nestrr(binary, out_dir, "report", "race.nrr", "--source-dir", source_dir, "-o", "race.html")
    nestrr(binary, out_dir, "export", "race.nrr", "--chrome-trace", "race.json")
    invariants = [line.split(":")[0] for line in
                  nestrr(binary, out_dir, "check", "--list").stdout.splitlines() if line]

    with headless.Browser() as b:
        url = b.open(os.path.join(out_dir, "race.html"))
        # The data is inflated asynchronously: the page is drawn after its load event.
        check(b.wait_for("!!window.nestrrReport") is True, "the page's script ran to the end")
        lanes = b.evaluate("[...document.querySelectorAll('.lane-label')].map(e => e.dataset.cpu)")
        check(lanes == ["0", "1"], "one lane per CPU: %s" % lanes)
        failing = b.evaluate("document.querySelector('#failure-banner').textContent")
        check("cpu_has_current_vmcs12" in failing, "failure banner names the assertion: %r" % failing)
        failing_cpu = failing.split("cpu")[1].split(":")[0] if "cpu" in failing else "?"
        other_cpu = "1" if failing_cpu == "0" else "0"

        b.evaluate("document.getElementById('zoom-failure').click()")
        b.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        arrows = b.evaluate("[...document.querySelectorAll('#nmi-layer .nmi-arrow')]"
                            ".map(e => [e.dataset.from, e.dataset.to])")
        check([other_cpu, failing_cpu] in arrows,
              "an NMI arrow from cpu%s into the failing cpu%s near the failure: %s" % (other_cpu, failing_cpu, arrows))
        check(b.evaluate("!!document.querySelector('#failure-marker')"), "the failure is marked on the timeline")

        rows = b.evaluate("[...document.querySelectorAll('#interleaving tr')].map(r => [r.className, r.textContent])")
        nmi_rows = [t for c, t in rows if "role-nmi" in c]
        check(any("NMI from cpu" + other_cpu in t and "is_vmx_operation" in t for t in nmi_rows),
              "the interleaving shows the NMI landing between the two stores: %s" % nmi_rows)
        check(any("role-assertion" in c for c, _ in rows), "the interleaving ends in the assertion")
        stack = b.evaluate("[...document.querySelectorAll('#stack .frame-fn')].map(e => e.textContent)")
        check(any(f.startswith("handle_vmxon") for f in stack) and any(f.startswith("find_current_vmcs12") for f in stack),
              "the stack tree holds handle_vmxon and find_current_vmcs12: %s" % stack)
        check(b.evaluate("document.querySelector('#stack li.innermost') !== null"), "the stack marks the innermost frame")
        arrow_line = b.evaluate("(document.querySelector('#listing .arrow-line') || {}).textContent || ''")
        check(arrow_line.startswith("->"), "the listing has the arrow line: %r" % arrow_line)

        summary = b.evaluate("[...document.querySelectorAll('table.invariants tr td:first-child')].map(e => e.textContent)")
        check(summary == invariants, "the summary lists the checked invariants: %s" % summary)
        totals = b.evaluate("[...document.querySelectorAll('table.counts tr')].pop().textContent")
        per_lane = b.evaluate("[...[...document.querySelectorAll('table.counts tr')].pop().querySelectorAll('td')]"
                              ".slice(1, -1).map(e => Number(e.textContent.replace(/,/g, '')))")
        trace = chrome_trace_counts(os.path.join(out_dir, "race.json"))
        check(per_lane == [trace.get(0, 0), trace.get(1, 0)],
              "event counts per CPU agree with the Chrome trace: report %s, trace %s" % (per_lane, trace))
        check(b.evaluate("window.nestrrReport.events") == sum(trace.values()), "total events agree: %s" % totals)

        # Hover the failure's mark, then click it: fields, then every CPU's state.
        point = b.evaluate("window.nestrrReport.eventPoint(window.nestrrReport.failureEvent)")
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=point["x"], y=point["y"])
        tip = b.evaluate("document.getElementById('tooltip').hidden ? '' : document.getElementById('tooltip').textContent")
        # Events a fraction of a pixel apart may win the hover: any event of
        # the failing CPU will do, with its fields.
        check("(cpu%s #" % failing_cpu in tip and len(tip.splitlines()) == 3,
              "hovering the failure's mark shows an event's fields: %r" % tip)
        b.call("Input.dispatchMouseEvent", type="mousePressed", x=point["x"], y=point["y"], button="left", clickCount=1)
        b.call("Input.dispatchMouseEvent", type="mouseReleased", x=point["x"], y=point["y"], button="left", clickCount=1)
        chosen = b.evaluate("document.querySelector('#selection .selected-fields b').textContent")
        check(tip.startswith(chosen), "clicking selects the hovered event: %r" % chosen)
        state = b.evaluate("[...document.querySelectorAll('table.state-table tr')].slice(1).map(r => "
                           "[...r.querySelectorAll('td')].map(td => td.textContent))")
        check(len(state) == 2, "clicking shows the state of both CPUs: %s" % state)
        # The mode is known once the CPU has logged a mode change; a race hit
        # at its first VMXON fails before any is logged, and then the honest
        # answer is "unknown".
        modes = {row[0]: row[1] for row in state}
        dump = nestrr(binary, out_dir, "dump", "race.nrr").stdout
        logged = any(" cpu%s #" % failing_cpu in line and " vmx_mode_change " in line
                     for line in dump.splitlines())
        want = ("disabled", "root", "non-root") if logged else ("unknown",)
        check(modes.get("cpu" + failing_cpu) in want,
              "the failing CPU's VMX mode is %s at the failure: %s" % (
                  "known (the log has its mode changes)" if logged else "unknown (no mode change logged)", modes))

        # Zoom and pan change the view.
        before = b.evaluate("document.getElementById('view-range').textContent")
        b.evaluate("document.getElementById('zoom-fit').click()")
        b.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        after = b.evaluate("document.getElementById('view-range').textContent")
        check(before != after, "zooming changes the view: %r -> %r" % (before, after))

        b.screenshot(os.path.join(out_dir, "race.png"))
        errors = b.console_errors()
        check(not errors, "no console errors: %s" % errors)
        requests = b.requests()
        check(requests == [url], "no request beyond the file itself: %s" % requests)

    if failures:
        print("%d check(s) failed; report and screenshot in %s" % (len(failures), out_dir))
        sys.exit(1)
    print("report and screenshot in " + out_dir)


if __name__ == "__main__":
    main()
