#!/bin/bash
# Oracle for the server ticket: install the reference server.
set -euo pipefail
cp /solution/server.py /app/kvstore/server.py
