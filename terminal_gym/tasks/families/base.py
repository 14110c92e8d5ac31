"""The :class:`Family` base class and the helpers every family shares.

A family turns ``(seed, difficulty)`` into one :class:`Instance` (instruction, the
files the image gets, the oracle, the verifier) with nothing but
``random.Random(f"{name}:{difficulty}:{seed}")``; :meth:`Family.render` lays that out
as a Terminal-Bench 2 task directory (bytes and modes, in memory), and
:meth:`Family.build` writes it under the cache and loads it with
:func:`~terminal_gym.tasks.formats.harbor.load_harbor_task`.

Layout of a generated task::

    <cache>/families/<name>/d<difficulty>/s<seed>/
        instruction.md
        task.toml                  [metadata] difficulty, difficulty_level, category,
                                   tags, family, seed, [metadata.params]
        environment/Dockerfile     FROM terminal-gym/python:3-bookworm, WORKDIR /app,
                                   COPY app/ /app/ (+ COPY build/ and one RUN when the
                                   family needs a build step, e.g. git history)
        environment/app/...        the generated files, as they appear under /app
        environment/build/...      build-time only files (setup.sh), removed after RUN
        solution/solve.sh          the oracle
        tests/test.sh              runs tests/check.py, writes /logs/verifier/reward.txt
        tests/check.py (+ more)    the outcome checks, with the expected answer inside

A multi-step instance (:attr:`Instance.steps`) has no top-level ``instruction.md``,
``solution/`` and ``tests/``: ``task.toml`` lists its ``[[steps]]`` (schema 1.4) and
each step has ``steps/<name>/instruction.md``, ``solution/solve.sh``, ``tests/`` and,
when it brings files, ``workdir/``.

Writing is idempotent: an instance already on disk with the same bytes is left
alone (so the image cache, keyed by a hash of ``environment/``, keeps hitting), a
stale one is replaced atomically, and concurrent writers of the same instance are
safe.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
import random
import re
import shutil
import stat
import textwrap
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from terminal_gym.tasks.formats.harbor import load_harbor_task
from terminal_gym.tasks.formats.writer import dumps_task_toml
from terminal_gym.tasks.spec import Task

__all__ = [
    "BASE_IMAGE",
    "DIFFICULTY_NAMES",
    "Family",
    "Instance",
    "StepInstance",
    "cache_root",
    "check_script",
    "embed",
    "parse_difficulty",
    "sha256",
]

#: The image every generated task starts from (bash, coreutils, python3, git, ...).
BASE_IMAGE = "terminal-gym/python:3-bookworm"
#: Difficulty levels and their names (``task.toml`` ``[metadata] difficulty``).
DIFFICULTY_NAMES = {1: "easy", 2: "medium", 3: "hard"}
_DIFFICULTY_BY_NAME = {name: level for level, name in DIFFICULTY_NAMES.items()}

_FILE_MODE = 0o644
_EXEC_MODE = 0o755
_DIR_MODE = 0o755


def cache_root() -> Path:
    """``$TERMINAL_GYM_CACHE``, else ``~/.cache/terminal-gym`` (read on every call)."""
    env = os.environ.get("TERMINAL_GYM_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "terminal-gym"


def parse_difficulty(value: int | str, levels: Sequence[int] = (1, 2, 3)) -> int:
    """A difficulty as an integer level: ``2``, ``"2"`` and ``"medium"`` all give 2.

    Raises:
        ValueError: not a known level or name.

    >>> parse_difficulty("hard")
    3
    """
    level: int | None = None
    if isinstance(value, bool):
        level = None
    elif isinstance(value, int):
        level = value
    elif isinstance(value, str):
        text = value.strip().lower()
        level = int(text) if text.isdigit() else _DIFFICULTY_BY_NAME.get(text)
    if level is None or level not in levels:
        names = ", ".join(f"{k} ({DIFFICULTY_NAMES.get(k, k)})" for k in levels)
        raise ValueError(f"difficulty must be one of {names}; got {value!r}")
    return level


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def embed(value: Any) -> str:
    """A Python expression rebuilding ``value`` (JSON types) for generated scripts."""
    return f"json.loads({json.dumps(value, sort_keys=True)!r})"


def check_script(data: Any, body: str) -> str:
    """A verifier ``check.py``: ``DATA`` holds ``data``; ``body`` calls ``check(ok, msg)``.

    The script prints every failed check and exits 0 only when all passed.
    """
    head = textwrap.dedent(
        '''\
        """Verifier checks (generated). Exit status 0 = every check passed."""
        import hashlib
        import json
        import os
        import stat
        import subprocess
        import sys

        DATA = {data}
        FAILED = []


        def check(ok, message):
            if not ok:
                FAILED.append(message)
                print("FAIL: " + message)
            return ok


        def read(path, mode="r"):
            try:
                with open(path, mode) as handle:
                    return handle.read()
            except (OSError, UnicodeDecodeError):
                return None


        def digest(path):
            data = read(path, "rb")
            return None if data is None else hashlib.sha256(data).hexdigest()


        '''
    ).format(data=embed(data))
    tail = '\n\nprint("PASS" if not FAILED else f"{len(FAILED)} check(s) failed")\n'
    tail += "sys.exit(1 if FAILED else 0)\n"
    return head + textwrap.dedent(body).strip("\n") + "\n" + tail


def wrap_markdown(text: str, width: int = 88) -> str:
    """Re-wrap plain paragraphs and ``- `` list items; leave tables, code and headings."""
    blocks = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            blocks.append("\n".join(_fill(line, width, "  ") for line in lines))
        elif any(
            line.startswith(("|", "#", " ", "\t", "- ")) or line[:2] in _NUMBERED for line in lines
        ):
            blocks.append(block)
        else:
            blocks.append(_fill(" ".join(lines), width, ""))
    return "\n\n".join(blocks) + "\n"


_NUMBERED = {f"{i}." for i in range(1, 10)}


def _fill(text: str, width: int, indent: str) -> str:
    # keep `code spans` on one line: their spaces are not break points
    text = re.sub(r"`[^`]*`", lambda m: m[0].replace(" ", "\0"), text)
    filled = textwrap.fill(
        text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
    return filled.replace("\0", " ")


_TEST_SH = """\
#!/bin/bash
# Verifier for {task_id}: writes 1 or 0 to /logs/verifier/reward.txt
mkdir -p /logs/verifier
rm -f /logs/verifier/reward.json /logs/verifier/reward.txt
echo 0 > /logs/verifier/reward.txt
cd /app 2>/dev/null || cd /
if {command}; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
cat /logs/verifier/reward.txt
"""


@dataclass(frozen=True)
class StepInstance:
    """One step of a multi-step instance (Harbor ``[[steps]]``, ``steps/<name>/``).

    Attributes:
        name: the step's name (its directory under ``steps/``).
        instruction: the step's markdown.
        solution: the body of the step's ``solve.sh`` (as :attr:`Instance.solution`).
        tests: the step's ``tests/`` files besides ``test.sh``.
        test_command: what the step's ``tests/test.sh`` runs; exit status 0 = reward 1.
        workdir_files: files copied into ``/app`` before the step (paths relative to it).
        min_reward: the episode ends after this step unless its reward reaches this.
    """

    name: str
    instruction: str
    solution: str
    tests: Mapping[str, str]
    test_command: str = "python3 -B /tests/check.py"
    workdir_files: Mapping[str, str | bytes] = field(default_factory=dict)
    min_reward: float | None = None


@dataclass(frozen=True)
class Instance:
    """One generated task, before it is laid out on disk.

    Attributes:
        instruction: the markdown the agent reads.
        app_files: files under ``/app`` (paths relative to ``/app``), COPYed into the image.
        solution: the body of ``solution/solve.sh`` (runs in ``/app`` under ``set -euo pipefail``).
        tests: files of ``tests/`` besides ``test.sh``, usually ``{"check.py": ...}``.
        answer: a canonical summary of the expected outcome (never written to disk);
            different seeds give different answers.
        params: measurable knobs of this instance (sizes, numbers of traps), written to
            ``[metadata.params]``.
        build_files: files needed only while building (paths relative to ``/tmp/build``);
            ``setup.sh`` among them is run once by the Dockerfile, then all are removed.
        test_command: what ``tests/test.sh`` runs; exit status 0 = reward 1.
        tags: extra tags for ``[metadata] tags``.
        steps: the steps of a multi-step instance, in order; ``instruction``,
            ``solution``, ``tests`` and ``test_command`` are then the first step's (as a
            multi-step :class:`Task`'s are) and only the steps are written.
        reward_strategy: a multi-step instance's ``multi_step_reward_strategy``.
    """

    instruction: str
    app_files: Mapping[str, str | bytes]
    solution: str
    tests: Mapping[str, str]
    answer: str
    params: Mapping[str, int | str | bool] = field(default_factory=dict)
    build_files: Mapping[str, str | bytes] = field(default_factory=dict)
    test_command: str = "python3 -B /tests/check.py"
    tags: tuple[str, ...] = ()
    steps: tuple[StepInstance, ...] = ()
    reward_strategy: str = "mean"


#: One rendered file: its bytes and its permission bits.
FileBytes = tuple[bytes, int]


class Family(abc.ABC):
    """A procedural task family: ``(seed, difficulty) -> Task``, reproducibly.

    Subclasses set the class attributes and implement :meth:`generate`, drawing
    every random choice from the ``rng`` they are given.

    Attributes:
        name: the family's name (``family:<name>``, task ids ``<name>-d<k>-s<seed>``).
        description: one line for ``terminal-gym families``.
        category: ``[metadata] category`` of its tasks.
        tags: ``[metadata] tags`` of its tasks.
        difficulties: the levels it supports.
        knob: what the difficulty level changes, in words.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    category: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    difficulties: ClassVar[tuple[int, ...]] = (1, 2, 3)
    knob: ClassVar[str] = ""
    agent_timeout_sec: ClassVar[int] = 900
    verifier_timeout_sec: ClassVar[int] = 120

    @abc.abstractmethod
    def generate(self, rng: random.Random, difficulty: int) -> Instance:
        """Make one instance; all randomness comes from ``rng``."""

    # -- identity ------------------------------------------------------------------

    def task_id(self, difficulty: int | str, seed: int) -> str:
        return f"{self.name}-d{parse_difficulty(difficulty, self.difficulties)}-s{seed}"

    def rng(self, difficulty: int, seed: int) -> random.Random:
        """The one source of randomness of an instance."""
        return random.Random(f"{self.name}:{difficulty}:{seed}")

    def instance(self, seed: int, difficulty: int | str = 1) -> Instance:
        level = parse_difficulty(difficulty, self.difficulties)
        return self.generate(self.rng(level, _check_seed(seed)), level)

    def __repr__(self) -> str:
        return f"<Family {self.name}>"

    # -- layout --------------------------------------------------------------------

    def render(self, seed: int, difficulty: int | str = 1) -> dict[str, FileBytes]:
        """Every file of the task directory: ``{relative path: (bytes, mode)}``."""
        level = parse_difficulty(difficulty, self.difficulties)
        seed = _check_seed(seed)
        inst = self.generate(self.rng(level, seed), level)
        task_id = self.task_id(level, seed)
        files: dict[str, FileBytes] = {}

        def put(path: str, content: str | bytes, mode: int | None = None) -> None:
            data = content.encode() if isinstance(content, str) else content
            files[path] = (data, mode if mode is not None else _mode_for(path))

        put("task.toml", self._task_toml(task_id, level, seed, inst))
        docker = [f"FROM {BASE_IMAGE}", "WORKDIR /app"]
        if inst.app_files:
            docker.append("COPY app/ /app/")
        if inst.build_files:
            docker += [
                "COPY build/ /tmp/build/",
                "RUN bash /tmp/build/setup.sh && rm -rf /tmp/build",
            ]
        put("environment/Dockerfile", "\n".join(docker) + "\n")
        for rel, content in inst.app_files.items():
            put(f"environment/app/{_relpath(rel)}", content)
        for rel, content in inst.build_files.items():
            put(f"environment/build/{_relpath(rel)}", content)
        steps = inst.steps or (
            StepInstance("", inst.instruction, inst.solution, inst.tests, inst.test_command),
        )
        for step in steps:
            where = f"steps/{_relpath(step.name)}/" if inst.steps else ""
            put(f"{where}instruction.md", wrap_markdown(step.instruction))
            put(
                f"{where}solution/solve.sh",
                f"#!/bin/bash\n# Oracle for {task_id}{' step ' + step.name if where else ''}\n"
                "set -euo pipefail\ncd /app\n" + step.solution.strip("\n") + "\n",
            )
            put(
                f"{where}tests/test.sh",
                _TEST_SH.format(task_id=task_id, command=step.test_command),
            )
            for rel, content in step.tests.items():
                put(f"{where}tests/{_relpath(rel)}", content)
            for rel, content in step.workdir_files.items():
                put(f"{where}workdir/{_relpath(rel)}", content)
        return dict(sorted(files.items()))

    def _task_toml(self, task_id: str, level: int, seed: int, inst: Instance) -> str:
        tags = list(dict.fromkeys((*self.tags, *inst.tags)))
        steps = [
            {"name": step.name}
            | ({} if step.min_reward is None else {"min_reward": step.min_reward})
            for step in inst.steps
        ] or None
        return dumps_task_toml(
            {
                "schema_version": "1.4" if steps else "1.1",
                "multi_step_reward_strategy": inst.reward_strategy if steps else None,
                "task": {"name": f"terminal-gym/{task_id}"},
                "metadata": {
                    "difficulty": DIFFICULTY_NAMES[level],
                    "difficulty_level": level,
                    "category": self.category,
                    "tags": tags,
                    "family": self.name,
                    "seed": seed,
                    "params": dict(inst.params),
                },
                "agent": {"timeout_sec": self.agent_timeout_sec},
                "verifier": {"timeout_sec": self.verifier_timeout_sec},
                "environment": {
                    "workdir": "/app",
                    "cpus": 1,
                    "memory_mb": 1024,
                    "allow_internet": False,
                    "build_timeout_sec": 600,
                },
                "steps": steps,
            }
        )

    # -- on disk ---------------------------------------------------------------------

    def task_dir(self, seed: int, difficulty: int | str = 1, cache_dir: Path | None = None) -> Path:
        level = parse_difficulty(difficulty, self.difficulties)
        root = Path(cache_dir) if cache_dir is not None else cache_root()
        return root / "families" / self.name / f"d{level}" / f"s{_check_seed(seed)}"

    def build(
        self,
        seed: int,
        difficulty: int | str = 1,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Task:
        """Write (or reuse) the instance's task directory and load it as a :class:`Task`."""
        level = parse_difficulty(difficulty, self.difficulties)
        target = self.task_dir(seed, level, None if cache_dir is None else Path(cache_dir))
        sync_dir(target, self.render(seed, level))
        task = load_harbor_task(target)
        return replace(task, id=self.task_id(level, seed), source_format=f"family:{self.name}")


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a seed is a non-negative integer, got {seed!r}")
    return seed


def _relpath(rel: str) -> str:
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or not parts:
        raise ValueError(f"generated paths are relative and stay inside: {rel!r}")
    return "/".join(parts)


def _mode_for(path: str) -> int:
    return _EXEC_MODE if path.endswith(".sh") else _FILE_MODE


# -- idempotent, atomic writing ------------------------------------------------------


def _matches(target: Path, files: Mapping[str, FileBytes]) -> bool:
    """Whether ``target`` holds exactly ``files`` (same paths, bytes and modes)."""
    if not target.is_dir():
        return False
    seen = 0
    for path in target.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(target).as_posix()
        want = files.get(rel)
        if want is None or path.is_symlink():
            return False
        seen += 1
        try:
            if stat.S_IMODE(path.stat().st_mode) != want[1] or path.read_bytes() != want[0]:
                return False
        except OSError:
            return False
    return seen == len(files)


def _write_tree(root: Path, files: Mapping[str, FileBytes]) -> None:
    root.mkdir(parents=True)
    for rel, (data, mode) in files.items():
        path = root / rel
        parent = path.parent
        if not parent.is_dir():
            parent.mkdir(parents=True)
        path.write_bytes(data)
        os.chmod(path, mode)
    for directory in sorted({p for p in root.rglob("*") if p.is_dir()} | {root}):
        os.chmod(directory, _DIR_MODE)


def sync_dir(target: Path, files: Mapping[str, FileBytes]) -> bool:
    """Make ``target`` hold exactly ``files``; return whether anything was written.

    An up-to-date directory is not touched. Otherwise the tree is written beside it
    and renamed into place, so readers never see a half-written task.
    """
    if _matches(target, files):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging = target.parent / f".{target.name}.tmp-{token}"
    _write_tree(staging, files)
    old = target.parent / f".{target.name}.old-{token}"
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError:
        # Another process put the same instance in place first: keep theirs if it matches.
        if not _matches(target, files):
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True
