"""Running ``terminal-gym`` in a child process, as a user's shell does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Terminal control: a live bar redraws with ESC sequences and carriage returns.
CONTROL_CHARS = ("\x1b", "\r")


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 300):
    """``python -m terminal_gym.cli ARGV`` with this checkout first on the path."""
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), child_env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env,
        cwd=REPO,
    )
