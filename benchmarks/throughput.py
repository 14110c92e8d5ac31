"""Throughput of terminal-gym against the alternatives, all in one run (DESIGN.md §9).

Sections (``--only`` / ``--skip`` pick some):

``latency``
    One command, four ways, interleaved call by call on the same image: ``env.step``, the
    env's raw PTY (``shell.run``), one ``docker exec`` per command (InterCode, GEM,
    OpenEnv), and tmux ``send-keys`` + ``tmux wait`` + ``capture-pane`` through
    ``docker exec`` (the Terminus harness); for a trivial, a medium and an output-heavy
    command. The tmux image is the task's image plus tmux (built once, with apt).
``vector``
    Trivial ``echo hi`` sub-env steps per second for 1, 4, 16, 64 envs: ``gym.make_vec``
    sync and async, ``RayVectorEnv`` (16 envs per actor at most), and a thread pool over
    single envs, the reference (target: Ray >= 0.8x of it at 64 envs).
``oracle``
    Oracle episodes per second (reset + the task's solution + the verifier) over the
    bundled tasks, each env drawing its own tasks, for 1, 4, 16 envs on threads, cold and
    with one shared warm pool (target: >= 5 episodes/s at 16 envs). Episodes are started
    for ``--oracle-seconds``; the rate is the episodes finished in that window over it.
``reset``
    Cold reset against a reset from the pool, interleaved (``pool_reset.py``'s
    measurement; target: pooled p50 <= 20 ms and >= 10x faster than cold).
``capacity``
    Sandboxes held at once: 64, then 128, then 256 envs reset and stepped in this process,
    errors counted; host RSS per env; after closing, no container of this process left
    (target: >= 128 with no error or leak).

Run (the Docker daemon up, base images there: ``make images``)::

    python benchmarks/throughput.py                    # everything, ~25 min on 2 cores
    python benchmarks/throughput.py --only latency vector --quick

Prints a table per section; writes every number to ``benchmarks/results/throughput.json``
(``--json`` elsewhere). Exit status 1 when a figure with a target misses it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import json
import resource
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import gymnasium as gym
from pool_reset import bench as bench_pool_reset
from step_latency import machine, print_table, rss_kb, stats, timed
from vector_throughput import ThreadPoolVector, measure

import terminal_gym  # noqa: F401  (registers TerminalLego-v0)
from terminal_gym.rollout.agents import OracleAgent, run_episode
from terminal_gym.sandbox import make_backend
from terminal_gym.sandbox.docker import owned_containers
from terminal_gym.sandbox.pool import SandboxPool

RESULTS = Path(__file__).parent / "results"
SECTIONS = ("latency", "vector", "oracle", "reset", "capacity")
COMMANDS = {
    "trivial": "echo hi",
    "medium": "ls -la /usr/bin | sort -k5 -n | tail -3 && grep -c : /etc/passwd",
    "output-heavy": "seq 1 100000",
}
TMUX_TAG = "terminal-gym/bench-tmux"
SESSION = "bench"


def env_kwargs(args: argparse.Namespace, **more: Any) -> dict[str, Any]:
    """An env that no step or time budget ends mid-benchmark."""
    return {"task": args.task, "max_steps": 10**9, "agent_timeout": 1e9, **more}


# -- latency -------------------------------------------------------------------------------


def tmux_image(client: docker.DockerClient, base: str) -> str:
    """The task's image plus tmux, built once (cached by the base image's id)."""
    tag = f"{TMUX_TAG}:{client.images.get(base).id.split(':')[-1][:16]}"
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        dockerfile = (
            f"FROM {base}\nRUN apt-get update && apt-get install -y --no-install-recommends"
            " tmux && rm -rf /var/lib/apt/lists/*\n"
        )
        import io
        import tarfile

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            data = dockerfile.encode()
            member = tarfile.TarInfo("Dockerfile")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        buf.seek(0)
        client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True)
    return tag


class Tmux:
    """A tmux session in a container, driven the way the Terminus harness drives it:
    ``send-keys`` the command followed by ``; tmux wait -S done``, block on
    ``tmux wait done``, then ``capture-pane``; three ``docker exec`` per command."""

    def __init__(self, client: docker.DockerClient, image: str):
        self.container = client.containers.run(
            image,
            ["sleep", "infinity"],
            detach=True,
            network_mode="none",
            labels={"terminal-gym.benchmark": "tmux"},
        )
        self._exec("tmux", "new-session", "-d", "-s", SESSION, "-x", "160", "-y", "40")

    def _exec(self, *argv: str) -> bytes:
        code, out = self.container.exec_run(list(argv))
        if code != 0:
            raise RuntimeError(f"{argv} exited {code}: {out[-500:]!r}")
        return out

    def run(self, command: str) -> str:
        self._exec("tmux", "send-keys", "-t", SESSION, f"{command}; tmux wait -S done", "Enter")
        self._exec("timeout", "60", "tmux", "wait", "done")
        return self._exec("tmux", "capture-pane", "-p", "-t", SESSION).decode()

    def close(self) -> None:
        self.container.remove(force=True)


def bench_latency(args: argparse.Namespace) -> dict[str, Any]:
    env = gym.make("TerminalLego-v0", backend="docker", **env_kwargs(args))
    tmux = None
    try:
        env.reset()
        inner = env.unwrapped
        client, container = inner.backend.client, inner.sandbox.container
        tmux = Tmux(client, tmux_image(client, container.image.tags[0]))
        out: dict[str, Any] = {}
        for kind, command in COMMANDS.items():

            def one_exec(command: str = command) -> None:
                code, _ = container.exec_run(["sh", "-c", command])
                assert code == 0

            paths: dict[str, Callable[[], Any]] = {
                "env.step": lambda command=command: env.step(command),
                "raw PTY (shell.run)": lambda command=command: inner.shell.run(command),
                "docker exec per command": one_exec,
                "tmux send-keys + capture-pane": lambda command=command: tmux.run(command),
            }
            for fn in paths.values():  # warm up
                fn()
            times: dict[str, list[float]] = {name: [] for name in paths}
            for k in range(args.latency_steps):
                for name, fn in paths.items():
                    if k < args.exec_steps or name in ("env.step", "raw PTY (shell.run)"):
                        times[name].append(timed(fn))
            out[kind] = {name: stats(t) for name, t in times.items()}
        return out
    finally:
        if tmux is not None:
            tmux.close()
        env.close()


def report_latency(res: dict[str, Any], m: dict[str, Any]) -> bool:
    rows = []
    ok = True
    for kind, paths in res.items():
        base = paths["env.step"]["p50"]
        for name, s in paths.items():
            ratio = s["p50"] / base
            numbers = f"{s['p50']:9.3f}{s['p90']:9.3f}{s['p99']:9.3f}{ratio:9.1f}x"
            target, passed = "", None
            if kind == "trivial" and name == "env.step":
                target, passed = "p50 <= 0.5 ms", s["p50"] <= 0.5
            elif kind == "trivial" and name == "docker exec per command":
                target, passed = ">= 50x", ratio >= 50
            rows.append((f"{kind}: {name}", numbers, target, passed))
    ok = print_table(
        "step latency, side by side (ratio: p50 / env.step p50)",
        m,
        ("p50 ms", "p90 ms", "p99 ms", "ratio"),
        rows,
        label_width=46,
        unit="",
    )
    return ok


# -- vector --------------------------------------------------------------------------------


def bench_vector(args: argparse.Namespace) -> dict[str, Any]:
    backend = make_backend("docker")  # one Docker client for the in-process envs
    out: dict[str, Any] = {}
    try:
        for n in args.envs:
            steps = max(20, args.vector_steps // max(1, n // 4))
            kw = env_kwargs(args, max_steps=10**9)

            def vec(mode: str, n: int = n, kw: dict[str, Any] = kw) -> Callable[[], Any]:
                extra = {"backend": backend} if mode == "sync" else {"backend": "docker"}
                return lambda: gym.make_vec(
                    "TerminalLego-v0", n, vectorization_mode=mode, **kw, **extra
                )

            modes: dict[str, Callable[[], Any]] = {
                "sync": vec("sync"),
                "async": vec("async"),
                "ray": lambda n=n, kw=kw: _ray(n, kw),
                "thread pool": lambda n=n, kw=kw: ThreadPoolVector(n, backend=backend, **kw),
            }
            out[str(n)] = {}
            for name, make in modes.items():
                if name in args.vector_skip:
                    continue
                out[str(n)][name] = measure(make, n, steps)
                print(f"  vector: {n} envs, {name}: {out[str(n)][name]['steps_per_s']:.0f}/s")
    finally:
        backend.close()
    return out


def _ray(n: int, kwargs: dict[str, Any]) -> Any:
    from terminal_gym.vector import RayVectorEnv

    return RayVectorEnv(
        n,
        envs_per_actor=min(n, 16),
        ray_init={"num_cpus": 2, "include_dashboard": False, "log_to_driver": False},
        backend="docker",
        **kwargs,
    )


def report_vector(res: dict[str, Any], m: dict[str, Any]) -> bool:
    rows = []
    for n, modes in res.items():
        ref = modes.get("thread pool", {}).get("steps_per_s")
        for name, r in modes.items():
            ratio = r["steps_per_s"] / ref if ref else float("nan")
            numbers = f"{r['steps_per_s']:9.0f}{r['vector_step_p50_ms']:9.2f}{ratio:9.2f}x"
            target, passed = "", None
            if name == "ray" and n == "64" and ref:
                target, passed = ">= 0.8x", ratio >= 0.8
            rows.append((f"{n} envs: {name}", numbers, target, passed))
    return print_table(
        "trivial steps/s (ratio: over the thread pool; p50 of one vector step)",
        m,
        ("steps/s", "p50 ms", "ratio"),
        rows,
        label_width=24,
        unit="",
    )


# -- oracle --------------------------------------------------------------------------------


def bench_oracle(args: argparse.Namespace) -> dict[str, Any]:
    backend = make_backend("docker")
    out: dict[str, Any] = {}
    try:
        for n in args.parallel:
            for mode in ("cold", "pool"):
                out[f"{n} {mode}"] = _oracle_run(backend, n, mode == "pool", args)
                r = out[f"{n} {mode}"]
                print(f"  oracle: {n} envs, {mode}: {r['episodes_per_s']:.2f}/s", flush=True)
    finally:
        backend.close()
    return out


def _oracle_run(backend: Any, n: int, pooled: bool, args: argparse.Namespace) -> dict[str, Any]:
    pool = SandboxPool(backend, size=n, refill=min(4, max(2, n))) if pooled else None
    kwargs: dict[str, Any] = {"tasks": args.oracle_tasks, "backend": backend}
    envs = [gym.make("TerminalLego-v0", pool=pool, **kwargs) for _ in range(n)]
    for k, env in enumerate(envs):  # same draws cold and pooled
        env.reset(seed=1000 + k)
    lock = threading.Lock()
    finished: list[dict[str, Any]] = []
    started = time.monotonic()
    window_end = started + args.oracle_seconds

    def worker(env: gym.Env) -> None:
        while time.monotonic() < window_end:
            t0 = time.monotonic()
            try:
                result = run_episode(env, OracleAgent())
                row = {
                    "task": result.task_id,
                    "reward": result.reward,
                    "error": result.error,
                    "verifier_s": result.verifier.get("duration", 0.0),
                }
            except Exception as exc:  # a crash counts as a failed episode, reported
                error = f"{type(exc).__name__}: {exc}"
                row = {"task": None, "reward": 0.0, "error": error, "verifier_s": 0.0}
            row.update(seconds=time.monotonic() - t0, end=time.monotonic() - started)
            with lock:
                finished.append(row)

    try:
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            list(ex.map(worker, envs))
    finally:
        for env in envs:
            env.close()
        if pool is not None:
            pool.close()
    window = [r for r in finished if r["end"] <= args.oracle_seconds]
    return {
        "envs": n,
        "pool": pooled,
        "episodes_in_window": len(window),
        "episodes_per_s": len(window) / args.oracle_seconds,
        "solved": sum(r["reward"] == 1.0 for r in window),
        "errors": [r["error"] for r in finished if r["error"]],
        "episode_p50_s": statistics.median([r["seconds"] for r in finished] or [0]),
        "verifier_p50_s": statistics.median([r["verifier_s"] for r in finished] or [0]),
        "wall_s": time.monotonic() - started,
        "episodes": finished,
    }


def report_oracle(res: dict[str, Any], m: dict[str, Any]) -> bool:
    rows = []
    for r in res.values():
        numbers = (
            f"{r['episodes_per_s']:9.2f}{r['episode_p50_s']:9.2f}{r['verifier_p50_s']:9.2f}"
            f"{r['solved']:>5}/{r['episodes_in_window']:<3}"
        )
        target, passed = "", None
        if r["envs"] == 16:
            target, passed = ">= 5 eps/s", r["episodes_per_s"] >= 5
        rows.append(
            (f"{r['envs']} envs, {'pool' if r['pool'] else 'cold'}", numbers, target, passed)
        )
    return print_table(
        "oracle episodes/s over the bundled tasks (episode and verifier p50; solved/finished)",
        m,
        ("eps/s", "ep p50 s", "vf p50 s", "solved"),
        rows,
        label_width=20,
        unit="",
    )


# -- reset ---------------------------------------------------------------------------------


def bench_reset(args: argparse.Namespace) -> dict[str, Any]:
    ns = argparse.Namespace(
        backend="docker", task=args.task, resets=args.resets, back_to_back=10, size=2
    )
    return bench_pool_reset(ns)["resets"]


def report_reset(res: dict[str, Any], m: dict[str, Any]) -> bool:
    ratio = res["cold"]["p50"] / res["pooled"]["p50"]
    res["cold_over_pooled_p50"] = ratio
    rows = [
        ("cold reset", f"{res['cold']['p50']:9.2f}{res['cold']['p95']:9.2f}", "", None),
        (
            "reset from the pool",
            f"{res['pooled']['p50']:9.2f}{res['pooled']['p95']:9.2f}",
            "p50 <= 20 ms",
            res["pooled"]["p50"] <= 20,
        ),
        ("cold / pooled (p50)", f"{ratio:9.1f}x".ljust(18), ">= 10x", ratio >= 10),
    ]
    return print_table("reset: cold against the warm pool", m, ("p50", "p95"), rows)


# -- capacity ------------------------------------------------------------------------------


def bench_capacity(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # ~4 descriptors per env
    backend = make_backend("docker")
    client = backend.client
    envs: list[gym.Env] = []
    levels: dict[str, Any] = {}
    gc.collect()
    before = rss_kb()
    try:
        for level in args.capacity:
            errors: list[str] = []
            new = [
                gym.make("TerminalLego-v0", backend=backend, **env_kwargs(args))
                for _ in range(level - len(envs))
            ]
            envs += new
            t0 = time.monotonic()

            def start(env: gym.Env) -> str | None:
                try:
                    env.reset()
                    obs, *_, info = env.step("echo hi")
                    if obs["output"] != "hi\n" or info.get("env_error"):
                        return f"bad step: {obs['output']!r} {info.get('error')}"
                except Exception as exc:
                    return f"{type(exc).__name__}: {exc}"
                return None

            with concurrent.futures.ThreadPoolExecutor(args.capacity_threads) as ex:
                errors += [e for e in ex.map(start, new) if e]
            # every sandbox, old and new, still answers
            with concurrent.futures.ThreadPoolExecutor(args.capacity_threads) as ex:
                alive = list(ex.map(lambda e: e.unwrapped.shell.run("echo ok").output, envs))
            errors += [f"dead: {a!r}" for a in alive if a != "ok\n"]
            gc.collect()
            levels[str(level)] = {
                "errors": errors[:10],
                "error_count": len(errors),
                "start_s": time.monotonic() - t0,
                "rss_per_env_mb": (rss_kb() - before) / 1024 / len(envs),
                "containers": len(owned_containers(client)),
            }
            print(f"  capacity: {level} sandboxes, {len(errors)} errors", flush=True)
            if errors:
                break
    finally:
        with concurrent.futures.ThreadPoolExecutor(args.capacity_threads) as ex:
            list(ex.map(lambda e: e.close(), envs))
        left = owned_containers(client)
        backend.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return {"levels": levels, "left_after_close": len(left)}


def report_capacity(res: dict[str, Any], m: dict[str, Any]) -> bool:
    rows = []
    best = 0
    for level, r in res["levels"].items():
        clean = r["error_count"] == 0
        best = max(best, int(level)) if clean else best
        numbers = f"{r['error_count']:9d}{r['start_s']:9.1f}{r['rss_per_env_mb']:9.2f}"
        rows.append((f"{level} sandboxes at once", numbers, "", None))
    rows.append(("largest without error", f"{best:9d}".ljust(27), ">= 128", best >= 128))
    left = res["left_after_close"]
    rows.append(("containers left after close", f"{left:9d}".ljust(27), "0", left == 0))
    rss = [r["rss_per_env_mb"] for r in res["levels"].values()]
    if rss:
        rows.append(
            ("host RSS per env (MB)", f"{max(rss):9.2f}".ljust(27), "<= 15", max(rss) <= 15)
        )
    return print_table(
        "concurrent sandboxes (errors; seconds to start the new ones; host MB per env)",
        m,
        ("errors", "start s", "MB/env"),
        rows,
        label_width=30,
        unit="",
    )


# -- main ----------------------------------------------------------------------------------

BENCH = {
    "latency": (bench_latency, report_latency),
    "vector": (bench_vector, report_vector),
    "oracle": (bench_oracle, report_oracle),
    "reset": (bench_reset, report_reset),
    "capacity": (bench_capacity, report_capacity),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    p.add_argument("--skip", nargs="+", choices=SECTIONS, default=[])
    p.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    p.add_argument("--task", default="find-prod-api-key", help="the task of the step benches")
    p.add_argument("--latency-steps", type=int, default=300)
    p.add_argument("--exec-steps", type=int, default=60, help="timed runs of the exec paths")
    p.add_argument("--envs", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--vector-steps", type=int, default=200, help="vector steps at 1-4 envs")
    p.add_argument("--vector-skip", nargs="*", default=[], help="e.g. async")
    p.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--oracle-tasks", default="builtin")
    p.add_argument("--oracle-seconds", type=float, default=90.0)
    p.add_argument("--resets", type=int, default=20)
    p.add_argument("--capacity", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--capacity-threads", type=int, default=8)
    p.add_argument("--json", type=Path, default=RESULTS / "throughput.json")
    args = p.parse_args()
    if args.quick:
        args.latency_steps, args.exec_steps, args.vector_steps = 100, 20, 50
        args.envs, args.parallel, args.oracle_seconds = [1, 4, 16], [1, 16], 30.0
        args.resets, args.capacity = 10, [32, 64]

    res: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    probe = gym.make("TerminalLego-v0", backend="docker", task=args.task)
    res["machine"] = machine(probe)
    probe.reset()  # builds the task's image once, before anything is timed
    probe.close()
    ok = True
    args.json.parent.mkdir(parents=True, exist_ok=True)
    for name in [s for s in args.only if s not in args.skip]:
        bench, report = BENCH[name]
        print(f"{name}...", flush=True)
        res[name] = bench(args)
        ok = report(res[name], res["machine"]) and ok
        args.json.write_text(json.dumps(res, indent=2, default=float) + "\n")
    print(f"\nall numbers: {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
