"""Action types every layer may import: :data:`SUBMIT`, :class:`Command`, :class:`Keys`.

A leaf module (it imports nothing from the package), so the trajectory schema, the
wrappers and the agents share these types without loading the env stack.

    >>> command_text(Command("ls -la\\n"))
    'ls -la'
    >>> command_text(Keys("\\x03")) is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SUBMIT", "Action", "Command", "Keys", "command_text", "decode_action", "encode_action"]

#: The action that ends the episode (or the step of a multi-step task) and runs the verifier.
SUBMIT = "<|submit|>"


@dataclass(frozen=True)
class Command:
    """Run ``text`` as a shell command to completion, with an optional timeout."""

    text: str
    timeout: float | None = None


@dataclass(frozen=True)
class Keys:
    """Send ``text`` as raw keystrokes and wait up to ``wait`` seconds for output."""

    text: str
    wait: float | None = None


#: What ``env.step`` takes: a string (in the env's mode), a :class:`Command` or :class:`Keys`.
Action = str | Command | Keys


def command_text(action: Action) -> str | None:
    """The command an action ran, for analysis; ``None`` for bare control keys."""
    text = (action.text if isinstance(action, (Command, Keys)) else action).strip("\r\n")
    return text if text.strip() and any(c >= " " for c in text) else None


def encode_action(action: Any) -> Any:
    """:class:`Command` as ``{"type": "command", "text", "timeout"}``, :class:`Keys` as
    ``{"type": "keys", "text", "wait"}``; any other action is returned unchanged (see
    :func:`terminal_gym.render.to_jsonable` for JSON of anything)."""
    if isinstance(action, Command):
        return {"type": "command", "text": action.text, "timeout": action.timeout}
    if isinstance(action, Keys):
        return {"type": "keys", "text": action.text, "wait": action.wait}
    return action


def decode_action(data: Any) -> Any:
    """The inverse of :func:`encode_action`."""
    if isinstance(data, dict) and data.get("type") == "command":
        return Command(data.get("text", ""), data.get("timeout"))
    if isinstance(data, dict) and data.get("type") == "keys":
        return Keys(data.get("text", ""), data.get("wait"))
    return data
