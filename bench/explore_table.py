#!/usr/bin/env python3
"""Markdown tables from explore_search_bench's JSON (bench/explore_search).

Search table: per bug variant, CPU count and workload iterations, the
median schedules (and seconds) to the first finding of random, pct,
bounded and landing; the best non-random strategy; its ratio to random;
and the goal (>= 100x fewer schedules where random needs >= 1,000, and
every seed's finding in < 1 s). Fixed table: the fixed variant's sweep.
"""
import json
import re
import sys

STRATEGIES = ["random", "pct", "bounded", "landing"]


def counters(bench):
    return {k: v for k, v in bench.items() if isinstance(v, (int, float))}


def cell_text(c):
    if c is None:
        return "-"
    n = int(c["median_schedules"])
    if c["censored_median"]:
        return f"> {n:,} ({int(c['found'])}/{int(c['seeds_run'])} found)"
    secs = c["median_seconds"]
    return f"{n:,} ({secs:.3f} s)"


def ratio_text(x):
    return f"{x:,.0f}x" if x >= 10 else f"{x:.1f}x"


def main(paths):
    benches = {}
    for path in paths:  # a later file's rows replace an earlier one's
        for b in json.load(open(path))["benchmarks"]:
            benches[b["name"]] = b
    search, fixed = {}, []
    for b in benches.values():
        name = b["name"].removesuffix("/iterations:1").removesuffix("/real_time")
        m = re.match(r"Search/(.+)/cpus:(\d+)/iter:(\d+)/(\w+)", name)
        if m:
            key = (m.group(1), int(m.group(2)), int(m.group(3)))
            search.setdefault(key, {})[m.group(4)] = counters(b)
            continue
        m = re.match(r"Fixed/cpus:(\d+)/(\w+)/(\w+)", name)
        if m:
            fixed.append((int(m.group(1)), m.group(2), m.group(3), counters(b)))

    print("| variant | CPUs | iter | " + " | ".join(STRATEGIES) +
          " | best | ratio random/best | goal |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in STRATEGIES) + " | --- | --- | --- |")
    for (variant, cpus, it), row in sorted(search.items()):
        cells = [cell_text(row.get(s)) for s in STRATEGIES]
        best, best_n = None, None
        for s in ["pct", "bounded", "landing"]:
            c = row.get(s)
            if not c or c["censored_median"]:
                continue
            if best_n is None or c["median_schedules"] < best_n:
                best, best_n = s, c["median_schedules"]
        r = row.get("random")
        ratio, goal = "-", "-"
        if best and r:
            rn = r["median_schedules"]
            ratio = ("> " if r["censored_median"] else "") + ratio_text(rn / best_n)
            under_1s = row[best]["max_found_seconds"] < 1.0 and row[best]["found"] == row[best]["seeds_run"]
            if rn < 1000 and not r["censored_median"]:
                goal = "n/a (random < 1,000)"
            elif rn / best_n >= 100 and under_1s:
                goal = "met"
            else:
                goal = "not met" + ("" if under_1s else " (> 1 s)")
        elif r and not best:
            goal = "not met (no strategy found it)"
        print(f"| {variant} | {cpus} | {it} | " + " | ".join(cells) +
              f" | {best or '-'} | {ratio} | {goal} |")

    print()
    print("| CPUs | workloads | strategy | schedules | findings | deadlocks | note |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for cpus, wl, s, c in sorted(fixed, key=lambda x: (x[0], x[1], STRATEGIES.index(x[2]))):
        note = f"bound {int(c['bound'])}" if "bound" in c else ""
        if c.get("exhausted"):
            note += ", the whole bounded space"
        print(f"| {cpus} | {wl} | {s} | {int(c['schedules']):,} | {int(c['findings'])} | "
              f"{int(c['deadlocks'])} | {note} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["build/bench/results/explore_search_bench.json"])
