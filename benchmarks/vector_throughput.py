"""Trivial-step throughput of the vector envs (DESIGN.md §9), all in one run.

``echo hi`` on ``--envs`` sub-envs, through:

1. ``gym.make_vec(..., vectorization_mode="sync")``: one process, one env after another;
2. ``gym.make_vec(..., vectorization_mode="async")``: one process per sub-env, shared memory;
3. ``RayVectorEnv`` with ``envs_per_actor`` 4 and 8 (``--per-actor``), a local Ray;
4. a thread pool over single envs (``gym.make``) in this process: the baseline the Ray
   vector env is held to (>= 0.8x).

Each runs ``--steps`` vector steps after a reset and a few warm-up steps (``max_steps`` is
raised so no episode ends meanwhile), and reports sub-env steps per second and the p50 of
one vector step.

Run (the Docker daemon up, the task image built)::

    python benchmarks/vector_throughput.py
    python benchmarks/vector_throughput.py --envs 64 --per-actor 8 16 --json /tmp/v.json
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)

CMD = "echo hi"
WARMUP = 5


class ThreadPoolVector:
    """Single envs stepped by a thread pool: what one would write without a vector env."""

    def __init__(self, n: int, **kwargs: Any):
        self.envs = [gym.make("TerminalLego-v0", **kwargs) for _ in range(n)]
        self.pool = concurrent.futures.ThreadPoolExecutor(n)

    def reset(self, seed: int) -> None:
        list(self.pool.map(lambda k: self.envs[k].reset(seed=seed + k), range(len(self.envs))))

    def step(self, actions: list[str]) -> list:
        pairs = zip(self.envs, actions, strict=True)
        return list(self.pool.map(lambda pair: pair[0].step(pair[1]), pairs))

    def close(self) -> None:
        list(self.pool.map(lambda env: env.close(), self.envs))
        self.pool.shutdown()


def measure(make: Callable[[], Any], n: int, steps: int) -> dict[str, float]:
    envs = make()
    try:
        envs.reset(seed=0)
        actions = [CMD] * n
        for _ in range(WARMUP):
            envs.step(actions)
        times = []
        started = time.perf_counter()
        for _ in range(steps):
            t0 = time.perf_counter()
            envs.step(actions)
            times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    finally:
        envs.close()
    return {
        "steps_per_s": steps * n / elapsed,
        "vector_step_p50_ms": float(np.percentile(times, 50) * 1e3),
        "vector_step_p90_ms": float(np.percentile(times, 90) * 1e3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--per-actor", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--backend", default="docker")
    parser.add_argument("--task", default="find-prod-api-key")
    parser.add_argument("--skip", nargs="*", default=[], help="modes to leave out")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    n = args.envs
    kwargs = {"task": args.task, "backend": args.backend, "max_steps": args.steps + 100}

    def make_vec(mode: str) -> Callable[[], Any]:
        return lambda: gym.make_vec("TerminalLego-v0", n, vectorization_mode=mode, **kwargs)

    modes: dict[str, Callable[[], Any]] = {
        "sync": make_vec("sync"),
        "async (shared memory)": make_vec("async"),
    }
    for k in args.per_actor:
        modes[f"ray, {k} envs per actor"] = lambda k=k: _ray_env(n, k, kwargs)
    modes["thread pool over single envs"] = lambda: ThreadPoolVector(n, **kwargs)

    results = {}
    for name, make in modes.items():
        if any(name.startswith(skip) for skip in args.skip):
            continue
        results[name] = measure(make, n, args.steps)
        print(f"  measured {name}", flush=True)

    print(f"\nterminal-gym vector throughput: backend={args.backend} task={args.task} ")
    print(f"envs={n} vector steps={args.steps} command={CMD!r}")
    print(f"{'':34}{'steps/s':>10}{'p50 ms':>10}{'p90 ms':>10}")
    for name, r in results.items():
        p50, p90 = r["vector_step_p50_ms"], r["vector_step_p90_ms"]
        print(f"{name:34}{r['steps_per_s']:10.0f}{p50:10.2f}{p90:10.2f}")
    base = results.get("thread pool over single envs")
    if base:
        for name, r in results.items():
            if name.startswith("ray"):
                ratio = r["steps_per_s"] / base["steps_per_s"]
                print(f"{name} / thread pool: {ratio:.2f}x (target >= 0.8x at 64 envs)")
    if args.json:
        machine = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load": os.getloadavg(),
        }
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "machine": machine, "results": results}, f, indent=2)
    return 0


def _ray_env(n: int, per_actor: int, kwargs: dict[str, Any]) -> Any:
    from terminal_gym.vector import RayVectorEnv

    return RayVectorEnv(
        n,
        envs_per_actor=per_actor,
        ray_init={"num_cpus": os.cpu_count(), "log_to_driver": False},
        **kwargs,
    )


if __name__ == "__main__":
    raise SystemExit(main())
