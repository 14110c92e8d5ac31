"""LLM rollout throughput: episodes/s of ``collect()`` against a fake OpenAI-compatible server.

Every episode is a real one (a container, the PTY, the verifier) of a simple task (the
test fixture ``shell-task``: write ``done`` to a file); the model is the tests' fake server
(``tests/rollout/fake_llm.py``), which answers in Terminus-2 JSON: the command, then
``task_complete`` twice (three model turns per episode), after ``--llm-latency`` seconds
(a stand-in for generation time). Measured, in one run, for each engine (``ray``:
``RayVectorEnv`` with ``send``/``recv``; ``threads``: a local thread pool) at
``--workers`` episodes at once: episodes/s, the reward mean, and the p50 / p90 of one
episode's duration. The task image is built and Ray started before timing (the Ray
actors start inside it).

Run (the Docker daemon up)::

    python benchmarks/rollout_throughput.py
    python benchmarks/rollout_throughput.py --workers 16 --episodes 48 --llm-latency 0.5

Prints a table and writes ``benchmarks/results/rollout_throughput.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' fake server

import terminal_gym  # noqa: E402, F401  (registers TerminalLego-v0)
from terminal_gym.rollout import collect  # noqa: E402
from terminal_gym.tasks import TaskSet  # noqa: E402
from tests.rollout.fake_llm import FakeLLMServer, solver  # noqa: E402

TASK = ROOT / "tests" / "fixtures" / "shell-task"
COMMAND = "echo done > /app/result.txt"


def run(engine: str, args: argparse.Namespace, url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        result = collect(
            TaskSet.from_source(TASK),
            "llm",
            episodes=args.episodes,
            group=1,
            workers=args.workers,
            out=Path(tmp) / "rollouts.jsonl",
            agent_options={"model": "fake", "base_url": url},
            env_kwargs={"backend": "docker"},
            use_ray=engine == "ray",
            envs_per_actor=args.per_actor,
        )
        seconds = time.monotonic() - started
    durations = [t.metadata["duration"] for t in result.trajectories]
    return {
        "engine": engine,
        "workers": args.workers,
        "episodes": len(result.trajectories),
        "seconds": seconds,
        "episodes_per_s": len(result.trajectories) / seconds,
        "reward_mean": result.summary["reward_mean"],
        "env_errors": result.summary["env_errors"],
        "llm_errors": result.summary["llm_errors"],
        "episode_p50_s": float(np.percentile(durations, 50)),
        "episode_p90_s": float(np.percentile(durations, 90)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--episodes", type=int, default=48, help="episodes per engine")
    parser.add_argument("--per-actor", type=int, default=8, help="Ray: envs per actor")
    parser.add_argument("--llm-latency", type=float, default=0.0, help="seconds per reply")
    parser.add_argument("--engines", nargs="+", default=["ray", "threads"])
    parser.add_argument("--json", default=str(ROOT / "benchmarks/results/rollout_throughput.json"))
    args = parser.parse_args()

    policy = solver(COMMAND)

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        return {"content": policy(body), "delay": args.llm_latency}

    # Build the image (and warm Docker) and start Ray before timing (actors start in it).
    collect(TaskSet.from_source(TASK), "oracle", use_ray=False, env_kwargs={"backend": "docker"})
    if "ray" in args.engines:
        import ray

        from terminal_gym.vector.ray_env import LOCAL_RAY

        ray.init(**LOCAL_RAY, log_to_driver=False)
    rows = []
    with FakeLLMServer(default=reply) as server:
        for engine in args.engines:
            rows.append(run(engine, args, server.url))
    print(
        f"{'engine':<8} {'workers':>7} {'episodes':>8} {'seconds':>8} {'episodes/s':>10} "
        f"{'reward':>6} {'p50 ep (s)':>10} {'p90 ep (s)':>10} {'errors':>6}"
    )
    for r in rows:
        print(
            f"{r['engine']:<8} {r['workers']:>7} {r['episodes']:>8} {r['seconds']:>8.1f} "
            f"{r['episodes_per_s']:>10.2f} {r['reward_mean']:>6.2f} {r['episode_p50_s']:>10.2f} "
            f"{r['episode_p90_s']:>10.2f} {r['env_errors'] + r['llm_errors']:>6}"
        )
    report = {
        "benchmark": "rollout_throughput",
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "llm_latency_s": args.llm_latency,
        "turns_per_episode": 3,
        "rows": rows,
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
