#!/bin/bash
# Verifier: reward 1 when /app/report.txt is exactly right, else 0. terminal-gym uploads
# /tests only at grading time and empties /logs/verifier first, so nothing the agent
# planted there counts.
mkdir -p /logs/verifier
expected=$'colours.txt 4\ngreek.txt 4\nnumbers.txt 4\nsingle.txt 1'
if [ -f /app/report.txt ] && [ "$(cat /app/report.txt)" = "$expected" ] \
   && [ "$(cat /app/notes/single.txt)" = "a" ]; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
cat /logs/verifier/reward.txt
