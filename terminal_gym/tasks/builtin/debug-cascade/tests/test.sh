#!/bin/bash
# Verifier for debug-cascade: runs the hidden checks of steps 1..$LEDGER_STEP.
mkdir -p /logs/verifier
rm -f /logs/verifier/reward.json /logs/verifier/reward.txt
echo 0 > /logs/verifier/reward.txt
files=(/tests/test_step1_imports.py)
[ "${LEDGER_STEP:-1}" -ge 2 ] && files+=(/tests/test_step2_amounts.py)
[ "${LEDGER_STEP:-1}" -ge 3 ] && files+=(/tests/test_step3_report.py)
# run from /tests so that nothing planted in /app (conftest.py, pytest.ini) is picked up
cd /tests
if PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -rA -p no:cacheprovider \
     --rootdir=/tests --confcutdir=/tests "${files[@]}"; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
cat /logs/verifier/reward.txt
