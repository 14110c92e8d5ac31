"""Procedural task families: ``(seed, difficulty) -> Task``, infinitely many, verifiable.

* :class:`Family` - the base class (:mod:`.base`); one module per family.
* :data:`FAMILIES` - the registry, name -> family; :func:`get_family`.
* :class:`FamilySource` - the infinite task source of one family at one difficulty;
  ``load_tasks("family:<name>", difficulty=k)`` returns one.
* :func:`parse_task_id`, :func:`find_task` - ``"<name>-d<k>-s<seed>"`` ids.

The families: ``find-value``, ``repair-config``, ``csv-aggregate``, ``fix-seeded-bug``,
``git-history``, ``permissions-spec``, and the multi-step ``staged-config``. Each instance
is a Terminal-Bench 2 task directory written under ``$TERMINAL_GYM_CACHE`` (default
``~/.cache/terminal-gym``) ``/families/<name>/d<k>/s<seed>/``: the same seed gives the
same bytes, so the image cache keeps hitting; every verifier checks outcomes and gives 0
to the untouched environment; everything lives under ``/app`` so the local backend
serves them too.

Example:
    >>> import numpy as np
    >>> tasks = FamilySource("csv-aggregate", difficulty="medium")
    >>> task = tasks.sample(np.random.default_rng(0))
    >>> task.id.startswith("csv-aggregate-d2-s"), tasks[task.id].id == task.id
    (True, True)
"""

from __future__ import annotations

import difflib
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from terminal_gym.errors import TaskNotFoundError
from terminal_gym.tasks.families.base import (
    DIFFICULTY_NAMES,
    Family,
    Instance,
    cache_root,
    parse_difficulty,
)
from terminal_gym.tasks.families.csv_aggregate import CsvAggregate
from terminal_gym.tasks.families.find_value import FindValue
from terminal_gym.tasks.families.fix_seeded_bug import FixSeededBug
from terminal_gym.tasks.families.git_history import GitHistory
from terminal_gym.tasks.families.permissions_spec import PermissionsSpec
from terminal_gym.tasks.families.repair_config import RepairConfig
from terminal_gym.tasks.families.staged_config import StagedConfig
from terminal_gym.tasks.spec import Task
from terminal_gym.tasks.taskset import FAMILY_PREFIX, TaskSet

__all__ = [
    "DEFAULT_DIFFICULTY",
    "DIFFICULTY_NAMES",
    "FAMILIES",
    "Family",
    "FamilySource",
    "Instance",
    "cache_root",
    "find_task",
    "get_family",
    "parse_difficulty",
    "parse_task_id",
]

#: Every family, by name, in a fixed order.
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        FindValue(),
        RepairConfig(),
        CsvAggregate(),
        FixSeededBug(),
        GitHistory(),
        PermissionsSpec(),
        StagedConfig(),
    )
}
#: The level a family source uses when no difficulty is given.
DEFAULT_DIFFICULTY = 1
#: Seeds :meth:`FamilySource.sample` draws from: ``[0, MAX_SEED)``.
MAX_SEED = 2**31 - 1

_TASK_ID = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*?)-d(?P<level>[0-9]+)-s(?P<seed>[0-9]+)$")


def get_family(name: str) -> Family:
    """The family called ``name``.

    Raises:
        TaskNotFoundError: no such family; the message lists the close names.
    """
    family = FAMILIES.get(name)
    if family is None:
        close = difflib.get_close_matches(name, FAMILIES, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise TaskNotFoundError(f"no task family {name!r}; {hint}families: {', '.join(FAMILIES)}")
    return family


def parse_task_id(task_id: str) -> tuple[str, int, int] | None:
    """``"csv-aggregate-d2-s17"`` -> ``("csv-aggregate", 2, 17)``; ``None`` if not that shape."""
    m = _TASK_ID.match(task_id)
    return None if m is None else (m["name"], int(m["level"]), int(m["seed"]))


def find_task(task_id: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Task | None:
    """The family task with this id, or ``None`` when the id names no family instance."""
    parsed = parse_task_id(task_id)
    if parsed is None or parsed[0] not in FAMILIES:
        return None
    name, level, seed = parsed
    family = FAMILIES[name]
    if level not in family.difficulties:
        return None
    return family.build(seed, level, cache_dir=cache_dir)


class FamilySource:
    """The infinite task source of one family at one difficulty.

    A :class:`~terminal_gym.tasks.source.TaskSource`, not a :class:`TaskSet`: it has
    no length, no list of ids and cannot be iterated or filtered (a silent empty answer
    would make ``validate`` check nothing). Tasks are made on demand (and memoised):
    :meth:`sample` draws a seed from the generator it is given,
    ``tasks["<name>-d<k>-s<seed>"]`` or ``tasks[seed]`` builds that instance, and
    ``tasks[a:b]`` / :meth:`take` give a finite :class:`TaskSet` of seeds. An id of the
    same family at another difficulty is accepted: the id names the instance completely.

    Args:
        family: a :class:`Family` or its name.
        difficulty: ``1``-``3`` or ``"easy"``/``"medium"``/``"hard"``; ``None`` means
            :data:`DEFAULT_DIFFICULTY`.
        cache_dir: where task directories go; default :func:`cache_root` (read when a
            task is built, so ``TERMINAL_GYM_CACHE`` can change in between).
    """

    #: A family has no end (see :class:`~terminal_gym.tasks.source.TaskSource`).
    finite: ClassVar[bool] = False
    _MEMO_SIZE = 512

    def __init__(
        self,
        family: Family | str,
        difficulty: int | str | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
    ):
        self.family = get_family(family) if isinstance(family, str) else family
        self.difficulty = parse_difficulty(
            DEFAULT_DIFFICULTY if difficulty is None else difficulty, self.family.difficulties
        )
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self._memo: OrderedDict[tuple[int, int, Path], Task] = OrderedDict()

    @classmethod
    def from_spec(cls, source: str, difficulty: int | str | None = None) -> FamilySource:
        """``"family:<name>"`` or ``"family:<name>?difficulty=<k>"`` -> a task set.

        Raises:
            ValueError: the source names a difficulty and ``difficulty`` another one.
        """
        spec = source[len(FAMILY_PREFIX) :] if source.startswith(FAMILY_PREFIX) else source
        name, _, query = spec.partition("?")
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        unknown = set(params) - {"difficulty"}
        if unknown:
            raise ValueError(f"{source!r}: unknown parameter(s) {', '.join(sorted(unknown))}")
        if "difficulty" in params:
            if difficulty is not None and parse_difficulty(difficulty) != parse_difficulty(
                params["difficulty"]
            ):
                raise ValueError(
                    f"{source!r} names difficulty {params['difficulty']!r}, "
                    f"but difficulty={difficulty!r} was given too"
                )
            difficulty = params["difficulty"]
        return cls(name.strip(), difficulty)

    # -- building --------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.family.name

    def task(self, seed: int, difficulty: int | str | None = None) -> Task:
        """The instance ``seed`` (at this set's difficulty unless another is given)."""
        level = (
            self.difficulty
            if difficulty is None
            else parse_difficulty(difficulty, self.family.difficulties)
        )
        root = self.cache_dir if self.cache_dir is not None else cache_root()
        key = (level, seed, root)
        task = self._memo.get(key)
        if task is None or task.path is None or not task.path.is_dir():
            task = self.family.build(seed, level, cache_dir=root)
            self._memo[key] = task
            while len(self._memo) > self._MEMO_SIZE:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(key)
        return task

    def task_id(self, seed: int) -> str:
        return self.family.task_id(self.difficulty, seed)

    def take(self, n: int, start: int = 0) -> TaskSet:
        """A finite :class:`TaskSet` of seeds ``start .. start + n - 1``."""
        return TaskSet(self.task(seed) for seed in range(start, start + n))

    def with_difficulty(self, difficulty: int | str) -> FamilySource:
        return FamilySource(self.family, difficulty, cache_dir=self.cache_dir)

    # -- TaskSource API ----------------------------------------------------------------

    def sample(self, np_random: np.random.Generator) -> Task:
        """A fresh instance: its seed drawn from ``np_random`` in ``[0, 2**31 - 1)``."""
        return self.task(int(np_random.integers(0, MAX_SEED)))

    def __getitem__(self, key: Any) -> Any:
        """``tasks["<name>-d<k>-s<seed>"]``, ``tasks[seed]`` or ``tasks[a:b]`` (a TaskSet).

        Raises:
            TaskNotFoundError: the id is not an instance of this family.
            IndexError: a negative seed.
            ValueError: a slice without an end.
        """
        if isinstance(key, str):
            parsed = parse_task_id(key)
            if parsed is None or parsed[0] != self.name:
                raise TaskNotFoundError(
                    f"no task with id {key!r} in family {self.name!r}; its ids look like "
                    f"{self.task_id(0)!r} (<family>-d<difficulty>-s<seed>)"
                )
            _, level, seed = parsed
            if level not in self.family.difficulties:
                raise TaskNotFoundError(
                    f"{key!r}: family {self.name!r} has difficulties {self.family.difficulties}"
                )
            return self.task(seed, level)
        if isinstance(key, slice):
            if key.stop is None:
                raise ValueError("a FamilySource is infinite: a slice needs an end")
            start, step = key.start or 0, key.step or 1
            return TaskSet(self.task(seed) for seed in range(start, key.stop, step))
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if key < 0:
                raise IndexError("seeds are non-negative")
            return self.task(int(key))
        raise TypeError(f"index a FamilySource by id, seed or slice, not {type(key).__name__}")

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Task):
            return item.source_format == f"family:{self.name}"
        if isinstance(item, str):
            parsed = parse_task_id(item)
            return (
                parsed is not None
                and parsed[0] == self.name
                and parsed[1] in self.family.difficulties
            )
        return False

    def __repr__(self) -> str:
        level = DIFFICULTY_NAMES.get(self.difficulty, self.difficulty)
        return f"FamilySource({self.name!r}, difficulty={self.difficulty} ({level}), infinite)"

    def __reduce__(self) -> tuple[Any, ...]:
        return FamilySource, (self.family, self.difficulty), {"cache_dir": self.cache_dir}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cache_dir = state["cache_dir"]

    def get(self, id: str, default: Task | None = None) -> Task | None:
        if id not in self:
            return default
        return self[id]
