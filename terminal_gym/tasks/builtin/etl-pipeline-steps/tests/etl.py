"""Runs the agent's /app/etl/pipeline.py and reads what it wrote."""

import json
import subprocess
from pathlib import Path

PIPELINE = "/app/etl/pipeline.py"
HERE = Path(__file__).parent


def run(*args):
    return subprocess.run(
        ["python3", PIPELINE, *args], capture_output=True, text=True, timeout=120, cwd="/tmp"
    )


def lines(path):
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def expected(where, name):
    path = HERE / where / name
    return json.loads(path.read_text()) if name.endswith(".json") else lines(path)
