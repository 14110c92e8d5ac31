#!/bin/bash
# Oracle for the server ticket: install the reference server, then smoke-test it.
set -euo pipefail
cp /solution/server.py /app/kvstore/server.py
python3 - <<'PY'
import json, subprocess, time, urllib.request

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
proc = subprocess.Popen(["python3", "/app/kvstore/server.py", "--port", "8751"])
try:
    for _ in range(50):
        try:
            opener.open(urllib.request.Request(
                "http://127.0.0.1:8751/kv/smoke", data=b"ok", method="PUT"), timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    print(json.loads(opener.open("http://127.0.0.1:8751/kv/smoke", timeout=2).read()))
finally:
    proc.kill()
    proc.wait()
PY
