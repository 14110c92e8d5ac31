"""Soak: 1,000 episodes across parallel envs, then an account of every one (issue: reward
integrity and reliability).

Mixes the bundled tasks with oracle (40%), do-nothing (20%) and hostile (40%) episodes
(``terminal_gym.rollout.hostile``: processes left running, tools replaced, interpreter
hooks, planted rewards, fork bombs, memory hogs, endless output, a killed or replaced
shell ...). At the end it checks: no false reward, no crash, every oracle episode scored 1
(or reported an infrastructure error), no container or local sandbox left, this process's
open file descriptors and resident memory within bounds (``terminal_gym.rollout.soak``).

Run (Docker up, base images built)::

    python benchmarks/soak.py                       # 1,000 episodes, 8 parallel envs
    python benchmarks/soak.py --episodes 200 --parallel 4 --backend local

Prints the report and writes ``--out`` (JSON: the report) and ``--episodes-out`` (JSONL:
every episode); exits 1 when a guarantee broke.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path

import gymnasium as gym
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym.rollout.soak import run_soak
from terminal_gym.tasks import TaskSet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--backend", default="docker", choices=["docker", "local", "auto"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/soak.json"))
    parser.add_argument("--episodes-out", type=Path, default=None)
    args = parser.parse_args()

    tasks = TaskSet.from_source("builtin")
    probe = gym.make("TerminalLego-v0", backend=args.backend)
    backend = probe.unwrapped.backend
    task_ids = [t.id for t in tasks if backend.unsupported_reason(t) is None]
    probe.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    episodes_out = args.episodes_out or args.out.with_suffix(".episodes.jsonl")
    episodes_out.unlink(missing_ok=True)

    with Progress(
        TextColumn("soak"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
    ) as bar:
        job = bar.add_task("soak", total=args.episodes, status="")
        counts: dict[str, int] = {}

        def progress(record) -> None:
            counts[record.outcome] = counts.get(record.outcome, 0) + 1
            bar.update(job, advance=1, status=" ".join(f"{k}={v}" for k, v in counts.items()))

        report = run_soak(
            lambda: gym.make("TerminalLego-v0", backend=args.backend, step_timeout=10),
            task_ids,
            episodes=args.episodes,
            parallel=args.parallel,
            seed=args.seed,
            out=episodes_out,
            progress=progress,
        )
    result = {
        **report.to_dict(),
        "problems": report.problems(),
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.write_text(json.dumps(result, indent=2))
    for key in (
        "backend", "episodes", "parallel", "seconds", "episodes_per_second", "outcomes",
        "by_agent", "env_errors", "tamper_flagged", "leaked_containers", "leaked_local_dirs",
        "fds_start", "fds_end", "rss_start_mb", "rss_peak_mb", "rss_end_mb",
    ):  # fmt: skip
        print(f"{key:>20}: {result[key]}")
    for problem in report.problems():
        print(f"PROBLEM: {problem}")
    for failure in report.failures[:20]:
        print(
            f"  {failure['outcome']}: #{failure['index']} {failure['task_id']} "
            f"{failure['agent']} {failure['action']}: {str(failure['error'])[:200]}"
        )
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
