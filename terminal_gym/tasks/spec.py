"""The task model: what an episode needs to know about a task, format-independent.

A :class:`Task` is a frozen description; loaders in :mod:`terminal_gym.tasks.formats`
build it from the Terminal-Bench 2 / Harbor / Terminal-Lego layout or from the
Terminal-Bench 1 layout, and procedural families build it from a seed.

A multi-step task (Harbor ``[[steps]]``) holds its steps in :attr:`Task.steps`: one
sandbox, one instruction, verifier and oracle per step, in order; :meth:`Task.step_task`
gives the single-step view of one of them that grading and the oracle use.

Paths inside the sandbox are POSIX strings (``"/tests"``); paths on the host are
:class:`pathlib.Path`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

DEFAULT_VERIFIER_TIMEOUT_SEC = 600.0
DEFAULT_BUILD_TIMEOUT_SEC = 600.0

#: Harbor's network policies: everything, nothing, or listed hosts only.
NetworkMode = Literal["public", "no-network", "allowlist"]
#: How a multi-step task's return is made from its steps' rewards (Harbor's
#: ``multi_step_reward_strategy``): the per-key mean over graded steps, or the last one.
RewardStrategy = Literal["mean", "final"]

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
class Healthcheck:
    """A readiness check (Harbor ``healthcheck``, Docker ``HEALTHCHECK`` semantics): the
    command runs until it exits 0; after ``start_period_sec`` (checked every
    ``start_interval_sec``), ``retries`` consecutive failures, ``interval_sec`` apart, mean
    the environment is not healthy."""

    command: str
    interval_sec: float = 5.0
    timeout_sec: float = 30.0
    start_period_sec: float = 0.0
    start_interval_sec: float = 5.0
    retries: int = 3


@dataclass(frozen=True)
class NetworkPolicy:
    """One phase's network (Harbor ``network_mode`` / ``allowed_hosts``), resolved:
    the phase's own setting, else ``[environment]``'s, else the legacy ``allow_internet``."""

    mode: NetworkMode = "public"
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Artifact:
    """A path collected from the sandbox after the agent's phase (Harbor ``artifacts``).

    Attributes:
        source: the path in the sandbox (file or directory).
        destination: where it goes, relative to the collected artifacts (and, for a
            separate verifier, below ``/logs/artifacts`` in its container); default: the
            source's own path.
        exclude: ``tar --exclude`` patterns for a directory.
    """

    source: str
    destination: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectHook:
    """A command run in the agent's sandbox after its phase, before artifacts are
    collected (Harbor ``[[verifier.collect]]``), e.g. to write ``git diff`` to a file."""

    command: str
    timeout_sec: float = 60.0
    user: str | None = None


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
        healthcheck: run after the sandbox starts; ``reset`` returns only once it passes.
        network: the agent phase's network policy (``allow_internet`` is its
            ``mode != "no-network"``).
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
    healthcheck: Healthcheck | None = None
    network: NetworkPolicy = field(default_factory=NetworkPolicy)


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
        user: the user the tests run as (``None``: the image's default user).
        environment_mode: ``"shared"``: the tests run in the agent's sandbox (as the
            grading design stops and checks it); ``"separate"``: the declared artifacts
            are collected and the tests run in a fresh sandbox the agent never touched.
        environment: the separate verifier's own environment; ``None`` with
            ``"separate"`` means a fresh sandbox of the task's environment.
        collect: commands run in the agent's sandbox before artifacts are collected.
        network: the verifier phase's network policy; ``None``: the agent phase's.
    """

    uploads: tuple[tuple[Path, str], ...]
    command: str = f"bash {TESTS_DIR}/test.sh"
    reward_source: Literal["file", "pytest"] = "file"
    timeout_sec: float = DEFAULT_VERIFIER_TIMEOUT_SEC
    env: Mapping[str, str] = field(default_factory=dict)
    agent_processes: Literal["stop", "keep", "share"] = "stop"
    allow_changes: tuple[str, ...] = ()
    system_tools: tuple[str, ...] = ()
    user: str | None = None
    environment_mode: Literal["shared", "separate"] = "shared"
    environment: EnvironmentSpec | None = None
    collect: tuple[CollectHook, ...] = ()
    network: NetworkPolicy | None = None


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
class StepSpec:
    """One step of a multi-step task (Harbor ``[[steps]]`` + ``steps/<name>/``).

    Attributes:
        name: the step's name (its directory under ``steps/``).
        instruction: ``steps/<name>/instruction.md``.
        verifier: the step's grading (``steps/<name>/tests``, or the task's ``tests/``
            when the step has none; ``[steps.verifier]`` over ``[verifier]``).
        solution: the step's oracle (``steps/<name>/solution``), if any.
        agent_timeout_sec: the agent's budget for this step (``[steps.agent]``, else
            ``[agent]``).
        agent_user: the user the agent's shell runs as in this step.
        min_reward: the episode ends after this step unless its rewards reach it: a
            float gates ``reward``, a mapping gates each key (a missing key, or a step
            whose verifier produced nothing, counts as minus infinity).
        healthcheck: checked after the step's setup, before the agent acts.
        artifacts: collected after this step, besides the task's own.
        workdir_dir: ``steps/<name>/workdir``: copied into the working directory before
            the step; its ``setup.sh``, when there is one, runs then.
        trajectory: ``steps/<name>/trajectory.json``: prior context (ATIF), if any.
    """

    name: str
    instruction: str
    verifier: VerifierSpec
    solution: SolutionSpec | None = None
    agent_timeout_sec: float | None = None
    agent_user: str | None = None
    min_reward: float | Mapping[str, float] | None = None
    healthcheck: Healthcheck | None = None
    artifacts: tuple[Artifact, ...] = ()
    workdir_dir: Path | None = None
    trajectory: Path | None = None


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
        agent_user: the user the agent's shell runs as (``[agent] user``).
        artifacts: paths collected after the agent's phase (``artifacts``).
        steps: the steps of a multi-step task, in order (empty for a single-step task,
            whose ``instruction``/``verifier``/``solution`` are the whole task); for a
            multi-step task those three are the first step's.
        reward_strategy: how the episode's return is made from its steps' rewards.
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
    agent_user: str | None = None
    artifacts: tuple[Artifact, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    reward_strategy: RewardStrategy = "mean"

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

    @property
    def is_multi_step(self) -> bool:
        return bool(self.steps)

    def step_task(self, index: int) -> Task:
        """Step ``index`` as a single-step task (its instruction, verifier, oracle, agent
        budget and user; the task's environment and id): what grading and the oracle of
        that step use. A single-step task is its own step 0."""
        if not self.steps:
            if index != 0:
                raise IndexError(f"task {self.id!r} has one step, not {index + 1}")
            return self
        step = self.steps[index]
        return replace(
            self,
            instruction=step.instruction,
            verifier=step.verifier,
            solution=step.solution,
            agent_timeout_sec=step.agent_timeout_sec,
            agent_user=step.agent_user,
            artifacts=(*self.artifacts, *step.artifacts),
            steps=(),
        )
