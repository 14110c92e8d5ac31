"""Rollout collection: many episodes at once, streamed to JSONL, resumable, in groups.

:func:`collect` plays every *episode* of a plan: each task, at ``episodes`` seeds
(``seed``, ``seed + 1``, ...), each ``(task, seed)`` instance ``group`` times (GRPO-style
groups: same task id, same seed, hence the same files, the same family parameters).
Episodes run ``workers`` at a time:

* through :class:`~terminal_gym.vector.RayVectorEnv` (the default when Ray is installed):
  ``workers`` sub-envs, ``envs_per_actor`` per Ray actor; the driver starts each
  sub-env's next episode with ``send_reset`` and steps it with ``send``/``recv``, and the
  agents' turns (LLM calls) run on a thread pool, so a slow model turn or a slow command
  holds up only its own episode;
* or (``use_ray=False``, or no Ray) on a local thread pool, one env per thread, each
  episode through :func:`~terminal_gym.rollout.agents.run_episode`.

Output (``out``): JSON Lines, one whole trajectory per line
(:meth:`Trajectory.to_dict <terminal_gym.data.Trajectory.to_dict>`, loadable with
:func:`terminal_gym.data.load_trajectories`), appended and flushed as each episode
finishes. Each trajectory's ``metadata`` holds ``episode_key``, ``group_id``,
``group_index``, ``group_size``, ``seed``, ``agent``, ``attempt``, and how it ended:
``env_error`` (the environment failed: not the agent's failure), ``llm_error`` (the model
endpoint failed), ``error``; such episodes have ``reward`` ``None``. Beside it,
``<stem>.summary.json`` holds the run's totals and each group's reward mean and std,
rewritten as groups complete; :func:`load_rollouts` reads the file back with those group
statistics in each trajectory's metadata.

Resume: run again with the same ``out``: finished episodes (by ``episode_key``) are
skipped, and those that ended in ``env_error`` or ``llm_error`` are run again. A line cut
short by a crash is removed first.

Example:
    >>> from terminal_gym.rollout import collect
    >>> result = collect("builtin", "llm", episodes=2, group=8, workers=32,
    ...                  out="rollouts.jsonl", agent_options={"model": "qwen",
    ...                  "base_url": "http://localhost:8000/v1"})  # doctest: +SKIP
    >>> result.summary["reward_mean"]  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

from terminal_gym.data.schema import Trajectory, dumps, iter_trajectories, supersedes
from terminal_gym.data.schema import failed_episode as _failed
from terminal_gym.errors import TerminalGymError
from terminal_gym.render import to_jsonable
from terminal_gym.rollout.agents import AGENTS, Agent, EpisodeRecorder, make_agent, run_episode
from terminal_gym.rollout.llm import LLMAgent, LLMEndpointError, llm_env, make_client
from terminal_gym.tasks import Task, TaskSet
from terminal_gym.vector.group import EnvFactory

__all__ = [
    "CollectError",
    "EpisodeSpec",
    "RolloutEnvFactory",
    "RolloutResult",
    "check_endpoint",
    "collect",
    "group_stats",
    "load_rollouts",
    "plan_episodes",
]


#: Seconds the Ray engine waits for env results while agents think before it looks for
#: their decisions again (a model turn takes seconds: this adds little, and spares the CPU).
POLL = 0.05


class CollectError(TerminalGymError, ValueError):
    """Bad input to :func:`collect`: no tasks, an unknown agent, an unwritable output."""


# -- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeSpec:
    """One planned episode: ``task_id`` reset with ``seed``, member ``group_index`` of the
    group of ``group_size`` episodes of that instance."""

    task_id: str
    seed: int
    group_index: int = 0
    group_size: int = 1

    @property
    def group_id(self) -> str:
        return f"{self.task_id}@{self.seed}"

    @property
    def key(self) -> str:
        """The episode's identity in the output (what resume skips)."""
        return f"{self.group_id}#{self.group_index}"

    def metadata(self) -> dict[str, Any]:
        return {
            "episode_key": self.key,
            "group_id": self.group_id,
            "group_index": self.group_index,
            "group_size": self.group_size,
            "task": self.task_id,
            "seed": self.seed,
        }


def plan_episodes(
    task_ids: Iterable[str], episodes: int = 1, group: int = 1, seed: int = 0
) -> list[EpisodeSpec]:
    """Every episode of a run, a group's members next to each other.

    >>> [s.key for s in plan_episodes(["a"], episodes=2, group=2, seed=5)]
    ['a@5#0', 'a@5#1', 'a@6#0', 'a@6#1']
    """
    if episodes < 1 or group < 1:
        raise CollectError("episodes and group must be at least 1")
    return [
        EpisodeSpec(task_id, seed + k, g, group)
        for task_id in task_ids
        for k in range(episodes)
        for g in range(group)
    ]


@dataclass(frozen=True)
class RolloutEnvFactory(EnvFactory):
    """An :class:`~terminal_gym.vector.EnvFactory` that wraps each env for its agent:
    an LLM agent's reply format gets :func:`~terminal_gym.rollout.llm.llm_env`'s stack.
    Picklable, so Ray actors build the same stack."""

    reply_format: str | None = None
    max_output_bytes: int = 10_000

    def __call__(self, **overrides: Any) -> gym.Env:
        env = super().__call__(**overrides)
        if self.reply_format is None:
            return env
        return llm_env(env, self.reply_format, self.max_output_bytes)


# -- results -------------------------------------------------------------------------


def group_stats(trajectories: Iterable[Trajectory]) -> dict[str, dict[str, Any]]:
    """Per ``group_id``: ``n`` (graded members), ``size`` (planned), ``rewards``, ``mean``
    and ``std`` (population, ``ddof=0``; ``None`` without graded members). Episodes that
    failed for the environment or the endpoint are left out."""
    rewards: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    for t in trajectories:
        gid = t.metadata.get("group_id")
        if gid is None:
            continue
        sizes[gid] = int(t.metadata.get("group_size") or 1)
        rewards.setdefault(gid, [])
        if not _failed(t) and t.reward is not None:
            rewards[gid].append(float(t.reward))
    stats = {}
    for gid, values in rewards.items():
        arr = np.asarray(values, dtype=float)
        stats[gid] = {
            "n": len(values),
            "size": sizes[gid],
            "rewards": values,
            "mean": float(arr.mean()) if values else None,
            "std": float(arr.std()) if values else None,
        }
    return stats


def _latest(trajectories: Iterable[Trajectory]) -> dict[str, Trajectory]:
    """The last record of each episode key, a graded one winning over a failed one."""
    latest: dict[str, Trajectory] = {}
    for t in trajectories:
        key = t.metadata.get("episode_key")
        if key is None:
            continue
        if key not in latest or supersedes(t, latest[key]):
            latest[key] = t
    return latest


def annotate_groups(trajectories: Sequence[Trajectory]) -> None:
    """Add ``group_reward_mean`` and ``group_reward_std`` to each trajectory's metadata."""
    stats = group_stats(trajectories)
    for t in trajectories:
        gid = t.metadata.get("group_id")
        s = stats.get(gid) if isinstance(gid, str) else None
        if s is not None:
            t.metadata["group_reward_mean"] = s["mean"]
            t.metadata["group_reward_std"] = s["std"]


def load_rollouts(path: str | os.PathLike[str], *, failed: bool = False) -> list[Trajectory]:
    """The episodes of a :func:`collect` output: the latest record of each, graded ones
    only unless ``failed``, with ``group_reward_mean``/``group_reward_std`` in metadata."""
    with open(path, encoding="utf-8") as fh:
        latest = list(_latest(iter_trajectories(fh, str(path))).values())
    annotate_groups(latest)
    return latest if failed else [t for t in latest if not _failed(t)]


@dataclass
class RolloutResult:
    """What :func:`collect` returns: the episodes (finished earlier ones included, the
    latest record of each, with group statistics in metadata) and the run's summary."""

    trajectories: list[Trajectory]
    summary: dict[str, Any]
    path: Path | None = None


# -- output --------------------------------------------------------------------------


def _repair_tail(path: Path) -> None:
    """Cut a last line left half-written by a crash (appending after it would corrupt)."""
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return
        data_end = size
        step = 1 << 16
        pos = size
        while pos > 0:
            pos = max(0, pos - step)
            fh.seek(pos)
            chunk = fh.read(data_end - pos)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                fh.truncate(pos + cut + 1)
                return
        fh.truncate(0)


class _Sink:
    """Appends trajectories to the output, tracks the run's totals, drives the progress
    bar and rewrites the summary as groups complete. Thread-safe."""

    def __init__(
        self,
        out: Path | None,
        done: dict[str, Trajectory],
        planned: int,
        skipped: int,
        progress: bool,
        fsync: bool,
        on_trajectory: Callable[[Trajectory], None] | None = None,
    ):
        self.out = out
        self.on_trajectory = on_trajectory
        self.summary_path = out.with_name(out.stem + ".summary.json") if out else None
        self.done = done
        self.planned, self.skipped = planned, skipped
        self.fsync = fsync
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.finished = self.env_errors = self.llm_errors = 0
        self.rewards: list[float] = []
        self._fh: IO[str] | None = None
        if out is not None:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                if out.exists():
                    _repair_tail(out)
                self._fh = open(out, "a", encoding="utf-8")  # noqa: SIM115 (open all run)
            except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
                reason = getattr(exc, "strerror", None) or exc
                raise CollectError(f"cannot write the output {out}: {reason}") from None
        self._progress: Any = None
        self._bar: Any = None
        if progress:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]rollout"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("reward {task.fields[reward]}"),
                TextColumn("{task.fields[rate]} ep/s"),
                TextColumn("{task.fields[failed]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._bar = self._progress.add_task(
                "rollout", total=planned - skipped, reward="-", rate="-", failed=""
            )

    def emit(self, spec: EpisodeSpec, trajectory: Trajectory) -> None:
        with self.lock:
            if self._fh is not None:
                self._fh.write(dumps(to_jsonable(trajectory.to_dict())) + "\n")
                self._fh.flush()
                if self.fsync:
                    os.fsync(self._fh.fileno())
            meta = trajectory.metadata
            if meta.get("env_error"):
                self.env_errors += 1
            elif meta.get("llm_error"):
                self.llm_errors += 1
            else:
                self.finished += 1
                if trajectory.reward is not None:
                    self.rewards.append(float(trajectory.reward))
            key = spec.key
            if key not in self.done or not _failed(trajectory):
                self.done[key] = trajectory
            if self._bar is not None:
                elapsed = max(time.monotonic() - self.started, 1e-9)
                failed = []
                if self.env_errors:
                    failed.append(f"env errors {self.env_errors}")
                if self.llm_errors:
                    failed.append(f"llm errors {self.llm_errors}")
                self._progress.update(
                    self._bar,
                    advance=0 if _failed(trajectory) else 1,
                    reward=f"{np.mean(self.rewards):.3f}" if self.rewards else "-",
                    rate=f"{self.finished / elapsed:.2f}",
                    failed=", ".join(failed),
                )
            if not _failed(trajectory) and self._group_complete(spec):
                self._write_summary()
            if self.on_trajectory is not None:
                self.on_trajectory(trajectory)

    def _group_complete(self, spec: EpisodeSpec) -> bool:
        return all(
            (t := self.done.get(f"{spec.group_id}#{g}")) is not None and not _failed(t)
            for g in range(spec.group_size)
        )

    def summary(self) -> dict[str, Any]:
        seconds = time.monotonic() - self.started
        latest = list(self.done.values())
        graded = [t for t in latest if not _failed(t) and t.reward is not None]
        return {
            "out": str(self.out) if self.out else None,
            "planned": self.planned,
            "skipped": self.skipped,
            "finished": self.finished,
            "env_errors": self.env_errors,
            "llm_errors": self.llm_errors,
            "remaining_failed": sum(1 for t in latest if _failed(t)),
            "reward_mean": float(np.mean([t.reward for t in graded])) if graded else None,
            "seconds": seconds,
            "episodes_per_s": self.finished / seconds if seconds > 0 else None,
            "groups": group_stats(latest),
        }

    def _write_summary(self) -> dict[str, Any]:
        summary = self.summary()
        if self.summary_path is not None:
            tmp = self.summary_path.with_name(self.summary_path.name + ".tmp")
            tmp.write_text(json.dumps(to_jsonable(summary), indent=2), encoding="utf-8")
            os.replace(tmp, self.summary_path)
        return summary

    def close(self) -> dict[str, Any]:
        with self.lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
            summary = self._write_summary()
            if self._fh is not None:
                self._fh.close()
                self._fh = None
            return summary


# -- collect -------------------------------------------------------------------------


def _task_set(tasks: Any) -> TaskSet:
    try:
        if isinstance(tasks, TaskSet):
            taskset = tasks
        elif isinstance(tasks, Task):
            taskset = TaskSet([tasks])
        elif isinstance(tasks, (str, os.PathLike)):
            taskset = TaskSet.from_source(tasks)
        else:
            items = list(tasks)
            if items and all(isinstance(t, Task) for t in items):
                taskset = TaskSet(items)
            else:
                taskset = TaskSet([t for item in items for t in _task_set(item)])
    except TerminalGymError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise CollectError(f"cannot load tasks {tasks!r}: {exc}") from None
    if len(taskset) == 0:
        raise CollectError(f"no tasks in {tasks!r}")
    return taskset


def _agent_factory(agent: str | Callable[[], Agent], options: Mapping[str, Any]) -> Any:
    """A callable making one fresh agent per episode (LLM agents share one client)."""
    if callable(agent) and not isinstance(agent, str):
        return agent
    if agent not in AGENTS:
        raise CollectError(f"unknown agent {agent!r}; choose from {sorted(AGENTS)}")
    try:
        prototype = make_agent(agent, **options)
    except ValueError as exc:
        raise CollectError(str(exc)) from None
    if isinstance(prototype, LLMAgent):
        return prototype.spawn
    return lambda: make_agent(agent, **options)


def _ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def collect(
    tasks: Any = "builtin",
    agent: str | Callable[[], Agent] = "oracle",
    *,
    episodes: int = 1,
    group: int = 1,
    workers: int = 4,
    out: str | os.PathLike[str] | None = None,
    seed: int = 0,
    agent_options: Mapping[str, Any] | None = None,
    env_id: str = "TerminalLego-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    use_ray: bool | None = None,
    envs_per_actor: int = 8,
    ray_options: Mapping[str, Any] | None = None,
    rerun_env_errors: int = 0,
    source: str | None = None,
    progress: bool = False,
    fsync: bool = False,
    on_trajectory: Callable[[Trajectory], None] | None = None,
) -> RolloutResult:
    """Play the episodes of a plan (see the module docstring) and stream them to ``out``.

    Args:
        tasks: a task source (``"builtin"``, a directory, ``"family:<name>"``), a
            :class:`~terminal_gym.tasks.TaskSet`, or a list of tasks or sources.
        agent: ``"oracle"``, ``"null"``, ``"llm"``, or a callable returning a fresh agent
            (one per episode).
        episodes: seeds per task (``seed``, ``seed + 1``, ...).
        group: episodes per ``(task, seed)`` instance.
        workers: episodes run at once.
        out: the JSONL output (appended; resumed when it exists). ``None``: keep the
            trajectories in memory only.
        seed: the first seed.
        agent_options: the agent's arguments (``model``, ``base_url``, ``api_key``,
            ``reply_format``, ``temperature`` ... for ``"llm"``).
        env_id, env_kwargs: each env is ``gym.make(env_id, tasks=..., **env_kwargs)``
            (``backend``, ``max_steps``, ``pool`` ...); backends by name, for Ray.
        use_ray: run through :class:`~terminal_gym.vector.RayVectorEnv` (``None``: when
            Ray is installed).
        envs_per_actor: sub-envs per Ray actor.
        ray_options: more :class:`~terminal_gym.vector.RayVectorEnv` arguments
            (``address``, ``ray_init``, ``actor_options``, ``reset_deadline`` ...).
        rerun_env_errors: times an episode that ended in ``env_error`` is run again in
            this run (a later run with the same ``out`` reruns it anyway).
        source: the trajectories' ``source`` (default: the agent's name).
        progress: show a live progress bar on stderr (episodes, mean reward, episodes/s).
        fsync: ``fsync`` the output after every episode.
        on_trajectory: called with each episode's trajectory as it finishes (under the
            output's lock: keep it quick); the CLI drives its progress bar with it.

    Raises:
        CollectError: bad input (no tasks, an unknown agent, an unwritable output).
    """
    if workers < 1:
        raise CollectError("workers must be at least 1")
    if rerun_env_errors < 0:
        raise CollectError("rerun_env_errors must be at least 0")
    taskset = _task_set(tasks)
    specs = plan_episodes(taskset.ids, episodes, group, seed)
    new_agent = _agent_factory(agent, dict(agent_options or {}))
    probe = new_agent()
    agent_name = getattr(probe, "name", type(probe).__name__)
    reply_format = getattr(probe, "reply_format", None)
    teacher = getattr(probe, "model", None) or agent_name

    path = Path(out) if out is not None else None
    done: dict[str, Trajectory] = {}
    if path is not None and path.is_file():
        try:
            with open(path, encoding="utf-8") as fh:
                done = _latest(iter_trajectories(fh, str(path)))
        except (OSError, ValueError) as exc:
            raise CollectError(f"cannot resume from {path}: {exc}") from None
    todo = [s for s in specs if s.key not in done or _failed(done[s.key])]
    sink = _Sink(path, done, len(specs), len(specs) - len(todo), progress, fsync, on_trajectory)

    factory = RolloutEnvFactory(
        env_id, {"tasks": taskset, **dict(env_kwargs or {})}, reply_format=reply_format
    )
    meta = {"agent": agent_name, "env_id": env_id}
    if reply_format is not None:
        meta["reply_format"] = reply_format
    context = _Context(
        factory=factory,
        new_agent=new_agent,
        sink=sink,
        source=source or agent_name,
        teacher=teacher,
        metadata=meta,
        reruns=rerun_env_errors,
    )
    with_ray = _ray_available() if use_ray is None else use_ray
    if with_ray and not _ray_available():
        sink.close()
        raise CollectError("use_ray=True but Ray is not installed: pip install 'terminal-gym[ray]'")
    try:
        if todo:
            if with_ray:
                _run_ray(context, todo, workers, envs_per_actor, dict(ray_options or {}))
            else:
                _run_threads(context, todo, workers)
    finally:
        summary = sink.close()
    planned = {s.key for s in specs}
    trajectories = [t for key, t in done.items() if key in planned]
    annotate_groups(trajectories)
    return RolloutResult(trajectories, summary, path)


@dataclass
class _Context:
    factory: RolloutEnvFactory
    new_agent: Callable[[], Agent]
    sink: _Sink
    source: str
    teacher: str
    metadata: dict[str, Any]
    reruns: int
    attempts: dict[str, int] = field(default_factory=dict)

    def recorder(self, spec: EpisodeSpec) -> EpisodeRecorder:
        attempt = self.attempts.get(spec.key, 0)
        return EpisodeRecorder(
            source=self.source,
            teacher=self.teacher,
            metadata={**self.metadata, **spec.metadata(), "attempt": attempt},
        )

    def finish(self, spec: EpisodeSpec, trajectory: Trajectory) -> bool:
        """Emit; True when the episode should run again (an env error, reruns left)."""
        self.sink.emit(spec, trajectory)
        if trajectory.metadata.get("env_error"):
            attempt = self.attempts.get(spec.key, 0)
            if attempt < self.reruns:
                self.attempts[spec.key] = attempt + 1
                return True
        return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- the thread-pool engine ----------------------------------------------------------


def _run_threads(context: _Context, specs: list[EpisodeSpec], workers: int) -> None:
    """Each of ``workers`` threads keeps one env and plays episodes from a shared queue."""
    todo: queue.SimpleQueue[EpisodeSpec] = queue.SimpleQueue()
    for spec in specs:
        todo.put(spec)
    lock = threading.Lock()
    remaining = [len(specs)]

    def worker() -> None:
        env: gym.Env | None = None
        try:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                try:
                    spec = todo.get(timeout=0.5)
                except queue.Empty:
                    continue
                recorder = context.recorder(spec)
                try:
                    if env is None:
                        env = context.factory()
                    result = run_episode(
                        env,
                        context.new_agent(),
                        task=spec.task_id,
                        seed=spec.seed,
                        recorder=recorder,
                    )
                    trajectory = recorder.finish(llm_error=result.llm_error)
                except Exception as exc:  # the env (or the agent's setup) failed
                    trajectory = recorder.finish(error=_describe(exc), env_error=True)
                    if env is not None:
                        _close_quietly(env)
                        env = None
                if context.finish(spec, trajectory):
                    todo.put(spec)
                else:
                    with lock:
                        remaining[0] -= 1
        finally:
            if env is not None:
                _close_quietly(env)

    threads = [
        threading.Thread(target=worker, name=f"terminal-gym-rollout-{n}", daemon=True)
        for n in range(min(workers, len(specs)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _close_quietly(env: gym.Env) -> None:
    try:
        env.close()
    except Exception:
        pass


# -- the Ray engine ------------------------------------------------------------------


@dataclass
class _Episode:
    """A sub-env's current episode in the Ray engine."""

    spec: EpisodeSpec
    agent: Any
    recorder: EpisodeRecorder
    started: float
    phase: str = "reset"  # "reset" (waiting for it), "act" (the agent thinks), "step"
    action: Any = None
    llm: dict[str, Any] | None = None
    step_started: float = 0.0


def _begin_in_env(env: gym.Env, agent: Any, observation: Any, info: dict[str, Any]) -> Any:
    """Run an env-using agent's ``begin`` where the env lives (a Ray actor); the agent
    comes back with what it prepared."""
    agent.begin(env, observation, info)
    return agent


def _item(batched: Any, k: int) -> Any:
    """Element ``k`` of a batched observation."""
    if isinstance(batched, dict):
        return {key: _item(value, k) for key, value in batched.items()}
    value = batched[k]
    return value.item() if isinstance(value, np.generic) else value


def _unbatch_info(infos: Mapping[str, Any], k: int) -> dict[str, Any]:
    """Element ``k`` of infos batched Gymnasium's way (``key`` plus a ``_key`` mask)."""
    out: dict[str, Any] = {}
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get(f"_{key}")
        if mask is not None and not mask[k]:
            continue
        if isinstance(value, Mapping):
            out[key] = _unbatch_info(value, k)
        else:
            item = value[k]
            out[key] = item.item() if isinstance(item, np.generic) else item
    return out


def _run_ray(
    context: _Context,
    specs: list[EpisodeSpec],
    workers: int,
    envs_per_actor: int,
    ray_options: dict[str, Any],
) -> None:
    from terminal_gym.vector import RayVectorEnv

    n = min(workers, len(specs))
    envs = RayVectorEnv(
        n,
        envs_per_actor=max(1, min(envs_per_actor, n)),
        env_fn=context.factory,
        autoreset_mode=AutoresetMode.DISABLED,
        **ray_options,
    )
    pending: deque[EpisodeSpec] = deque(specs)
    slots: list[_Episode | None] = [None] * n
    decided: queue.SimpleQueue[tuple[int, Any, BaseException | None]] = queue.SimpleQueue()
    thinking = 0
    pool = concurrent.futures.ThreadPoolExecutor(n, thread_name_prefix="terminal-gym-agent")

    def start(i: int) -> None:
        slots[i] = None
        if not pending:
            return
        spec = pending.popleft()
        slots[i] = _Episode(spec, context.new_agent(), context.recorder(spec), time.monotonic())
        envs.send_reset([i], [spec.seed], [{"task": spec.task_id}])

    def end(i: int, **how: Any) -> None:
        episode = slots[i]
        assert episode is not None
        if context.finish(episode.spec, episode.recorder.finish(**how)):
            pending.append(episode.spec)
        start(i)

    def think(i: int, observation: Any, info: dict[str, Any]) -> None:
        nonlocal thinking
        episode = slots[i]
        assert episode is not None
        episode.phase = "act"
        thinking += 1

        def decide() -> None:
            try:
                decided.put((i, episode.agent.act(observation, info), None))
            except BaseException as exc:
                decided.put((i, None, exc))

        pool.submit(decide)

    def handle_decision(i: int, action: Any, error: BaseException | None) -> None:
        nonlocal thinking
        thinking -= 1
        episode = slots[i]
        assert episode is not None
        if isinstance(error, LLMEndpointError):
            end(i, llm_error=str(error))
        elif error is not None:
            end(i, error=_describe(error), env_error=True)
        else:
            episode.phase, episode.action = "step", action
            episode.llm = getattr(episode.agent, "last_turn", None)
            episode.step_started = time.monotonic()
            envs.send([i], [action])

    def handle_result(i: int, result: tuple) -> None:
        episode = slots[i]
        assert episode is not None
        observation, _, terminated, truncated, info = result
        if episode.phase == "reset":
            if info.get("env_error"):
                end(i, error=str(info.get("error")), env_error=True)
                return
            episode.recorder.reset(observation, info, started=episode.started)
            try:
                if getattr(episode.agent, "uses_env", False):
                    episode.agent = envs.foreach_env(
                        _begin_in_env, [i], episode.agent, observation, info
                    )[0]
                else:
                    episode.agent.begin(None, observation, info)
            except Exception as exc:
                end(i, error=_describe(exc), env_error=True)
                return
            think(i, observation, info)
            return
        episode.recorder.step(
            episode.action,
            result,
            duration=time.monotonic() - episode.step_started,
            llm=episode.llm,
        )
        if terminated or truncated:
            end(i)
        else:
            think(i, observation, info)

    try:
        for i in range(n):
            start(i)
        while any(slot is not None for slot in slots):
            while True:
                try:
                    decision = decided.get_nowait()
                except queue.Empty:
                    break
                handle_decision(*decision)
            in_flight = [i for i, s in enumerate(slots) if s is not None and s.phase != "act"]
            if in_flight:
                ready, obs, rewards, terminated, truncated, infos = envs.recv(
                    timeout=POLL if thinking else 1.0
                )
                for k, i in enumerate(ready.tolist()):
                    result = (
                        _item(obs, k),
                        float(rewards[k]),
                        bool(terminated[k]),
                        bool(truncated[k]),
                        _unbatch_info(infos, k),
                    )
                    handle_result(i, result)
            elif thinking:
                handle_decision(*decided.get())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        envs.close()


def check_endpoint(base_url: str | None, api_key: str | None = None, timeout: float = 10.0) -> None:
    """Fail fast when an LLM endpoint cannot be reached (``GET {base_url}/models``).

    Raises:
        CollectError: a bad URL, or no answer (a 404 for ``/models`` is accepted: the
            endpoint answers).
    """
    try:
        client = make_client(base_url, api_key, timeout=timeout, max_retries=1)
    except ValueError as exc:
        raise CollectError(str(exc)) from None
    import openai

    try:
        client.models.list()
    except openai.NotFoundError:
        return
    except openai.APIStatusError as exc:
        if exc.status_code in (401, 403):
            raise CollectError(
                f"the LLM endpoint {client.base_url} refused the API key (HTTP {exc.status_code})"
            ) from None
    except openai.APIError as exc:
        raise CollectError(
            f"cannot reach the LLM endpoint {client.base_url}: {type(exc).__name__}"
        ) from None
