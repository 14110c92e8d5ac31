"""Writing ``task.toml``: the one TOML writer of the package.

:func:`dumps_task_toml` renders a task's tables with ``tomli_w`` (so every string is
escaped as TOML requires) and :func:`write_task_toml` puts them in a task directory.
The task families and the construction pipeline both write their ``task.toml``
through it, and :func:`~terminal_gym.tasks.formats.harbor.load_harbor_task` reads it
back.

Example:
    >>> print(dumps_task_toml({"task": {"name": "demo"}, "metadata": {"tags": ["a"]}}), end="")
    [task]
    name = "demo"
    <BLANKLINE>
    [metadata]
    tags = [
        "a",
    ]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from terminal_gym.tasks.formats.harbor import TASK_FILE

__all__ = ["dumps_task_toml", "write_task_toml"]


def _without_none(table: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _without_none(value) if isinstance(value, Mapping) else value
        for key, value in table.items()
        if value is not None
    }


def dumps_task_toml(document: Mapping[str, Any]) -> str:
    """``document`` as TOML text: top-level values first, then one ``[table]`` per
    mapping (nested ones as ``[table.sub]``), in the order given.

    ``None`` values are left out, at any depth: TOML has no null, and a missing field
    takes the loader's default.

    Raises:
        TypeError: a value TOML cannot hold (a set, an object).
    """
    return tomli_w.dumps(_without_none(document))


def write_task_toml(task_dir: str | os.PathLike[str], document: Mapping[str, Any]) -> Path:
    """Write ``document`` to ``task_dir/task.toml``; return that path."""
    path = Path(task_dir) / TASK_FILE
    path.write_text(dumps_task_toml(document), encoding="utf-8")
    return path
