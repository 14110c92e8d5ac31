"""Step latency, reset time and host memory of TerminalLego-v0 (DESIGN.md §9).

Measures, in one run, on the same task and the same sandbox:

1. ``echo hi`` through ``env.step`` of the env from ``gym.make`` (with its wrappers),
   through ``env.unwrapped.step``, and through the raw PTY (``env.unwrapped.shell.run``),
   interleaved call by call so drift hits all three alike: p50 / p90 / p99;
2. the same command with one process per command, what peers do: ``docker exec``
   (``sandbox.container.exec_run``) on Docker, ``sandbox.exec`` (one bubblewrap) locally;
3. the ratios one-exec-per-command / ``env.step`` and ``env.step`` / raw PTY (p50 / p50);
4. cold reset (a new container + bash, image already built): ``env.reset`` after
   ``env.close``, over ``--resets`` resets, the first discarded; teardown timed apart;
5. host memory per env: this process's VmRSS (``/proc/self/status``) before / after
   opening ``--envs`` more envs (each reset), divided by their number, measured before
   the loops above so freed memory does not hide growth; plus the helper processes each
   env adds (none expected on Docker: the PTY is the hijacked socket of a ``docker exec``).

Run (the Docker daemon up and the task image built, or ``--backend local``)::

    python benchmarks/step_latency.py
    python benchmarks/step_latency.py --backend local --json /tmp/local.json

Prints one table, with each row's target and PASS / MISS (exit status 1 on any MISS);
``--json PATH`` also writes all numbers and the machine they were taken on.
"""

from __future__ import annotations

import argparse
import datetime
import gc
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


def stats(seconds: list[float]) -> dict[str, float]:
    """p50 / p90 / p95 / p99 / mean in milliseconds."""
    ms = np.asarray(seconds) * 1e3
    p50, p90, p95, p99 = np.percentile(ms, [50, 90, 95, 99])
    return {"p50": p50, "p90": p90, "p95": p95, "p99": p99, "mean": ms.mean(), "n": len(ms)}


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rss_kb(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def descendants() -> list[int]:
    """Pids of every process below this one."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [os.getpid()]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier]
        found += kids
        frontier = kids
    return found


def make_env(args: argparse.Namespace) -> gym.Env:
    # No step or time budget may end the episode (and run the verifier) mid-benchmark.
    return gym.make(
        "TerminalLego-v0",
        backend=args.backend,
        task=args.task,
        max_steps=10**9,
        agent_timeout=1e9,
    )


def step_ok(env: gym.Env) -> None:
    obs, _, terminated, truncated, info = env.step(CMD)
    if terminated or truncated or obs["output"].strip() != "hi":
        raise RuntimeError(f"unexpected step result: {obs!r} {info!r}")


def bench_steps(env: gym.Env, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    inner = env.unwrapped
    shell = inner.shell
    assert shell.run(CMD).output.strip() == "hi"
    paths = {
        "env.step": lambda: env.step(CMD),
        "unwrapped.step": lambda: inner.step(CMD),
        "shell.run": lambda: shell.run(CMD),
    }
    for _ in range(args.warmup):
        for fn in paths.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.steps):
        for name, fn in paths.items():
            times[name].append(timed(fn))
    step_ok(env)  # still alive and well after the loop

    sandbox = inner.sandbox
    if args.backend == "docker":

        def one_exec() -> None:
            code, out = sandbox.container.exec_run(["sh", "-c", CMD])
            assert code == 0 and out.strip() == b"hi"
    else:

        def one_exec() -> None:
            result = sandbox.exec(CMD)
            assert result.exit_code == 0 and result.output.strip() == "hi"

    for _ in range(min(args.exec_steps, 5)):
        one_exec()
    times["exec per command"] = [timed(one_exec) for _ in range(args.exec_steps)]
    return {name: stats(t) for name, t in times.items()}


def bench_resets(env: gym.Env, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    resets, teardowns = [], []
    for _ in range(args.resets + 1):
        teardowns.append(timed(env.close))
        resets.append(timed(lambda: env.reset(options={"task": args.task})))
    step_ok(env)
    return {"cold reset": stats(resets[1:]), "teardown": stats(teardowns[1:])}


def bench_memory(args: argparse.Namespace) -> dict[str, float]:
    gc.collect()
    before, kids_before = rss_kb(), set(descendants())
    envs: list[gym.Env] = []
    try:
        for _ in range(args.envs):
            envs.append(make_env(args))
            envs[-1].reset(options={"task": args.task})
        for e in envs:
            step_ok(e)
        gc.collect()
        after = rss_kb()
        helpers = [p for p in descendants() if p not in kids_before]
        helper_kb = 0
        for pid in helpers:
            try:
                helper_kb += rss_kb(pid)
            except OSError:
                pass
    finally:
        for e in envs:
            e.close()
    k = args.envs
    return {
        "envs": k,
        "rss_before_mb": before / 1024,
        "rss_after_mb": after / 1024,
        "rss_per_env_mb": (after - before) / 1024 / k,
        "helper_procs_per_env": len(helpers) / k,
        "helper_rss_per_env_mb": helper_kb / 1024 / k,
    }


def machine(env: gym.Env) -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(ln.split(":", 1)[1].strip() for ln in fh if "model name" in ln)
    except (OSError, StopIteration):
        pass
    client = getattr(env.unwrapped.backend, "client", None)
    if client is not None:
        info["docker"] = client.version().get("Version")
    return info


def report(res: dict[str, Any], args: argparse.Namespace) -> bool:
    docker = args.backend == "docker"
    steps, resets, mem = res["steps"], res["resets"], res["memory"]
    exec_name = "docker exec per command" if docker else "bwrap exec per command"
    exec_ratio = steps["exec per command"]["p50"] / steps["env.step"]["p50"]
    overhead = steps["env.step"]["p50"] / steps["shell.run"]["p50"]
    res["ratios"] = {"exec_over_env_step": exec_ratio, "env_step_over_shell": overhead}

    def lat(s: dict[str, float]) -> str:
        return f"{s['p50']:9.3f}{s['p90']:9.3f}{s['p99']:9.3f}"

    def one(text: str) -> str:
        return f"{text:>9}".ljust(27)

    helpers = f"{mem['helper_procs_per_env']:9.1f}"
    if mem["helper_procs_per_env"]:
        helpers += f" ({mem['helper_rss_per_env_mb']:.1f} MB RSS)"
    step_p50, reset_p50 = steps["env.step"]["p50"], resets["cold reset"]["p50"]
    # (label, numbers, target, passed: True / False, or None where no target applies)
    rows = [
        ("env.step (gym.make)", lat(steps["env.step"]), "p50 <= 0.5 ms", step_p50 <= 0.5),
        ("env.unwrapped.step", lat(steps["unwrapped.step"]), "", None),
        ("shell.run (raw PTY)", lat(steps["shell.run"]), "", None),
        (exec_name, lat(steps["exec per command"]), "", None),
        (
            "exec / env.step (p50)",
            one(f"{exec_ratio:.1f}x"),
            ">= 50x",
            exec_ratio >= 50 if docker else None,
        ),
        ("env.step / shell.run (p50)", one(f"{overhead:.2f}x"), "<= 1.5x", overhead <= 1.5),
        (
            "cold reset (sandbox + shell)",
            lat(resets["cold reset"]),
            "p50 <= 300 ms",
            reset_p50 <= 300,
        ),
        ("teardown (env.close)", lat(resets["teardown"]), "", None),
        (
            f"host RSS per env (K={mem['envs']})",
            one(f"{mem['rss_per_env_mb']:.2f} MB"),
            "<= 15 MB",
            mem["rss_per_env_mb"] <= 15,
        ),
        (
            "helper processes per env",
            helpers.ljust(27),
            "0 on docker",
            mem["helper_procs_per_env"] == 0 if docker else None,
        ),
    ]
    title = (
        f"terminal-gym step latency: backend={args.backend} task={args.task} "
        f"steps={args.steps} exec-steps={args.exec_steps} resets={args.resets}"
    )
    return print_table(title, res["machine"], ("p50", "p90", "p99"), rows)


def print_table(
    title: str,
    machine: dict[str, Any],
    percentiles: tuple[str, ...],
    rows: list[tuple[str, str, str, bool | None]],
    *,
    label_width: int = 30,
    unit: str = " ms",
) -> bool:
    """Print a results table: ``rows`` of (label, numbers, target, passed: True / False,
    or None where no target applies); ``True`` when no row missed its target."""
    m = machine
    print(
        f"\n{title}\n"
        f"{m['date']}  {m['cpus']} CPUs ({m.get('cpu', '?')})  Python {m['python']}"
        + (f"  Docker {m['docker']}" if "docker" in m else "")
    )
    heads = "".join(f"{p + unit:>9}" for p in percentiles)
    print(f"{'':{label_width}}{heads}  {'target':<14} result")
    ok = True
    for label, numbers, target, passed in rows:
        verdict = "" if passed is None else ("PASS" if passed else "MISS")
        ok = ok and passed is not False
        print(f"{label:<{label_width}}{numbers}  {target:<14} {verdict}".rstrip())
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["docker", "local"], default="docker")
    p.add_argument("--task", default="find-prod-api-key")
    p.add_argument("--steps", type=int, default=2000, help="timed steps per path")
    p.add_argument("--warmup", type=int, default=100, help="untimed steps per path first")
    p.add_argument("--exec-steps", type=int, default=100, help="timed one-exec-per-command runs")
    p.add_argument("--resets", type=int, default=10, help="timed cold resets (+1 discarded)")
    p.add_argument("--envs", type=int, default=8, help="extra envs opened for the memory figure")
    p.add_argument("--json", metavar="PATH", help="also write the results here")
    args = p.parse_args()

    res: dict[str, Any] = {"args": vars(args)}
    env = make_env(args)
    try:
        res["machine"] = machine(env)
        env.reset(options={"task": args.task})  # also warms imports and caches
        res["memory"] = bench_memory(args)  # first: later, freed memory gets reused
        res["steps"] = bench_steps(env, args)
        res["resets"] = bench_resets(env, args)
    finally:
        env.close()
    ok = report(res, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2, default=float)
            fh.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
