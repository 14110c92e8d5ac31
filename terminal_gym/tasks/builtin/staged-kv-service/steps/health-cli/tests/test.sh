#!/bin/bash
# Verifier for staged-kv-service, step health-cli: runs the step's hidden pytest suite.
mkdir -p /logs/verifier
rm -f /logs/verifier/reward.json /logs/verifier/reward.txt
echo 0 > /logs/verifier/reward.txt
# run from /tests so that nothing planted in /app (conftest.py, pytest.ini) is picked up
cd /tests
if PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -rA -p no:cacheprovider \
     --rootdir=/tests --confcutdir=/tests /tests/test_health_cli.py; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
cat /logs/verifier/reward.txt
