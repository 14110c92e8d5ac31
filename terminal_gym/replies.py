"""Parsers for the reply formats LLM agents answer in, each a pure function returning a
:class:`ParsedReply`: Terminus-2 JSON, Markdown fenced code, XML command tags.

Shared by the action wrappers (:mod:`terminal_gym.wrappers.action`), which run the
parsed actions, and the exporters (:mod:`terminal_gym.data.export`), which read
recorded replies; it imports only :mod:`terminal_gym.actions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from terminal_gym.actions import Action, Command, Keys

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_SUBMIT_PATTERN",
    "MAX_DURATION",
    "SHELL_LANGUAGES",
    "ParsedReply",
    "parse_fenced_code",
    "parse_terminus_json",
    "parse_xml_commands",
    "tmux_keys",
]

#: Terminus-2 caps a command's wait at 60 s; its default is 1 s.
MAX_DURATION = 60.0
DEFAULT_DURATION = 1.0


@dataclass(frozen=True)
class ParsedReply:
    """What a model reply asks for.

    Attributes:
        actions: the env actions to run, in order (never ``SUBMIT``).
        task_complete: the reply declares the task done.
        error: why the reply could not be used (then ``actions`` is empty).
        warnings: problems that did not stop parsing (extra text around the JSON ...).
        fields: the format's other content (Terminus-2: ``analysis``, ``plan``).
    """

    actions: tuple[Action, ...] = ()
    task_complete: bool = False
    error: str | None = None
    warnings: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


# -- tmux key names ----------------------------------------------------------------------

_NAMED_KEYS = {
    "Enter": "\r",
    "C-m": "\r",
    "KPEnter": "\r",
    "Escape": "\x1b",
    "Tab": "\t",
    "BSpace": "\x7f",
    "Space": " ",
    "Up": "\x1b[A",
    "Down": "\x1b[B",
    "Right": "\x1b[C",
    "Left": "\x1b[D",
    "Home": "\x1b[H",
    "End": "\x1b[F",
    "PageUp": "\x1b[5~",
    "PPage": "\x1b[5~",
    "PageDown": "\x1b[6~",
    "NPage": "\x1b[6~",
    "DC": "\x1b[3~",
}


def tmux_keys(keystrokes: str) -> str:
    """Translate a tmux key name (``C-c``, ``Enter``, ``Escape``, ``Up`` ...) to its bytes.

    Terminus-2 types through ``tmux send-keys``, where a keystroke string that is a key
    name means that key; anything else is literal text.

    >>> tmux_keys("C-c"), tmux_keys("Enter"), tmux_keys("ls -la\\n")
    ('\\x03', '\\r', 'ls -la\\n')
    """
    name = keystrokes.strip()
    if name in _NAMED_KEYS:
        return _NAMED_KEYS[name]
    m = re.fullmatch(r"(?:C-|\^)([a-zA-Z@\[\\\]^_])", name)
    if m:
        return chr(ord(m[1].upper()) & 0x1F)
    return keystrokes


# -- Terminus-2 JSON ---------------------------------------------------------------------

_FENCE_JSON = re.compile(r"```(?:json)?\s*\n(.*?)```", re.S)
_REQUIRED = ("analysis", "plan", "commands")


def _find_json_object(text: str) -> tuple[Any, str, list[str]]:
    """The first JSON object in ``text``: (value, error, warnings)."""
    warnings: list[str] = []
    fenced = _FENCE_JSON.search(text)
    if fenced and "{" in fenced[1]:
        if text[: fenced.start()].strip() or text[fenced.end() :].strip():
            warnings.append("Extra text detected outside the JSON code block")
        text = fenced[1]
    start = text.find("{")
    if start < 0:
        return None, "No valid JSON found in response", warnings
    if text[:start].strip():
        warnings.append("Extra text detected before JSON object")
    decoder = json.JSONDecoder()
    candidate = text[start:]
    last_exc: json.JSONDecodeError | None = None
    for suffix in ("", "}", "}}", "]}", '"}', '"}]}'):  # replies cut short at the end
        try:
            value, end = decoder.raw_decode(candidate + suffix)
        except json.JSONDecodeError as exc:
            last_exc = last_exc or exc
            continue
        if suffix:
            warnings.append(f"Auto-corrected an incomplete JSON object (appended {suffix!r})")
        elif candidate[end:].strip():
            warnings.append("Extra text detected after JSON object")
        return value, "", warnings
    assert last_exc is not None
    return None, f"Invalid JSON: {last_exc}", warnings


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def parse_terminus_json(reply: str) -> ParsedReply:
    """Parse a Terminus-2 reply.

    >>> r = parse_terminus_json('{"analysis": "", "plan": "", "commands": '
    ...     '[{"keystrokes": "ls\\\\n", "duration": 0.5}], "task_complete": false}')
    >>> r.actions, r.task_complete, r.error
    ((Keys(text='ls\\n', wait=0.5),), False, None)
    >>> parse_terminus_json("I will run ls").error
    'No valid JSON found in response'
    """
    value, error, warnings = _find_json_object(reply)
    if error:
        return ParsedReply(error=error, warnings=tuple(warnings))
    if not isinstance(value, dict):
        return ParsedReply(error="Response must be a JSON object", warnings=tuple(warnings))
    missing = [k for k in _REQUIRED if k not in value]
    if missing:
        return ParsedReply(
            error=f"Missing required fields: {', '.join(missing)}", warnings=tuple(warnings)
        )
    commands = value["commands"]
    if not isinstance(commands, list):
        return ParsedReply(error="Field 'commands' must be an array", warnings=tuple(warnings))
    actions: list[Action] = []
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            return ParsedReply(error=f"Command {i + 1} must be an object", warnings=tuple(warnings))
        keystrokes = cmd.get("keystrokes")
        if not isinstance(keystrokes, str):
            return ParsedReply(
                error=f"Command {i + 1} is missing a string 'keystrokes' field",
                warnings=tuple(warnings),
            )
        duration = cmd.get("duration", DEFAULT_DURATION)
        if not isinstance(duration, (int, float)) or isinstance(duration, bool):
            warnings.append(f"Command {i + 1}: 'duration' is not a number; using 1 s")
            duration = DEFAULT_DURATION
        if duration > MAX_DURATION:
            warnings.append(f"Command {i + 1}: duration {duration} s capped at {MAX_DURATION:g} s")
        extra = set(cmd) - {"keystrokes", "duration"}
        if extra:
            warnings.append(f"Command {i + 1}: unknown fields {', '.join(sorted(extra))}")
        actions.append(Keys(tmux_keys(keystrokes), float(min(max(duration, 0.0), MAX_DURATION))))
    extra = set(value) - {*_REQUIRED, "task_complete"}
    if extra:
        warnings.append(f"Unknown fields: {', '.join(sorted(extra))}")
    return ParsedReply(
        actions=tuple(actions),
        task_complete=_as_bool(value.get("task_complete", False)),
        warnings=tuple(warnings),
        fields={"analysis": value["analysis"], "plan": value["plan"]},
    )


# -- fenced code -------------------------------------------------------------------------

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.S | re.M
)
SHELL_LANGUAGES = ("bash", "sh", "shell", "console", "zsh", "terminal", "")
DEFAULT_SUBMIT_PATTERN = r"\bTASK_COMPLETE\b|<\|submit\|>"


def parse_fenced_code(
    reply: str,
    *,
    languages: Sequence[str] = SHELL_LANGUAGES,
    submit_pattern: str = DEFAULT_SUBMIT_PATTERN,
    timeout: float | None = None,
) -> ParsedReply:
    """Parse Markdown code blocks: each shell block is one command.

    In ``console`` blocks only lines after a ``$`` prompt are commands. A match of
    ``submit_pattern`` outside the blocks declares the task complete.

    >>> r = parse_fenced_code("Let me look.\\n```bash\\nls -la\\n```\\n")
    >>> r.actions
    (Command(text='ls -la', timeout=None),)
    >>> parse_fenced_code("All done. TASK_COMPLETE").task_complete
    True
    """
    actions: list[Action] = []
    warnings: list[str] = []
    prose = reply
    for m in _FENCE.finditer(reply):
        prose = prose.replace(m[0], "\n", 1)
        lang = m[2].lower()
        if lang not in languages:
            warnings.append(f"Skipped a ```{lang} block (not a shell language)")
            continue
        body = m[3]
        if lang == "console":
            lines = body.splitlines()
            body = "\n".join(ln.split("$ ", 1)[1] for ln in lines if ln.lstrip().startswith("$ "))
        body = body.strip("\n")
        if body.strip():
            actions.append(Command(body, timeout))
    if re.search(r"^[ \t]*(`{3,}|~{3,})", prose, re.M):
        return ParsedReply(error="Unclosed code block (a ``` fence has no closing ```)")
    done = bool(submit_pattern and re.search(submit_pattern, prose))
    if not actions and not done:
        return ParsedReply(
            error="No command found: put the commands to run in a ```bash code block, "
            "or say TASK_COMPLETE when the task is done",
            warnings=tuple(warnings),
        )
    return ParsedReply(actions=tuple(actions), task_complete=done, warnings=tuple(warnings))


# -- XML tags ----------------------------------------------------------------------------

_TAG = re.compile(r"<(command|keys)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_OPEN_TAG = re.compile(r"<(command|keys)\b[^>]*>", re.I)
_SUBMIT_TAG = re.compile(
    r"<submit\s*/>|<submit>\s*</submit>|<task_complete>\s*true\s*</task_complete>", re.I
)
_ATTR = re.compile(r"(\w+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}


def _unescape(text: str) -> str:
    # Only XML's five entities: a command like `echo "&copy"` must survive.
    return re.sub(r"&(?:lt|gt|quot|apos|amp);", lambda m: _ENTITIES[m[0]], text)


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def parse_xml_commands(reply: str) -> ParsedReply:
    """Parse ``<command>``, ``<keys>`` and ``<submit/>`` tags.

    ``<command timeout="30">`` runs a shell command to completion; ``<keys wait="2">``
    sends raw keystrokes (tmux key names allowed); ``<submit/>`` (or
    ``<task_complete>true</task_complete>``) declares the task complete. The five XML
    entities and ``CDATA`` sections are decoded.

    >>> parse_xml_commands('<command timeout="5">grep -n x a &amp;&amp; echo ok</command>').actions
    (Command(text='grep -n x a && echo ok', timeout=5.0),)
    """
    actions: list[Action] = []
    for m in _TAG.finditer(reply):
        attrs = {a[1].lower(): a[2] or a[3] or a[4] for a in _ATTR.finditer(m[2])}
        body = m[3]
        parts = _CDATA.split(body)  # odd indices are CDATA contents, kept verbatim
        text = "".join(p if i % 2 else _unescape(p) for i, p in enumerate(parts))
        if m[1].lower() == "keys":
            wait = _number(attrs.get("wait"))
            actions.append(Keys(tmux_keys(text), None if wait is None else min(wait, MAX_DURATION)))
        else:
            text = text.strip("\n")
            if text.strip():
                actions.append(Command(text, _number(attrs.get("timeout"))))
    opened = len(_OPEN_TAG.findall(reply))
    closed = len(_TAG.findall(reply))
    if opened > closed:
        return ParsedReply(error="Unclosed <command> or <keys> tag")
    done = bool(_SUBMIT_TAG.search(reply))
    if not actions and not done:
        return ParsedReply(
            error="No <command> found: wrap each shell command in <command>...</command>, "
            "or reply <submit/> when the task is done"
        )
    return ParsedReply(actions=tuple(actions), task_complete=done)
