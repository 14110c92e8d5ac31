"""Reset from a warm pool against a cold reset, in one run (DESIGN.md §9).

Two envs on the same backend and task, reset in turn so that drift hits both alike:

1. **cold**: ``env.reset`` after ``env.close`` (a new sandbox + bash; teardown untimed,
   as in ``step_latency.py``);
2. **pooled**: ``env.reset`` of an env on a :class:`SandboxPool`, after the pool had the
   time an episode gives it to refill (``pool.wait_ready``); the time includes handing the
   previous episode's sandbox back (removed in the background);
3. **back to back**: pooled resets with no episode between them, so faster than the pool
   refills: how many still find a sandbox ready (no target).

Run (the task image built, or ``--backend local``)::

    python benchmarks/pool_reset.py
    python benchmarks/pool_reset.py --backend local --resets 30 --json /tmp/pool.json

Prints one table with the targets (pooled p50 <= 20 ms, and >= 10x faster than cold);
exit status 1 on a MISS.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import gymnasium as gym
from step_latency import machine, print_table, stats, step_ok, timed

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym.sandbox import make_backend
from terminal_gym.sandbox.pool import SandboxPool


def bench(args: argparse.Namespace) -> dict[str, Any]:
    backend = make_backend(args.backend)
    common = {"backend": backend, "task": args.task, "max_steps": 10**9, "agent_timeout": 1e9}
    pool = SandboxPool(backend, size=args.size)
    cold_env = gym.make("TerminalLego-v0", **common)
    pooled_env = gym.make("TerminalLego-v0", pool=pool, **common)
    cold, pooled, back_to_back, hits = [], [], [], 0
    try:
        res: dict[str, Any] = {"machine": machine(cold_env)}
        for env in (cold_env, pooled_env):  # warm imports, caches, the image
            env.reset()
            step_ok(env)
        for _ in range(args.resets):
            cold_env.close()
            cold.append(timed(cold_env.reset))
            step_ok(cold_env)
            pool.wait_ready(120)
            pooled.append(timed(pooled_env.reset))
            step_ok(pooled_env)
        for _ in range(args.back_to_back):
            started = time.perf_counter()
            _, info = pooled_env.reset()
            back_to_back.append(time.perf_counter() - started)
            hits += bool(info["pooled"])
        res["resets"] = {
            "cold": stats(cold),
            "pooled": stats(pooled),
            "back to back": stats(back_to_back),
        }
        res["back_to_back_pooled"] = hits
        res["pool"] = pool.stats()
    finally:
        cold_env.close()
        pooled_env.close()
        pool.close()
        backend.close()
    return res


def report(res: dict[str, Any], args: argparse.Namespace) -> bool:
    r = res["resets"]
    ratio = r["cold"]["p50"] / r["pooled"]["p50"]
    res["cold_over_pooled_p50"] = ratio

    def lat(s: dict[str, float]) -> str:
        return f"{s['p50']:9.2f}{s['p95']:9.2f}{s['p99']:9.2f}"

    rows = [
        ("cold reset (sandbox + shell)", lat(r["cold"]), "", None),
        ("reset from the pool", lat(r["pooled"]), "p50 <= 20 ms", r["pooled"]["p50"] <= 20),
        ("cold / pooled (p50)", f"{ratio:9.1f}x".ljust(27), ">= 10x", ratio >= 10),
        (
            f"back to back ({res['back_to_back_pooled']}/{args.back_to_back} pooled)",
            lat(r["back to back"]),
            "",
            None,
        ),
    ]
    title = (
        f"terminal-gym pool reset: backend={args.backend} task={args.task} "
        f"resets={args.resets} size={args.size}"
    )
    ok = print_table(title, res["machine"], ("p50", "p95", "p99"), rows, label_width=34)
    print(f"pool: {res['pool']}")
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["docker", "local"], default="docker")
    p.add_argument("--task", default="find-prod-api-key")
    p.add_argument("--resets", type=int, default=30, help="timed resets of each kind")
    p.add_argument("--back-to-back", type=int, default=10, help="pooled resets, no wait")
    p.add_argument("--size", type=int, default=2, help="the pool's size")
    p.add_argument("--json", metavar="PATH", help="also write the results here")
    args = p.parse_args()
    res = bench(args)
    ok = report(res, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), **res}, fh, indent=2, default=float)
            fh.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
