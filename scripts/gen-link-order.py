#!/usr/bin/env python3
"""Regenerates scripts/link-order.txt, the order in which the linker lays out the agent's
functions (docs/performance.md, "Code layout").

The kernel maps a binary's code in blocks (fault-around, and whole page-cache folios), so
a function that runs brings its neighbours into the process's RSS. Listing the functions
the agent runs first puts them side by side at the start of .text, and the rest of the
83 MB binary stays on disk.

Usage: scripts/gen-link-order.py UNSTRIPPED_BINARY [ROUNDS]

UNSTRIPPED_BINARY is a static build made with the Dockerfile's `swift build` line (which
links with the current order file). Each round runs that binary's agent on the realistic
workload (file sink and gzip over HTTP) under `perf` twice: once sampling the CPU (the
hot functions, listed first, hottest first) and once recording every page fault (each
function whose code faulted in is listed after them). Functions already in the file keep
their place; new ones are appended. Run it again after a rebuild until a round adds
little (delete the binary before rebuilding: SwiftPM relinks only when an object changed,
and the order file is not one of its inputs). Needs perf (linux-perf) and runs for a minute or two; it is a developer tool,
not part of the tests.
"""
import bisect
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "scripts", "link-order.txt")
LINES = 200_000


def symbols(binary):
    """(sorted start addresses, names) of the binary's functions."""
    out = subprocess.run(["nm", "-n", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    starts, names = [], []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            starts.append(int(parts[0], 16))
            names.append(parts[2])
    return starts, names


def text_range(binary):
    out = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+\.text\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m:
            start = int(m.group(1), 16)
            return start, start + int(m.group(2), 16)
    raise SystemExit("no .text section in " + binary)


def code_segment(binary):
    """(file offset, address) of the LOAD segment that holds the code (flags R E)."""
    out = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        w = line.split()
        if w and w[0] == "LOAD" and "E" in w[6:-1]:
            return int(w[1], 16), int(w[2], 16)
    raise SystemExit("no executable LOAD segment in " + binary)


def load_base(perf_data, binary):
    """The address the binary was loaded at, from perf's record of its code mapping (which
    starts at the page holding the code segment's first byte)."""
    offset, address = code_segment(binary)
    out = subprocess.run(["perf", "script", "-i", perf_data, "--show-mmap-events"],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.search(r"MMAP2? .*\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*\]: (\S+) (\S+)$", line)
        if m and m.group(5) == binary and "x" in m.group(4) and int(m.group(3), 16) == offset & ~0xFFF:
            return int(m.group(1), 16) - (address & ~0xFFF)
    raise SystemExit("perf saw no code mapping of " + binary)


def run_agent(binary, config, done, perf_args, perf_data):
    """Runs the agent under perf until done() is true, then stops it."""
    proc = subprocess.Popen(["perf", "record", "-q", "-o", perf_data] + perf_args +
                            [binary, "agent", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not done() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


def functions_in(perf_data, binary, fields, starts, names, text):
    """Counts, per function, the events perf recorded in the binary's code."""
    base = load_base(perf_data, binary)
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", fields], capture_output=True, text=True).stdout
    counts = collections.Counter()
    for line in out.split("\n"):
        words = line.split()
        if not words:
            continue
        address = int(words[0], 16) - base
        if text[0] <= address < text[1]:
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0:
                counts[names[i]] += 1
    return counts


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = os.path.realpath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    starts, names = symbols(binary)
    text = text_range(binary)
    work = tempfile.mkdtemp(prefix="sluice-link-order.")
    os.makedirs(os.path.join(work, "logs"))
    log = os.path.join(work, "logs", "app.log")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-realistic-logs.py"), str(LINES), log], check=True)
    port_file = os.path.join(work, "receiver.port")
    receiver = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "bench-receiver.py"), port_file])
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        time.sleep(0.05)
    url = "http://127.0.0.1:" + open(port_file).read().strip()

    def received():
        return int(urllib.request.urlopen(url + "/count").read().split()[0])

    hot, touched = collections.Counter(), collections.Counter()
    try:
        for _ in range(rounds):
            for sink in ("file", "http"):
                out = os.path.join(work, "out.ndjson")
                if sink == "file":
                    sink_yaml = "{name: out, type: file, path: %s, rotate: {max_bytes: 0}}" % out
                else:
                    sink_yaml = ("{name: out, type: http, url: \"%s/ingest\", compression: gzip, "
                                 "compression_level: 6, concurrency: 2}" % url)
                for kind in ("cpu", "faults"):
                    subprocess.run(["rm", "-rf", os.path.join(work, "data"), out])
                    config = os.path.join(work, "agent.yaml")
                    with open(config, "w") as f:
                        f.write("data_dir: %s/data\nsources:\n  - {name: app, type: file, include: [\"%s\"], "
                                "read_from: beginning}\npipeline: [{type: parse}, {type: redact}, {type: metrics}]\n"
                                "sinks:\n  - %s\nadmin: {address: \"127.0.0.1:0\"}\n" % (work, log, sink_yaml))
                    base_count = received()
                    if sink == "file":
                        done = lambda: os.path.exists(out) and sum(1 for _ in open(out, "rb")) >= LINES
                    else:
                        done = lambda: received() - base_count >= LINES
                    data = os.path.join(work, "perf.data")
                    if kind == "cpu":
                        run_agent(binary, config, done, ["-e", "cpu-clock", "-F", "10000"], data)
                        hot += functions_in(data, binary, "ip", starts, names, text)
                    else:
                        run_agent(binary, config, done, ["-e", "page-faults", "-c", "1", "-d"], data)
                        touched += functions_in(data, binary, "addr", starts, names, text)
    finally:
        receiver.terminate()
        subprocess.run(["rm", "-rf", work])

    old = [line for line in open(ORDER).read().split("\n") if line] if os.path.exists(ORDER) else []
    order, seen = [], set()
    for name in [n for n, _ in hot.most_common()] + old + sorted(touched):
        if name not in seen:
            seen.add(name)
            order.append(name)
    with open(ORDER, "w") as f:
        f.write("\n".join(order) + "\n")
    new = len(order) - len(set(old))
    print(f"link-order: {len(order)} functions ({len(hot)} sampled hot, {len(touched)} faulted in, {new} new)")


if __name__ == "__main__":
    main()
