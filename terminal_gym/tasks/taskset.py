"""Task sets: an ordered, id-indexed collection of tasks to draw episodes from.

* :class:`TaskSet` - a read-only :class:`~collections.abc.Sequence` of
  :class:`~terminal_gym.tasks.spec.Task` with unique ids, lookup by id, filtering,
  and seeded sampling.
* :func:`builtin_dir` - where the tasks shipped with the package live.

A task set is one kind of :class:`~terminal_gym.tasks.source.TaskSource`, the finite
one; a procedural family (:class:`~terminal_gym.tasks.families.FamilySource`) is the
other. :func:`terminal_gym.tasks.load_tasks` opens either from a source string.

Example:
    >>> import numpy as np
    >>> tasks = TaskSet.from_source("builtin")
    >>> task = tasks.sample(np.random.default_rng(0))
    >>> tasks[task.id] is task
    True
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar, Union, overload

import numpy as np

from terminal_gym.errors import TaskFormatError, TaskNotFoundError
from terminal_gym.tasks.formats import is_task_dir, load_task
from terminal_gym.tasks.spec import Task

__all__ = ["FAMILY_PREFIX", "SourceLike", "TaskSet", "builtin_dir"]

#: Sources starting with this prefix name a procedural task family.
FAMILY_PREFIX = "family:"
#: How deep below a source directory task directories are looked for.
MAX_SEARCH_DEPTH = 3

SourceLike = Union[str, "os.PathLike[str]", Task, "TaskSet", Iterable["SourceLike"]]
"""What :meth:`TaskSet.from_source` accepts."""


def builtin_dir() -> Path:
    """The directory of the tasks bundled with terminal-gym (package data)."""
    return Path(__file__).resolve().parent / "builtin"


class TaskSet(Sequence[Task]):
    """An ordered collection of tasks with unique ids.

    Indexing by position returns a task, by slice a new :class:`TaskSet`, and by
    string the task with that id.

    Args:
        tasks: the tasks, in order.
        errors: load errors to carry along (see :meth:`from_source` with
            ``skip_invalid=True``).

    Raises:
        TaskFormatError: two tasks share an id.

    Attributes:
        errors: the :class:`~terminal_gym.errors.TaskFormatError` of every task that
            was skipped while loading; empty unless ``skip_invalid=True`` was used.
    """

    #: A task set has an end (see :class:`~terminal_gym.tasks.source.TaskSource`).
    finite: ClassVar[bool] = True

    def __init__(self, tasks: Iterable[Task], *, errors: Iterable[TaskFormatError] = ()):
        self._tasks: tuple[Task, ...] = tuple(tasks)
        self._by_id: dict[str, Task] = {}
        for task in self._tasks:
            if not isinstance(task, Task):
                raise TypeError(f"TaskSet holds Task objects, got {type(task).__name__}")
            other = self._by_id.get(task.id)
            if other is not None:
                raise TaskFormatError(
                    task.path if task.path is not None else task.id,
                    f"duplicate task id {task.id!r}"
                    + (f" (also at {other.path})" if other.path is not None else ""),
                    "id",
                )
            self._by_id[task.id] = task
        self.errors: tuple[TaskFormatError, ...] = tuple(errors)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_source(cls, source: SourceLike, *, skip_invalid: bool = False) -> TaskSet:
        """Build a task set from tasks on disk, task objects, or a mix.

        Args:
            source: one of

                * ``"builtin"``: the bundled tasks (:func:`builtin_dir`);
                * a path (``str`` or path-like) to one task directory, or to a directory
                  searched for task directories up to three levels deep (directories
                  without ``task.toml`` / ``task.yaml`` are walked through, hidden ones
                  skipped, task directories not descended into);
                * a :class:`~terminal_gym.tasks.spec.Task`, or a :class:`TaskSet`
                  (returned as is);
                * a list (any iterable) of the above, concatenated in order.

                A procedural family (``"family:<name>"``) has no end, so it is no task
                set: :func:`terminal_gym.tasks.load_tasks` opens it, and
                ``FamilySource.take(n)`` gives a finite task set of its seeds.
            skip_invalid: when searching a directory, skip malformed tasks and collect
                their errors in :attr:`errors` instead of raising. A path that names a
                single task directory always raises.

        Returns:
            The task set.

        Raises:
            TaskFormatError: a task is malformed (and ``skip_invalid`` is false), a path
                does not exist or holds no tasks, or two tasks share an id.
            TypeError: ``source`` is of an unsupported type, or names a family.
        """
        if isinstance(source, TaskSet):
            return source
        tasks: list[Task] = []
        errors: list[TaskFormatError] = []
        _collect(source, tasks, errors, skip_invalid=skip_invalid)
        return cls(tasks, errors=errors)

    # -- Sequence protocol ----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks)

    @overload
    def __getitem__(self, key: int) -> Task: ...
    @overload
    def __getitem__(self, key: str) -> Task: ...
    @overload
    def __getitem__(self, key: slice) -> TaskSet: ...
    def __getitem__(self, key: int | str | slice) -> Task | TaskSet:
        """Return the task at a position, the task with an id, or a slice as a TaskSet.

        Raises:
            TaskNotFoundError: no task has the id ``key``; the message lists close ids.
            IndexError: the position is out of range.
        """
        if isinstance(key, str):
            task = self._by_id.get(key)
            if task is None:
                raise TaskNotFoundError(self._not_found_message(key))
            return task
        if isinstance(key, slice):
            return TaskSet(self._tasks[key], errors=self.errors)
        return self._tasks[key]

    def __contains__(self, item: object) -> bool:
        """``"task-id" in tasks`` or ``task in tasks``."""
        if isinstance(item, str):
            return item in self._by_id
        if isinstance(item, Task):
            return self._by_id.get(item.id) is item or item in self._tasks
        return False

    def __repr__(self) -> str:
        shown = ", ".join(self.ids[:5]) + (", ..." if len(self) > 5 else "")
        return f"TaskSet({len(self)} tasks: {shown})"

    # -- queries --------------------------------------------------------------------

    @property
    def ids(self) -> tuple[str, ...]:
        """The task ids, in order."""
        return tuple(task.id for task in self._tasks)

    def get(self, id: str, default: Task | None = None) -> Task | None:
        """The task with this id, or ``default``."""
        return self._by_id.get(id, default)

    def filter(
        self,
        *,
        difficulty: str | Collection[str] | None = None,
        category: str | Collection[str] | None = None,
        tags: str | Collection[str] | None = None,
        ids: str | Collection[str] | None = None,
        predicate: Callable[[Task], bool] | None = None,
    ) -> TaskSet:
        """Keep the tasks that match every given criterion, in their order.

        Args:
            difficulty: one difficulty or several (any of them matches).
            category: one category or several (any of them matches).
            tags: tags a task must all carry.
            ids: the ids to keep; an unknown id is an error, to catch typos.
            predicate: any test on the task.

        Returns:
            A new task set (it carries this set's :attr:`errors`).

        Raises:
            TaskNotFoundError: ``ids`` names a task that is not in the set.
        """
        difficulties = _as_set(difficulty)
        categories = _as_set(category)
        required_tags = _as_set(tags)
        wanted_ids = _as_set(ids)
        if wanted_ids is not None:
            for task_id in sorted(wanted_ids):
                if task_id not in self._by_id:
                    raise TaskNotFoundError(self._not_found_message(task_id))

        def keep(task: Task) -> bool:
            if difficulties is not None and task.difficulty not in difficulties:
                return False
            if categories is not None and task.category not in categories:
                return False
            if required_tags is not None and not required_tags.issubset(task.tags):
                return False
            if wanted_ids is not None and task.id not in wanted_ids:
                return False
            return predicate is None or bool(predicate(task))

        return TaskSet((task for task in self._tasks if keep(task)), errors=self.errors)

    def sample(self, np_random: np.random.Generator) -> Task:
        """Draw one task uniformly, using only ``np_random`` (reproducible by seed).

        Raises:
            TaskNotFoundError: the set is empty.
        """
        if not self._tasks:
            raise TaskNotFoundError("cannot sample from an empty TaskSet")
        return self._tasks[int(np_random.integers(len(self._tasks)))]

    def _not_found_message(self, task_id: str) -> str:
        close = difflib.get_close_matches(task_id, self.ids, n=3, cutoff=0.5)
        message = f"no task with id {task_id!r} among {len(self)} tasks"
        if close:
            message += "; did you mean " + ", ".join(repr(c) for c in close) + "?"
        elif self._tasks:
            message += "; known ids include " + ", ".join(repr(i) for i in self.ids[:5])
        return message


def _as_set(value: str | Collection[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def _collect(
    source: SourceLike, tasks: list[Task], errors: list[TaskFormatError], *, skip_invalid: bool
) -> None:
    if isinstance(source, Task):
        tasks.append(source)
    elif (isinstance(source, str) and source.startswith(FAMILY_PREFIX)) or (
        getattr(source, "finite", True) is False
    ):
        raise TypeError(
            f"{source!r} is an infinite procedural family, not a task set: open it alone "
            "with terminal_gym.tasks.load_tasks, or take a finite slice of it "
            "(FamilySource.take(n))"
        )
    elif isinstance(source, TaskSet):
        tasks.extend(source)
        errors.extend(source.errors)
    elif isinstance(source, (str, os.PathLike)):
        path = builtin_dir() if source == "builtin" else Path(source)
        _collect_path(path, tasks, errors, skip_invalid=skip_invalid)
    elif isinstance(source, Iterable):
        for item in source:
            _collect(item, tasks, errors, skip_invalid=skip_invalid)
    else:
        raise TypeError(
            "a task source is 'builtin', a path, a Task, a TaskSet or a list of these; "
            f"got {type(source).__name__}"
        )


def _collect_path(
    path: Path, tasks: list[Task], errors: list[TaskFormatError], *, skip_invalid: bool
) -> None:
    if not path.exists():
        raise TaskFormatError(path, "no such task directory")
    if is_task_dir(path) or path.is_file():
        tasks.append(load_task(path))
        return
    found = 0
    for task_dir in _find_task_dirs(path, MAX_SEARCH_DEPTH):
        found += 1
        try:
            tasks.append(load_task(task_dir))
        except TaskFormatError as exc:
            if not skip_invalid:
                raise
            errors.append(exc)
    if not found:
        raise TaskFormatError(path, "no task directories found (looked for task.toml or task.yaml)")


def _find_task_dirs(root: Path, depth: int) -> Iterator[Path]:
    """Task directories below ``root``, in sorted order, at most ``depth`` levels down."""
    if depth <= 0:
        return
    try:
        children = sorted(child for child in root.iterdir() if child.is_dir())
    except OSError as exc:
        raise TaskFormatError(root, f"cannot list the directory: {exc}") from exc
    for child in children:
        if child.name.startswith((".", "__")):
            continue
        if is_task_dir(child):
            yield child
        else:
            yield from _find_task_dirs(child, depth - 1)
