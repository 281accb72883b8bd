#!/usr/bin/env python3
"""Writes N varied JSON log lines for the grep benchmark (scripts/bench-grep).

Real logs vary in shape: several services with their own fields, nested objects
(http, error, user), levels from trace to fatal, messages with PII (emails, IPv4
addresses, card-like numbers, phones), stack traces in some errors, and request ids
that repeat across a request's lines. Lines are ~200–600 bytes; the file compresses
about 5–7x with gzip -6 (templated lines compress far better and flatter a tool).
Deterministic for a given N (seeded).
"""
import json
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(20261204)
services = ["checkout", "billing", "search", "auth", "cart", "inventory", "shipping", "gateway", "users",
            "reports", "mailer", "pricing"]
weights = [18, 9, 14, 12, 10, 6, 5, 11, 6, 3, 3, 3]
levels = ["trace"] * 2 + ["debug"] * 10 + ["info"] * 70 + ["notice"] * 2 + ["warn"] * 9 + ["error"] * 5 \
    + ["fatal"] * 1 + ["critical"] * 1
routes = ["/api/cart", "/api/checkout", "/api/orders/%d", "/api/products?page=%d", "/healthz", "/login",
          "/api/users/%d/profile", "/search?q=%s", "/api/payments/%d/capture", "/metrics"]
words = ["timeout", "refused", "upstream", "cache", "miss", "retry", "slow", "query", "lock", "deadline",
         "exceeded", "connection", "reset", "invalid", "token", "expired", "quota", "throttled"]
first = ["ana", "ben", "chen", "dana", "eli", "fatima", "gus", "hana", "ivan", "jo", "kofi", "lena"]
request_ids = []


def pii(k):
    r = rng.random()
    if r < 0.10:
        return "%s.%s%d@example.com" % (rng.choice(first), rng.choice(first), k % 997)
    if r < 0.20:
        return "%d.%d.%d.%d" % (rng.randrange(1, 255), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
    if r < 0.23:
        return "4111 1111 1111 %04d" % rng.randrange(10000)
    if r < 0.27:
        return "+1 415 555 %04d" % rng.randrange(10000)
    return None


with open(out, "w") as f:
    for i in range(n):
        service = rng.choices(services, weights)[0]
        level = rng.choice(levels)
        if request_ids and rng.random() < 0.35:
            rid = rng.choice(request_ids[-50:])
        else:
            rid = "req-%012x" % rng.getrandbits(48)
            request_ids.append(rid)
        route = rng.choice(routes)
        if "%d" in route:
            route = route % rng.randrange(1, 50000)
        elif "%s" in route:
            route = route % rng.choice(words)
        status = 200
        if level in ("error", "fatal", "critical"):
            status = rng.choice([500, 502, 503, 504])
        elif level == "warn":
            status = rng.choice([200, 404, 409, 429])
        msg_words = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 6)))
        who = pii(i)
        message = "%s %s" % (rng.choice(["request completed", "upstream call", "job step", "cache lookup",
                                          "db query", "payment", "login attempt"]), msg_words)
        if who:
            message += " for " + who
        ts = "2026-12-03T%02d:%02d:%02d.%06dZ" % (i * 24 // n, (i * 1440 // n) % 60, (i * 86400 // n) % 60,
                                                  rng.randrange(1000000))
        rec = {"timestamp": ts, "level": level, "service": service, "message": message, "request_id": rid}
        shape = rng.random()
        if shape < 0.6:
            rec["http"] = {"method": rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"]), "route": route,
                           "status": status}
            rec["duration_ms"] = round(rng.expovariate(1 / 40), 3)
        elif shape < 0.8:
            rec["job"] = {"name": rng.choice(["reindex", "digest", "export", "sync"]), "attempt": rng.randrange(1, 4)}
            rec["rows"] = rng.randrange(0, 100000)
        else:
            rec["user"] = {"id": "u-%d" % rng.randrange(1, 200000), "tier": rng.choice(["free", "pro", "team"])}
            if rng.random() < 0.5:
                rec["client_ip"] = "%d.%d.%d.%d" % (rng.randrange(1, 255), rng.randrange(256), rng.randrange(256),
                                                    rng.randrange(1, 255))
        if level in ("error", "fatal", "critical"):
            rec["error"] = {"type": rng.choice(["TimeoutError", "ConnectionReset", "ValueError", "KeyError"]),
                            "message": "%s after %dms" % (rng.choice(words), rng.randrange(10, 30000))}
            if rng.random() < 0.3:
                rec["error"]["stack"] = "\n".join("  at %s.%s (%s.swift:%d)" % (
                    service, rng.choice(words), rng.choice(words), rng.randrange(1, 900)) for _ in range(rng.randrange(3, 9)))
        if rng.random() < 0.3:
            rec["trace_id"] = "%032x" % rng.getrandbits(128)
            rec["span_id"] = "%016x" % rng.getrandbits(64)
        rec["pid"] = 1000 + services.index(service)
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
