"""A loopback log backend for the soak suite: takes POSTed NDJSON batches (gzip or not),
tallies the sequence numbers in them, and misbehaves on request: down (connection refused),
flaky (5xx, 429 with Retry-After, slow answers, resets, 200 then close) or stalled (reads the
request and never answers)."""
import json
import random
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# `"s":"f3","q":123` — also inside a JSON string (journald MESSAGE), where quotes are escaped.
SEQ = re.compile(rb'\\?"s\\?":\\?"([a-z0-9]+)\\?",\\?"q\\?":(\d+)')


class Flaky:
    """Per-request odds of each misbehaviour; what is left is a plain 200."""

    def __init__(self, error=0.30, throttle=0.10, slow=0.05, reset=0.05, close_after=0.05, slow_seconds=(0.2, 2.5)):
        self.error, self.throttle, self.slow, self.reset, self.close_after = error, throttle, slow, reset, close_after
        self.slow_seconds = slow_seconds


class Receiver:
    def __init__(self, port=0, validate=False, seed=1):
        self.lock = threading.Lock()
        self.seen = Counter()  # (stream, seq) -> times delivered
        self.lines = 0  # lines in accepted requests
        self.invalid = []  # lines that were not valid UTF-8 JSON objects (first few)
        self.invalid_count = 0
        self.requests = Counter()  # outcome -> count
        self.ambiguous_events = 0  # accepted, but the agent may not have seen the answer
        self.validate = validate
        self.flaky = None
        self.stalled = threading.Event()
        self.unstall = threading.Event()
        self.rng = random.Random(seed)
        self.port = port
        self.server = None
        self.connections = set()
        self.timeout_hint = 1.0  # the agent's request timeout: slower answers are ambiguous

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                receiver.handle(self)

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Down: the port refuses connections and open connections are cut."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server = None

    def stall(self):
        self.unstall.clear()
        self.stalled.set()

    def resume(self):
        self.stalled.clear()
        self.unstall.set()

    # -- requests ----------------------------------------------------------------------------
    def handle(self, h):
        length = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(length)
        if self.stalled.is_set():
            self.count("stalled")
            self.unstall.wait()
            h.close_connection = True
            return
        action = "ok"
        if self.flaky:
            with self.lock:
                r = self.rng.random()
            f = self.flaky
            for name, p in (("error", f.error), ("throttle", f.throttle), ("slow", f.slow), ("reset", f.reset),
                            ("close_after", f.close_after)):
                if r < p:
                    action = name
                    break
                r -= p
        self.count(action)
        if action == "error":
            return self.answer(h, 503)
        if action == "throttle":
            return self.answer(h, 429, {"Retry-After": "1"})
        if action == "reset":
            # RST without an answer: SO_LINGER 0, then close.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
            return
        delay = 0.0
        if action == "slow":
            delay = self.rng.uniform(*self.flaky.slow_seconds)
            time.sleep(delay)
        events = self.record(h.headers.get("Content-Encoding"), body)
        if delay >= self.timeout_hint * 0.8:
            with self.lock:
                self.ambiguous_events += events
        if action == "close_after":
            self.answer(h, 200, {"Connection": "close"})
            h.close_connection = True
            return
        try:
            self.answer(h, 200)
        except OSError:
            with self.lock:
                self.ambiguous_events += events

    def answer(self, h, status, headers=None):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def count(self, outcome):
        with self.lock:
            self.requests[outcome] += 1

    def record(self, encoding, body):
        if encoding == "gzip":
            body = zlib.decompress(body, 31)
        lines = body.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        found = [(m.group(1).decode(), int(m.group(2))) for m in SEQ.finditer(body)]
        bad = []
        if self.validate:
            for line in lines:
                try:
                    if not isinstance(json.loads(line.decode("utf-8")), dict):
                        bad.append(line)
                except ValueError:
                    bad.append(line)
        with self.lock:
            self.lines += len(lines)
            self.seen.update(found)
            self.invalid_count += len(bad)
            self.invalid.extend(b[:200] for b in bad[: max(0, 5 - len(self.invalid))])
        return len(lines)

    # -- results -----------------------------------------------------------------------------
    def tally(self, written):
        """(delivered distinct, lost, duplicated) against `written`: stream -> count of seqs 0..n-1."""
        with self.lock:
            seen = dict(self.seen)
        delivered = lost = dup = 0
        self.lost_sample = []
        self.duplicated_sample = []
        for stream, n in written.items():
            for q in range(n):
                c = seen.get((stream, q), 0)
                if c:
                    delivered += 1
                    dup += c - 1
                    if c > 1 and len(self.duplicated_sample) < 10:
                        self.duplicated_sample.append(f"{stream}#{q}")
                else:
                    lost += 1
                    if len(self.lost_sample) < 10:
                        self.lost_sample.append(f"{stream}#{q}")
        return delivered, lost, dup

    def missing(self, written):
        """The (stream, seq) pairs written and never delivered."""
        with self.lock:
            seen = set(self.seen)
        return {(stream, q) for stream, n in written.items() for q in range(n) if (stream, q) not in seen}

    def distinct(self):
        with self.lock:
            return len(self.seen)
