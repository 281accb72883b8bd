"""Writes sequence-numbered JSON log lines at a steady rate, as a separate process (so the
receiver's work does not slow it): `python3 writer.py --dir D --files 8 --rate 50000
--seconds 60 --stats out.json [--reopen] [--journal]`. Each file `fN.log` gets lines
`{"ts":…,"level":…,"s":"fN","q":<n>,…}` with n counting from 0 (or from where the stats file
says, so a writer can be restarted). Lines are realistic: varied shapes and PII (e-mail
addresses, IPv4, card numbers, phone numbers) for the redaction step.

--reopen keeps each file open but reopens it as soon as its name holds another file (what
an app does under `create` rotation: logrotate renames the file and creates a new one, and
the app reopens — here within a write tick, like a logging handler that watches its file);
without it each file stays open with O_APPEND for good (what `copytruncate` is for).
--journal writes journal files instead: every half second a new `seg-N.journal` made from
journal export format by systemd-journal-remote, each entry's MESSAGE one such line.
SIGTERM ends it cleanly; the stats file always holds what was written."""
import argparse
import json
import os
import signal
import subprocess
import time

REMOTE = "/lib/systemd/systemd-journal-remote"
LEVELS = [b"info"] * 14 + [b"debug"] * 3 + [b"warn", b"error"]
MSGS = [
    b'"msg":"user %d signed in","email":"user%d@example.com","ip":"10.%d.%d.7"',
    b'"msg":"GET /api/v1/orders/%d 200 in %dms","path":"/api/v1/orders"',
    b'"msg":"payment accepted","card":"4111 1111 1111 1111","amount":%d.%02d',
    b'"msg":"callback requested, phone +1 415 555 %04d","attempt":%d',
    b'"msg":"cache miss for key session:%d, refilling from shard %d","latency_ms":%d.5',
    b'"msg":"db query took %dms","rows":%d,"table":"orders"',
]


def line(stream, q, now):
    shape = MSGS[q % len(MSGS)]
    nargs = shape.count(b"%")
    args = tuple((q * (k + 7)) % 997 for k in range(nargs))
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)).encode() + b".%03dZ" % int((now % 1) * 1000)
    return (b'{"ts":"%s","level":"%s","s":"%s","q":%d,' % (ts, LEVELS[q % len(LEVELS)], stream, q)
            + (shape % args) + b"}\n")


class Stop:
    requested = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--files", type=int, default=1)
    ap.add_argument("--rate", type=float, required=True, help="lines per second, all files together")
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--prefix", default="f")
    ap.add_argument("--reopen", action="store_true")
    ap.add_argument("--journal", action="store_true")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: setattr(Stop, "requested", True))
    os.makedirs(a.dir, exist_ok=True)
    names = [f"{a.prefix}{i}".encode() for i in range(a.files)]
    counts = {n.decode(): 0 for n in names}
    if os.path.exists(a.stats):
        counts.update(json.load(open(a.stats))["written"])

    def save():
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"written": counts}, f)
        os.replace(tmp, a.stats)

    if a.journal:
        run_journal(a, names, counts, save)
    else:
        run_files(a, names, counts, save)
    save()


def run_files(a, names, counts, save):
    paths = [os.path.join(a.dir, n.decode() + ".log") for n in names]
    fds = [os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) for p in paths]
    start = time.monotonic()
    total = sum(counts.values())
    base = total
    k = 0
    last_save = start
    while not Stop.requested:
        now = time.monotonic()
        elapsed = now - start
        if elapsed >= a.seconds:
            break
        due = base + int(a.rate * elapsed) - total
        if due > 0:
            wall = time.time()
            per = [[] for _ in names]
            for _ in range(due):
                i = k % len(names)
                k += 1
                per[i].append(line(names[i], counts[names[i].decode()], wall))
                counts[names[i].decode()] += 1
            for i, chunk in enumerate(per):
                if not chunk:
                    continue
                data = b"".join(chunk)
                if a.reopen:
                    reopen(fds, i, paths[i])
                os.write(fds[i], data)
            total += due
        if now - last_save > 0.5:
            save()
            last_save = now
        time.sleep(0.002)
    for fd in fds:
        os.close(fd)


def reopen(fds, i, path):
    """Moves to the file now under `path` if it is another one (never creates it: until
    logrotate has, the lines go on into the renamed file, which the agent still follows)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if st.st_ino != os.fstat(fds[i]).st_ino:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            return
        os.close(fds[i])
        fds[i] = fd


def run_journal(a, names, counts, save):
    stream = names[0]
    boot = "5f3c1f0e8a2b4c6d9e7f1a2b3c4d5e6f"
    start = time.monotonic()
    segment = len([f for f in os.listdir(a.dir) if f.endswith(".journal")])
    written = counts[stream.decode()]
    base = written
    while not Stop.requested:
        time.sleep(0.5)
        elapsed = time.monotonic() - start
        target = base + int(a.rate * min(elapsed, a.seconds))
        if target > written:
            wall = time.time()
            export = bytearray()
            for q in range(written, target):
                us = int(wall * 1e6) + q % 1000
                export += b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n" % (us, us, boot.encode())
                export += b"_HOSTNAME=node-1\n_TRANSPORT=stdout\n_SYSTEMD_UNIT=app.service\n"
                export += b"SYSLOG_IDENTIFIER=app\nPRIORITY=6\nMESSAGE=" + line(stream, q, wall).rstrip(b"\n") + b"\n\n"
            path = os.path.join(a.dir, f"seg-{segment:05d}.journal")
            tmp_export = path + ".export"
            with open(tmp_export, "wb") as f:
                f.write(export)
            # Written under another name and renamed: a reader never sees a half-made file.
            staging = a.dir.rstrip("/") + ".staging"
            os.makedirs(staging, exist_ok=True)
            staged = os.path.join(staging, os.path.basename(path))
            subprocess.run([REMOTE, "-o", staged, tmp_export], check=True, capture_output=True)
            os.rename(staged, path)
            os.unlink(tmp_export)
            segment += 1
            written = target
            counts[stream.decode()] = written
            save()
        if elapsed >= a.seconds:
            break


if __name__ == "__main__":
    main()
