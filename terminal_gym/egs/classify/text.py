"""Text tools: printing, searching, filtering and transforming text.

``echo``, ``grep``/``rg``, ``sed``, ``awk``, ``jq``, ``sort``, ``uniq`` inspect what
they read, and act when they edit in place (``sed -i``, ``awk -i inplace``, ``yq -i``)
or write an output file (``sort -o``, ``uniq IN OUT``). ``echo $?`` verifies.
"""

from __future__ import annotations

import re

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles


@handles("echo", "printf")
def _h_echo(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    checks_status = any("$?" in a or "PIPESTATUS" in a for a in args)
    return acc(name, "verify" if checks_status else "inspect")


_GREP_VALUES = word_set(
    "-e -f -m -A -B -C -d -D --include --exclude --exclude-dir --label "
    "--context --regexp --file --max-count --after-context --before-context "
    "--color --colour -g -t -T -M -j -E -r --glob --type --type-not "
    "--max-depth --replace --ignore-file -G --ignore-dir --max-columns "
    "--sort --engine --encoding --threads"
)


_RECURSIVE_BY_DEFAULT = frozenset({"rg", "ag", "ack", "ack-grep"})


@handles("grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack", "ack-grep")
def _h_grep(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    values = [
        v
        for v in _GREP_VALUES
        if not (
            name in ("grep", "egrep", "fgrep", "zgrep") and v in word_set("-E -r -g -t -T -M -j")
        )
    ]
    o = opts(args, values)
    operands = o.operands
    pattern_given = o.has("-e", "-f", "--regexp", "--file")
    paths = operands if pattern_given else operands[1:]
    reads = ctx.paths(paths) + ctx.paths(o.values("-f", "--file"))
    recursive = name in _RECURSIVE_BY_DEFAULT or o.has(
        "-r", "-R", "--recursive", "--dereference-recursive"
    )
    if not paths and recursive and not ctx.stdin_text:
        reads.append(ctx.cwd)
    return acc(name, "inspect", reads)


@handles("sed", "gsed")
def _h_sed(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    in_place = False
    script_given = False
    reads: list[str] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            key = a.split("=", 1)[0]
            if key == "--in-place":
                in_place = True
            elif key in ("--expression", "--file"):
                script_given = True
                if "=" not in a:
                    i += 1
                if key == "--file":
                    reads.extend(ctx.paths([a.split("=", 1)[1] if "=" in a else args[i]]))
            elif key in ("--line-length",) and "=" not in a:
                i += 1
        elif a.startswith("-") and len(a) > 1:
            for j in range(1, len(a)):
                f = a[j]
                if f == "i":
                    in_place = True
                    break  # the rest of the cluster is a backup suffix
                if f in "ef":
                    script_given = True
                    value = a[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    if not a[j + 1 :]:
                        i += 1
                    if f == "f":
                        reads.extend(ctx.paths([value]))
                    break
                if f == "l":
                    if not a[j + 1 :]:
                        i += 1
                    break
        else:
            operands.append(a)
        i += 1
    files = [w for w in (operands if script_given else operands[1:]) if w]
    if in_place:
        return acc(name, "act", reads, ctx.paths(files))
    return acc(name, "inspect", reads + ctx.paths(files))


@handles("awk", "gawk", "mawk", "nawk")
def _h_awk(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-f -v -F -i -l -E --file --assign --field-separator --include --load"))
    progs = o.values("-f", "--file", "-E")
    operands = o.operands if progs else o.operands[1:]
    files = [w for w in operands if not re.match(r"^[A-Za-z_]\w*=", w)]
    reads = ctx.paths(progs)
    if "inplace" in o.values("-i", "--include"):
        return acc(name, "act", reads, ctx.paths(files))
    program = " ".join(o.operands[:1]) if not progs else ""
    m = re.findall(r"""(?:print|printf)[^;{}]*?>>?\s*"([^"]+)\"""", program)
    if m:
        return acc(name, "act", reads + ctx.paths(files), ctx.paths(m))
    return acc(name, "inspect", reads + ctx.paths(files))


@handles("jq", "yq", "gojq")
def _h_jq(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    two = {"--arg", "--argjson", "--slurpfile", "--rawfile"}
    rest: list[str] = []
    reads: list[str] = []
    filter_given = False
    i = 0
    while i < len(args):
        a = args[i]
        if a in two:
            if a in ("--slurpfile", "--rawfile") and i + 2 < len(args):
                reads.extend(ctx.paths([args[i + 2]]))
            i += 3
            continue
        if a in ("-f", "--from-file") and i + 1 < len(args):
            reads.extend(ctx.paths([args[i + 1]]))
            filter_given = True
            i += 2
            continue
        if a in ("--indent", "-L", "--tab-width"):
            i += 2
            continue
        if not a.startswith("-") or a == "-":
            rest.append(a)
        i += 1
    files = rest if filter_given else rest[1:]
    if name == "yq" and any(a in ("-i", "--inplace") for a in args):
        return acc(name, "act", reads, ctx.paths(files))
    return acc(name, "inspect", reads + ctx.paths(files))


@handles("sort")
def _h_sort(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-k -t -o -S -T --key --field-separator --output --buffer-size "
            "--temporary-directory --parallel --files0-from --batch-size --sort "
            "--random-source"
        ),
    )
    out = ctx.paths(o.values("-o", "--output"))
    return acc(name, "act" if out else "inspect", ctx.paths(o.operands), out)


@handles("uniq", "xxd")
def _h_in_out(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """``uniq [IN [OUT]]``, ``xxd [IN [OUT]]``: the second operand is written."""
    values = {"uniq": ("-f", "-s", "-w"), "xxd": word_set("-c -g -l -s -o -n -C")}
    o = opts(args, values.get(name, ()))
    reads = ctx.paths(o.operands[:1])
    writes = ctx.paths(o.operands[1:2])
    return acc(name, "act" if writes else "inspect", reads, writes)
