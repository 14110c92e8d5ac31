"""Readers for the parts of Harbor's ``task.toml`` schema 1.4 beyond the basics:
healthchecks, per-phase network policies and users, artifacts, ``[[verifier.collect]]``
hooks, a separate verifier environment, and ``[[steps]]``.

Each reader validates as Harbor's task model does (a value Harbor rejects is a
:class:`~terminal_gym.errors.TaskFormatError` naming the field) and ignores keys it does
not model: they stay in ``metadata["_raw"]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from terminal_gym.errors import TaskFormatError
from terminal_gym.tasks.formats._common import (
    get_int,
    get_seconds,
    get_str,
    get_str_list,
    get_table,
    read_instruction_file,
    type_name,
)
from terminal_gym.tasks.spec import (
    SOLUTION_DIR,
    TESTS_DIR,
    Artifact,
    CollectHook,
    Healthcheck,
    NetworkMode,
    NetworkPolicy,
    SolutionSpec,
    StepSpec,
    VerifierSpec,
)

__all__ = [
    "NETWORK_MODES",
    "REWARD_STRATEGIES",
    "SUPPORTED_SCHEMA_VERSION",
    "Uploads",
    "read_artifacts",
    "read_collect",
    "read_healthcheck",
    "read_network",
    "read_steps",
    "read_user",
    "resolve_network",
    "step_test_uploads",
]

#: The newest ``schema_version`` this loader knows; a newer one loads with a warning.
SUPPORTED_SCHEMA_VERSION = "1.4"
#: Values Harbor accepts for ``network_mode``.
NETWORK_MODES: tuple[NetworkMode, ...] = ("public", "no-network", "allowlist")
#: Values Harbor accepts for ``multi_step_reward_strategy``.
REWARD_STRATEGIES = ("mean", "final")
_STEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
#: ``(host path, sandbox path)`` pairs, as in :attr:`VerifierSpec.uploads`.
Uploads = tuple[tuple[Path, str], ...]


def read_user(table: Mapping[str, Any], *, path: Path, field: str) -> str | None:
    """``user``: a user name or a numeric uid (kept as its string)."""
    value = table.get("user")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TaskFormatError(
            path, f"must be a user name or uid, got {type_name(value)} {value!r}", field
        )
    if isinstance(value, int) and value < 0:
        raise TaskFormatError(path, f"a uid is not negative, got {value}", field)
    text = str(value).strip()
    if not text:
        raise TaskFormatError(path, "must not be empty", field)
    return text


def read_healthcheck(
    table: Mapping[str, Any], key: str, *, path: Path, field: str
) -> Healthcheck | None:
    """A ``healthcheck`` table (``command`` required; Docker's defaults otherwise)."""
    if table.get(key) is None:
        return None
    hc = get_table(table, key, path=path, field=field)
    command = get_str(hc, "command", path=path, field=f"{field}.command")
    if command is None or not command.strip():
        raise TaskFormatError(
            path, "required: the command the healthcheck runs", f"{field}.command"
        )
    defaults = Healthcheck(command)

    def number(name: str, default: float, *, zero_ok: bool) -> float:
        value = hc.get(name)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise TaskFormatError(
                path,
                f"must be a number of seconds, got {type_name(value)} {value!r}",
                f"{field}.{name}",
            )
        if value < 0 or (value == 0 and not zero_ok):
            raise TaskFormatError(path, f"must not be negative, got {value!r}", f"{field}.{name}")
        return float(value)

    return Healthcheck(
        command=command,
        interval_sec=number("interval_sec", defaults.interval_sec, zero_ok=True),
        timeout_sec=number("timeout_sec", defaults.timeout_sec, zero_ok=False),
        start_period_sec=number("start_period_sec", defaults.start_period_sec, zero_ok=True),
        start_interval_sec=number("start_interval_sec", defaults.start_interval_sec, zero_ok=True),
        retries=get_int(
            hc, "retries", path=path, field=f"{field}.retries", default=defaults.retries, minimum=1
        ),
    )


def read_network(
    table: Mapping[str, Any], *, path: Path, field: str
) -> tuple[NetworkMode | None, tuple[str, ...] | None]:
    """A scope's ``network_mode`` and ``allowed_hosts`` (``None`` where not declared)."""
    declared = get_str(table, "network_mode", path=path, field=f"{field}.network_mode")
    mode = next((m for m in NETWORK_MODES if m == declared), None)
    if declared is not None and mode is None:
        raise TaskFormatError(
            path,
            f"must be one of {', '.join(NETWORK_MODES)}; got {declared!r}",
            f"{field}.network_mode",
        )
    hosts = get_str_list(table, "allowed_hosts", path=path, field=f"{field}.allowed_hosts")
    if not hosts:
        return mode, None if hosts is None else ()
    for host in hosts:
        if not host.strip() or any(c in host.strip() for c in "/: "):
            raise TaskFormatError(
                path,
                f"must be host names, not URLs, ports, paths or blanks: {host!r}",
                f"{field}.allowed_hosts",
            )
    # As in Harbor: hosts alone mean an allowlist; with another mode they are an error.
    if mode is None:
        mode = "allowlist"
    elif mode != "allowlist":
        raise TaskFormatError(
            path,
            f"allowed_hosts is only valid with network_mode = 'allowlist', not {mode!r}",
            f"{field}.allowed_hosts",
        )
    return mode, tuple(dict.fromkeys(h.strip().lower().rstrip(".") for h in hosts))


def resolve_network(
    *scopes: tuple[NetworkMode | None, tuple[str, ...] | None], allow_internet: bool
) -> NetworkPolicy:
    """The policy of a phase: the first scope (most specific first) that names a mode
    (with that scope's hosts), else the legacy ``allow_internet``."""
    for mode, hosts in scopes:
        if mode is not None:
            return NetworkPolicy(mode=mode, allowed_hosts=tuple(hosts or ()))
    return NetworkPolicy(mode="public" if allow_internet else "no-network")


def read_artifacts(value: Any, *, path: Path, field: str) -> tuple[Artifact, ...]:
    """``artifacts``: paths (strings) or ``{source, destination, exclude}`` tables."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TaskFormatError(path, f"must be a list, got {type_name(value)}", field)
    artifacts = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if isinstance(item, str):
            item = {"source": item}
        if not isinstance(item, dict):
            raise TaskFormatError(path, f"must be a path or a table, got {type_name(item)}", where)
        source = get_str(item, "source", path=path, field=f"{where}.source")
        if source is None or not source.strip():
            raise TaskFormatError(path, "required: the path to collect", f"{where}.source")
        if ".." in PurePosixPath(source).parts:
            raise TaskFormatError(path, f"must not contain '..', got {source!r}", f"{where}.source")
        destination = get_str(item, "destination", path=path, field=f"{where}.destination")
        _check_destination(destination or None, path=path, field=f"{where}.destination")
        service = get_str(item, "service", path=path, field=f"{where}.service")
        _check_main_service(service, path=path, field=f"{where}.service")
        exclude = get_str_list(item, "exclude", path=path, field=f"{where}.exclude") or []
        artifacts.append(Artifact(source, destination or None, tuple(exclude)))
    return tuple(artifacts)


def _check_destination(value: str | None, *, path: Path, field: str) -> None:
    if value is None:
        return
    posix = PurePosixPath(value)
    if "\\" in value or posix.is_absolute() or ".." in posix.parts or not posix.parts:
        raise TaskFormatError(
            path, f"must be a relative path inside the artifacts, got {value!r}", field
        )
    if value.rstrip("/") == "manifest.json":
        raise TaskFormatError(path, "'manifest.json' is reserved for the manifest", field)


def _check_main_service(service: str | None, *, path: Path, field: str) -> None:
    if service is None:
        return
    if not _SERVICE_NAME.match(service.strip()):
        raise TaskFormatError(path, f"not a Docker Compose service name: {service!r}", field)
    if service.strip() != "main":
        raise TaskFormatError(
            path,
            f"service {service!r}: terminal-gym runs a task's main service only, "
            "so it cannot reach a sidecar",
            field,
        )


def read_collect(value: Any, *, path: Path, field: str) -> tuple[CollectHook, ...]:
    """``[[verifier.collect]]``: commands run after the agent's phase."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TaskFormatError(path, f"must be an array of tables, got {type_name(value)}", field)
    hooks = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise TaskFormatError(path, f"must be a table, got {type_name(item)}", where)
        command = get_str(item, "command", path=path, field=f"{where}.command")
        if command is None or not command.strip():
            raise TaskFormatError(path, "required: the command to run", f"{where}.command")
        _check_main_service(
            get_str(item, "service", path=path, field=f"{where}.service"),
            path=path,
            field=f"{where}.service",
        )
        timeout = get_seconds(
            item, "timeout_sec", path=path, field=f"{where}.timeout_sec", default=60.0
        )
        hooks.append(
            CollectHook(command, timeout, read_user(item, path=path, field=f"{where}.user"))
        )
    return tuple(hooks)


def read_steps(
    raw: Mapping[str, Any],
    task_dir: Path,
    toml_path: Path,
    *,
    verifier: Callable[[Mapping[str, Any], Uploads, str], VerifierSpec],
    agent_timeout: float | None,
    agent_user: str | None,
    solution_env: Mapping[str, str],
) -> tuple[StepSpec, ...]:
    """``[[steps]]`` and their ``steps/<name>/`` directories, in order.

    Args:
        verifier: makes a step's verifier from its ``[steps.verifier]`` table, its tests
            directory and the field name to report errors under.
        agent_timeout, agent_user: the task's ``[agent]`` values, which a step's
            ``[steps.agent]`` overrides.
        solution_env: ``[solution.env]``, for every step's oracle.
    """
    value = raw.get("steps")
    if value is None or value == []:
        # Harbor treats an empty array as a single-step task.
        return ()
    if not isinstance(value, list):
        raise TaskFormatError(toml_path, "must be an array of [[steps]] tables", "steps")
    steps: list[StepSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"steps[{i}]"
        if not isinstance(item, dict):
            raise TaskFormatError(toml_path, f"must be a table, got {type_name(item)}", where)
        name = get_str(item, "name", path=toml_path, field=f"{where}.name")
        if name is None or not _STEP_NAME.match(name):
            raise TaskFormatError(
                toml_path,
                f"required: a step name usable as a directory name, got {name!r}",
                f"{where}.name",
            )
        if name in seen:
            raise TaskFormatError(toml_path, f"two steps are named {name!r}", f"{where}.name")
        seen.add(name)
        steps.append(
            _read_step(
                item,
                name,
                where,
                task_dir,
                toml_path,
                verifier=verifier,
                agent_timeout=agent_timeout,
                agent_user=agent_user,
                solution_env=solution_env,
            )
        )
    return tuple(steps)


def _read_step(
    item: Mapping[str, Any],
    name: str,
    where: str,
    task_dir: Path,
    toml_path: Path,
    *,
    verifier: Callable[[Mapping[str, Any], Uploads, str], VerifierSpec],
    agent_timeout: float | None,
    agent_user: str | None,
    solution_env: Mapping[str, str],
) -> StepSpec:
    step_dir = task_dir / "steps" / name
    if not step_dir.is_dir():
        raise TaskFormatError(step_dir, f"missing: step {name!r} needs the directory steps/{name}/")
    agent = get_table(item, "agent", path=toml_path, field=f"{where}.agent")
    step_tests, shared_tests = step_dir / "tests", task_dir / "tests"
    if not (step_tests / "test.sh").is_file() and not (shared_tests / "test.sh").is_file():
        raise TaskFormatError(
            step_tests / "test.sh",
            f"missing: step {name!r} needs steps/{name}/tests/test.sh (or tests/test.sh)",
        )
    verifier_table = get_table(item, "verifier", path=toml_path, field=f"{where}.verifier")
    solution_dir = step_dir / "solution"
    solution = None
    if solution_dir.is_dir():
        if not (solution_dir / "solve.sh").is_file():
            raise TaskFormatError(
                solution_dir / "solve.sh", f"missing: steps/{name}/solution/ has no solve.sh"
            )
        solution = SolutionSpec(
            uploads=((solution_dir, SOLUTION_DIR),),
            command=f"bash {SOLUTION_DIR}/solve.sh",
            env=dict(solution_env),
        )
    workdir_dir = step_dir / "workdir"
    trajectory = step_dir / "trajectory.json"
    if trajectory.is_file():
        _check_json(trajectory)
    return StepSpec(
        name=name,
        instruction=read_instruction_file(step_dir / "instruction.md"),
        verifier=verifier(
            verifier_table, step_test_uploads(step_tests, shared_tests), f"{where}.verifier"
        ),
        solution=solution,
        agent_timeout_sec=get_seconds(
            agent,
            "timeout_sec",
            path=toml_path,
            field=f"{where}.agent.timeout_sec",
            default=agent_timeout,
        ),
        agent_user=read_user(agent, path=toml_path, field=f"{where}.agent.user") or agent_user,
        min_reward=_read_min_reward(item.get("min_reward"), toml_path, f"{where}.min_reward"),
        healthcheck=read_healthcheck(
            item, "healthcheck", path=toml_path, field=f"{where}.healthcheck"
        ),
        artifacts=read_artifacts(item.get("artifacts"), path=toml_path, field=f"{where}.artifacts"),
        workdir_dir=workdir_dir if workdir_dir.is_dir() else None,
        trajectory=trajectory if trajectory.is_file() else None,
    )


def step_test_uploads(step_tests: Path, shared_tests: Path) -> Uploads:
    """What a step uploads to ``/tests``: as in Harbor, the task's ``tests/`` with the
    step's ``tests/`` over it (a step file wins over a shared one of the same name).

    The step's directory goes first (an upload empties its destination), then every
    shared file it does not shadow, one by one.
    """
    if not step_tests.is_dir():
        return ((shared_tests, TESTS_DIR),)
    if not shared_tests.is_dir():
        return ((step_tests, TESTS_DIR),)
    shared = sorted(
        p
        for p in shared_tests.rglob("*")
        if not p.is_dir() and not (step_tests / p.relative_to(shared_tests)).exists()
    )
    return (
        (step_tests, TESTS_DIR),
        *((p, f"{TESTS_DIR}/{p.relative_to(shared_tests).as_posix()}") for p in shared),
    )


def _check_json(path: Path) -> None:
    """A step's ``trajectory.json`` (prior context, ATIF) must be a JSON object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskFormatError(path, f"not readable JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise TaskFormatError(path, f"must be a JSON object (ATIF), got {type_name(value)}")


def _read_min_reward(value: Any, path: Path, field: str) -> float | dict[str, float] | None:
    def number(v: Any, where: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
            raise TaskFormatError(path, f"must be a number, got {type_name(v)} {v!r}", where)
        return float(v)

    if value is None:
        return None
    if isinstance(value, dict):
        if not value:
            raise TaskFormatError(path, "a table of reward keys must not be empty", field)
        return {str(k): number(v, f"{field}.{k}") for k, v in value.items()}
    return number(value, field)
