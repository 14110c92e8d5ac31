"""Task sources: where an env's tasks come from.

:class:`TaskSource` is the small protocol an env needs: draw a task with a seeded
generator, look one up by id. Two kinds satisfy it, each honestly:

* :class:`~terminal_gym.tasks.taskset.TaskSet` - finite: a sequence with a length,
  ids, iteration and filters;
* :class:`~terminal_gym.tasks.families.FamilySource` - infinite: one procedural family
  at one difficulty, instances made on demand; no length, no list of ids.

:func:`load_tasks` opens either from what a user writes (``"builtin"``, a path,
``"family:<name>"``, tasks, a list).

Example:
    >>> import numpy as np
    >>> tasks = load_tasks("family:find-value", difficulty=2)
    >>> isinstance(tasks, TaskSource), tasks.finite
    (True, False)
    >>> tasks.sample(np.random.default_rng(0)).id.startswith("find-value-d2-s")
    True
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from terminal_gym.tasks.families import FamilySource
from terminal_gym.tasks.spec import Task
from terminal_gym.tasks.taskset import FAMILY_PREFIX, SourceLike, TaskSet

__all__ = ["TaskSource", "load_tasks"]


@runtime_checkable
class TaskSource(Protocol):
    """What an env draws its tasks from."""

    @property
    def finite(self) -> bool:
        """``True`` when the source has an end (a :class:`TaskSet`: ``len``, ids and
        iteration work); ``False`` for an infinite family."""
        ...

    def sample(self, np_random: np.random.Generator) -> Task:
        """One task, drawn using only ``np_random`` (reproducible by seed)."""
        ...

    def __getitem__(self, task_id: str) -> Task:
        """The task with this id; raises ``TaskNotFoundError`` when there is none."""
        ...

    def get(self, task_id: str, default: Task | None = None) -> Task | None:
        """The task with this id, or ``default``."""
        ...

    def __contains__(self, item: object) -> bool:
        """``"task-id" in source`` or ``task in source``."""
        ...


def load_tasks(
    source: SourceLike | TaskSource,
    *,
    difficulty: int | str | None = None,
    skip_invalid: bool = False,
) -> TaskSource:
    """Open a task source.

    Args:
        source: ``"family:<name>"`` (or ``"family:<name>?difficulty=<k>"``) for a
            procedural family, a :class:`TaskSource` (returned as is, or at another
            difficulty), or anything :meth:`TaskSet.from_source` takes.
        difficulty: for a family, the level: ``1``-``3`` or
            ``"easy"``/``"medium"``/``"hard"`` (default 1). Other sources reject it.
        skip_invalid: see :meth:`TaskSet.from_source`.

    Raises:
        TaskFormatError: a task is malformed (see :meth:`TaskSet.from_source`).
        TaskNotFoundError: a ``"family:"`` source names no known family.
        ValueError: an unknown difficulty, or a difficulty for a finite source.
        TypeError: ``source`` is of an unsupported type, or a list holds a family.
    """
    if isinstance(source, str) and source.startswith(FAMILY_PREFIX):
        return FamilySource.from_spec(source, difficulty)
    if isinstance(source, FamilySource):
        return source if difficulty is None else source.with_difficulty(difficulty)
    if difficulty is not None:
        raise ValueError(
            f"difficulty={difficulty!r} applies to 'family:<name>' sources only, not to {source!r}"
        )
    if isinstance(source, TaskSource) and not isinstance(source, TaskSet):
        return source
    return TaskSet.from_source(source, skip_invalid=skip_invalid)
