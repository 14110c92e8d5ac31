#!/bin/bash
# Oracle for step 2: parse_amount treated every export as using a decimal comma, so
# "1,250.00" became 1.25. Thousands separators are commas; drop them.
set -euo pipefail
cd /app
python3 - <<'PY'
path = "ledger/money.py"
src = open(path).read()
old = '''    # exports from the Frankfurt branch use a decimal comma
    cleaned = cleaned.replace(".", "").replace(",", ".")
'''
assert old in src
src = src.replace(old, '    cleaned = cleaned.replace(",", "")\n')
open(path, "w").write(src)
PY
python3 -m ledger report data/march.csv
