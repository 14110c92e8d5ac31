"""Record the replay fixture: a real oracle episode of a bundled task on Docker.

The episode looks before it acts and checks after: ``ls`` and ``head`` of the input,
the task's own oracle (``bash /solution/solve.sh``), ``cat`` of the outputs, then
``SUBMIT``, recorded with :class:`~terminal_gym.wrappers.RecordTrajectory`.

Regenerate the committed fixture (needs Docker)::

    PYTHONPATH=. python -m tests.data.replay_episode tests/fixtures/replay/csv-report.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

from terminal_gym import SUBMIT, Command
from terminal_gym.wrappers import RecordTrajectory

TASK = "csv-messy-payments-report"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "csv-report.jsonl"
ACTIONS: list[Any] = [
    "ls -la data",
    "head -n 6 data/payments.csv",
    Command("bash /solution/solve.sh", timeout=120),
    "cat out/monthly_by_country.csv",
    "cat out/unmatched.txt",
    SUBMIT,
]


def record_episode(path: str | Path, backend: Any = "docker") -> Path:
    """Play :data:`ACTIONS` on :data:`TASK` and record them to ``path`` (replaced)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    env = RecordTrajectory(
        gym.make("TerminalLego-v0", tasks="builtin", backend=backend, task=TASK),
        path,
        source="replay-fixture",
        teacher="oracle",
    )
    try:
        env.reset(seed=0)
        base = env.unwrapped
        assert base.task is not None and base.task.solution is not None
        for src, dest in base.task.solution.uploads:
            base.sandbox.upload(src, dest)
        for action in ACTIONS:
            env.step(action)
    finally:
        env.close()
    return path


if __name__ == "__main__":
    print(record_episode(sys.argv[1] if len(sys.argv) > 1 else FIXTURE))
