#!/usr/bin/env python3
"""kvstore: a key-value store over HTTP on 127.0.0.1 (standard library only).

Usage: python3 server.py --port PORT [--data FILE]
"""

import argparse
import json
import os
import re
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Store:
    def __init__(self, path=None):
        self.path = path
        self.lock = threading.Lock()
        self.data = {}
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            self.data = {str(k): str(v) for k, v in loaded.items()}

    def _save(self):
        if not self.path:
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kvstore-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self._save()

    def delete(self, key):
        with self.lock:
            if key not in self.data:
                return False
            del self.data[key]
            self._save()
            return True


class Handler(BaseHTTPRequestHandler):
    store = Store()

    def _send(self, code, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _key(self):
        """The key of a /kv/<key> path; None (after answering) when it is not one."""
        if not self.path.startswith("/kv/"):
            self._send(404, {"error": "not found"})
            return None
        key = self.path[len("/kv/") :]
        if not KEY.match(key):
            self._send(400, {"error": f"invalid key {key!r}"})
            return None
        return key

    def do_GET(self):
        if self.path == "/kv":
            self._send(200, {"keys": sorted(self.store.data)})
        else:
            key = self._key()
            if key is None:
                return
            if key in self.store.data:
                self._send(200, {"key": key, "value": self.store.data[key]})
            else:
                self._send(404, {"error": f"no key {key!r}"})

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        value = self.rfile.read(length).decode("utf-8")
        key = self._key()
        if key is None:
            return
        self.store.put(key, value)
        self._send(200, {"key": key, "value": value})

    def do_DELETE(self):
        key = self._key()
        if key is None:
            return
        if self.store.delete(key):
            self._send(204)
        else:
            self._send(404, {"error": f"no key {key!r}"})

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description="kvstore HTTP server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    Handler.store = Store(args.data)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
