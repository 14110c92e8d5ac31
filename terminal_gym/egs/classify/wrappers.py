"""Wrappers: commands that run another command, classified as the command they run.

``sudo``, ``env``, ``time``, ``timeout``, ``nohup``, ``nice``, ``xargs``, ``watch``,
``eval``, ``su -c``, ``flock``, ``chroot``, ``strace``, ``script`` and friends. Their
own options are skipped; what remains is dispatched again (or parsed again, for the
shell strings of ``watch``, ``eval`` and ``su -c``).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterable

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.driver import dispatch, inner_command, recurse
from terminal_gym.egs.classify.registry import handles


@handles("sudo", "doas")
def _w_sudo(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-u -g -p -C -D -r -t -U -T --user --group"), stop_at_operand=True)
    if not o.operands:
        return acc(name, "inspect" if o.has("-l", "--list", "-V", "--version", "-h") else "unknown")
    return dispatch(ctx, o.operands)


@handles("env")
def _w_env(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-u -C -S -P --unset --chdir --split-string"), stop_at_operand=True)
    rest = o.operands
    while rest and "=" in rest[0] and not rest[0].startswith("="):
        rest = rest[1:]
    for chdir in o.values("-C", "--chdir"):
        target = ctx.path(chdir)
        if target:
            ctx = dataclasses.replace(ctx, cwd=target)
    for split in o.values("-S", "--split-string"):
        try:
            rest = shlex.split(split) + rest
        except ValueError:
            rest = split.split() + rest
    return inner_command(ctx, rest, name, "inspect")  # plain `env` prints the environment


def _skip_then(
    ctx: Ctx, name: str, args: list[str], n_operands: int, values: Iterable[str] = ()
) -> list[Acc]:
    """Skip options (``values`` take one) and ``n_operands`` operands; classify the rest."""
    o = opts(args, values, stop_at_operand=True)
    return inner_command(ctx, o.operands[n_operands:], name, "unknown")


@handles(
    "nohup",
    "unbuffer",
    "fakeroot",
    "catchsegv",
    "dbus-run-session",
    "proxychains",
    "proxychains4",
    "chronic",
    "caffeinate",
)
def _w_plain(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Wrappers whose options are all flags: ``nohup CMD``."""
    return _skip_then(ctx, name, args, 0)


@handles("nice")
def _w_nice(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return _skip_then(ctx, name, args, 0, ("-n", "--adjustment"))


@handles("ionice")
def _w_ionice(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return _skip_then(ctx, name, args, 0, word_set("-c -n -t --class --classdata"))


@handles("stdbuf")
def _w_stdbuf(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return _skip_then(ctx, name, args, 0, word_set("-i -o -e --input --output --error"))


@handles("timeout", "gtimeout")
def _w_timeout(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """``timeout [OPTS] DURATION CMD``: the duration is an operand before the command."""
    return _skip_then(ctx, name, args, 1, ("-s", "-k", "--signal", "--kill-after"))


@handles("taskset", "chrt")
def _w_cpu(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """``taskset MASK CMD``, ``chrt PRIO CMD``."""
    return _skip_then(ctx, name, args, 1)


@handles("xvfb-run")
def _w_xvfb_run(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    values = word_set("-n -s -e -f -p -w -l --server-num --server-args --error-file --auth-file")
    return _skip_then(ctx, name, args, 0, values)


@handles("time")
def _w_time(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("-f", "-o", "--format", "--output"), stop_at_operand=True)
    out = inner_command(ctx, o.operands, name, "unknown")
    logs = ctx.paths(o.values("-o", "--output"))
    if logs and out:
        out[0].writes.extend(logs)
    return out


@handles("command", "builtin")
def _w_command(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, stop_at_operand=True)
    if o.has("-v", "-V"):
        return acc(name, "inspect")
    return inner_command(ctx, o.operands, name, "unknown")


@handles("exec")
def _w_exec(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("-a",), stop_at_operand=True)
    return inner_command(ctx, o.operands, name, "unknown")


@handles("xargs")
def _w_xargs(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-a -d -E -I -L -n -P -s --arg-file --delimiter --max-args --max-procs "
            "--max-lines --max-chars --eof"
        ),
        stop_at_operand=True,
    )
    out = dispatch(ctx, o.operands or ["echo"])
    if out:
        out[0].reads.extend(ctx.paths(o.values("-a", "--arg-file")))
    return out


@handles("watch")
def _w_watch(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-n -d --interval -q --differences"), stop_at_operand=True)
    if not o.operands:
        return acc(name, "unknown")
    return recurse(ctx, " ".join(o.operands), name)


@handles("eval")
def _w_eval(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    return recurse(ctx, " ".join(args), name) if args else acc(name, "unknown")


@handles("su", "runuser")
def _w_su(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-c --command -s --shell -g -G -u --user"))
    for cmd in o.values("-c", "--command"):
        return recurse(ctx, cmd, name)
    if name == "runuser" and o.operands:
        return dispatch(ctx, o.operands)
    return acc(name, "unknown")


@handles("flock")
def _w_flock(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args, word_set("-w -E -c --timeout --command --conflict-exit-code"), stop_at_operand=True
    )
    for cmd in o.values("-c", "--command"):
        return recurse(ctx, cmd, name)
    return inner_command(ctx, o.operands[1:], name, "unknown")


@handles("chroot")
def _w_chroot(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("--userspec", "--groups"), stop_at_operand=True)
    if not o.operands:
        return acc(name, "unknown")
    root = ctx.path(o.operands[0]) or "/"
    return inner_command(dataclasses.replace(ctx, cwd=root), o.operands[1:], name, "unknown")


@handles("strace", "ltrace")
def _w_strace(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-o -e -p -s -u -E -P -a -I -b -O -S"), stop_at_operand=True)
    if not o.operands:
        return acc(name, "inspect")  # attaching to a running pid (-p) observes it
    return dispatch(ctx, o.operands)


@handles("setsid", "numactl", "valgrind", "firejail")
def _w_generic(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Wrappers whose options are all flags or ``--opt=value``."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        rest.pop(0)
    return inner_command(ctx, rest, name, "unknown")


@handles("script")
def _w_script(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-c --command -T -I -O -B -E -m"))
    for cmd in o.values("-c", "--command"):
        out = recurse(ctx, cmd, name)
        out[0].writes.extend(ctx.paths(o.operands[:1]))
        return out
    return acc(name, "act", writes=ctx.paths(o.operands[:1]))
