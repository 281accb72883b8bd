#!/usr/bin/env python3
"""Summarises the TransformBenchmarks run (ordo-one/benchmark text output, scaling factor
kilo): p50 ns and mallocs per event for each pipeline-step case, and each changing step's
cost over the parse baseline."""
import re
import sys

rows = {}
name = None
for line in sys.stdin.read().splitlines():
    line = line.rstrip()
    if line and not line.startswith(("│", "╒", "╞", "├", "╘", "=")) and not line.startswith(" ") \
            and "│" not in line and len(line) < 80 and not line.startswith(("Build", "Running", "Benchmark")):
        name = line.strip()
        continue
    m = re.match(r"│ (Time \(wall clock\) \((\w+)\)|Malloc \(total\)) \*?\s*│(.*)", line)
    if name and m:
        p50 = [c.strip() for c in m.group(3).split("│")][2]
        r = rows.setdefault(name, {})
        if m.group(1).startswith("Time"):
            scale = {"ns": 1, "us": 1e3, "μs": 1e3, "ms": 1e6}.get(m.group(2), 1)
            r["ns"] = float(p50) * scale
        else:
            # Scaled by 1,000 iterations (events): per event.
            r["malloc"] = float(p50) / 1000

base = rows.get("parse (baseline)", {}).get("ns")
print("| case | ns/event (p50) | mallocs/event | step cost (over parse) |")
print("| --- | ---: | ---: | ---: |")
for case, r in rows.items():
    over = f"{r['ns'] - base:.0f} ns" if base and case.startswith("parse +") and "ns" in r else ""
    print(f"| {case} | {r.get('ns', float('nan')):.0f} | {r.get('malloc', float('nan')):.3f} | {over} |")
