"""Programs driven by subcommands (``cargo test``, ``apt install``, ``kubectl get``).

A :class:`Tool` says which subcommands verify, which inspect, which run another
command or a project script, and what everything else does; :func:`run_tool`
classifies one command line against it. The tables themselves live with their
domains (:mod:`.packages`, :mod:`.build`, :mod:`.services`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, acc, opts, word_set
from terminal_gym.egs.classify.driver import inner_command, run_script

_TESTY_SCRIPT_NAME = re.compile(
    r"(?:^|[:_-])(?:test|tests|spec|check|lint|typecheck|type-check|tsc|verify|e2e|ci)(?:$|[:_-])"
)


@dataclass(frozen=True)
class Tool:
    """A program driven by subcommands (``cargo test``, ``apt install``...)."""

    verify: frozenset[str] = frozenset()
    inspect: frozenset[str] = frozenset()
    inner: frozenset[str] = frozenset()  # subcommands that run another command
    scripts: frozenset[str] = frozenset()  # subcommands that run a named project script
    default: Kind = "act"  # any other subcommand
    bare: Kind = "act"  # no subcommand at all
    values: Iterable[str] = ()  # global options taking a value
    manifest: str | None = None  # instruction file in the project dir its acts execute
    dry: Iterable[str] = ()  # flags that make any subcommand a look-only run
    checks: Iterable[str] = ()  # flags that make any subcommand a check (`--check`)
    script_shorthand: bool = False  # `yarn lint`: an unknown subcommand names a script
    runs_files: bool = False  # `go run main.go`: `run FILE` executes that file


def _subcommand(tool: Tool, args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand and its arguments; a look-only global flag (``-V``) counts as one."""
    o = opts(args, tool.values, stop_at_operand=True)
    flags = [f for f, _ in o.flags]
    for f in flags:
        if f in tool.inspect or f in tool.verify:
            return f, o.operands
    if not o.operands:
        return None, []
    return o.operands[0], o.operands[1:]


def run_tool(ctx: Ctx, name: str, tool: Tool, args: list[str]) -> list[Acc]:
    """Classify ``name ARGS`` by the subcommand rules of ``tool``."""
    sub, rest = _subcommand(tool, args)
    label = f"{name} {sub}" if sub and not sub.startswith("-") else name
    manifest = ctx.paths([tool.manifest]) if tool.manifest else []
    if sub is None:
        return acc(name, tool.bare, executes=manifest if tool.bare == "act" else [])
    if sub in tool.inner:
        o = opts(
            rest, word_set("-n --name -p --prefix --env -e --with --python"), stop_at_operand=True
        )
        return inner_command(ctx, o.operands, label, "act")
    if sub in tool.scripts:
        return _project_script(label, rest, manifest)
    return _plain_subcommand(ctx, tool, label, sub, args, rest, manifest)


def _project_script(label: str, rest: list[str], manifest: list[str]) -> list[Acc]:
    """``npm run NAME``: verify when the script is named like a check, else act."""
    script = next((w for w in rest if not w.startswith("-")), "")
    if not script:
        return acc(label, "inspect")  # `npm run` lists the scripts
    kind: Kind = "verify" if _TESTY_SCRIPT_NAME.search(script) else "act"
    return acc(f"{label} {script}", kind, executes=manifest)


def _plain_subcommand(
    ctx: Ctx,
    tool: Tool,
    label: str,
    sub: str,
    args: list[str],
    rest: list[str],
    manifest: list[str],
) -> list[Acc]:
    """A subcommand that neither wraps a command nor names a project script."""
    flags = set(args)
    if tool.dry and flags & set(tool.dry):
        return acc(label, "inspect")
    if sub in tool.verify or (tool.checks and flags & set(tool.checks)):
        return acc(label, "verify", [ctx.cwd])
    if sub in tool.inspect:
        return acc(label, "inspect")
    if tool.script_shorthand and _TESTY_SCRIPT_NAME.search(sub):
        return acc(label, "verify", [ctx.cwd])  # `yarn lint`, `pnpm test:unit`
    if tool.runs_files and sub == "run":
        script = next((w for w in rest if not w.startswith("-")), "")
        if script.endswith((".go", ".ts", ".js", ".mjs", ".tsx")):
            return run_script(ctx, label, script, [])
    if tool.default == "act":
        paths = ctx.paths(w for w in rest if w.startswith(("./", "/", "../")) or w == ".")
        return acc(label, "act", executes=manifest, writes=paths)
    return acc(label, tool.default)
