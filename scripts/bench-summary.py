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


def cell(case, variant):
    r = rows.get(f"{case} / {variant}", {})
    return (f"{r['ns']:.0f} ns" if "ns" in r else "-"), r.get("malloc", "-"), r.get("ns")


print("| case | SluiceLog sync | mallocs | SluiceLog async | mallocs | StreamLogHandler | mallocs "
      "| ratio sync | ratio async | swift-log call-site floor | async minus floor |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
# Typed fields have no StreamLogHandler counterpart: they are compared with StreamLogHandler
# logging the same fields as metadata.
same_fields = {"message + 10 typed fields": "message + 10 fields"}
for case in cases:
    s_t, s_m, s_ns = cell(case, "SluiceLog")
    a_t, a_m, a_ns = cell(case, "SluiceLog async")
    t_t, t_m, t_ns = cell(same_fields.get(case, case), "StreamLogHandler")
    if case in same_fields and t_ns:
        t_t += " (as metadata)"
    f_t, f_m, f_ns = cell(case, "call-site floor")
    ratio = f"{t_ns / s_ns:.1f}x" if s_ns and t_ns else "-"
    ratio_a = f"{t_ns / a_ns:.1f}x" if a_ns and t_ns else "-"
    own = f"{a_ns - f_ns:.0f} ns" if a_ns and f_ns else "-"
    print(f"| {case} | {s_t} | {s_m} | {a_t} | {a_m} | {t_t} | {t_m} | {ratio} | {ratio_a} | {f_t} ({f_m} mallocs) | {own} |")
