"""scripts/soak's driver: runs the scenarios, prints one line each and a JSON report."""
import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback

from harness import HEADER, Result
from scenarios import ALL


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
    return f"{cpus} cores ({model}), {int(mem) // 1024 // 1024} GiB, {platform.platform()}"


def main():
    ap = argparse.ArgumentParser(description="Soak and fault scenarios against a real agent.")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--quick", action="store_true", help="reduced sizes, for scripts/test")
    ap.add_argument("--only", default="", help="comma-separated scenario name prefixes")
    ap.add_argument("--report", default="", help="write the results as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    a = ap.parse_args()
    chosen = [(n, f) for n, f in ALL if not a.only or any(n.startswith(p) for p in a.only.split(","))]
    root = tempfile.mkdtemp(prefix="sluice-soak-")
    print(f"soak ({'quick' if a.quick else 'full'}) on {machine()}; scratch {root}", flush=True)
    print(HEADER, flush=True)
    results = []
    for name, fn in chosen:
        try:
            r = fn(root, a.binary, a.quick)
        except Exception as e:  # a scenario that cannot run is a failure, with its reason
            r = Result(name)
            r.notes.append(f"error: {e}")
            traceback.print_exc()
        results.append(r)
        print(r.line(), flush=True)
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"machine": machine(), "quick": a.quick, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       "results": [r.as_dict() for r in results]}, f, indent=1)
    if not a.keep:
        import shutil
        shutil.rmtree(root, ignore_errors=True)
    failed = [r.scenario for r in results if r.verdict == "FAIL"]
    limits = [r.scenario for r in results if r.verdict == "LIMIT"]
    if limits:
        print(f"soak: within a documented limit (see docs/reliability.md): {', '.join(limits)}", flush=True)
    print(f"soak: {len(results) - len(failed)} of {len(results)} scenarios passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
