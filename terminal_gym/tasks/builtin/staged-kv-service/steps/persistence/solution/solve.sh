#!/bin/bash
# Oracle for the persistence ticket: install the reference server.
set -euo pipefail
cp /solution/server.py /app/kvstore/server.py
