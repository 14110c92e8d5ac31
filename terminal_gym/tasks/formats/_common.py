"""Typed field readers shared by the task-format loaders.

Every reader takes the file it reads from and the dotted name of the field, so a
malformed value raises :class:`~terminal_gym.errors.TaskFormatError` that names both
(``task.toml [verifier.timeout_sec]: must be a positive number ...``).

Holds :func:`parse_memory_mb` (``"2G"`` -> 2048), :func:`read_instruction_file`, and
the ``get_*`` readers used on parsed TOML / YAML mappings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, overload

from terminal_gym.errors import TaskFormatError

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
#: Multipliers to megabytes (binary units, as Harbor and Docker use them).
_SIZE_TO_MB = {"": 1.0, "k": 1.0 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 * 1024}


def type_name(value: object) -> str:
    """A TOML/YAML-flavoured name for the type of ``value``, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "table"
    if isinstance(value, (list, tuple)):
        return "array"
    if value is None:
        return "null"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def parse_memory_mb(value: object, *, path: Path, field: str) -> int:
    """Parse a memory or storage size to megabytes.

    Accepts a number of megabytes (``1024``) or a string with an optional binary unit
    suffix (``"2G"``, ``"512M"``, ``"1.5g"``, ``"2GiB"``, ``"1024"``; a bare number means
    megabytes), as in Harbor's legacy ``memory`` / ``storage`` fields.

    Args:
        value: the raw value from the task file.
        path: the file it came from (for the error).
        field: the dotted field name (for the error).

    Returns:
        The size in whole megabytes (at least 1).

    Raises:
        TaskFormatError: the value is not a positive size.

    Example:
        >>> from pathlib import Path
        >>> parse_memory_mb("2G", path=Path("task.toml"), field="environment.memory")
        2048
        >>> parse_memory_mb("512M", path=Path("task.toml"), field="environment.memory")
        512
    """
    if _is_number(value):
        megabytes = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str) and (match := _SIZE_RE.match(value)):
        megabytes = float(match.group(1)) * _SIZE_TO_MB[match.group(2).lower()]
    else:
        raise TaskFormatError(
            path,
            f"expected a size such as 2048, '2G' or '512M', got {value!r} ({type_name(value)})",
            field,
        )
    result = round(megabytes)
    if result < 1:
        raise TaskFormatError(path, f"size must be at least 1 MB, got {value!r}", field)
    return result


def get_table(data: Mapping[str, Any], key: str, *, path: Path, field: str) -> dict[str, Any]:
    """Return ``data[key]`` as a dict; absent (or ``None``) means an empty table."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TaskFormatError(path, f"must be a table, got {type_name(value)} {value!r}", field)
    return dict(value)


@overload
def get_seconds(
    data: Mapping[str, Any], key: str, *, path: Path, field: str, default: float
) -> float: ...
@overload
def get_seconds(
    data: Mapping[str, Any], key: str, *, path: Path, field: str, default: None
) -> float | None: ...
def get_seconds(
    data: Mapping[str, Any],
    key: str,
    *,
    path: Path,
    field: str,
    default: float | None,
) -> float | None:
    """Return a positive number of seconds, or ``default`` when the key is absent.

    Raises:
        TaskFormatError: the value is not a number, or is zero or negative.
    """
    value = data.get(key)
    if value is None:
        return default
    if not _is_number(value):
        raise TaskFormatError(
            path, f"must be a number of seconds, got {type_name(value)} {value!r}", field
        )
    if value <= 0:
        raise TaskFormatError(path, f"must be a positive number of seconds, got {value!r}", field)
    return float(value)


def get_positive_number(
    data: Mapping[str, Any], key: str, *, path: Path, field: str, default: float | None
) -> float | None:
    """Return a positive number (e.g. ``cpus``), or ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if not _is_number(value) or value <= 0:
        raise TaskFormatError(
            path, f"must be a positive number, got {type_name(value)} {value!r}", field
        )
    return float(value)


def get_int(
    data: Mapping[str, Any], key: str, *, path: Path, field: str, default: int, minimum: int = 0
) -> int:
    """Return an integer no smaller than ``minimum``, or ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise TaskFormatError(
            path,
            f"must be an integer >= {minimum}, got {type_name(value)} {value!r}",
            field,
        )
    return value


def get_str(
    data: Mapping[str, Any], key: str, *, path: Path, field: str, default: str | None = None
) -> str | None:
    """Return a string, or ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise TaskFormatError(path, f"must be a string, got {type_name(value)} {value!r}", field)
    return value


def get_bool(data: Mapping[str, Any], key: str, *, path: Path, field: str, default: bool) -> bool:
    """Return a boolean, or ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise TaskFormatError(
            path, f"must be true or false, got {type_name(value)} {value!r}", field
        )
    return value


def get_str_list(data: Mapping[str, Any], key: str, *, path: Path, field: str) -> list[str] | None:
    """Return a list of strings (e.g. ``tags``), or ``None`` when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise TaskFormatError(
            path, f"must be a list of strings, got {type_name(value)} {value!r}", field
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise TaskFormatError(
                path,
                f"must be a list of strings; item {index} is {type_name(item)} {item!r}",
                field,
            )
    return list(value)


def get_env(data: Mapping[str, Any], key: str, *, path: Path, field: str) -> dict[str, str]:
    """Return an environment-variable table as ``{name: value}`` strings.

    Numbers are written as in the file (``1`` -> ``"1"``) and booleans as ``"true"`` /
    ``"false"``; tables and arrays are errors. Absent means empty.
    """
    table = get_table(data, key, path=path, field=field)
    env: dict[str, str] = {}
    for name, value in table.items():
        if isinstance(value, bool):
            env[str(name)] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            env[str(name)] = str(value)
        else:
            raise TaskFormatError(
                path,
                f"environment variable {name!r} must be a string, got {type_name(value)}",
                f"{field}.{name}",
            )
    return env


def read_instruction_file(path: Path) -> str:
    """Read an ``instruction.md``; missing, unreadable or blank is an error."""
    if not path.is_file():
        raise TaskFormatError(path, "missing: the task has no instruction file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFormatError(path, f"cannot read the instruction: {exc}") from exc
    if not text.strip():
        raise TaskFormatError(path, "the instruction is empty")
    return text


#: Values of the ``agent_processes`` grading declaration.
AGENT_PROCESSES = ("stop", "keep", "share")


def read_grading(data: Mapping[str, Any], *, path: Path, field: str) -> dict[str, Any]:
    """Read terminal-gym's grading declarations (a table other tools ignore).

    ``agent_processes`` (``"stop"``, ``"keep"`` or ``"share"``), ``allow_changes`` (path globs) and
    ``system_tools`` (program names); see :class:`~terminal_gym.tasks.spec.VerifierSpec`.

    Returns:
        Keyword arguments for ``VerifierSpec`` (only the keys the table sets).

    Raises:
        TaskFormatError: a value has the wrong type, or ``agent_processes`` is unknown.

    Example:
        >>> from pathlib import Path
        >>> read_grading({"agent_processes": "keep"}, path=Path("task.toml"), field="grading")
        {'agent_processes': 'keep'}
    """
    result: dict[str, Any] = {}
    processes = get_str(data, "agent_processes", path=path, field=f"{field}.agent_processes")
    if processes is not None:
        if processes not in AGENT_PROCESSES:
            raise TaskFormatError(
                path,
                f"must be one of {', '.join(AGENT_PROCESSES)}; got {processes!r}",
                f"{field}.agent_processes",
            )
        result["agent_processes"] = processes
    for key in ("allow_changes", "system_tools"):
        values = get_str_list(data, key, path=path, field=f"{field}.{key}")
        if values is not None:
            result[key] = tuple(values)
    return result
