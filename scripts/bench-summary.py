#!/usr/bin/env python3
"""Summarises ordo-one/benchmark text output: p50 wall time and mallocs per case, and the
ratio of StreamLogHandler to SluiceLog for each case measured with both."""
import re
import sys

text = sys.stdin.read()
rows = {}
name = None
for line in text.splitlines():
    line = line.rstrip()
    if line and not line.startswith(("│", "╒", "╞", "├", "╘", "=")) and " / " in line:
        name = line.strip()
        rows[name] = {}
        continue
    m = re.match(r"│ (Time \(wall clock\) \((\w+)\)|Malloc \(total\)) \*?\s*│(.*)", line)
    if name and m:
        cells = [c.strip() for c in m.group(3).split("│")]
        p50 = cells[2]
        if m.group(1).startswith("Time"):
            unit = m.group(2)
            scale = {"ns": 1, "us": 1e3, "μs": 1e3, "ms": 1e6}.get(unit, 1)
            rows[name]["ns"] = float(p50) * scale
        else:
            rows[name]["malloc"] = p50

cases = sorted({n.rsplit(" / ", 1)[0] for n in rows})
print(f"| case | SluiceLog p50 | mallocs | StreamLogHandler p50 | mallocs | ratio |")
print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
for case in cases:
    s = rows.get(f"{case} / SluiceLog", {})
    t = rows.get(f"{case} / StreamLogHandler", {})
    ratio = f"{t['ns'] / s['ns']:.1f}x" if s.get("ns") and t.get("ns") else "-"
    print(f"| {case} | {s.get('ns', 0):.0f} ns | {s.get('malloc', '-')} | {t.get('ns', 0):.0f} ns | "
          f"{t.get('malloc', '-')} | {ratio} |")
