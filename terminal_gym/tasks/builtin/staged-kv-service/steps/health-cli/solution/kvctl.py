#!/usr/bin/env python3
"""kvctl: command-line client of the kvstore server on 127.0.0.1."""

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(port, method, path, body=None):
    """(status, parsed body or None); exits 2 when the server cannot be reached."""
    url = f"http://127.0.0.1:{port}{path}"
    data = None if body is None else body.encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with OPENER.open(request, timeout=5) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        print(f"kvctl: cannot reach the server on port {port}: {err}", file=sys.stderr)
        sys.exit(2)
    return status, (json.loads(raw) if raw else None)


def fail(status, body):
    message = (body or {}).get("error", f"HTTP {status}")
    print(f"kvctl: {message}", file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser(prog="kvctl")
    parser.add_argument("--port", type=int, default=8750)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("set").add_argument("key")
    sub.choices["set"].add_argument("value")
    sub.add_parser("get").add_argument("key")
    sub.add_parser("del").add_argument("key")
    sub.add_parser("list")
    sub.add_parser("health")
    args = parser.parse_args()
    quote = lambda key: urllib.parse.quote(key, safe="")  # noqa: E731

    if args.command == "set":
        status, body = call(args.port, "PUT", f"/kv/{quote(args.key)}", args.value)
        return 0 if status == 200 else fail(status, body)
    if args.command == "get":
        status, body = call(args.port, "GET", f"/kv/{quote(args.key)}")
        if status != 200:
            return fail(status, body)
        print(body["value"])
        return 0
    if args.command == "del":
        status, body = call(args.port, "DELETE", f"/kv/{quote(args.key)}")
        return 0 if status == 204 else fail(status, body)
    if args.command == "list":
        status, body = call(args.port, "GET", "/kv")
        if status != 200:
            return fail(status, body)
        for key in body["keys"]:
            print(key)
        return 0
    status, body = call(args.port, "GET", "/health")
    if status != 200:
        return fail(status, body)
    print(body["keys"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
