"""What every soak scenario shares: a scratch directory, the receiver, the agent's
configuration, writer processes, and the result line."""
import json
import os
import shutil
import subprocess
import sys
import time

from agent import Agent, free_port, wait_until
from receiver import Receiver

HERE = os.path.dirname(os.path.abspath(__file__))


class Result:
    def __init__(self, scenario):
        self.scenario = scenario
        self.written = self.delivered = self.lost = self.duplicated = 0
        self.peak_rss_mib = 0.0
        self.verdict = "FAIL"
        self.notes = []
        self.seconds = 0.0

    def line(self):
        return (f"{self.scenario:<28} {self.written:>9} {self.delivered:>9} {self.lost:>6} {self.duplicated:>7} "
                f"{self.peak_rss_mib:>7.1f} {self.seconds:>6.0f}  {self.verdict:<5} {'; '.join(self.notes)}")

    def as_dict(self):
        return {k: getattr(self, k) for k in
                ("scenario", "written", "delivered", "lost", "duplicated", "peak_rss_mib", "seconds", "verdict", "notes")}


HEADER = (f"{'scenario':<28} {'written':>9} {'delivered':>9} {'lost':>6} {'dup':>7} {'RSS MiB':>7} {'secs':>6}  "
          f"verdict notes")


class Run:
    """One scenario's world: `root/<name>/` with logs/, data/, journal/, the agent's log."""

    def __init__(self, root, name, binary):
        self.name = name
        self.dir = os.path.join(root, name.replace("/", "-"))
        shutil.rmtree(self.dir, ignore_errors=True)
        for sub in ("logs", "data", "journal"):
            os.makedirs(os.path.join(self.dir, sub))
        self.binary = binary
        self.receiver = Receiver()
        self.receiver.start()
        self.admin_port = free_port()
        self.writers = []
        self.agent = None
        self.started = time.monotonic()
        self.result = Result(name)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def config(self, *, sources=None, buffer="{type: memory}", pipeline="[{type: parse}, {type: redact}]",
               sink_extra="", top_extra="", batch="{max_events: 1000, max_age: 200ms}", timeout="2s"):
        if sources is None:
            sources = [self.file_source()]
        text = f"""data_dir: {self.path('data')}
checkpoint_interval: 1s
shutdown_grace: 5s
{top_extra}
sources:
{chr(10).join('  - ' + s for s in sources)}
pipeline: {pipeline}
sinks:
  - name: out
    type: http
    url: "http://127.0.0.1:{self.receiver.port}/ingest"
    timeout: {timeout}
    connect_timeout: 1s
    batch: {batch}
    retry: {{initial_backoff: 50ms, max_backoff: 1s, max_retry_after: 2s}}
    buffer: {buffer}
{sink_extra}
admin: {{address: "127.0.0.1:{self.admin_port}"}}
"""
        path = self.path("agent.yaml")
        with open(path, "w") as f:
            f.write(text)
        check = subprocess.run([self.binary, "validate", "--config", path], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"{self.name}: configuration rejected:\n{check.stdout}{check.stderr}\n{text}")
        return path

    def file_source(self, name="app", include="logs/*.log", extra=""):
        return (f'{{name: {name}, type: file, include: ["{self.path(include)}"], read_from: beginning, '
                f'poll_interval: 100ms{", " + extra if extra else ""}}}')

    def journal_source(self, name="journal"):
        return f'{{name: {name}, type: journald, path: "{self.path("journal")}", read_from: beginning}}'

    def start_agent(self, wait_ready=True):
        if self.agent is None:
            self.agent = Agent(self.binary, self.path("agent.yaml"), self.path("agent.log"))
        self.agent.start(self.admin_port)
        if wait_ready and not self.agent.wait_ready(60):
            raise RuntimeError(f"{self.name}: the agent did not become ready:\n{self.agent_log_tail()}")
        return self.agent

    def agent_log_tail(self, n=15):
        try:
            with open(self.path("agent.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def start_writer(self, *, files=1, rate, seconds, prefix="f", reopen=False, journal=False, stats=None):
        stats = stats or self.path(f"written-{prefix}.json")
        target = self.path("journal") if journal else self.path("logs")
        args = [sys.executable, os.path.join(HERE, "writer.py"), "--dir", target, "--files", str(files),
                "--rate", str(rate), "--seconds", str(seconds), "--stats", stats, "--prefix", prefix]
        if reopen:
            args.append("--reopen")
        if journal:
            args.append("--journal")
        proc = subprocess.Popen(args)
        self.writers.append((proc, stats))
        return proc

    def burst(self, n, until_metric):
        """Writes about `n` lines in one second and waits (up to a minute) until the agent's
        `until_metric` counts all that were written; returns the written counts and whether
        it got there."""
        self.start_writer(files=1, rate=n, seconds=1)
        self.wait_writers()
        written = self.written()
        total = sum(written.values())
        return written, wait_until(lambda: self.agent.metric(until_metric) >= total, 60)

    def wait_writers(self):
        for proc, _ in self.writers:
            proc.wait()

    def written(self):
        out = {}
        for _, stats in self.writers:
            if os.path.exists(stats):
                out.update(json.load(open(stats))["written"])
        return out

    def wait_delivered(self, written, timeout):
        """Until every written (stream, seq) has arrived, or `timeout` seconds without progress."""
        total = sum(written.values())
        last, since = -1, time.monotonic()
        while True:
            have = self.receiver.distinct()
            if have >= total:
                return True
            if have != last:
                last, since = have, time.monotonic()
            elif time.monotonic() - since > timeout:
                return False
            time.sleep(0.2)

    def finish(self, written=None, verdict_ok=None, extra_notes=()):
        """Stops everything and fills the result: lost and duplicated from the receiver."""
        written = written if written is not None else self.written()
        r = self.result
        r.written = sum(written.values())
        r.delivered, r.lost, r.duplicated = self.receiver.tally(written)
        if r.lost:
            r.notes.append("lost e.g. " + " ".join(self.receiver.lost_sample))
        if r.duplicated:
            r.notes.append("duplicated e.g. " + " ".join(self.receiver.duplicated_sample))
        if self.agent:
            code = self.agent.stop()
            r.peak_rss_mib = self.agent.peak_rss_kib / 1024
            if code not in (0, None, -9):
                r.notes.append(f"agent exit {code}")
        r.notes.extend(extra_notes)
        for proc, _ in self.writers:
            if proc.poll() is None:
                proc.terminate()
        self.receiver.stop()
        r.seconds = time.monotonic() - self.started
        ok = r.lost == 0 if verdict_ok is None else verdict_ok(r)
        r.verdict = "PASS" if ok else "FAIL"
        if not ok:
            tail = self.agent_log_tail(5)
            if tail:
                r.notes.append("agent log tail:\n" + tail)
        return r


def wait(predicate, timeout, interval=0.1):
    return wait_until(predicate, timeout, interval)
