#!/usr/bin/env python3
"""Writes N journal entries shaped like a real node's journal into DIR/bench.journal.

Each entry carries the ~20 fields journald records for a service (trusted _PID, _UID,
_CMDLINE, _SYSTEMD_* ..., SYSLOG_*), spread over a handful of units. Messages vary:
plain syslog-style text from daemons (some with e-mail addresses and IPv4s), and JSON
objects from a structured-logging service (the JSON-in-MESSAGE path). The export stream
goes through systemd-journal-remote, so the result is a real journal file.
Usage: gen-journal.py N DIR
"""
import json
import os
import random
import struct
import subprocess
import sys

n = int(sys.argv[1])
out_dir = sys.argv[2]
rng = random.Random(7)
boot = "5f3c1f0e8a2b4c6d9e7f1a2b3c4d5e6f"
machine = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
units = [
    ("checkout.service", "checkout", "/usr/bin/checkout", "json"),
    ("nginx.service", "nginx", "/usr/sbin/nginx", "text"),
    ("sshd.service", "sshd", "/usr/sbin/sshd", "text"),
    ("kubelet.service", "kubelet", "/usr/bin/kubelet", "text"),
    ("cron.service", "CRON", "/usr/sbin/cron", "text"),
]
texts = [
    "Accepted publickey for deploy from 10.{a}.{b}.{c} port {p} ssh2: ED25519 SHA256:{h}",
    "GET /api/orders/{p} HTTP/1.1 200 {b} \"-\" \"curl/8.5.0\" rt=0.0{c}",
    "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    "Failed password for invalid user admin from 192.168.{a}.{b} port {p} ssh2",
    "mail delivery to ops{p}@example.com deferred: connection timed out",
    "I1203 10:00:00.{p} 1234 kubelet.go:2{b}] \"SyncLoop (PLEG): event for pod\" pod=\"shop/checkout-{h}\"",
    "E1203 10:00:00.{p} 1234 pod_workers.go:1{b}] \"Error syncing pod, skipping\" err=\"failed to StartContainer\"",
]
levels = ["info"] * 80 + ["debug"] * 8 + ["warning"] * 7 + ["error"] * 5
prio = {"debug": 7, "info": 6, "warning": 4, "error": 3}


def field(out, name, value):
    data = value if isinstance(value, bytes) else value.encode()
    if b"\n" in data:
        out.append(name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n")
    else:
        out.append(name.encode() + b"=" + data + b"\n")


t0 = 1764754800000000
chunks = []
for i in range(n):
    unit, ident, exe, kind = units[rng.randrange(len(units)) if rng.random() < 0.6 else 0]
    t = t0 + i * 137
    pid = 1000 + units.index((unit, ident, exe, kind)) * 17
    e = []
    field(e, "__REALTIME_TIMESTAMP", str(t))
    field(e, "__MONOTONIC_TIMESTAMP", str(t - t0 + 5_000_000))
    field(e, "_BOOT_ID", boot)
    field(e, "_MACHINE_ID", machine)
    field(e, "_HOSTNAME", "node-7")
    field(e, "_TRANSPORT", "stdout" if kind == "json" else "syslog")
    field(e, "_UID", "0" if ident in ("sshd", "CRON") else "998")
    field(e, "_GID", "0" if ident in ("sshd", "CRON") else "998")
    field(e, "_PID", str(pid))
    field(e, "_COMM", ident.lower())
    field(e, "_EXE", exe)
    field(e, "_CMDLINE", exe + " --config /etc/%s.conf" % ident.lower())
    field(e, "_CAP_EFFECTIVE", "0")
    field(e, "_SYSTEMD_CGROUP", "/system.slice/" + unit)
    field(e, "_SYSTEMD_UNIT", unit)
    field(e, "_SYSTEMD_SLICE", "system.slice")
    field(e, "_SYSTEMD_INVOCATION_ID", "%032x" % (hash(unit) & (2**128 - 1)))
    field(e, "SYSLOG_FACILITY", "3")
    field(e, "SYSLOG_IDENTIFIER", ident)
    level = rng.choice(levels)
    field(e, "PRIORITY", str(prio[level]))
    if kind == "json":
        rec = {
            "level": level,
            "message": ("payment failed for user%d@example.com" % i) if rng.random() < 0.1 else "request completed",
            "request_id": "%016x" % rng.getrandbits(64),
            "path": "/api/checkout",
            "status": 500 if level == "error" else 200,
            "duration_ms": round(rng.random() * 200, 3),
            "seq": i,
        }
        msg = json.dumps(rec, separators=(",", ":"))
    else:
        msg = rng.choice(texts).format(
            a=rng.randrange(256), b=rng.randrange(256), c=rng.randrange(256), p=rng.randrange(65536),
            h="%012x" % rng.getrandbits(48))
    field(e, "MESSAGE", msg)
    field(e, "_SOURCE_REALTIME_TIMESTAMP", str(t - 3))
    e.append(b"\n")
    chunks.append(b"".join(e))

export = out_dir + "/bench.export"
with open(export, "wb") as f:
    f.write(b"".join(chunks))
subprocess.run(["/lib/systemd/systemd-journal-remote", "-o", out_dir + "/bench.journal", export], check=True,
               stderr=subprocess.DEVNULL)
os.remove(export)
