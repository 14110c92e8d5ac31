"""Archives and compression: list or test (inspect, verify), extract or create (act)."""

from __future__ import annotations

import dataclasses

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles


@handles("tar", "bsdtar", "gtar")
def _h_tar(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    if args and not args[0].startswith("-"):
        args = ["-" + args[0], *args[1:]]  # old-style bundled `tar xzf a.tgz`
    o = opts(
        args,
        word_set(
            "-f -C -T -X -b -N -I --file --directory --files-from --exclude-from "
            "--exclude --use-compress-program --transform --strip-components "
            "--owner --group --mode --newer --blocking-factor -H --format"
        ),
    )
    archive = ctx.paths(o.values("-f", "--file"))
    directory = ctx.path_or_cwd(o.values("-C", "--directory"))
    sub = dataclasses.replace(ctx, cwd=directory)
    if o.has("-t", "--list", "-d", "--diff", "--compare"):
        return acc(name, "inspect", archive)
    if o.has("-x", "--extract", "--get"):
        if o.has("-O", "--to-stdout"):
            return acc(name, "inspect", archive)
        return acc(name, "act", archive, [directory])
    if o.has("-c", "--create", "-r", "--append", "-u", "--update", "--delete"):
        return acc(name, "act", sub.paths(o.operands), archive)
    return acc(name, "unknown", archive)


@handles("unzip")
def _h_unzip(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-d -x -P -O -I"))
    archive = ctx.paths(o.operands[:1])
    if o.has("-l", "-v", "-Z", "-p", "-c", "-z"):
        return acc(name, "inspect", archive)
    if o.has("-t"):
        return acc(name, "verify", archive)
    return acc(name, "act", archive, ctx.paths(o.values("-d")) or [ctx.cwd])


@handles("zip")
def _h_zip(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-x -i -b -n -t -tt -P -O --out"))
    if o.has("-T") and len(o.operands) == 1:
        return acc(name, "verify", ctx.paths(o.operands))
    return acc(name, "act", ctx.paths(o.operands[1:]), ctx.paths(o.operands[:1]))


@handles("7z", "7za", "7zr")
def _h_7z(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    sub = args[0] if args else ""
    rest = [w for w in args[1:] if not w.startswith("-")]
    outdir = [a[2:] for a in args if a.startswith("-o")]
    if sub in ("l", "i", "h"):
        return acc(name, "inspect", ctx.paths(rest[:1]))
    if sub == "t":
        return acc(name, "verify", ctx.paths(rest[:1]))
    if sub in ("x", "e"):
        return acc(name, "act", ctx.paths(rest[:1]), ctx.paths(outdir) or [ctx.cwd])
    return acc(name, "act", ctx.paths(rest[1:]), ctx.paths(rest[:1]))


@handles(
    "gzip",
    "gunzip",
    "bzip2",
    "bunzip2",
    "xz",
    "unxz",
    "zstd",
    "unzstd",
    "lz4",
    "compress",
    "uncompress",
    "pigz",
    "lzma",
)
def _h_compress(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-S --suffix -o -T --threads -b -L --format"))
    files = ctx.paths(o.operands)
    if o.has("-l", "--list"):
        return acc(name, "inspect", files)
    if o.has("-t", "--test"):
        return acc(name, "verify", files)
    if o.has("-c", "--stdout", "--to-stdout") or not files:
        out = ctx.paths(o.values("-o"))
        return acc(name, "act" if out else "inspect", files, out)
    return acc(name, "act", writes=files + ctx.paths(o.values("-o")))
