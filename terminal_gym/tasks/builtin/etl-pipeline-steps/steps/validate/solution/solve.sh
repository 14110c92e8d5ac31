#!/bin/bash
# Oracle for part "validate": install the reference pipeline and run it.
set -euo pipefail
cp /solution/pipeline.py /app/etl/pipeline.py
python3 /app/etl/pipeline.py
