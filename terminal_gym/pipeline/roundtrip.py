"""Stage 3: round-trip verification of a task directory on a real sandbox.

A task is kept only when, in order:

1. it loads (``task.toml``, ``instruction.md``, ``tests/test.sh``, ``solution/solve.sh``);
2. its image builds on the backend (a failing ``docker build`` is the reason);
3. on a fresh sandbox the oracle scores 1, and
4. on another fresh sandbox doing nothing scores 0 - the check the original
   Terminal-Lego pipeline lacks: a task whose untouched environment already passes
   teaches nothing.

Steps 3 and 4 are :func:`terminal_gym.rollout.validate.validate_task`, so its
wording is the reason (``"doing nothing scored 1, not 0"``). :func:`file_task` then
moves a verified task to ``<out>/tasks/<id>/`` and a failed one to
``<out>/rejected/<id>/`` beside a ``REJECTED.json`` that says why.

This module reaches up to :mod:`terminal_gym.envs` and :mod:`terminal_gym.rollout`
(imported when used): verifying a task means running episodes of it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from terminal_gym.errors import SandboxError, TaskFormatError
from terminal_gym.sandbox import Backend, make_backend
from terminal_gym.tasks.formats.harbor import load_harbor_task

__all__ = [
    "REJECTED_FILE",
    "RoundTrip",
    "file_task",
    "verify_task_dir",
    "write_rejection",
]

#: The file that says why a task was rejected, in its ``rejected/<id>/`` directory.
REJECTED_FILE = "REJECTED.json"
TASKS_SUBDIR = "tasks"
REJECTED_SUBDIR = "rejected"

Stage = Literal["load", "build", "validate"]


@dataclass(frozen=True)
class RoundTrip:
    """The verdict of stage 3 on one task directory.

    Attributes:
        task_id: the directory name.
        verified: it built, the oracle scored 1 and doing nothing scored 0.
        reason: why not, when not verified (``None`` otherwise).
        stage: how far it got: ``"load"``, ``"build"`` or ``"validate"``.
        oracle_reward, null_reward: the two episodes' rewards (``None`` when not run).
        build_seconds: time to build (or find) the image.
        oracle_seconds, null_seconds: the two episodes' durations.
        problems: every problem found (``reason`` joins them).
    """

    task_id: str
    verified: bool
    reason: str | None
    stage: Stage
    oracle_reward: float | None = None
    null_reward: float | None = None
    build_seconds: float = 0.0
    oracle_seconds: float = 0.0
    null_seconds: float = 0.0
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = list(self.problems)
        return data

    @classmethod
    def failed(cls, task_id: str, stage: Stage, reason: str, **kwargs: Any) -> RoundTrip:
        return cls(task_id, False, reason, stage, problems=(reason,), **kwargs)


def verify_task_dir(
    path: str | os.PathLike[str],
    backend: str | Backend = "docker",
    *,
    env_options: Mapping[str, Any] | None = None,
) -> RoundTrip:
    """Build ``path``'s task and check oracle = 1 and do-nothing = 0 on fresh sandboxes.

    Args:
        path: a Terminal-Bench 2 task directory.
        backend: a backend object (shared across calls: its image cache is reused),
            or a name for :func:`~terminal_gym.sandbox.make_backend` (made and closed here).
        env_options: extra keyword arguments for
            :class:`~terminal_gym.envs.TerminalLegoEnv` (``step_timeout`` ...).

    Returns:
        The verdict; problems are results, not exceptions.

    Raises:
        BackendUnavailableError: the backend was named and cannot run here.
    """
    from terminal_gym.envs import TerminalLegoEnv
    from terminal_gym.rollout.validate import validate_task
    from terminal_gym.tasks import TaskSet

    path = Path(path)
    try:
        task = load_harbor_task(path)
    except TaskFormatError as exc:
        return RoundTrip.failed(path.name, "load", f"the task does not load: {exc}")
    if task.solution is None:
        return RoundTrip.failed(task.id, "load", "the task has no oracle (solution/solve.sh)")

    owned = isinstance(backend, str)
    sandbox_backend = make_backend(backend) if isinstance(backend, str) else backend
    try:
        unsupported = sandbox_backend.unsupported_reason(task)
        if unsupported:
            return RoundTrip.failed(
                task.id, "build", f"the {sandbox_backend.name} backend cannot run it: {unsupported}"
            )
        started = time.monotonic()
        try:
            sandbox_backend.prepare(task)
        except SandboxError as exc:
            return RoundTrip.failed(
                task.id,
                "build",
                f"image build failed: {exc}",
                build_seconds=round(time.monotonic() - started, 3),
            )
        build_seconds = round(time.monotonic() - started, 3)
        env = TerminalLegoEnv(tasks=TaskSet([task]), backend=sandbox_backend, **(env_options or {}))
        try:
            validation = validate_task(env, task.id)
        finally:
            env.close()
    finally:
        if owned:
            sandbox_backend.close()
    return RoundTrip(
        task_id=task.id,
        verified=validation.verified,
        reason=None if validation.verified else "; ".join(validation.problems),
        stage="validate",
        oracle_reward=validation.oracle_reward,
        null_reward=validation.null_reward,
        build_seconds=build_seconds,
        oracle_seconds=validation.oracle_seconds,
        null_seconds=validation.null_seconds,
        problems=tuple(validation.problems),
    )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_rejection(directory: Path, record: Mapping[str, Any]) -> Path:
    """Write ``REJECTED.json`` (``record`` plus a timestamp) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REJECTED_FILE
    data = {**record, "rejected_at": _now()}
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _replace(src: Path, dest: Path, *, move: bool) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if move:
        shutil.move(str(src), str(dest))
    else:
        shutil.copytree(src, dest, symlinks=True)


def file_task(
    task_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    result: RoundTrip,
    *,
    move: bool = True,
    record: Mapping[str, Any] | None = None,
) -> Path:
    """Put a verified task in ``<out>/tasks/<id>/``, a failed one in ``<out>/rejected/<id>/``.

    A rejected task gets a ``REJECTED.json`` with the reason, the round-trip numbers and
    ``record`` (e.g. the source). A destination that exists is replaced.

    Args:
        task_dir: the task directory that was verified.
        out_dir: the output root.
        result: what :func:`verify_task_dir` said.
        move: move (default) or copy.
        record: extra fields for ``REJECTED.json``.

    Returns:
        The task's new directory.
    """
    task_dir, out_dir = Path(task_dir), Path(out_dir)
    subdir = TASKS_SUBDIR if result.verified else REJECTED_SUBDIR
    dest = out_dir / subdir / result.task_id
    if dest.resolve() != task_dir.resolve():
        _replace(task_dir, dest, move=move)
    if not result.verified:
        write_rejection(
            dest,
            {
                "id": result.task_id,
                "stage": result.stage,
                "reason": result.reason,
                "roundtrip": result.to_dict(),
                **dict(record or {}),
            },
        )
    return dest
