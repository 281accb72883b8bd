#!/usr/bin/env python3
"""A loopback log backend for scripts/bench: accepts POSTed batches (gzip or not) with
HTTP/1.1 keep-alive, counts the NDJSON lines it received, and answers GET /count.
Usage: bench-receiver.py PORTFILE   (writes the port it listens on to PORTFILE)"""
import sys, threading, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {"lines": 0, "bytes": 0, "requests": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        raw = len(body)
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 31)
        with lock:
            state["lines"] += body.count(b"\n")
            state["bytes"] += raw
            state["requests"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        with lock:
            text = f'{state["lines"]} {state["bytes"]} {state["requests"]}\n'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
