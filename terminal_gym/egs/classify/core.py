"""The shared vocabulary of command classification: labels, paths, argument parsing.

The bottom of :mod:`terminal_gym.egs.classify`; every other module of the package
imports it and it imports none of them.

- :data:`Kind`, :class:`CommandLabel`: the public per-command label.
- :class:`CommandRecord`, :class:`ActionRecord`: the richer form the trajectory
  analysis (:mod:`terminal_gym.egs.tor`) works from.
- :func:`normalize_path`, :func:`parent_dir`, :func:`is_glob`: the path rules.
- :class:`Acc`, :func:`acc`: a command's label while a handler builds it.
- :class:`Ctx`: where a command runs (cwd, what feeds its stdin, nesting depth).
- :data:`Handler`: the signature of a per-command handler.
- :func:`opts`, :class:`Opts`: GNU-style option parsing; :func:`word_set`, :func:`dedupe`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["inspect", "act", "verify", "unknown"]

HOME = "/root"

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CommandLabel:
    """The label of one simple command.

    Attributes:
        name: program name, subcommand-aware (``"git status"``, ``"python -c"``).
        kind: ``"inspect"``, ``"act"``, ``"verify"`` or ``"unknown"``.
        reads: normalized paths it reads or lists.
        writes: normalized paths it writes, creates, deletes or executes as a program.
        text: the simple command's source text.
    """

    name: str
    kind: Kind
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class CommandRecord:
    """A :class:`CommandLabel` plus what the trajectory analysis needs to know.

    Attributes:
        modifies: the written paths proper (``writes`` minus pure executions).
        executes: programs and instruction files it runs.
        lists: its reads are directory listings (``ls``, ``tree``): for grounding, a
            listed directory's children count as inspected too.
        local_probe: a request to a local service (``curl localhost:8000``); becomes
            verify once an earlier command acted.
    """

    name: str
    kind: Kind
    reads: tuple[str, ...]
    modifies: tuple[str, ...]
    executes: tuple[str, ...]
    text: str
    lists: bool = False
    local_probe: bool = False

    @property
    def writes(self) -> tuple[str, ...]:
        return dedupe((*self.modifies, *self.executes))

    def label(self, kind: Kind | None = None) -> CommandLabel:
        return CommandLabel(self.name, kind or self.kind, self.reads, self.writes, self.text)


@dataclass(frozen=True)
class ActionRecord:
    """One classified action.

    Attributes:
        commands: its simple commands' records, in execution order.
        cwd: the top-level cwd after the action (``cd`` tracked).
        parse_error: the action could not be parsed at all.
    """

    commands: tuple[CommandRecord, ...]
    cwd: str
    parse_error: bool


# --------------------------------------------------------------------------- paths

_GLOB = re.compile(r"[*?\[]")


_IGNORED_PATHS = frozenset(
    {
        "/dev/null",
        "/dev/zero",
        "/dev/full",
        "/dev/random",
        "/dev/urandom",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/tty",
    }
)


_HOME_VAR = re.compile(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")


_PWD_VAR = re.compile(r"^(?:\$PWD|\$\{PWD\})(?=/|$)")


def word_set(s: str) -> frozenset[str]:
    """The whitespace-separated words of ``s``: how the tables spell their name lists."""
    return frozenset(s.split())


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """``items`` without repeats, first occurrence kept (paths keep their order)."""
    return tuple(dict.fromkeys(items))


def normalize_path(path: str, cwd: str = "/") -> str | None:
    """Normalize a path word against ``cwd``; ``None`` for non-paths.

    Example:
        >>> normalize_path("src/../x.py/", "/app")
        '/app/x.py'
        >>> normalize_path("~/notes", "/app")
        '/root/notes'
    """
    if not path or path in ("-", "{}") or "://" in path or "\n" in path:
        return None
    if "$(" in path or "<(" in path or ">(" in path or "`" in path:
        return None  # a substitution's output, not a path we can name
    if path[0] == "~":
        if path == "~" or path.startswith("~/"):
            path = HOME + path[1:]
        else:
            return path
    elif path[0] == "$":
        path = _PWD_VAR.sub(cwd, _HOME_VAR.sub(HOME, path))
        if path[0] == "$":
            return path.rstrip("/") or path
    if path[0] != "/":
        path = posixpath.join(cwd, path)
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if path in _IGNORED_PATHS or path.startswith(("/dev/fd/", "/proc/self/fd/")):
        return None
    return path


def parent_dir(path: str) -> str:
    """The directory holding ``path``; for a glob, its deepest glob-free directory.

    Example:
        >>> parent_dir("/app/src/x.py"), parent_dir("/app/*/test_*.py")
        ('/app/src', '/app')
    """
    d = posixpath.dirname(path)
    while d not in ("", "/") and _GLOB.search(d):
        d = posixpath.dirname(d)
    return d


def is_glob(path: str) -> bool:
    """Whether ``path`` holds a glob character (``*``, ``?``, ``[``)."""
    return bool(_GLOB.search(path))


# --------------------------------------------------------------------------- context


@dataclass
class Acc:
    """A command's classification while it is being built."""

    name: str
    kind: Kind
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    executes: list[str] = field(default_factory=list)
    lists: bool = False
    local_probe: bool = False
    text: str | None = None  # set by recursive classification (bash -c): the inner text


@dataclass(frozen=True)
class Ctx:
    cwd: str
    depth: int = 0
    stdin_text: str | None = None  # heredoc, here-string, or `echo ... |`
    stdin_file: str | None = None  # `< file`
    after_verify: bool = False  # an earlier part of the same pipeline verifies

    def path(self, word: str) -> str | None:
        return normalize_path(word, self.cwd)

    def paths(self, words: Iterable[str]) -> list[str]:
        return [p for p in map(self.path, words) if p is not None]

    def path_or_cwd(self, words: list[str]) -> str:
        """The first of ``words`` as a path (``make -C DIR``); the cwd without one."""
        return self.path(words[0] if words else "") or self.cwd


Handler = Callable[[Ctx, str, list[str]], list[Acc]]


def acc(name: str, kind: Kind, reads=(), writes=(), executes=(), **kw) -> list[Acc]:
    return [Acc(name, kind, list(reads), list(writes), list(executes), **kw)]


class Opts:
    """Options and operands of an argument list (GNU conventions)."""

    __slots__ = ("flags", "operands")

    def __init__(self, flags: list[tuple[str, str | None]], operands: list[str]):
        self.flags = flags
        self.operands = operands

    def has(self, *names: str) -> bool:
        return any(f in names for f, _ in self.flags)

    def values(self, *names: str) -> list[str]:
        return [v for f, v in self.flags if f in names and v is not None]


def opts(
    args: list[str],
    values: Iterable[str] = (),
    *,
    stop_at_operand: bool = False,
) -> Opts:
    """Split ``args`` into options and operands.

    ``values`` names the options taking a value (``-n``, ``--lines``); short options
    cluster (``-rn``), a short option's value may be attached (``-n5``), a long one's
    may follow ``=``. ``--`` ends the options; ``stop_at_operand`` ends them at the first
    operand too (for wrappers: ``sudo -u x cmd -flag``).
    """
    takes = frozenset(values)
    flags: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if a.startswith("--") and len(a) > 2:
            if "=" in a:
                k, v = a.split("=", 1)
                flags.append((k, v))
            elif a in takes and i + 1 < n:
                flags.append((a, args[i + 1]))
                i += 1
            else:
                flags.append((a, None))
        elif a.startswith("-") and len(a) > 1:
            for j in range(1, len(a)):
                f = "-" + a[j]
                if f in takes:
                    v = a[j + 1 :]
                    if not v and i + 1 < n:
                        v = args[i + 1]
                        i += 1
                    flags.append((f, v))
                    break
                flags.append((f, None))
        else:
            operands.append(a)
            if stop_at_operand:
                operands.extend(args[i + 1 :])
                break
        i += 1
    return Opts(flags, operands)
