"""Dispatch and the entry points: one action -> the records of its simple commands.

- :func:`classify`, :func:`classify_action`: the public entry points.
- :func:`dispatch`: one argv -> its handler's result (the registry is looked up here).
- :func:`inner_command`, :func:`recurse`: what wrappers and interpreters use to classify
  the command they run (an argv, or a shell string parsed recursively).
- :func:`run_script`, :func:`script_kind`: running a program or script named by a path.

The handlers live in the domain modules and reach this module through
:func:`dispatch`; the driver finds them through :mod:`.registry`, so it imports no
domain module.
"""

from __future__ import annotations

import dataclasses
import logging
import posixpath
import re
from functools import lru_cache

from terminal_gym.egs.classify.core import (
    HOME,
    Acc,
    ActionRecord,
    CommandLabel,
    CommandRecord,
    Ctx,
    Kind,
    acc,
    dedupe,
    normalize_path,
    word_set,
)
from terminal_gym.egs.classify.registry import lookup
from terminal_gym.egs.parse import CACHE_MAX_CHARS, CACHE_SIZE, SimpleCommand, parse

logger = logging.getLogger("terminal_gym.egs.classify")
_MAX_DEPTH = 4  # nesting of bash -c / eval / watch strings

# --------------------------------------------------------------------------- dispatch


def dispatch(ctx: Ctx, argv: list[str]) -> list[Acc]:
    """Classify one argv (after wrappers are stripped by their own handlers)."""
    if not argv:
        return []
    prog = argv[0]
    base = prog.rsplit("/", 1)[-1] if "/" in prog else prog
    canonical = _canonical(base)
    if len(argv) == 2 and argv[1] in _HELP_FLAGS:
        return acc(canonical, "inspect")  # `rm --help`, `node --version`: reading docs
    handler = lookup(canonical)
    if handler is not None:
        return handler(ctx, canonical, argv[1:])
    if "/" in prog:  # a program named by its path: running it is acting on it
        return run_script(ctx, prog, prog, argv[1:])
    if len(argv) == 2 and argv[1] in _VERSION_FLAGS:
        return acc(base, "inspect")
    return acc(base, "unknown")


_HELP_FLAGS = frozenset({"--version", "--help", "-version", "--usage", "-help"})


_VERSION_FLAGS = _HELP_FLAGS | {"-h", "-V"}  # for programs not in the tables


_PYTHON = re.compile(r"^python[\d.]*$")


_PIP = re.compile(r"^pip[\d.]*$")


def _canonical(base: str) -> str:
    if _PYTHON.match(base) or base == "py":
        return "python"
    if _PIP.match(base):
        return "pip"
    return base


def inner_command(ctx: Ctx, argv: list[str], fallback_name: str, fallback: Kind) -> list[Acc]:
    """Classify the command a wrapper runs; with none, the wrapper itself as ``fallback``."""
    return dispatch(ctx, argv) if argv else acc(fallback_name, fallback)


def recurse(ctx: Ctx, text: str, fallback_name: str) -> list[Acc]:
    """Classify a shell string (``bash -c``, ``eval``, a piped script) recursively."""
    if ctx.depth >= _MAX_DEPTH:
        return acc(fallback_name, "unknown")
    records, _cwd, _err = _classify_text(text, ctx.cwd, ctx.depth + 1)
    if not records:
        return acc(fallback_name, "unknown")
    return [
        Acc(
            r.name,
            r.kind,
            list(r.reads),
            list(r.modifies),
            list(r.executes),
            r.lists,
            r.local_probe,
            r.text,
        )
        for r in records
    ]


_TESTY_SCRIPT = re.compile(
    r"^(?:test_[\w.-]*|[\w.-]*_tests?|tests?|run_?tests?|runtests|check_[\w.-]*|[\w.-]*_check"
    r"|verify[\w.-]*)\.(?:py|sh|bash|js|mjs|ts|rb|pl)$"
)


def script_kind(script: str, args: list[str]) -> Kind:
    """Running a script is act, unless it is named like a test (``test_x.py``)."""
    base = posixpath.basename(script)
    if _TESTY_SCRIPT.match(base) or (base == "manage.py" and args[:1] == ["test"]):
        return "verify"
    return "act"


def run_script(ctx: Ctx, name: str, script: str, args: list[str]) -> list[Acc]:
    """``name`` runs the program or script ``script``: it executes that path."""
    path = ctx.path(script)
    return acc(name, script_kind(script, args), executes=[path] if path else [])


# --------------------------------------------------------------------------- driver


def _classify_simple(sc: SimpleCommand, ctx: Ctx) -> list[CommandRecord]:
    out_writes: list[str] = []
    in_reads: list[str] = []
    stdin_text = ctx.stdin_text
    stdin_file: str | None = None
    for r in sc.redirects:
        if r.op in ("<<", "<<-", "<<<"):
            stdin_text = r.text or ""
        elif r.target is None:
            continue
        elif r.op in ("<", "<&"):
            p = ctx.path(r.target)
            if p:
                in_reads.append(p)
                stdin_file = p
        elif r.op == "<>":
            p = ctx.path(r.target)
            if p:
                in_reads.append(p)
                out_writes.append(p)
        else:
            p = ctx.path(r.target)
            if p:
                out_writes.append(p)
    ctx = dataclasses.replace(ctx, stdin_text=stdin_text, stdin_file=stdin_file)
    if sc.words:
        accs = dispatch(ctx, list(sc.words))
    elif out_writes:
        accs = acc("(redirect)", "act")  # `> file` truncates or creates it
    else:
        accs = []
    if accs:
        main = accs[0]
        main.reads.extend(p for p in in_reads if p not in main.executes)
        if out_writes:
            main.writes.extend(out_writes)
            if main.kind != "verify":
                main.kind = "act"
    return [
        CommandRecord(
            name=a.name,
            kind=a.kind,
            reads=dedupe(a.reads),
            modifies=dedupe(a.writes),
            executes=dedupe(a.executes),
            text=a.text if a.text is not None else sc.text,
            lists=a.lists,
            local_probe=a.local_probe,
        )
        for a in accs
    ]


def _cd(words: tuple[str, ...], cwd: str, oldpwd: str) -> str:
    args = [w for w in words[1:] if w not in word_set("-L -P -e -@ --")]
    if words[0] == "popd":
        return cwd  # the directory stack is not tracked
    if not args:
        return HOME if words[0] == "cd" else cwd
    if args[0] == "-":
        return oldpwd
    return normalize_path(args[0], cwd) or cwd


def _pipe_text(sc: SimpleCommand) -> str | None:
    """What ``echo``/``printf`` feed into the next part of a pipeline."""
    if sc.words and sc.words[0] in ("echo", "printf"):
        return " ".join(
            w for w in sc.words[1:] if not (sc.words[0] == "echo" and w in ("-e", "-n"))
        )
    return None


def _classify_text(
    command: str, cwd: str, depth: int
) -> tuple[tuple[CommandRecord, ...], str, bool]:
    parsed = parse(command)
    cwds: dict[tuple[int, ...], str] = {(): cwd}
    oldpwd = cwd
    records: list[CommandRecord] = []
    pipe_verified: dict[int, bool] = {}
    prev_part: dict[int, SimpleCommand] = {}
    for sc in parsed.commands:
        scope = sc.scope
        here = next(cwds[scope[:k]] for k in range(len(scope), -1, -1) if scope[:k] in cwds)
        if sc.words and sc.words[0] in ("cd", "pushd", "popd"):
            new = _cd(sc.words, here, oldpwd)
            oldpwd = here
            cwds[scope] = new
            records.append(CommandRecord(sc.words[0], "unknown", (), (), (), sc.text))
            continue
        after_verify = False
        piped: str | None = None
        if sc.pipeline is not None:
            pid, idx = sc.pipeline
            after_verify = pipe_verified.get(pid, False)
            if idx > 0 and pid in prev_part:
                piped = _pipe_text(prev_part[pid])
            prev_part[pid] = sc
        ctx = Ctx(here, depth, stdin_text=piped, after_verify=after_verify)
        recs = _classify_simple(sc, ctx)
        if sc.pipeline is not None and any(r.kind == "verify" for r in recs):
            pipe_verified[sc.pipeline[0]] = True
        records.extend(recs)
    return tuple(records), cwds[()], parsed.error


def _normalize_cwd(cwd: str) -> str:
    return normalize_path(cwd, "/") or "/"


def classify_action(command: str, cwd: str = "/") -> ActionRecord:
    """Classify one action into :class:`CommandRecord` s. Never raises.

    Results for short actions are cached per ``(command, cwd)`` (see
    :data:`terminal_gym.egs.parse.CACHE_SIZE`); long ones (heredocs) are not.
    """
    if isinstance(command, str) and len(command) <= CACHE_MAX_CHARS:
        return _classify_action_cached(command, cwd)
    return _classify_action(command, cwd)


@lru_cache(maxsize=CACHE_SIZE)
def _classify_action_cached(command: str, cwd: str) -> ActionRecord:
    return _classify_action(command, cwd)


def _classify_action(command: str, cwd: str) -> ActionRecord:
    cwd = _normalize_cwd(cwd)
    try:
        records, end_cwd, error = _classify_text(command, cwd, 0)
    except Exception:  # a table bug must not take an episode down, but must be seen
        logger.warning("EGS: could not classify %r", command, exc_info=True)
        return ActionRecord((), cwd, True)
    return ActionRecord(records, end_cwd, error)


def classify(command: str, cwd: str = "/") -> tuple[CommandLabel, ...]:
    """Label the simple commands of one action.

    Args:
        command: one action, as typed (pipelines, lists, heredocs...).
        cwd: the shell's working directory when it ran; relative paths resolve
            against it, and against the targets of ``cd`` inside the action.

    Returns:
        One :class:`CommandLabel` per simple command, in execution order; empty for
        blank, comment-only or unparseable input.

    Example:
        >>> [(c.name, c.kind, c.writes) for c in classify("sed -i 's/a/b/' x.py", "/app")]
        [('sed', 'act', ('/app/x.py',))]
    """
    return tuple(r.label() for r in classify_action(command, cwd).commands)
