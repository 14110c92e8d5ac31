"""The options several ``terminal-gym`` commands share, defined once.

Each is an ``Annotated`` type for a command's signature; the default is the
parameter's own (``backend: BackendOpt = "auto"``), so two commands can share an
option with different defaults. Bad values are click usage errors (exit status 2,
one line). :func:`resolve_tasks` turns task arguments into a task set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from terminal_gym.errors import TerminalGymError

__all__ = [
    "DEFAULT_SEEDS",
    "BackendOpt",
    "DifficultyOpt",
    "ImageMapOpt",
    "JsonOpt",
    "NoProgressOpt",
    "SeedsOpt",
    "TaskArgs",
    "backend_options",
    "choice",
    "choice_metavar",
    "make_env",
    "resolve_tasks",
    "seed_range",
]

#: How many seeds ``family:<name>`` stands for in ``list``, ``validate``, ``rollout``.
DEFAULT_SEEDS = 10

BACKENDS = ("auto", "docker", "local")


def choice(*values: str) -> Callable[[str | None], str | None]:
    """A parameter callback accepting only ``values`` (typer has no ``Literal`` yet)."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in values:
            allowed = ", ".join(repr(v) for v in values)
            raise typer.BadParameter(f"{value!r} is not one of {allowed}")
        return value

    return check


def choice_metavar(*values: str) -> str:
    """``[a|b|c]``, the metavar of a :func:`choice` option."""
    return "[" + "|".join(values) + "]"


def _image_map(values: list[str] | None) -> list[str]:
    for item in values or []:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise typer.BadParameter(f"{item!r} is not SRC=DST")
    return list(values or [])


def _difficulty(value: str | None) -> int | None:
    if value is None:
        return None
    from terminal_gym.tasks.families import parse_difficulty

    try:
        return parse_difficulty(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        callback=choice(*BACKENDS),
        metavar=choice_metavar(*BACKENDS),
        help="sandbox backend: docker, local (bubblewrap) or auto (docker when it answers)",
    ),
]
ImageMapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--image-map",
        metavar="SRC=DST",
        callback=_image_map,
        help="use local image DST where a task's Dockerfile names SRC (repeatable)",
    ),
]
DifficultyOpt = Annotated[
    str | None,
    typer.Option(
        "--difficulty",
        metavar="K",
        callback=_difficulty,
        help="level of family:NAME sources: 1-3 or easy/medium/hard (default 1)",
    ),
]
SeedsOpt = Annotated[
    int,
    typer.Option(
        "--seeds",
        metavar="N",
        min=1,
        help=f"family:NAME stands for seeds 0..N-1 (default {DEFAULT_SEEDS})",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="print machine-readable JSON on stdout (and nothing else)")
]
NoProgressOpt = Annotated[
    bool, typer.Option("--no-progress", help="no live progress bar on stderr")
]
TaskArgs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[TASK]...",
        help="task dirs, dirs of tasks, bundled or family ids, family:NAME (default: bundled)",
        show_default=False,
    ),
]


def seed_range(seeds: int) -> range:
    """The seeds ``family:<name>`` stands for."""
    return range(seeds)


def resolve_tasks(
    items: Sequence[str] | None,
    default: str = "builtin",
    *,
    difficulty: int | str | None = None,
    seeds: range = range(DEFAULT_SEEDS),
    skip_invalid: bool = False,
) -> Any:
    """Resolve CLI task arguments into a :class:`~terminal_gym.tasks.TaskSet`.

    Paths load from disk; ``family:<name>`` expands to the instances of ``seeds`` at
    ``difficulty``; other words are family instance ids (``<name>-d<k>-s<seed>``) or
    bundled task ids. With ``skip_invalid``, malformed tasks found while searching a
    directory are left out and listed in the result's ``errors``.

    Raises:
        TerminalGymError: ``--difficulty`` without a family argument; a task that
            does not exist or is malformed.
    """
    from terminal_gym.errors import TaskFormatError
    from terminal_gym.tasks import Task, TaskSet, builtin_dir, is_task_dir, load_task
    from terminal_gym.tasks.taskset import FAMILY_PREFIX

    items = list(items or [])
    if isinstance(difficulty, str):
        difficulty = _difficulty(difficulty)
    if difficulty is not None and not any(i.startswith(FAMILY_PREFIX) for i in items):
        raise TerminalGymError("--difficulty applies to family:<name> task arguments only")
    if not items:
        return TaskSet.from_source(default, skip_invalid=skip_invalid)
    from terminal_gym.tasks.families import FamilySource, find_task

    builtin = None  # loaded only when a bare id needs it
    tasks: list[Task] = []
    errors: list[TaskFormatError] = []
    for item in items:
        if item.startswith(FAMILY_PREFIX):
            family = FamilySource.from_spec(item, difficulty)
            tasks.extend(family.task(seed) for seed in seeds)
        elif Path(item).exists():
            found = TaskSet.from_source(item, skip_invalid=skip_invalid)
            tasks.extend(found)
            errors.extend(found.errors)
        elif "/" in item or item.startswith("."):  # meant as a path
            raise TaskFormatError(item, "no such task directory")
        elif (task := find_task(item)) is not None:
            tasks.append(task)
        elif is_task_dir(builtin_dir() / item):
            tasks.append(load_task(builtin_dir() / item))
        else:  # unknown: the lookup's error lists the close ids
            builtin = builtin or TaskSet.from_source("builtin")
            tasks.append(builtin[item])
    return TaskSet(tasks, errors=errors)


def make_env(tasks: Any, backend: str, image_map: Sequence[str] | None) -> Any:
    """A :class:`~terminal_gym.envs.TerminalLegoEnv` over ``tasks`` on ``backend``."""
    from terminal_gym.envs import TerminalLegoEnv

    options = {"image_map": list(image_map)} if image_map else {}
    return TerminalLegoEnv(tasks=tasks, backend=backend, backend_options=options)


def backend_options(image_map: Sequence[str] | None) -> dict[str, Any]:
    """``backend_options`` for ``gym.make`` / ``make_backend`` from ``--image-map``."""
    return {"image_map": list(image_map)} if image_map else {}
