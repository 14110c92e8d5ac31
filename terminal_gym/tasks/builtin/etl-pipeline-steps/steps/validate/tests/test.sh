#!/bin/bash
# Verifier for etl-pipeline-steps, part validate: runs the part's hidden pytest suite.
mkdir -p /logs/verifier
rm -f /logs/verifier/reward.json /logs/verifier/reward.txt
echo 0 > /logs/verifier/reward.txt
# run from /tests so that nothing planted in /app (conftest.py, pytest.ini) is picked up
cd /tests
if PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -rA -p no:cacheprovider \
     --rootdir=/tests --confcutdir=/tests /tests/test_validate.py; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
cat /logs/verifier/reward.txt
