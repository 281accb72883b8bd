"""The agent under test: a `sluice agent` process with its admin endpoint, its metrics and
its memory watched."""
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    def __init__(self, binary, config, log):
        self.binary, self.config, self.log = binary, config, log
        self.admin_port = None
        self.proc = None
        self.peak_rss_kib = 0
        self.rss_series = []  # (seconds since start, KiB), one a second
        self.starts = 0

    def start(self, admin_port):
        self.admin_port = admin_port
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([self.binary, "agent", "--config", self.config, "--log-level", "warning"],
                                     stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.starts += 1
        threading.Thread(target=self._watch_rss, args=(self.proc,), daemon=True).start()
        return self

    def _watch_rss(self, proc):
        t0 = time.monotonic()
        last = -1
        while proc.poll() is None:
            kib = rss_kib(proc.pid, "VmHWM")
            if kib:
                self.peak_rss_kib = max(self.peak_rss_kib, kib)
                sec = int(time.monotonic() - t0)
                if sec != last:
                    self.rss_series.append((sec, rss_kib(proc.pid, "VmRSS") or 0))
                    last = sec
            time.sleep(0.2)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.running():
            self.proc.send_signal(sig)

    def wait(self, timeout=None):
        """The exit status (negative: killed by that signal), or None if still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=60):
        """SIGTERM and wait; SIGKILL if it does not exit within `timeout`."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        code = self.wait(timeout)
        if code is None:
            self.proc.kill()
            code = self.wait()
        return code

    def get(self, path, timeout=2):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()

    def ready(self):
        try:
            return self.get("/readyz")[0] == 200
        except OSError:
            return False

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return False
            if self.ready():
                return True
            time.sleep(0.05)
        return False

    def metrics(self):
        """name -> list of (labels text, value); empty if the endpoint does not answer."""
        try:
            text = self.get("/metrics", timeout=5)[1]
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            m = METRIC.match(line)
            if m:
                out.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
        return out

    def metric(self, name, having="", metrics=None):
        """The sum of `name`'s series whose labels contain `having`."""
        m = metrics if metrics is not None else self.metrics()
        return sum(v for labels, v in m.get(name, []) if having in labels)


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
