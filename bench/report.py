"""Markdown tables from the JSON that bench/run collected (argument: its
results folder). Ratios are against baselines of the same run."""
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["benchmarks"]


def median_rows(rows):
    """name -> row; with repetitions, the median aggregate (cpu_time for
    single-threaded, real_time for threaded rows)."""
    res = {}
    for r in rows:
        if r.get("run_type") == "aggregate":
            if r.get("aggregate_name") == "median":
                res[r["run_name"]] = r
        elif r["run_name"] not in res or "repetitions" not in r:
            res.setdefault(r["run_name"], r)
    return res


def t(r):
    return r["real_time"] if "real_time" in r["run_name"] else r["cpu_time"]


# Goals of the logger rows, as ratios to the bare loop.
GOALS = {"BM_LogFlight": 1.5, "BM_LogStream64": 3.0}


def goal_cell(name, ratio):
    g = GOALS.get(name)
    if g is None:
        return ""
    return f"<= {g:g}x: " + ("met" if ratio <= g else "not met")


print("## Logger call cost (ns per nestrr_log_vm_exit, median)\n")
rows = median_rows(load("logger_bench") or [])
print("| row | threads | ns/call | ratio to bare loop (same threads) | goal |")
print("| --- | --- | --- | --- | --- |")
for suffix, threads in (("", 1), ("/real_time/threads:2", 2)):
    base = rows.get("BM_BareLoop" + suffix)
    for name in ("BM_BareLoop", "BM_LogFlight", "BM_LogStream64"):
        r = rows.get(name + suffix)
        if not r or not base:
            continue
        ratio = t(r) / t(base)
        print(f"| {name} | {threads} | {t(r):.1f} | {ratio:.2f}x | {goal_cell(name, ratio)} |")

print("\n## LTTng-UST tracepoint, same fields, active snapshot session\n")
with open(os.path.join(out, "lttng.status")) as f:
    status = f.read().strip()
lt = load("lttng")
if lt and not status.startswith("SKIP"):
    rows = median_rows(lt)
    base = rows["BM_BareLoop"]
    print("| row | ns/event | ratio to bare loop | goal |")
    print("| --- | --- | --- | --- |")
    for name in ("BM_BareLoop", "BM_LogFlight", "BM_LogStream64", "BM_LttngTracepoint"):
        r = rows.get(name)
        if not r:
            continue
        extra = ""
        if name == "BM_LttngTracepoint":
            extra = " (tracepoint enabled)" if r.get("enabled") else " (tracepoint NOT enabled)"
        ratio = t(r) / t(base)
        print(f"| {name}{extra} | {t(r):.1f} | {ratio:.2f}x | {goal_cell(name, ratio)} |")
    if status:
        print(f"\n{status}")
else:
    print(status or "not run")

print("\n## Bytes per VM-exit record (realistic mix, real logger, stream mode)\n")
rows = median_rows(load("size_bench") or [])
encodings = {"0": "format 4: exit columns, dt in ticks",
             "1": "format 4, dt in 64-tick units (record, testbox)",
             "2": "VM exits as Records (format 3 layout)"}
print("| encoding | flush every | B/VM exit | head | dt | reason | rip | qualification | "
      "payload/record (all kinds, incl. chunk fields) | framed line/record | goal <= 5 |")
print("| --- |" + " --- |" * 10)
for name, r in rows.items():
    parts = dict(p.split(":", 1) for p in name.split("/")[1:] if ":" in p)
    enc, every = parts.get("encoding", "?"), parts.get("flush", "?")
    goal = "met" if r["exit_bytes"] <= 5 else "not met"
    print(f"| {encodings.get(enc, enc)} | {every} | {r['exit_bytes']:.2f} | {r['head']:.2f} | "
          f"{r['dt']:.2f} | {r['reason']:.2f} | {r['rip']:.2f} | {r['qual']:.2f} | "
          f"{r['payload_per_record']:.2f} | {r['framed_per_record']:.2f} | {goal} |")

print("\n## Decode + merge throughput, one core (1M events, 8 CPUs)\n")
rows = median_rows(load("decode_bench") or [])
base = rows.get("BM_ParsePayloads/min_time:1.000")
bt2 = None
bt2_path = os.path.join(out, "babeltrace2.json")
if os.path.exists(bt2_path):
    with open(bt2_path) as f:
        bt2 = json.load(f)
print("| row | Mevents/s | ratio to ParseFromArray of unframed payloads | ratio to babeltrace2 | goal |")
print("| --- | --- | --- | --- | --- |")
for name, r in rows.items():
    ips = r["items_per_second"]
    short = name.split('/')[0]
    vs_bt2 = f"{ips / bt2['events_per_s_net']:.1f}x" if bt2 else "-"
    goal = ""
    if short == "BM_ScanMerge":
        met = ips >= 50e6 and (bt2 is None or ips >= 10 * bt2["events_per_s_net"])
        goal = ">= 50M/s and >= 10x babeltrace2: " + ("met" if met else "not met")
    print(f"| {short} | {ips / 1e6:.2f} | {ips / base['items_per_second']:.2f}x | {vs_bt2} | {goal} |")
if bt2:
    print(f"| babeltrace2 --output-format=dummy | {bt2['events_per_s_net'] / 1e6:.2f} | "
          f"{bt2['events_per_s_net'] / base['items_per_second']:.2f}x | 1.0x | |")
    print(f"\nbabeltrace2: an LTTng-UST trace of the same {bt2['events']:,} VM exits (same fields, "
          f"{bt2['trace_bytes'] / bt2['events']:.1f} B/event on disk, none discarded), decoded and "
          f"merged by time with the dummy sink in {bt2['seconds']:.3f} s; its start-up "
          f"({bt2['floor_seconds']:.3f} s on a one-event trace) is taken off, so the rate is its "
          f"decode alone ({bt2['events_per_s'] / 1e6:.2f}M/s with start-up).")
else:
    status_path = os.path.join(out, "babeltrace2.status")
    if os.path.exists(status_path):
        with open(status_path) as f:
            print("\nbabeltrace2: " + (f.read().strip() or "not run"))

print("\n## Framing: text line vs COBS+CRC (same packets, 8 seeds per condition)\n")
rows = load("framing_bench") or []
by = {}
for r in rows:
    kind, cond = r["label"].split(" ", 1)
    by.setdefault(cond, {})[kind] = r
print("| condition | text bytes/record | COBS bytes/record | text frames ok | COBS frames ok | "
      "text records ok | COBS records ok | bad accepts (text/COBS) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for cond, k in by.items():
    a, b = k["text"], k["cobs"]
    print(f"| {cond} | {a['bytes_per_record']:.2f} | {b['bytes_per_record']:.2f} | "
          f"{a['frames_ok']:.3f} | {b['frames_ok']:.3f} | {a['records_ok']:.3f} | "
          f"{b['records_ok']:.3f} | {int(a['bad_accepts'])}/{int(b['bad_accepts'])} |")

rows = load("testbox_bench")
if rows:
    med = median_rows(rows)
    print("\n## Logger on the QEMU testbox (TCG) vs the host, TSC cycles per record, median of 3\n")
    print("| where | bare loop | flight | flight / bare | stream | stream / bare |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, name in (("host", "BM_LoggerCostHost"), ("testbox (QEMU TCG)", "BM_LoggerCostTestbox")):
        r = next((v for k, v in med.items() if k.startswith(name)), None)
        if not r:
            print(f"| {label} | not run | | | | |")
            continue
        bare, flight, stream = r["bare_cycles"], r["flight_cycles"], r["stream_cycles"]
        print(f"| {label} | {bare:.1f} | {flight:.1f} | {flight / bare:.2f}x | {stream:.1f} | {stream / bare:.2f}x |")
    print("\n## Time to the first hit of the VMXON race on the testbox (2 CPUs, QEMU TCG)\n")
    print("| widening | runs | hits | median wall s | min | max | median in-log s (first record to assertion) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for widen, label in (("1", "widen=vmxon:20000"), ("0", "none")):
        runs = [r for r in rows if r.get("run_type") == "iteration" and r["name"].startswith(
            "BM_TimeToFirstHit/widen:" + widen + "/")]
        if not runs:
            continue
        wall = sorted(r["real_time"] for r in runs)
        hits = sum(1 for r in runs if r.get("hit"))
        inlog = sorted(r["log_seconds"] for r in runs if r.get("hit"))
        m = wall[len(wall) // 2]
        mi = inlog[len(inlog) // 2] if inlog else float("nan")
        print(f"| {label} | {len(runs)} | {hits} | {m:.2f} | {wall[0]:.2f} | {wall[-1]:.2f} | {mi:.4f} |")
