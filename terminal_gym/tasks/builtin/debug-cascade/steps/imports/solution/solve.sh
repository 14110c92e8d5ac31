#!/bin/bash
# Oracle for step 1: ledger/__init__.py imported .report (-> .money) before defining
# DEFAULT_CURRENCY, and money.py imports it from the half-initialised package: a circular
# import. Define the constant before the submodules are imported.
set -euo pipefail
cd /app
python3 - <<'PY'
path = "ledger/__init__.py"
src = open(path).read()
constant = 'DEFAULT_CURRENCY = "EUR"\n'
assert constant in src
src = src.replace(constant + "\n", "").replace(constant, "")
src = src.replace("from .io import", constant + "\nfrom .io import", 1)
open(path, "w").write(src)
PY
python3 -m ledger report data/march.csv
