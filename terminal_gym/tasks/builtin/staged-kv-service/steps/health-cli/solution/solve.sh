#!/bin/bash
# Oracle for ticket 3: the server gains GET /health; the client kvctl.py is new.
set -euo pipefail
cp /solution/server.py /app/kvstore/server.py
cp /solution/kvctl.py /app/kvstore/kvctl.py
