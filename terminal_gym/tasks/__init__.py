"""Tasks: the format-independent task model, the loaders, and task sets.

* :mod:`.spec` - :class:`Task` and its parts (:class:`EnvironmentSpec`,
  :class:`VerifierSpec`, :class:`SolutionSpec`, :class:`Limits`).
* :mod:`.formats` - :func:`load_task` for Terminal-Bench 2 / Harbor (``task.toml``)
  and Terminal-Bench 1 (``task.yaml``) directories.
* :mod:`.taskset` - :class:`TaskSet`, :func:`builtin_dir`.
* :mod:`.source` - the :class:`TaskSource` protocol, :func:`load_tasks` (task sets
  and procedural families alike).

Example:
    >>> from terminal_gym.tasks import TaskSet
    >>> tasks = TaskSet.from_source("builtin")
    >>> tasks["find-prod-api-key"].difficulty
    'easy'
"""

from __future__ import annotations

from terminal_gym.tasks.formats import is_task_dir, load_harbor_task, load_task, load_tb1_task
from terminal_gym.tasks.source import TaskSource, load_tasks
from terminal_gym.tasks.spec import (
    DEFAULT_BUILD_TIMEOUT_SEC,
    DEFAULT_VERIFIER_TIMEOUT_SEC,
    SOLUTION_DIR,
    TESTS_DIR,
    VERIFIER_LOGS_DIR,
    EnvironmentSpec,
    Limits,
    SolutionSpec,
    Task,
    VerifierSpec,
)
from terminal_gym.tasks.taskset import TaskSet, builtin_dir

__all__ = [
    "DEFAULT_BUILD_TIMEOUT_SEC",
    "DEFAULT_VERIFIER_TIMEOUT_SEC",
    "SOLUTION_DIR",
    "TESTS_DIR",
    "VERIFIER_LOGS_DIR",
    "EnvironmentSpec",
    "Limits",
    "SolutionSpec",
    "Task",
    "TaskSet",
    "TaskSource",
    "VerifierSpec",
    "builtin_dir",
    "is_task_dir",
    "load_harbor_task",
    "load_task",
    "load_tasks",
    "load_tb1_task",
]
