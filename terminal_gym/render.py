"""How actions and observations render: as the text an agent reads, and as plain JSON.

Shared by the wrappers (what a model is shown), the trajectory schema and the
exporters (what a dataset holds), so both render a step the same way; it imports only
:mod:`terminal_gym.actions`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from typing import Any

from terminal_gym.actions import SUBMIT, Command, Keys, encode_action

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "action_text",
    "files_text",
    "is_submit",
    "observation_text",
    "status_line",
    "to_jsonable",
]


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars, dataclasses, paths, bytes included).

    >>> to_jsonable({"a": (1, 2), "b": Command("ls", 3.0)})
    {'a': [1, 2], 'b': {'type': 'command', 'text': 'ls', 'timeout': 3.0}}
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (Command, Keys)):
        return encode_action(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return to_jsonable(value.to_dict())
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return to_jsonable(tolist())
    return repr(value)


def action_text(action: Any) -> str:
    """The text of an action: the command, the keystrokes, or the reply itself.

    >>> action_text(Command("ls -la", timeout=5)), action_text(Keys("q")), action_text("pwd")
    ('ls -la', 'q', 'pwd')
    """
    if isinstance(action, (Command, Keys)):
        return action.text
    if isinstance(action, dict) and action.get("type") in ("command", "keys"):
        return str(action.get("text", ""))
    return action if isinstance(action, str) else json.dumps(to_jsonable(action))


def is_submit(action: Any) -> bool:
    return isinstance(action, str) and action == SUBMIT


# -- text rendering --------------------------------------------------------------------

#: The system prompt of chat views and SFT exports; ``{instruction}`` is filled in.
DEFAULT_SYSTEM_PROMPT = (
    "You are an AI assistant solving a command-line task in a Linux terminal. "
    "You act by issuing shell commands; after each one you see its output, exit code "
    "and working directory. Inspect before you change things, and check your work "
    "before you declare the task complete.\n\nTask:\n{instruction}"
)


def status_line(
    exit_code: int | None,
    cwd: str | None,
    duration: float | None = None,
    timed_out: bool = False,
    *,
    shell_restarted: bool = False,
) -> str:
    """The one-line footer that makes exit code, cwd, duration and timeout visible.

    >>> status_line(0, "/app", 0.0123)
    '[exit 0 | cwd /app | 0.01s]'
    >>> status_line(-1, "/tmp", 30.0, True)
    '[exit ? | cwd /tmp | 30.00s | TIMED OUT: interrupted with Ctrl-C]'
    """
    code = "?" if exit_code is None or exit_code < 0 else str(exit_code)
    parts = [f"exit {code}"]
    if cwd:
        parts.append(f"cwd {cwd}")
    if duration is not None:
        parts.append(f"{duration:.2f}s")
    if timed_out:
        parts.append("TIMED OUT: interrupted with Ctrl-C")
    if shell_restarted:
        parts.append("SHELL RESTARTED: variables and cwd were lost")
    return "[" + " | ".join(parts) + "]"


def files_text(files: Mapping[str, Any] | None) -> str:
    """A short text summary of ``info["files"]`` (see ``TrackFileChanges``).

    >>> files_text({"created": ["/app/a"], "modified": [], "deleted": ["/app/b"]})
    '[files created: /app/a | deleted: /app/b]'
    """
    if not files:
        return ""
    parts = []
    for kind in ("created", "modified", "deleted"):
        paths = files.get(kind) or []
        if paths:
            more = files.get(f"{kind}_more", 0)
            shown = ", ".join(paths) + (f" (+{more} more)" if more else "")
            parts.append(f"{kind}: {shown}")
    if files.get("error"):
        parts.append(f"unavailable: {files['error']}")
    return "[files " + " | ".join(parts) + "]" if parts else ""


def observation_text(observation: Any, info: Mapping[str, Any] | None = None) -> str:
    """The text an agent reads for one observation.

    An observation that already carries text (``text`` from ``ObservationToText``, or a
    plain string) is returned as is; a raw env observation is rendered as its output
    followed by :func:`status_line` (and the changed files, when ``info`` has them).
    """
    if isinstance(observation, str):
        return observation
    if not isinstance(observation, Mapping):
        return json.dumps(to_jsonable(observation))
    if isinstance(observation.get("text"), str):
        return observation["text"]
    info = info or {}
    output = observation.get("output", "") or ""
    if observation.get("screen") and not output:
        output = observation["screen"]
    lines = [output.rstrip("\n")] if output.strip() else []
    lines.append(
        status_line(
            observation.get("exit_code", info.get("exit_code")),
            observation.get("cwd"),
            info.get("duration"),
            bool(observation.get("timed_out", info.get("timed_out", False))),
            shell_restarted=bool(info.get("shell_restarted", False)),
        )
    )
    changed = files_text(info.get("files"))
    if changed:
        lines.append(changed)
    return "\n".join(lines)
