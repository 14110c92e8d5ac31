"""Recording wrapper: every step to a trajectory file, as it happens.

:class:`RecordTrajectory` appends one JSON line per event (the format of
:mod:`terminal_gym.data.schema`) and flushes it before ``step`` returns, so a crash,
even ``SIGKILL``, loses nothing already stepped: the file loads with
``complete=False`` and every step written so far. ``fsync=True`` also survives a
machine crash, at the cost of one ``fsync`` per step.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path
from typing import IO, Any

import gymnasium as gym
from gymnasium.core import ActType, ObsType
from gymnasium.utils import RecordConstructorArgs

from terminal_gym.data.schema import SCHEMA_VERSION, dumps
from terminal_gym.render import to_jsonable

__all__ = ["RecordTrajectory"]


def _wrapper_names(env: gym.Env) -> list[str]:
    names = []
    while isinstance(env, gym.Wrapper):
        names.append(type(env).__name__)
        env = env.env
    return names


class RecordTrajectory(gym.Wrapper[ObsType, ActType, ObsType, ActType], RecordConstructorArgs):
    """Write the episode (observations, actions, rewards, infos, timings) to JSONL.

    Args:
        env: the env.
        path: a ``.jsonl`` file (every episode appended to it) or a directory (one
            file per episode, ``<task>-<UTC time>-<pid>-<n>.jsonl``).
        source: where these trajectories come from (a run name, a dataset).
        teacher: the model or agent acting.
        metadata: anything else for the header (the harness, a prompt version ...).
        fsync: ``os.fsync`` after every line (survives power loss, not only crashes).

    Where it goes: outside the wrappers whose output you want to keep, inside
    ``ChatObservation`` (whose observation repeats the whole history each step).
    :attr:`path` is the file of the current (or last) episode.

    Example:
        >>> env = RecordTrajectory(env, "runs/", source="demo", teacher="oracle")  # doctest: +SKIP
        >>> from terminal_gym.data import load_trajectories  # doctest: +SKIP
        >>> load_trajectories("runs/")[0].reward  # doctest: +SKIP
    """

    def __init__(
        self,
        env: gym.Env,
        path: str | os.PathLike[str],
        source: str | None = None,
        teacher: str | None = None,
        metadata: dict[str, Any] | None = None,
        fsync: bool = False,
    ):
        RecordConstructorArgs.__init__(
            self,
            path=os.fspath(path),
            source=source,
            teacher=teacher,
            metadata=metadata,
            fsync=fsync,
        )
        gym.Wrapper.__init__(self, env)
        self.target = Path(path)
        self.single_file = self.target.suffix == ".jsonl"
        self.source = source
        self.teacher = teacher
        self.metadata = dict(metadata or {})
        self.fsync = fsync
        self.path: Path | None = None
        self.episodes = 0
        self._fh: IO[str] | None = None
        self._open = False
        self._steps = 0
        self._started = 0.0

    # -- Gymnasium API -----------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._end(aborted=True)
        started = time.monotonic()
        wall = datetime.datetime.now(datetime.timezone.utc)
        obs, info = self.env.reset(seed=seed, options=options)
        self.episodes += 1
        self._steps = 0
        self._started = started
        task_id = info.get("task_id") if isinstance(info, dict) else None
        self._open_file(task_id, wall)
        spec = self.env.spec
        header = {
            "event": "header",
            "schema": SCHEMA_VERSION,
            "task_id": task_id,
            "source": self.source,
            "teacher": self.teacher,
            "instruction": obs.get("instruction", "") if isinstance(obs, dict) else "",
            "metadata": {
                **self.metadata,
                "env_id": spec.id if spec is not None else None,
                "mode": getattr(self.env.unwrapped, "mode", None),
                "wrappers": _wrapper_names(self.env),
                "seed": seed,
                "options": options,
                "episode": self.episodes,
                "started_at": wall.isoformat(),
                "pid": os.getpid(),
            },
        }
        self._write(header)
        self._write(
            {
                "event": "reset",
                "observation": obs,
                "info": info,
                "t": time.monotonic() - started,
            }
        )
        self._open = True
        return obs, info

    def step(self, action: ActType):
        started = time.monotonic()
        try:
            obs, reward, terminated, truncated, info = self.env.step(action)
        except Exception as exc:
            if self._open:
                self._write(
                    {
                        "event": "error",
                        "index": self._steps + 1,
                        "action": to_jsonable(action),
                        "error": f"{type(exc).__name__}: {exc}",
                        "t": time.monotonic() - self._started,
                    }
                )
            raise
        now = time.monotonic()
        if self._open:
            self._steps += 1
            self._write(
                {
                    "event": "step",
                    "index": self._steps,
                    "action": to_jsonable(action),
                    "observation": obs,
                    "reward": reward,
                    "terminated": terminated,
                    "truncated": truncated,
                    "info": info,
                    "t": now - self._started,
                    "duration": now - started,
                }
            )
            if terminated or truncated:
                final = info.get("reward", reward) if isinstance(info, dict) else reward
                egs = info.get("egs", {}).get("summary") if isinstance(info, dict) else None
                self._end(reward=final, terminated=terminated, truncated=truncated, egs=egs)
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        try:
            self._end(aborted=True)
        finally:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
            super().close()

    # -- internals ---------------------------------------------------------------------

    def _open_file(self, task_id: str | None, wall: datetime.datetime) -> None:
        if self.single_file:
            path = self.target
        else:
            stamp = wall.strftime("%Y%m%dT%H%M%S%fZ")
            name = f"{task_id or 'episode'}-{stamp}-{os.getpid()}-{self.episodes}.jsonl"
            path = self.target / name.replace("/", "_")
        if self._fh is not None and path != self.path:
            self._fh.close()
            self._fh = None
        if self._fh is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 (kept open all episode)
        self.path = path

    def _write(self, event: dict[str, Any]) -> None:
        assert self._fh is not None
        # One write of one whole line: a crash leaves at most a partial last line,
        # which the loader skips.
        self._fh.write(dumps(to_jsonable(event)) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def _end(
        self,
        *,
        reward: Any = None,
        terminated: bool = False,
        truncated: bool = False,
        egs: Any = None,
        aborted: bool = False,
    ) -> None:
        if not self._open:
            return
        self._open = False
        event: dict[str, Any] = {
            "event": "end",
            "reward": reward,
            "steps": self._steps,
            "terminated": terminated,
            "truncated": truncated,
        }
        if egs is not None:
            event["egs"] = egs
        if aborted:
            event["aborted"] = True
        self._write(event)
        if not self.single_file and self._fh is not None:
            self._fh.close()
            self._fh = None
