"""Load Terminal-Bench 2 / Harbor / Terminal-Lego tasks (``task.toml``).

Layout::

    <task>/instruction.md
    <task>/task.toml
    <task>/environment/Dockerfile        (+ files it copies; or docker-compose.yaml,
                                          or only [environment] docker_image)
    <task>/solution/solve.sh             (optional oracle)
    <task>/tests/test.sh                 (+ files; writes /logs/verifier/reward.*)

Both serialisations of ``task.toml`` seen in the wild are accepted:

* the original one: ``version = "1.0"``, ``[environment] docker_image, cpus,
  memory = "2G", storage = "10G"``;
* the newer one: ``schema_version = "1.1"``, ``[task] name = "org/id"``,
  ``[environment] memory_mb, storage_mb, gpus, allow_internet`` or
  ``network_mode = "public" | "no-network" | "allowlist"`` (+ ``allowed_hosts``),
  ``workdir``, and the ``[verifier.env]``, ``[environment.env]``, ``[solution.env]``
  tables.

Where things go in :class:`~terminal_gym.tasks.spec.Task`:

* ``metadata``: every key of ``[metadata]`` as written (known or not), plus, when the
  file declares them and ``[metadata]`` does not already use the key:
  ``task_name`` (``[task] name``), ``schema_version`` (``schema_version`` or the legacy
  ``version``), ``gpus`` (when > 0), ``network_mode`` and ``allowed_hosts``. The whole
  parsed file is kept under ``metadata["_raw"]``, so keys this loader does not model
  (``mcp_servers``, ``skills_dir``, ``os``, ``gpu_types`` ...) are never lost.
* Schema 1.4 (``[[steps]]``, healthchecks, per-phase network and users, artifacts,
  ``[[verifier.collect]]``, a separate verifier): read by
  :mod:`~terminal_gym.tasks.formats.harbor_fields`; ``docs/task-format.md`` lists what is
  supported and where terminal-gym is stricter than Harbor.
* When both ``memory_mb`` and the legacy ``memory`` are given, ``memory_mb`` wins
  (likewise ``storage_mb`` over ``storage``).
* ``[metadata.grading]`` holds terminal-gym's grading declarations (``agent_processes``,
  ``allow_changes``, ``system_tools``: see :class:`~terminal_gym.tasks.spec.VerifierSpec`);
  under ``[metadata]`` because every other tool ignores that table.
* Network: per phase, the phase's ``network_mode`` ([agent], [verifier],
  [steps.verifier]) wins over ``[environment]``'s, which wins over ``allow_internet``;
  ``allowed_hosts`` alone mean ``"allowlist"``; ``"public"`` and ``"allowlist"`` mean
  ``allow_internet=True``. With neither key the task gets
  ``allow_internet=True``, Harbor's own default: the loader reports what the task
  asks for, and the sandbox layer decides what it can grant offline.

Defaults: verifier timeout 600 s, build timeout 600 s, agent timeout ``None``,
workdir ``None`` (the image's ``WORKDIR``), cpus / memory from
:class:`~terminal_gym.tasks.spec.Limits`, storage unlimited.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from terminal_gym.errors import TaskFormatError
from terminal_gym.tasks.formats._common import (
    get_bool,
    get_env,
    get_int,
    get_positive_number,
    get_seconds,
    get_str,
    get_str_list,
    get_table,
    parse_memory_mb,
    read_grading,
    read_instruction_file,
    type_name,
)
from terminal_gym.tasks.formats.harbor_fields import (
    NETWORK_MODES,
    REWARD_STRATEGIES,
    SUPPORTED_SCHEMA_VERSION,
    Uploads,
    read_artifacts,
    read_collect,
    read_healthcheck,
    read_network,
    read_steps,
    read_user,
    resolve_network,
)
from terminal_gym.tasks.spec import (
    DEFAULT_BUILD_TIMEOUT_SEC,
    DEFAULT_VERIFIER_TIMEOUT_SEC,
    SOLUTION_DIR,
    TESTS_DIR,
    EnvironmentSpec,
    Limits,
    SolutionSpec,
    Task,
    VerifierSpec,
)

__all__ = ["NETWORK_MODES", "TASK_FILE", "load_harbor_task"]

#: The file that marks a Harbor task directory.
TASK_FILE = "task.toml"
_COMPOSE_NAMES = ("docker-compose.yaml", "docker-compose.yml")


def load_harbor_task(path: str | os.PathLike[str]) -> Task:
    """Load a Terminal-Bench 2 / Harbor task directory.

    Args:
        path: the task directory (the one holding ``task.toml``).

    Returns:
        The task; its id is the directory name.

    Raises:
        TaskFormatError: a required file is missing, ``task.toml`` does not parse, or a
            field has the wrong type or an impossible value. The error names the file
            and, where there is one, the field.

    Example:
        >>> from terminal_gym.tasks import builtin_dir
        >>> task = load_harbor_task(builtin_dir() / "find-prod-api-key")
        >>> task.verifier.command
        'bash /tests/test.sh'
    """
    task_dir = Path(path).absolute()
    toml_path = task_dir / TASK_FILE
    raw = _read_toml(toml_path)
    _check_schema_version(raw, toml_path)

    metadata = _read_metadata(raw, toml_path)
    task_table = get_table(raw, "task", path=toml_path, field="task")
    task_name = get_str(task_table, "name", path=toml_path, field="task.name")

    agent_table = get_table(raw, "agent", path=toml_path, field="agent")
    agent_timeout = get_seconds(
        agent_table, "timeout_sec", path=toml_path, field="agent.timeout_sec", default=None
    )
    agent_user = read_user(agent_table, path=toml_path, field="agent.user")
    solution_table = get_table(raw, "solution", path=toml_path, field="solution")
    solution_env = get_env(solution_table, "env", path=toml_path, field="solution.env")

    environment, extras = _read_environment(raw, task_dir, toml_path)
    verifier_table = get_table(raw, "verifier", path=toml_path, field="verifier")
    grading = get_table(metadata, "grading", path=toml_path, field="metadata.grading")
    make_verifier = _VerifierReader(
        raw,
        verifier_table,
        environment,
        task_dir,
        toml_path,
        read_grading(grading, path=toml_path, field="metadata.grading"),
    )
    steps = read_steps(
        raw,
        task_dir,
        toml_path,
        verifier=make_verifier,
        agent_timeout=agent_timeout,
        agent_user=agent_user,
        solution_env=solution_env,
    )
    strategy = get_str(
        raw, "multi_step_reward_strategy", path=toml_path, field="multi_step_reward_strategy"
    )
    if strategy is not None and strategy not in REWARD_STRATEGIES:
        raise TaskFormatError(
            toml_path,
            f"must be one of {', '.join(REWARD_STRATEGIES)}; got {strategy!r}",
            "multi_step_reward_strategy",
        )
    if steps:
        first = steps[0]
        instruction, verifier, solution = first.instruction, first.verifier, first.solution
    else:
        instruction = read_instruction_file(task_dir / "instruction.md")
        tests_dir = task_dir / "tests"
        if not (tests_dir / "test.sh").is_file():
            raise TaskFormatError(
                tests_dir / "test.sh", "missing: the verifier entry point tests/test.sh is required"
            )
        verifier = make_verifier({}, ((tests_dir, TESTS_DIR),), "verifier")
        solution = _read_solution(task_dir, solution_env)

    if task_name is not None:
        metadata.setdefault("task_name", task_name)
    schema_version = raw.get("schema_version", raw.get("version"))
    if schema_version is not None:
        metadata.setdefault("schema_version", str(schema_version))
    for key, value in extras.items():
        metadata.setdefault(key, value)
    metadata["_raw"] = raw

    return Task(
        id=task_dir.name,
        instruction=instruction,
        environment=environment,
        verifier=verifier,
        solution=solution,
        agent_timeout_sec=agent_timeout,
        metadata=metadata,
        path=task_dir,
        source_format="harbor",
        agent_user=agent_user,
        artifacts=read_artifacts(raw.get("artifacts"), path=toml_path, field="artifacts"),
        steps=steps,
        reward_strategy="final" if strategy == "final" else "mean",
    )


class _VerifierReader:
    """Makes the verifier of the task, or of one step: ``[verifier]`` overlaid with the
    step's ``[steps.verifier]`` (timeouts, env, user, network, environment mode)."""

    def __init__(
        self,
        raw: dict[str, Any],
        table: dict[str, Any],
        environment: EnvironmentSpec,
        task_dir: Path,
        toml_path: Path,
        grading: dict[str, Any],
    ):
        self.raw, self.table, self.environment = raw, table, environment
        self.task_dir, self.toml_path, self.grading = task_dir, toml_path, grading

    def __call__(self, step: Mapping[str, Any], uploads: Uploads, field: str) -> VerifierSpec:
        path, base = self.toml_path, self.table
        timeout = get_seconds(
            base,
            "timeout_sec",
            path=path,
            field="verifier.timeout_sec",
            default=DEFAULT_VERIFIER_TIMEOUT_SEC,
        )
        timeout = get_seconds(
            step, "timeout_sec", path=path, field=f"{field}.timeout_sec", default=timeout
        )
        env = {
            **get_env(base, "env", path=path, field="verifier.env"),
            **get_env(step, "env", path=path, field=f"{field}.env"),
        }
        user = read_user(step, path=path, field=f"{field}.user") or read_user(
            base, path=path, field="verifier.user"
        )
        mode, environment = self._environment_mode(step, field)
        step_scope = read_network(step, path=path, field=field)
        task_scope = read_network(base, path=path, field="verifier")
        network = resolve_network(
            step_scope,
            task_scope,
            read_network(
                get_table(self.raw, "environment", path=path, field="environment"),
                path=path,
                field="environment",
            ),
            allow_internet=self.environment.allow_internet,
        )
        # As in Harbor: only a verifier that declares a mode of its own can conflict
        # with the agent's; one that declares none runs under [environment]'s.
        explicit, where = (
            (step_scope[0], field) if step_scope[0] is not None else (task_scope[0], "verifier")
        )
        if mode == "shared" and explicit is not None and explicit != self.environment.network.mode:
            raise TaskFormatError(
                path,
                f"the verifier's network_mode {explicit!r} differs from the agent's "
                f"{self.environment.network.mode!r} but the verifier shares the agent's "
                "environment; use environment_mode = 'separate' for a policy of its own",
                f"{where}.network_mode",
            )
        return VerifierSpec(
            uploads=uploads,
            command=f"bash {TESTS_DIR}/test.sh",
            reward_source="file",
            timeout_sec=timeout,
            env=env,
            user=user,
            environment_mode=mode,
            environment=environment,
            collect=read_collect(base.get("collect"), path=path, field="verifier.collect"),
            network=network,
            **self.grading,
        )

    def _environment_mode(
        self, step: Mapping[str, Any], field: str
    ) -> tuple[Literal["shared", "separate"], EnvironmentSpec | None]:
        """``environment_mode`` and ``[verifier.environment]``: a step's over the task's;
        an environment without a mode means ``"separate"``; ``"shared"`` with one is an
        error (as in Harbor)."""
        path = self.toml_path
        for table, where in ((step, field), (self.table, "verifier")):
            mode = get_str(table, "environment_mode", path=path, field=f"{where}.environment_mode")
            if mode is not None and mode not in ("shared", "separate"):
                raise TaskFormatError(
                    path,
                    f"must be 'shared' or 'separate'; got {mode!r}",
                    f"{where}.environment_mode",
                )
            env_table = table.get("environment")
            if mode == "shared" and env_table is not None:
                raise TaskFormatError(
                    path,
                    "environment_mode = 'shared' is incompatible with a verifier "
                    "environment; omit the environment or use 'separate'",
                    f"{where}.environment",
                )
            if mode is None and env_table is None:
                continue
            environment = None
            if env_table is not None:
                get_table(table, "environment", path=path, field=f"{where}.environment")
                environment, _ = _read_environment(
                    {"environment": env_table},
                    self.task_dir,
                    path,
                    field_prefix=f"{where}.environment",
                )
            return ("separate" if mode is None else mode), environment  # type: ignore[return-value]
        return "shared", None


def _check_schema_version(raw: dict[str, Any], toml_path: Path) -> None:
    """Warn about a ``schema_version`` newer than this loader knows (its new keys are
    kept in ``metadata["_raw"]`` but not acted on)."""
    declared = raw.get("schema_version", raw.get("version"))
    if declared is None:
        return
    try:
        newer = tuple(int(p) for p in str(declared).split(".")) > tuple(
            int(p) for p in SUPPORTED_SCHEMA_VERSION.split(".")
        )
    except ValueError:
        return
    if newer:
        warnings.warn(
            f"{toml_path}: schema_version {declared} is newer than the {SUPPORTED_SCHEMA_VERSION} "
            "this loader knows; keys added since are kept in metadata['_raw'] but ignored",
            UserWarning,
            stacklevel=3,
        )


def _read_toml(toml_path: Path) -> dict[str, Any]:
    if not toml_path.is_file():
        raise TaskFormatError(toml_path, "missing: a Harbor task needs task.toml")
    try:
        text = toml_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFormatError(toml_path, f"cannot read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message carries "(at line L, column C)".
        raise TaskFormatError(toml_path, f"invalid TOML: {exc}") from exc


def _read_metadata(raw: dict[str, Any], toml_path: Path) -> dict[str, Any]:
    metadata = get_table(raw, "metadata", path=toml_path, field="metadata")
    for key in ("difficulty", "category", "author_name", "author_email"):
        get_str(metadata, key, path=toml_path, field=f"metadata.{key}")
    tags = get_str_list(metadata, "tags", path=toml_path, field="metadata.tags")
    if tags is not None:
        metadata["tags"] = tags
    return metadata


def _read_environment(
    raw: dict[str, Any], task_dir: Path, toml_path: Path, *, field_prefix: str = "environment"
) -> tuple[EnvironmentSpec, dict[str, Any]]:
    """Build the EnvironmentSpec (of ``raw["environment"]``, its network resolved with
    ``raw["agent"]``'s override); also return facts the spec has no field for."""
    table = get_table(raw, "environment", path=toml_path, field=field_prefix)

    def field(key: str) -> str:
        return f"{field_prefix}.{key}"

    build_timeout = get_seconds(
        table,
        "build_timeout_sec",
        path=toml_path,
        field=field("build_timeout_sec"),
        default=DEFAULT_BUILD_TIMEOUT_SEC,
    )
    docker_image = get_str(table, "docker_image", path=toml_path, field=field("docker_image"))
    if docker_image is not None and not docker_image.strip():
        raise TaskFormatError(toml_path, "must not be empty", field("docker_image"))

    defaults = Limits()
    cpus = get_positive_number(
        table, "cpus", path=toml_path, field=field("cpus"), default=defaults.cpus
    )
    memory_mb = _size_mb(table, "memory_mb", "memory", toml_path, defaults.memory_mb)
    storage_mb = _size_mb(table, "storage_mb", "storage", toml_path, defaults.storage_mb)
    gpus = get_int(table, "gpus", path=toml_path, field=field("gpus"), default=0)

    legacy_internet = get_bool(
        table, "allow_internet", path=toml_path, field=field("allow_internet"), default=True
    )
    scope = read_network(table, path=toml_path, field=field_prefix)
    agent = get_table(raw, "agent", path=toml_path, field="agent")
    network = resolve_network(
        read_network(agent, path=toml_path, field="agent"), scope, allow_internet=legacy_internet
    )
    network_mode, allowed_hosts = scope
    healthcheck = read_healthcheck(table, "healthcheck", path=toml_path, field=field("healthcheck"))

    workdir = get_str(table, "workdir", path=toml_path, field=field("workdir"))
    if workdir is not None and not workdir.startswith("/"):
        raise TaskFormatError(
            toml_path, f"must be an absolute path in the sandbox, got {workdir!r}", field("workdir")
        )
    env = get_env(table, "env", path=toml_path, field=field("env"))

    env_dir = task_dir / "environment"
    dockerfile = env_dir / "Dockerfile"
    compose_file = next(
        (env_dir / name for name in _COMPOSE_NAMES if (env_dir / name).is_file()), None
    )
    if not dockerfile.is_file():
        if docker_image is None and compose_file is None:
            raise TaskFormatError(
                dockerfile,
                "missing: the task needs environment/Dockerfile, "
                "environment/docker-compose.yaml or [environment] docker_image in task.toml",
                field("docker_image"),
            )
        dockerfile_or_none = None
    else:
        dockerfile_or_none = dockerfile

    spec = EnvironmentSpec(
        context_dir=env_dir if env_dir.is_dir() else None,
        dockerfile=dockerfile_or_none,
        docker_image=docker_image,
        compose_file=compose_file,
        workdir=workdir,
        allow_internet=network.mode != "no-network",
        limits=Limits(cpus=cpus, memory_mb=memory_mb, storage_mb=storage_mb, pids=defaults.pids),
        build_timeout_sec=build_timeout,
        env=env,
        healthcheck=healthcheck,
        network=network,
    )
    extras: dict[str, Any] = {}
    if gpus:
        extras["gpus"] = gpus
    if network_mode is not None:
        extras["network_mode"] = network_mode
    if allowed_hosts:
        extras["allowed_hosts"] = list(allowed_hosts)
    return spec, extras


def _size_mb(
    table: dict[str, Any], mb_key: str, legacy_key: str, toml_path: Path, default: int | None
) -> int | None:
    """Read ``memory_mb`` (an integer of MB) or the legacy ``memory`` ("2G") field."""
    if table.get(mb_key) is not None:
        value = table[mb_key]
        if isinstance(value, str):
            raise TaskFormatError(
                toml_path,
                f"must be an integer number of megabytes, got {type_name(value)} {value!r}",
                f"environment.{mb_key}",
            )
        return parse_memory_mb(value, path=toml_path, field=f"environment.{mb_key}")
    if table.get(legacy_key) is not None:
        return parse_memory_mb(table[legacy_key], path=toml_path, field=f"environment.{legacy_key}")
    return default


def _read_solution(task_dir: Path, solution_env: dict[str, str]) -> SolutionSpec | None:
    solution_dir = task_dir / "solution"
    if not solution_dir.is_dir():
        return None
    if not (solution_dir / "solve.sh").is_file():
        raise TaskFormatError(
            solution_dir / "solve.sh", "missing: solution/ exists but has no solve.sh"
        )
    return SolutionSpec(
        uploads=((solution_dir, SOLUTION_DIR),),
        command=f"bash {SOLUTION_DIR}/solve.sh",
        env=solution_env,
    )
