"""The soak run: many episodes across parallel envs, then an account of every one.

Episodes mix the oracle, the do-nothing agent and :class:`HostileAgent` actions over a set
of tasks, on ``parallel`` envs driven by as many threads (the work is I/O-bound). Every
episode is accounted for: a reward, or an ``env_error`` with its cause; an exception that
escapes the env is a ``crash``. What must hold at the end (:meth:`SoakReport.problems`):

* no false reward: the do-nothing and hostile episodes (which never solve their task)
  score 0;
* no crash, and every oracle episode scores 1 or reports an infrastructure error;
* no container (or local sandbox directory) of this process left after the envs close;
* this process's open file descriptors and resident memory back within stated bounds.

Used by ``benchmarks/soak.py`` (1,000 episodes), ``terminal-gym soak`` and the test suite's
slow tier (a short run).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from terminal_gym.rollout.agents import Agent, NullAgent, OracleAgent, run_episode
from terminal_gym.rollout.hostile import HOSTILE_ACTIONS, HostileAgent, actions_for

#: Share of each kind of episode.
MIX = {"oracle": 0.4, "null": 0.2, "hostile": 0.4}
#: Allowed growth of this process's resident memory over a whole run, in MB.
RSS_BOUND_MB = 300
#: Allowed growth of this process's open file descriptors over a whole run.
FD_BOUND = 16
_BROKEN = ("false-reward", "crash", "oracle-failed")


@dataclass
class SoakEpisode:
    """One episode's account."""

    index: int
    task_id: str
    agent: str
    action: str | None
    reward: float
    env_error: bool
    error: str | None
    tamper: list[str]
    seconds: float
    outcome: str  # "ok", "false-reward", "oracle-failed", "env-error", "crash"


@dataclass
class SoakReport:
    """The run's figures; :meth:`problems` lists what broke a guarantee."""

    backend: str
    episodes: int
    parallel: int
    seconds: float
    outcomes: dict[str, int]
    by_agent: dict[str, int]
    env_errors: dict[str, int]
    tamper_flagged: int
    leaked_containers: int
    leaked_local_dirs: int
    fds_start: int
    fds_end: int
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def episodes_per_second(self) -> float:
        return self.episodes / self.seconds if self.seconds else 0.0

    def problems(self) -> list[str]:
        found = []
        for outcome in _BROKEN:
            if self.outcomes.get(outcome):
                found.append(f"{self.outcomes[outcome]} {outcome} episode(s)")
        if self.leaked_containers:
            found.append(f"{self.leaked_containers} container(s) leaked")
        if self.leaked_local_dirs:
            found.append(f"{self.leaked_local_dirs} local sandbox dir(s) leaked")
        if self.fds_end - self.fds_start > FD_BOUND:
            found.append(f"open fds grew from {self.fds_start} to {self.fds_end}")
        if self.rss_end_mb - self.rss_start_mb > RSS_BOUND_MB:
            found.append(f"RSS grew from {self.rss_start_mb:.0f} to {self.rss_end_mb:.0f} MB")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "episodes_per_second": self.episodes_per_second}


def plan(
    task_ids: Sequence[str],
    episodes: int,
    seed: int = 0,
    actions: Sequence[str] = tuple(sorted(HOSTILE_ACTIONS)),
) -> list[tuple[str, str, str | None]]:
    """``(task id, agent, hostile action)`` for each episode, reproducible from ``seed``.

    >>> plan(["a", "b"], 3, seed=1) == plan(["a", "b"], 3, seed=1)
    True
    """
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    result: list[tuple[str, str, str | None]] = []
    hostile = 0
    for _ in range(episodes):
        kind = rng.choices(kinds, weights)[0]
        action = None
        if kind == "hostile":  # every action comes up in turn: a short run covers them all
            action = actions[hostile % len(actions)]
            hostile += 1
        result.append((rng.choice(list(task_ids)), kind, action))
    return result


def run_soak(
    make_env: Callable[[], gym.Env],
    task_ids: Sequence[str],
    *,
    episodes: int,
    parallel: int = 4,
    seed: int = 0,
    actions: Sequence[str] | None = None,
    out: Path | None = None,
    progress: Callable[[SoakEpisode], None] | None = None,
) -> SoakReport:
    """Run ``episodes`` episodes on ``parallel`` envs made by ``make_env``.

    Args:
        make_env: makes one env (called once per worker thread).
        task_ids: the tasks to draw from.
        episodes: how many episodes.
        parallel: envs (and threads).
        seed: the plan's seed.
        actions: the hostile actions to use (default: those safe on the envs' backend,
            :func:`~terminal_gym.rollout.hostile.actions_for`).
        out: a JSONL file receiving each episode's account as it finishes.
        progress: called with each episode's account as it finishes.
    """
    if actions is None:
        probe = make_env()
        try:
            actions = actions_for(probe.unwrapped.backend.name)  # type: ignore[attr-defined]
        finally:
            probe.close()
    schedule = plan(task_ids, episodes, seed, actions)
    local = threading.local()
    envs: list[gym.Env] = []
    lock = threading.Lock()
    results: list[SoakEpisode] = []
    sink = open(out, "a", encoding="utf-8") if out is not None else None  # noqa: SIM115
    stop = threading.Event()
    peak = [_rss_mb()]

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], _rss_mb())

    def one(index: int) -> None:
        task_id, kind, action = schedule[index]
        env = getattr(local, "env", None)
        if env is None:
            env = local.env = make_env()
            with lock:
                envs.append(env)
        agent: Agent = (
            OracleAgent() if kind == "oracle" else NullAgent() if kind == "null"
            else HostileAgent(action or "")
        )  # fmt: skip
        started = time.monotonic()
        try:
            result = run_episode(env, agent, task=task_id)
            reward, env_error, error = result.reward, result.env_error, result.error
            tamper = [t["kind"] for t in result.verifier.get("tamper", [])]
            if env_error:
                outcome = "env-error"
            elif kind == "oracle":
                outcome = "ok" if reward == 1.0 else "oracle-failed"
            else:
                outcome = "ok" if reward == 0.0 else "false-reward"
        except Exception as exc:  # an exception escaping the env is the failure we count
            reward, env_error, tamper, outcome = 0.0, False, [], "crash"
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        record = SoakEpisode(
            index, task_id, kind, action, reward, env_error, error, tamper,
            round(time.monotonic() - started, 3), outcome,
        )  # fmt: skip
        with lock:
            results.append(record)
            if sink is not None:
                sink.write(json.dumps(asdict(record)) + "\n")
                sink.flush()
        if progress is not None:
            progress(record)

    fds_start, rss_start = _fds(), _rss_mb()
    before_dirs = _local_dirs()
    monitor = threading.Thread(target=sample, daemon=True)
    monitor.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="soak") as pool:
            list(pool.map(one, range(len(schedule))))
    finally:
        for env in envs:
            env.close()
        stop.set()
        monitor.join()
        if sink is not None:
            sink.close()
    seconds = time.monotonic() - started
    backend = getattr(envs[0].unwrapped, "backend", None) if envs else None
    leaked = 0
    if backend is not None and backend.name == "docker":
        from terminal_gym.sandbox.docker import connect, owned_containers

        client = connect()
        try:
            leaked = len(owned_containers(client))
        finally:
            client.close()
    outcomes = Counter(r.outcome for r in results)
    return SoakReport(
        backend=backend.name if backend is not None else "?",
        episodes=len(results),
        parallel=parallel,
        seconds=round(seconds, 1),
        outcomes=dict(outcomes),
        by_agent=dict(Counter(r.agent for r in results)),
        env_errors=dict(Counter((r.error or "")[:80] for r in results if r.env_error)),
        tamper_flagged=sum(bool(r.tamper) for r in results),
        leaked_containers=leaked,
        leaked_local_dirs=len(_local_dirs() - before_dirs),
        fds_start=fds_start,
        fds_end=_fds(),
        rss_start_mb=round(rss_start, 1),
        rss_peak_mb=round(max(peak[0], _rss_mb()), 1),
        rss_end_mb=round(_rss_mb(), 1),
        failures=[
            asdict(r) for r in results if r.outcome in ("false-reward", "crash", "oracle-failed")
        ],
    )


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _local_dirs() -> set[str]:
    """This process's local sandbox directories."""
    from terminal_gym.sandbox.local import LOCAL_DIR_PREFIX

    tmp = Path(tempfile.gettempdir())
    return {p.name for p in tmp.glob(f"{LOCAL_DIR_PREFIX}{os.getpid()}-*")}
