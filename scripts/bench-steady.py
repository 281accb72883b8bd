#!/usr/bin/env python3
"""Writes lines from a file to a log at a steady rate, over and over, for `scripts/bench`'s
`steady` part (memory over a long run).

    bench-steady.py SOURCE OUT RATE SECONDS

Every 100 ms it appends RATE/10 lines of SOURCE (cycling) to OUT, so the rate holds however
long a write takes; it prints the number of lines written when it ends.
"""
import sys
import time

source, out, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with open(source, "rb") as f:
    lines = f.read().splitlines(keepends=True)
step = max(1, rate // 10)
written = 0
k = 0
start = time.monotonic()
with open(out, "ab", buffering=0) as o:
    tick = 0
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        due = start + tick * 0.1
        if now < due:
            time.sleep(due - now)
        chunk = lines[k:k + step]
        if len(chunk) < step:
            chunk += lines[: step - len(chunk)]
        k = (k + step) % len(lines)
        o.write(b"".join(chunk))
        written += len(chunk)
        tick += 1
print(written)
