#!/bin/bash
# Oracle for step 3: build_report's default totals={} is one dict shared by every call,
# so the second file's report starts from the first one's totals.
set -euo pipefail
cd /app
python3 - <<'PY'
path = "ledger/report.py"
src = open(path).read()
old = "def build_report(transactions, totals={}):"
assert old in src
src = src.replace(old, "def build_report(transactions, totals=None):")
marker = "    for tx in transactions:\n"
src = src.replace(marker, "    if totals is None:\n        totals = {}\n" + marker, 1)
open(path, "w").write(src)
PY
python3 -m ledger report data/march.csv data/april.csv
