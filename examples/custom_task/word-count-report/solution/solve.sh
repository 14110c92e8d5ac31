#!/bin/bash
# Oracle: count the words of each note, largest first, ties by name.
set -euo pipefail
cd /app/notes
for f in *.txt; do
  printf '%s %s\n' "$f" "$(wc -w < "$f")"
done | sort -k2,2nr -k1,1 > /app/report.txt
cat /app/report.txt
