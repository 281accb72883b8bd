#!/usr/bin/env python3
"""Writes N realistic JSON log lines (about 300 bytes, ~10 % with an email) for benchmarks."""
import json
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(42)
levels = ["info"] * 80 + ["debug"] * 8 + ["warning"] * 7 + ["error"] * 5
paths = ["/api/cart", "/api/checkout", "/api/orders/1042", "/api/products?page=2", "/healthz"]
with open(out, "w") as f:
    for i in range(n):
        level = rng.choice(levels)
        rec = {
            "timestamp": "2026-11-23T10:%02d:%02d.%06dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000000),
            "level": level,
            "message": ("payment failed for user%d@example.com" % i) if rng.random() < 0.1 else "request completed",
            "logger": "checkout.http",
            "service": "checkout",
            "request_id": "%016x" % rng.getrandbits(64),
            "trace_id": "%032x" % rng.getrandbits(128),
            "method": "GET",
            "path": rng.choice(paths),
            "status": 500 if level == "error" else 200,
            "duration_ms": round(rng.random() * 200, 3),
            "seq": i,
        }
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
