#!/usr/bin/env python3
"""Writes N JSON log lines shaped like a busy service's, for the `realistic` part of
scripts/bench: varied shapes (HTTP access, DB, queue, cache, auth, errors with stack
traces, nested objects), random identifiers that do not compress, and PII at the density
seen in real logs — about 10 % of lines carry an e-mail address, 10 % an IPv4 address,
3 % a payment card number (Luhn-valid, in several spellings) and 4 % a phone number.
About 310 bytes a line on average. Deterministic (seeded).

    gen-realistic-logs.py N OUT
"""
import json
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(1919)

LEVELS = ["info"] * 76 + ["debug"] * 10 + ["warning"] * 8 + ["error"] * 6
SERVICES = ["checkout", "cart", "payments", "search", "accounts", "inventory", "notifications"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
LAST = ["smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "martin", "lee", "walker"]
DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "users.example.io"]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "okhttp/4.12.0",
    "curl/8.5.0",
    "Go-http-client/2.0",
]
PATHS = ["/api/v2/cart/items", "/api/v2/checkout", "/api/v2/orders/{id}", "/api/v2/products",
         "/api/v2/users/{id}/addresses", "/healthz", "/api/v2/search", "/api/v2/payments/{id}/capture"]
TABLES = ["orders", "order_items", "customers", "payments", "inventory_levels", "sessions"]
CARD_PREFIXES = ["4111", "4539", "5500", "5105", "3714", "6011"]


def hexid(bits):
    return "%0*x" % (bits // 4, rng.getrandbits(bits))


def email():
    sep = rng.choice([".", "_", ""])
    return "%s%s%s%d@%s" % (rng.choice(FIRST), sep, rng.choice(LAST), rng.randrange(1000), rng.choice(DOMAINS))


def ipv4():
    return "%d.%d.%d.%d" % (rng.choice([10, 172, 192, 81, 203]), rng.randrange(256), rng.randrange(256),
                            rng.randrange(1, 255))


def luhn_card():
    prefix = rng.choice(CARD_PREFIXES)
    length = 15 if prefix.startswith("37") else 16
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    style = rng.randrange(3)
    if style == 0:
        return s
    sep = " " if style == 1 else "-"
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def phone():
    return rng.choice([
        "+1 415 555 %04d" % rng.randrange(10000),
        "+44 20 7946 %04d" % rng.randrange(10000),
        "(212) 555-%04d" % rng.randrange(10000),
        "+49 30 901820%02d" % rng.randrange(100),
    ])


def stack(depth):
    frames = []
    for k in range(depth):
        frames.append("  at %s.%s(%s.swift:%d)" % (rng.choice(["OrderService", "PaymentClient", "Repo", "Router"]),
                                                   rng.choice(["handle", "capture", "fetch", "retry", "decode"]),
                                                   rng.choice(["Orders", "Payments", "DB", "HTTP"]),
                                                   rng.randrange(20, 900)))
    return "\n".join(frames)


def line(i):
    level = rng.choice(LEVELS)
    svc = rng.choice(SERVICES)
    rec = {
        "ts": "2026-12-05T%02d:%02d:%02d.%06dZ" % (i // 3_600_000 % 24, i // 60_000 % 60, i // 1000 % 60,
                                                  rng.randrange(1_000_000)),
        "level": level,
        "service": svc,
        "pod": "%s-%s-%s" % (svc, hexid(40)[:10], hexid(20)),
        "node": "ip-10-0-%d-%d.eu-west-1.compute.internal" % (rng.randrange(4), rng.randrange(256)),
        "logger": "%s.%s" % (svc, rng.choice(["http", "db", "worker", "auth", "client"])),
    }
    kind = rng.randrange(6)
    # PII is drawn independently of the shape, at the densities.
    has_email = rng.random() < 0.10
    has_ip = rng.random() < 0.10
    has_card = rng.random() < 0.03
    has_phone = rng.random() < 0.04
    if kind == 0:
        path = rng.choice(PATHS).replace("{id}", str(rng.randrange(10**6)))
        status = rng.choice([200] * 20 + [201, 204, 304, 400, 401, 404, 429, 500, 503])
        rec.update(msg="%s %s %d" % (rng.choice(["GET", "POST", "PUT", "DELETE"]), path, status),
                   http={"method": "GET", "path": path, "status": status, "bytes": rng.randrange(50, 90000),
                         "duration_ms": round(rng.random() * 400, 2)},
                   request_id=hexid(64), user_agent=rng.choice(AGENTS))
    elif kind == 1:
        rec.update(msg="query %s took %dms" % (rng.choice(TABLES), rng.randrange(1, 900)),
                   db={"table": rng.choice(TABLES), "rows": rng.randrange(0, 5000), "pool": "primary"},
                   trace_id=hexid(128))
    elif kind == 2:
        rec.update(msg="consumed message from %s" % rng.choice(["orders.created", "payments.captured", "mail.send"]),
                   queue={"partition": rng.randrange(24), "offset": rng.randrange(10**9), "lag": rng.randrange(500)},
                   message_id=hexid(96))
    elif kind == 3:
        rec.update(msg="cache %s for key %s:%d" % (rng.choice(["miss", "hit", "evict"]), rng.choice(["session", "cart",
                   "price"]), rng.randrange(10**7)), shard=rng.randrange(64))
    elif kind == 4:
        rec.update(msg=rng.choice(["user signed in", "password reset requested", "token refreshed", "login failed"]),
                   session=hexid(64), mfa=rng.random() < 0.3)
    else:
        rec.update(msg="upstream call to %s failed, retry %d" % (rng.choice(SERVICES), rng.randrange(1, 6)),
                   error={"type": rng.choice(["Timeout", "ConnectionReset", "HTTP503"]),
                          "attempt": rng.randrange(1, 6)},
                   trace_id=hexid(128))
        if level == "error" and rng.random() < 0.3:
            rec["stack"] = stack(rng.randrange(3, 9))
    if has_email:
        if rng.random() < 0.5:
            rec["user"] = {"email": email(), "id": rng.randrange(10**7)}
        else:
            rec["msg"] += " for " + email()
    if has_ip:
        if rng.random() < 0.6:
            rec["client_ip"] = ipv4()
        else:
            rec["msg"] += " from " + ipv4()
    if has_card:
        rec["msg"] += " card " + luhn_card()
    if has_phone:
        if rng.random() < 0.5:
            rec["contact"] = {"phone": phone()}
        else:
            rec["msg"] += ", callback " + phone()
    return json.dumps(rec, separators=(",", ":"))


with open(out, "w") as f:
    buf = []
    for i in range(n):
        buf.append(line(i))
        if len(buf) == 10000:
            f.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        f.write("\n".join(buf) + "\n")
