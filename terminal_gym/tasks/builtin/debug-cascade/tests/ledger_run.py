"""Runs Python against /app's ledger package in a fresh interpreter."""

import os
import subprocess

ENV = {**os.environ, "PYTHONPATH": "/app", "PYTHONDONTWRITEBYTECODE": "1"}


def python(*args, cwd="/app"):
    return subprocess.run(
        ["python3", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=60
    )


def report(*files):
    return python("-m", "ledger", "report", *files)
