"""The task model: what an episode needs to know about a task, format-independent.

A :class:`Task` is a frozen description; loaders in :mod:`terminal_gym.tasks.formats`
build it from the Terminal-Bench 2 / Harbor / Terminal-Lego layout or from the
Terminal-Bench 1 layout, and procedural families build it from a seed.

Paths inside the sandbox are POSIX strings (``"/tests"``); paths on the host are
:class:`pathlib.Path`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_VERIFIER_TIMEOUT_SEC = 600.0
DEFAULT_BUILD_TIMEOUT_SEC = 600.0

#: Where graded files go inside the sandbox (Harbor / Terminal-Bench convention).
TESTS_DIR = "/tests"
SOLUTION_DIR = "/solution"
VERIFIER_LOGS_DIR = "/logs/verifier"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox. ``None`` means "no limit"."""

    cpus: float | None = 1.0
    memory_mb: int | None = 2048
    storage_mb: int | None = None
    pids: int | None = 1024


@dataclass(frozen=True)
class EnvironmentSpec:
    """How to make the task's sandbox.

    Attributes:
        context_dir: the Docker build context (``environment/``); ``None`` when the
            task names a prebuilt ``docker_image`` only.
        dockerfile: the Dockerfile, usually ``context_dir / "Dockerfile"``.
        docker_image: a prebuilt image to use instead of building.
        compose_file: a ``docker-compose.yaml`` beside the Dockerfile, if any; only its
            main service (built from the Dockerfile) is run.
        workdir: the directory the shell, the oracle and the verifier start in;
            ``None`` means the image's own ``WORKDIR``.
        allow_internet: whether the sandbox gets a network.
        limits: cpu / memory / storage / pids limits.
        build_timeout_sec: how long an image build may take.
        env: extra environment variables for the sandbox (``[environment.env]``).
    """

    context_dir: Path | None = None
    dockerfile: Path | None = None
    docker_image: str | None = None
    compose_file: Path | None = None
    workdir: str | None = None
    allow_internet: bool = False
    limits: Limits = field(default_factory=Limits)
    build_timeout_sec: float = DEFAULT_BUILD_TIMEOUT_SEC
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifierSpec:
    """How to grade an episode.

    Attributes:
        uploads: ``(host path, sandbox path)`` pairs copied in at grading time only;
            a host directory is copied recursively to the sandbox path.
        command: the shell command that runs the tests (from the workdir).
        reward_source: ``"file"`` reads ``/logs/verifier/reward.json`` (wins) or
            ``reward.txt``; ``"pytest"`` scores 1 when every test in pytest's ``-rA``
            summary passed (Terminal-Bench 1).
        timeout_sec: the verifier's time limit.
        env: environment variables for the verifier (``[verifier.env]``).
        agent_processes: ``"stop"`` (default): every process the agent started is killed
            before grading. ``"keep"``: the graded outcome is a running process (a
            service), so they keep running and grading happens beside them in a snapshot
            of the sandbox they cannot write into; the tests reach them through the
            network and the process table. ``"share"``: as ``"keep"``, but the tests also
            talk to them through files, so grading shares their filesystem; the weakest
            guarantee (see ``docs/grading.md``).
        allow_changes: glob patterns of sandbox paths the agent may legitimately change
            although they are on the verifier's path (``/usr/local/bin/python3*`` for a
            task that asks for a newer Python); tamper detection does not flag them.
        system_tools: program names the verifier must take from the sandbox, not from
            the trusted toolchain, because changing them is the task.
    """

    uploads: tuple[tuple[Path, str], ...]
    command: str = f"bash {TESTS_DIR}/test.sh"
    reward_source: Literal["file", "pytest"] = "file"
    timeout_sec: float = DEFAULT_VERIFIER_TIMEOUT_SEC
    env: Mapping[str, str] = field(default_factory=dict)
    agent_processes: Literal["stop", "keep", "share"] = "stop"
    allow_changes: tuple[str, ...] = ()
    system_tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class SolutionSpec:
    """The oracle: a script (``solution/solve.sh``) or a list of shell commands.

    Attributes:
        uploads: ``(host path, sandbox path)`` pairs copied in before the oracle runs.
        command: the command that runs the whole oracle, e.g. ``bash /solution/solve.sh``.
        commands: for Terminal-Bench 1 ``solution.yaml``: commands sent one by one
            instead of ``command``.
        env: environment variables for the oracle (``[solution.env]``).
    """

    uploads: tuple[tuple[Path, str], ...] = ()
    command: str | None = f"bash {SOLUTION_DIR}/solve.sh"
    commands: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One terminal task: instruction, environment, verifier, oracle.

    Attributes:
        id: unique id within its task set (the directory name for directory tasks).
        instruction: what the agent is asked to do.
        environment: how to build and start the sandbox.
        verifier: how to grade.
        solution: the oracle, when the task has one.
        agent_timeout_sec: the agent's wall-clock budget; ``None`` = the env's own.
        metadata: ``difficulty``, ``category``, ``tags`` and anything else the task
            declares; unknown keys are kept.
        path: the task directory, when loaded from disk.
        source_format: ``"harbor"``, ``"tb1"`` or ``"family:<name>"``.
    """

    id: str
    instruction: str
    environment: EnvironmentSpec
    verifier: VerifierSpec
    solution: SolutionSpec | None = None
    agent_timeout_sec: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None
    source_format: str = "harbor"

    @property
    def difficulty(self) -> str | None:
        value = self.metadata.get("difficulty")
        return None if value is None else str(value)

    @property
    def category(self) -> str | None:
        value = self.metadata.get("category")
        return None if value is None else str(value)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(str(t) for t in self.metadata.get("tags", ()) or ())
