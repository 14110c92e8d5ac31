"""Load Terminal-Bench 1 tasks (``task.yaml``).

Layout::

    <task>/task.yaml             instruction (or descriptions: [{key: base, description}]),
                                 author_name, author_email, difficulty, category, tags,
                                 parser_name, max_agent_timeout_sec, max_test_timeout_sec,
                                 run_tests_in_same_shell, ...
    <task>/Dockerfile
    <task>/docker-compose.yaml   service ``client``, ``T_BENCH_*`` variables
    <task>/run-tests.sh          the test entry point
    <task>/tests/                e.g. test_outputs.py (optional)
    <task>/solution.sh           oracle script, or
    <task>/solution.yaml         a list of {command, min_timeout_sec, block, append_enter}

Grading follows the Terminal-Bench 1 harness: after the agent, ``tests/`` and
``run-tests.sh`` are copied into ``/tests`` and ``bash /tests/run-tests.sh`` runs with
``TEST_DIR=/tests`` (the compose file's ``TEST_DIR=${T_BENCH_TEST_DIR}``); the reward
comes from pytest's ``-rA`` summary (``reward_source="pytest"``).

Where things go in :class:`~terminal_gym.tasks.spec.Task`:

* ``metadata``: every key of ``task.yaml`` except ``instruction`` (so
  ``parser_name``, ``run_tests_in_same_shell``, ``descriptions``, ``test_scripts``
  and unknown keys are kept; ``parser_name`` and ``run_tests_in_same_shell`` are
  always present, defaulted to ``"pytest"`` / ``False``), the steps of a
  ``solution.yaml`` under ``solution_steps``, and the whole parsed file under
  ``_raw``.
* ``solution.yaml``: ``SolutionSpec.commands`` holds each step's ``command`` text as
  written (tmux key names such as ``C-x`` included); ``append_enter``, ``block``,
  ``min_timeout_sec`` and ``max_timeout_sec`` stay in ``metadata["solution_steps"]``,
  with the harness's ``TerminalCommand`` defaults (``append_enter: true``,
  ``block: false``, ``min_timeout_sec: 0``). The oracle replays them as keystrokes
  (:func:`terminal_gym.rollout.agents.solution_step_actions`). ``solution.sh`` wins
  when both exist, as in the harness.
* ``docker-compose.yaml``: the ``client`` service's ``build`` gives the build context
  and Dockerfile; its ``environment`` goes to ``EnvironmentSpec.env`` with the
  container-side ``T_BENCH_*`` variables substituted (``/tests``, ``/logs``,
  ``/agent-logs``); ``network_mode: none`` means no internet; ``working_dir`` is the
  workdir; ``deploy.resources.limits`` cpus / memory become limits.

Defaults follow the harness's ``Task`` model: agent timeout 360 s, test timeout 60 s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from terminal_gym.errors import TaskFormatError
from terminal_gym.tasks.formats._common import (
    get_bool,
    get_positive_number,
    get_seconds,
    get_str,
    get_str_list,
    get_table,
    parse_memory_mb,
    read_grading,
    type_name,
)
from terminal_gym.tasks.spec import (
    DEFAULT_BUILD_TIMEOUT_SEC,
    SOLUTION_DIR,
    TESTS_DIR,
    EnvironmentSpec,
    Limits,
    SolutionSpec,
    Task,
    VerifierSpec,
)

__all__ = [
    "DEFAULT_AGENT_TIMEOUT_SEC",
    "DEFAULT_TEST_TIMEOUT_SEC",
    "TASK_FILE",
    "T_BENCH_CONTAINER_VARS",
    "load_tb1_task",
]

#: The file that marks a Terminal-Bench 1 task directory.
TASK_FILE = "task.yaml"
#: ``max_agent_timeout_sec`` when absent (terminal-bench ``Task`` model).
DEFAULT_AGENT_TIMEOUT_SEC = 360.0
#: ``max_test_timeout_sec`` when absent (terminal-bench ``Task`` model).
DEFAULT_TEST_TIMEOUT_SEC = 60.0
#: Container-side values the harness gives the compose file's ``T_BENCH_*`` variables.
T_BENCH_CONTAINER_VARS: Mapping[str, str] = {
    "T_BENCH_TEST_DIR": TESTS_DIR,
    "T_BENCH_CONTAINER_LOGS_PATH": "/logs",
    "T_BENCH_CONTAINER_AGENT_LOGS_PATH": "/agent-logs",
}
_COMPOSE_NAMES = ("docker-compose.yaml", "docker-compose.yml")
_VAR_RE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


def load_tb1_task(path: str | os.PathLike[str]) -> Task:
    """Load a Terminal-Bench 1 task directory.

    Args:
        path: the task directory (the one holding ``task.yaml``).

    Returns:
        The task; its id is the directory name.

    Raises:
        TaskFormatError: a required file is missing, a YAML file does not parse, or a
            field has the wrong type or an impossible value. The error names the file
            and, where there is one, the field.
    """
    task_dir = Path(path).absolute()
    yaml_path = task_dir / TASK_FILE
    raw = _read_yaml_mapping(yaml_path, required=True)
    instruction = _read_instruction(raw, yaml_path)

    for key in ("difficulty", "category", "author_name", "author_email"):
        _get_scalar_str(raw, key, yaml_path)
    tags = get_str_list(raw, "tags", path=yaml_path, field="tags")
    agent_timeout = get_seconds(
        raw,
        "max_agent_timeout_sec",
        path=yaml_path,
        field="max_agent_timeout_sec",
        default=DEFAULT_AGENT_TIMEOUT_SEC,
    )
    test_timeout = get_seconds(
        raw,
        "max_test_timeout_sec",
        path=yaml_path,
        field="max_test_timeout_sec",
        default=DEFAULT_TEST_TIMEOUT_SEC,
    )
    same_shell = get_bool(
        raw,
        "run_tests_in_same_shell",
        path=yaml_path,
        field="run_tests_in_same_shell",
        default=False,
    )
    parser_name = get_str(raw, "parser_name", path=yaml_path, field="parser_name", default="pytest")

    environment = _read_environment(task_dir)

    run_tests = task_dir / "run-tests.sh"
    if not run_tests.is_file():
        raise TaskFormatError(run_tests, "missing: the test entry point run-tests.sh is required")
    tests_dir = task_dir / "tests"
    uploads: list[tuple[Path, str]] = []
    if tests_dir.is_dir():
        uploads.append((tests_dir, TESTS_DIR))
    uploads.append((run_tests, f"{TESTS_DIR}/run-tests.sh"))
    verifier = VerifierSpec(
        uploads=tuple(uploads),
        command=f"bash {TESTS_DIR}/run-tests.sh",
        reward_source="pytest",
        timeout_sec=test_timeout,
        env={"TEST_DIR": TESTS_DIR},
        **read_grading(
            get_table(raw, "grading", path=yaml_path, field="grading"),
            path=yaml_path,
            field="grading",
        ),
    )

    solution, steps = _read_solution(task_dir)

    metadata: dict[str, Any] = {k: v for k, v in raw.items() if k != "instruction"}
    if tags is not None:
        metadata["tags"] = tags
    metadata["parser_name"] = parser_name
    metadata["run_tests_in_same_shell"] = same_shell
    if steps is not None:
        metadata["solution_steps"] = steps
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
        source_format="tb1",
    )


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFormatError(path, f"cannot read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (at line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskFormatError(path, f"invalid YAML{where}: {problem}") from exc


def _read_yaml_mapping(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise TaskFormatError(path, "missing: a Terminal-Bench 1 task needs task.yaml")
        return {}
    data = _read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TaskFormatError(path, f"must be a YAML mapping, got {type_name(data)}")
    return dict(data)


def _get_scalar_str(raw: Mapping[str, Any], key: str, yaml_path: Path) -> None:
    # YAML turns `difficulty: 3` or a bare date into non-strings; only strings are metadata.
    get_str(raw, key, path=yaml_path, field=key)


def _read_instruction(raw: Mapping[str, Any], yaml_path: Path) -> str:
    if raw.get("instruction") is not None:
        instruction = get_str(raw, "instruction", path=yaml_path, field="instruction") or ""
        if not instruction.strip():
            raise TaskFormatError(yaml_path, "the instruction is empty", "instruction")
        return instruction
    descriptions = raw.get("descriptions")
    if descriptions is None:
        raise TaskFormatError(
            yaml_path,
            "missing: task.yaml needs `instruction` (or `descriptions` in older tasks)",
            "instruction",
        )
    if not isinstance(descriptions, list) or not descriptions:
        raise TaskFormatError(
            yaml_path,
            f"must be a non-empty list of {{key, description}}, got {type_name(descriptions)}",
            "descriptions",
        )
    by_key: dict[str, str] = {}
    for index, entry in enumerate(descriptions):
        field = f"descriptions[{index}]"
        if not isinstance(entry, Mapping):
            raise TaskFormatError(
                yaml_path, f"must be a mapping with key and description, got {entry!r}", field
            )
        key = get_str(entry, "key", path=yaml_path, field=f"{field}.key", default="base")
        text = get_str(entry, "description", path=yaml_path, field=f"{field}.description")
        if text is None or not text.strip():
            raise TaskFormatError(yaml_path, "the description is empty", f"{field}.description")
        by_key.setdefault(key or "base", text)
    return by_key.get("base", next(iter(by_key.values())))


def _substitute(value: str) -> str:
    """Resolve the container-side ``T_BENCH_*`` variables the harness sets."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in T_BENCH_CONTAINER_VARS:
            return T_BENCH_CONTAINER_VARS[name]
        if match.group(2) is not None:
            return match.group(2)
        return match.group(0)

    return _VAR_RE.sub(replace, value)


def _read_environment(task_dir: Path) -> EnvironmentSpec:
    compose_file = next(
        (task_dir / name for name in _COMPOSE_NAMES if (task_dir / name).is_file()), None
    )
    dockerfile = task_dir / "Dockerfile"
    if compose_file is None:
        if not dockerfile.is_file():
            raise TaskFormatError(
                dockerfile, "missing: the task needs a Dockerfile or a docker-compose.yaml"
            )
        return EnvironmentSpec(
            context_dir=task_dir,
            dockerfile=dockerfile,
            allow_internet=True,
            build_timeout_sec=DEFAULT_BUILD_TIMEOUT_SEC,
        )

    compose = _read_yaml_mapping(compose_file, required=True)
    services = compose.get("services")
    if not isinstance(services, Mapping) or not isinstance(services.get("client"), Mapping):
        raise TaskFormatError(
            compose_file,
            "the compose file needs a `client` service (the agent's container)",
            "services.client",
        )
    client: Mapping[str, Any] = services["client"]

    context_dir: Path | None = None
    dockerfile_or_none: Path | None = None
    build = client.get("build")
    if isinstance(build, str):
        context_dir = (task_dir / build).resolve()
        dockerfile_or_none = context_dir / "Dockerfile"
    elif isinstance(build, Mapping):
        context = get_str(
            build, "context", path=compose_file, field="services.client.build.context"
        )
        name = get_str(
            build, "dockerfile", path=compose_file, field="services.client.build.dockerfile"
        )
        context_dir = (task_dir / (context or ".")).resolve()
        dockerfile_or_none = context_dir / (name or "Dockerfile")
    elif build is not None:
        raise TaskFormatError(
            compose_file,
            f"must be a path or a mapping, got {type_name(build)}",
            "services.client.build",
        )

    image = client.get("image")
    docker_image = None
    if dockerfile_or_none is not None:
        if not dockerfile_or_none.is_file():
            raise TaskFormatError(
                dockerfile_or_none,
                "missing: the compose file's client service builds from this Dockerfile",
                "services.client.build",
            )
    elif isinstance(image, str) and "$" not in image:
        docker_image = image
    elif dockerfile.is_file():
        # No build section: TB1 still builds the task's own Dockerfile.
        context_dir, dockerfile_or_none = task_dir, dockerfile
    else:
        raise TaskFormatError(
            dockerfile,
            "missing: the client service has neither a build section nor a fixed image, "
            "and the task has no Dockerfile",
            "services.client.build",
        )

    workdir = get_str(client, "working_dir", path=compose_file, field="services.client.working_dir")
    return EnvironmentSpec(
        context_dir=context_dir,
        dockerfile=dockerfile_or_none,
        docker_image=docker_image,
        compose_file=compose_file,
        workdir=_substitute(workdir) if workdir else None,
        allow_internet=client.get("network_mode") != "none",
        limits=_read_limits(client, compose_file),
        build_timeout_sec=DEFAULT_BUILD_TIMEOUT_SEC,
        env=_read_compose_env(client, compose_file),
    )


def _read_compose_env(client: Mapping[str, Any], compose_file: Path) -> dict[str, str]:
    field = "services.client.environment"
    raw_env = client.get("environment")
    env: dict[str, str] = {}
    if raw_env is None:
        return env
    if isinstance(raw_env, Mapping):
        items = [(str(k), v) for k, v in raw_env.items()]
    elif isinstance(raw_env, list):
        items = []
        for entry in raw_env:
            if not isinstance(entry, str):
                raise TaskFormatError(
                    compose_file, f"entries must be NAME=value, got {entry!r}", field
                )
            name, sep, value = entry.partition("=")
            # `- NAME` alone passes the host's value through: nothing to record.
            if sep:
                items.append((name, value))
    else:
        raise TaskFormatError(
            compose_file, f"must be a list or a mapping, got {type_name(raw_env)}", field
        )
    for name, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[name] = _substitute(str(value))
    return env


def _read_limits(client: Mapping[str, Any], compose_file: Path) -> Limits:
    defaults = Limits()
    deploy = client.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, Mapping) else None
    limits = resources.get("limits") if isinstance(resources, Mapping) else None
    if not isinstance(limits, Mapping):
        return defaults
    field = "services.client.deploy.resources.limits"
    cpus_value = limits.get("cpus")
    if isinstance(cpus_value, str):
        try:
            cpus_value = float(cpus_value)
        except ValueError:
            raise TaskFormatError(
                compose_file, f"must be a number, got {cpus_value!r}", f"{field}.cpus"
            ) from None
    cpus = get_positive_number(
        {"cpus": cpus_value},
        "cpus",
        path=compose_file,
        field=f"{field}.cpus",
        default=defaults.cpus,
    )
    memory = limits.get("memory")
    memory_mb = (
        defaults.memory_mb
        if memory is None
        else parse_memory_mb(memory, path=compose_file, field=f"{field}.memory")
    )
    return Limits(
        cpus=cpus, memory_mb=memory_mb, storage_mb=defaults.storage_mb, pids=defaults.pids
    )


def _read_solution(task_dir: Path) -> tuple[SolutionSpec | None, list[dict[str, Any]] | None]:
    script = task_dir / "solution.sh"
    if script.is_file():
        spec = SolutionSpec(
            uploads=((script, f"{SOLUTION_DIR}/solve.sh"),),
            command=f"bash {SOLUTION_DIR}/solve.sh",
        )
        return spec, None
    steps_file = task_dir / "solution.yaml"
    if not steps_file.is_file():
        return None, None
    data = _read_yaml(steps_file)
    if not isinstance(data, list) or not data:
        raise TaskFormatError(
            steps_file, f"must be a non-empty list of command steps, got {type_name(data)}"
        )
    steps: list[dict[str, Any]] = []
    for index, entry in enumerate(data):
        field = f"[{index}]"
        if not isinstance(entry, Mapping):
            raise TaskFormatError(
                steps_file, f"must be a mapping with `command`, got {entry!r}", field
            )
        command = entry.get("command")
        if isinstance(command, (int, float)) and not isinstance(command, bool):
            command = str(command)
        if not isinstance(command, str):
            raise TaskFormatError(
                steps_file,
                f"must be a string, got {type_name(command)} {command!r}",
                f"{field}.command",
            )
        step = dict(entry)
        step["command"] = command
        min_timeout = entry.get("min_timeout_sec", 0.0)
        if (
            not isinstance(min_timeout, (int, float))
            or isinstance(min_timeout, bool)
            or min_timeout < 0
        ):
            raise TaskFormatError(
                steps_file,
                f"must be a number of seconds >= 0, got {type_name(min_timeout)} {min_timeout!r}",
                f"{field}.min_timeout_sec",
            )
        step["min_timeout_sec"] = float(min_timeout)
        max_timeout = entry.get("max_timeout_sec")
        if max_timeout is not None:
            step["max_timeout_sec"] = get_seconds(
                entry,
                "max_timeout_sec",
                path=steps_file,
                field=f"{field}.max_timeout_sec",
                default=None,
            )
        step["block"] = get_bool(
            entry, "block", path=steps_file, field=f"{field}.block", default=False
        )
        # The harness's TerminalCommand presses Enter unless told otherwise.
        step["append_enter"] = get_bool(
            entry, "append_enter", path=steps_file, field=f"{field}.append_enter", default=True
        )
        steps.append(step)
    spec = SolutionSpec(command=None, commands=tuple(step["command"] for step in steps))
    return spec, steps
