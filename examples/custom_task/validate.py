"""Validate a task you wrote: on a fresh sandbox its oracle scores 1 and doing nothing 0.

This is what ``terminal-gym validate examples/custom_task/word-count-report`` does, through
the Python API: load the task (a malformed ``task.toml`` raises a ``TaskFormatError`` naming
the file and the field), run the oracle (``solution/solve.sh``) and the do-nothing agent in
the env, and judge both. A task whose untouched environment already passes teaches nothing.

Run::

    python examples/custom_task/validate.py                      # the example task
    python examples/custom_task/validate.py path/to/my-task --backend local
"""

from __future__ import annotations

import argparse
from pathlib import Path

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.rollout.validate import validate_task
from terminal_gym.tasks import TaskSet

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("task", nargs="?", default=str(HERE / "word-count-report"))
    p.add_argument("--backend", choices=["auto", "docker", "local"], default="auto")
    args = p.parse_args(argv)

    tasks = TaskSet.from_source(args.task)
    env = TerminalLegoEnv(tasks=tasks, backend=args.backend)
    try:
        ok = True
        for task_id in tasks.ids:
            verdict = validate_task(env, task_id)
            ok = ok and verdict.verified
            status = "verified" if verdict.verified else "NOT verified"
            print(
                f"{task_id}: {status} (oracle {verdict.oracle_reward:g} in "
                f"{verdict.oracle_seconds:.1f}s, do-nothing {verdict.null_reward:g})"
            )
            for problem in verdict.problems:
                print(f"  {problem}")
        return 0 if ok else 1
    finally:
        env.close()


if __name__ == "__main__":
    raise SystemExit(main())
