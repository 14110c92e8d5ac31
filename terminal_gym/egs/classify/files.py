"""Files: reading, listing, finding, copying, moving, deleting, permissions.

Readers (``cat``, ``head``, ``ls``, ``diff``...) inspect the paths they are given;
listers (``ls``, ``tree``) mark their reads as listings. ``find`` inspects and
classifies its ``-exec`` command too. Commands that create, change or delete files
(``cp``, ``mv``, ``rm``, ``mkdir``, ``chmod``, ``ln``, ``dd``, ``rsync``, ``patch``...)
act. ``test``/``[``/``[[`` verify.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterable

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, acc, opts, word_set
from terminal_gym.egs.classify.driver import dispatch
from terminal_gym.egs.classify.registry import handles

# per-command options taking a value, for commands whose operands are all read paths
_READ_ALL: dict[str, Iterable[str]] = {
    "cat": (),
    "tac": ("-s", "--separator"),
    "nl": word_set("-b -d -f -h -i -l -n -s -v -w"),
    "less": word_set("-b -h -j -k -o -O -p -P -t -T -x -y -z"),
    "more": ("-n",),
    "most": (),
    "head": ("-n", "-c", "--lines", "--bytes"),
    "tail": word_set("-n -c -s --lines --bytes --pid --sleep-interval"),
    "bat": word_set("-l -r -H --language --line-range --highlight-line --style"),
    "batcat": word_set("-l -r -H --language --line-range --highlight-line --style"),
    "wc": ("--files0-from",),
    "stat": ("-c", "--format", "--printf"),
    "file": word_set("-m -f -F -e -P"),
    "du": word_set("-d -B -t -X --max-depth --exclude --block-size --threshold"),
    "df": word_set("-B -t -x --block-size --type --exclude-type --output"),
    "readlink": (),
    "realpath": ("--relative-to", "--relative-base"),
    "md5sum": (),
    "sha1sum": (),
    "sha224sum": (),
    "sha256sum": (),
    "sha384sum": (),
    "sha512sum": (),
    "b2sum": ("-l",),
    "shasum": ("-a",),
    "cksum": ("-a",),
    "sum": (),
    "od": word_set("-A -t -j -N -w -S"),
    "hexdump": ("-n", "-s", "-e", "-f"),
    "hd": ("-n", "-s", "-e", "-f"),
    "strings": ("-n", "-t", "-e"),
    "cut": word_set("-d -f -c -b --delimiter --fields --characters --bytes --output-delimiter"),
    "paste": ("-d", "--delimiters"),
    "column": word_set("-s -c -o -N -R -H -W -E -O -n -r"),
    "fold": ("-w", "--width"),
    "fmt": ("-w", "-p", "--width", "--prefix"),
    "rev": (),
    "comm": ("--output-delimiter",),
    "join": word_set("-t -j -1 -2 -o -e -a -v"),
    "expand": ("-t",),
    "unexpand": ("-t",),
    "base64": ("-w", "--wrap"),
    "base32": ("-w", "--wrap"),
    "zcat": (),
    "zless": (),
    "zmore": (),
    "bzcat": (),
    "xzcat": (),
    "lzcat": (),
    "zstdcat": (),
    "lsattr": (),
    "getfacl": (),
    "namei": (),
    "ldd": (),
    "nm": ("-t", "--format", "--radix"),
    "objdump": word_set("-j -M --section --start-address --stop-address"),
    "readelf": word_set("-x -p -R --hex-dump --string-dump"),
    "size": (),
    "cmp": ("-i", "-n", "--ignore-initial", "--bytes"),
    "diff": word_set(
        "-U -C -x -X -I -F -L -W --label --exclude --exclude-from "
        "--ignore-matching-lines --from-file --to-file --width --unified "
        "--context --line-format"
    ),
    "diff3": ("-L", "--label"),
    "sdiff": ("-o", "-w", "--output", "--width"),
    "colordiff": word_set("-U -C -x -X -I --label --exclude"),
    "delta": (),
    "tr": (),
    "identify": (),
    "exiftool": (),
    "pdfinfo": (),
    "jsonlint": (),
    "xmllint": ("--xpath", "--schema", "--relaxng", "--dtdvalid"),
    "csvlook": ("-d",),
    "csvstat": ("-d", "-c"),
    "json_pp": ("-f", "-t", "-json_opt"),
    "ncdu": ("-o", "-f", "-X", "--exclude"),
    "tree": word_set("-L -P -I -o -H --charset --filelimit --sort"),
    "ls": word_set(
        "-I -w -T --ignore --hide --width --tabsize --sort --time --format "
        "--block-size --quoting-style --indicator-style --time-style"
    ),
    "ll": (),
    "la": (),
    "l": (),
    "dir": word_set("-I -w -T --ignore --hide --width"),
    "vdir": word_set("-I -w -T --ignore --hide --width"),
    "exa": word_set("-L -I --level --ignore-glob --sort --color"),
    "eza": word_set("-L -I --level --ignore-glob --sort --color"),
    "lsd": ("--depth", "-I", "--ignore-glob", "--color"),
}


_LISTERS = frozenset({"ls", "ll", "la", "l", "dir", "vdir", "exa", "eza", "lsd", "tree", "ncdu"})


_CWD_DEFAULT = frozenset({"du", "tree", "ncdu"}) | _LISTERS


_CHECKSUMS = frozenset(
    {
        "md5sum",
        "sha1sum",
        "sha224sum",
        "sha256sum",
        "sha384sum",
        "sha512sum",
        "b2sum",
        "shasum",
        "cksum",
    }
)


@handles(*_READ_ALL)
def _h_read_all(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, _READ_ALL[name])
    operands = [w for w in o.operands if not (name in ("less", "more") and w.startswith("+"))]
    reads = ctx.paths(operands)
    if name in ("diff", "sdiff", "colordiff"):
        reads += ctx.paths(o.values("--from-file", "--to-file"))
    if not operands and name in _CWD_DEFAULT:
        reads = [ctx.cwd]
    kind: Kind = "inspect"
    writes: list[str] = []
    checksum_check = name in _CHECKSUMS and o.has("-c", "--check")
    if checksum_check or (name == "xmllint" and o.has("--noout") and not o.has("--xpath")):
        kind = "verify"
    elif name in ("tree", "sdiff") and o.values("-o", "--output"):
        writes = ctx.paths(o.values("-o", "--output"))
        kind = "act"
    return acc(name, kind, reads, writes, lists=name in _LISTERS)


_TEST_FILE_OPS = word_set("-e -f -d -s -r -w -x -L -h -b -c -p -S -g -u -k -O -G -N")


@handles("test", "[", "[[")
def _h_test(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    reads = [args[i + 1] for i, a in enumerate(args[:-1]) if a in _TEST_FILE_OPS]
    reads += [
        w for i, a in enumerate(args) if a in ("-nt", "-ot", "-ef") for w in args[i - 1 : i + 2 : 2]
    ]
    return acc(name, "verify", ctx.paths(reads))


_FIND_VALUE_TESTS = word_set(
    "-name -iname -path -ipath -wholename -iwholename -regex -iregex -type -xtype "
    "-maxdepth -mindepth -size -mtime -mmin -atime -amin -ctime -cmin -newer -anewer "
    "-cnewer -user -group -uid -gid -perm -printf -links -inum -samefile -fstype "
    "-regextype -used -context -newermt -newerct -newerat -D -O"
)


@handles("find")
def _h_find(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    i = 0
    while i < len(args) and args[i] in ("-H", "-L", "-P"):
        i += 1
    starts: list[str] = []
    while i < len(args) and not args[i].startswith(("-", "(", "!", ")")):
        starts.append(args[i])
        i += 1
    roots = ctx.paths(starts) or [ctx.cwd]
    expr = args[i:]
    names = [expr[j + 1] for j, a in enumerate(expr[:-1]) if a in ("-name", "-iname")]
    spread = [f"{r.rstrip('/')}/**" + (f"/{names[0]}" if names else "") for r in roots]
    main = Acc(name, "inspect", list(roots), lists=False)
    out = [main]
    j = 0
    while j < len(expr):
        a = expr[j]
        if a in ("-exec", "-execdir", "-ok", "-okdir"):
            k = j + 1
            while k < len(expr) and expr[k] not in (";", "+"):
                k += 1
            inner = [
                spread[0] if w == "{}" else w.replace("{}", spread[0]) for w in expr[j + 1 : k]
            ]
            out.extend(dispatch(ctx, inner))
            j = k + 1
            continue
        if a == "-delete":
            main.kind = "act"
            main.writes.extend(spread)
        elif a in ("-fprint", "-fprint0", "-fls", "-fprintf") and j + 1 < len(expr):
            main.kind = "act"
            main.writes.extend(ctx.paths([expr[j + 1]]))
            j += 1
        elif a in ("-newer", "-anewer", "-cnewer", "-samefile") and j + 1 < len(expr):
            main.reads.extend(ctx.paths([expr[j + 1]]))
            j += 1
        elif a in _FIND_VALUE_TESTS:
            j += 1
        j += 1
    return out


@handles("fd", "fdfind")
def _h_fd(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-e -t -E -d -x -X -c -j -S --extension --type --exclude --max-depth "
            "--exec --exec-batch --changed-within --changed-before --size "
            "--base-directory"
        ),
    )
    reads = ctx.paths(o.operands[1:]) or [ctx.cwd]
    if o.has("-x", "-X", "--exec", "--exec-batch"):
        return acc(name, "act", reads)
    return acc(name, "inspect", reads)


# --------------------------------------------------------------------------- changes


@handles("cp", "mv")
def _h_cp(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("-t", "-S", "--target-directory", "--suffix"))
    target = o.values("-t", "--target-directory")
    operands = o.operands
    if target:
        sources, dests = operands, target
    elif len(operands) >= 2:
        sources, dests = operands[:-1], operands[-1:]
    else:
        sources, dests = operands, []
    reads = ctx.paths(sources)
    writes = ctx.paths(dests)
    if name == "mv":
        writes = reads + writes
        reads = []
    return acc(name, "act", reads, writes)


@handles(
    "rm",
    "rmdir",
    "unlink",
    "shred",
    "mkdir",
    "touch",
    "truncate",
    "tee",
    "mkfifo",
    "fallocate",
    "sponge",
    "dos2unix",
    "unix2dos",
    "chattr",
    "setfacl",
    "srm",
)
def _h_write_all(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    values = {
        "mkdir": ("-m", "--mode", "--context"),
        "touch": word_set("-d -t -r --date --reference"),
        "truncate": ("-s", "-r", "--size", "--reference"),
        "shred": word_set("-n -s --iterations --size --random-source"),
        "tee": ("--output-error",),
        "mkfifo": ("-m", "--mode"),
        "fallocate": ("-l", "-o", "--length", "--offset"),
        "sponge": (),
        "dos2unix": (),
        "unix2dos": (),
        "chattr": (),
        "setfacl": word_set("-m -x -M -X --modify --remove --set --set-file"),
    }.get(name, ())
    o = opts(args, values)
    reads = ctx.paths(o.values("-r", "--reference", "-M", "-X", "--set-file"))
    operands = o.operands
    if name == "chattr":
        operands = [w for w in operands if not re.match(r"^[+=-][aAcCdDeFijPsStTu]+$", w)]
    kind: Kind = "act"
    if name == "tee" and ctx.after_verify:
        kind = "verify"  # capturing a test run's output
    return acc(name, kind, reads, ctx.paths(operands))


_MODE = re.compile(
    r"^(?:[0-7]{3,4}|[ugoa]*(?:[-+=][rwxXstugo]*)+(?:,[ugoa]*(?:[-+=][rwxXstugo]*)+)*)$"
)


@handles("chmod", "chown", "chgrp")
def _h_chmod(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """``chmod MODE FILE...``, ``chown OWNER FILE...``: the first operand is not a path."""
    rest: list[str] = []
    reads: list[str] = []
    spec_given = False
    for a in args:
        if a.startswith("--reference="):
            reads.extend(ctx.paths([a.split("=", 1)[1]]))
            spec_given = True
        elif a.startswith("-") and not (name == "chmod" and _MODE.match(a) and not rest):
            continue  # an option (chmod's `-x` mode excepted)
        else:
            rest.append(a)
    paths = rest if spec_given else rest[1:]
    return acc(name, "act", reads, ctx.paths(paths))


@handles("ln", "link")
def _h_ln(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, ("-t", "-S", "--target-directory", "--suffix"))
    target = o.values("-t", "--target-directory")
    operands = o.operands
    if target:
        return acc(name, "act", ctx.paths(operands), ctx.paths(target))
    if len(operands) == 1:
        return acc(
            name,
            "act",
            ctx.paths(operands),
            ctx.paths([posixpath.basename(operands[0].rstrip("/"))]),
        )
    return acc(name, "act", ctx.paths(operands[:-1]), ctx.paths(operands[-1:]))


@handles("install")
def _h_install(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-m -o -g -t -S --mode --owner --group --target-directory --suffix"))
    if o.has("-d", "--directory"):
        return acc(name, "act", writes=ctx.paths(o.operands))
    target = o.values("-t", "--target-directory")
    if target:
        return acc(name, "act", ctx.paths(o.operands), ctx.paths(target))
    return acc(name, "act", ctx.paths(o.operands[:-1]), ctx.paths(o.operands[-1:]))


@handles("dd")
def _h_dd(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    reads = ctx.paths(a[3:] for a in args if a.startswith("if="))
    writes = ctx.paths(a[3:] for a in args if a.startswith("of="))
    return acc(name, "act" if writes else "inspect", reads, writes)


_COPY_VALUES = {
    "rsync": word_set(
        "-e --rsh --exclude --include --exclude-from --include-from --filter -f --files-from "
        "--partial-dir --backup-dir --suffix --chmod --chown -B --block-size --timeout --port "
        "-T --temp-dir --log-file --password-file --max-size --min-size --bwlimit "
        "--compare-dest --copy-dest --link-dest"
    ),
    "scp": word_set("-P -i -o -F -l -c -S -J"),
}


@handles("rsync", "scp")
def _h_rsync(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """``rsync``/``scp``: the last operand is the destination; remote ones are not paths."""
    o = opts(args, _COPY_VALUES[name])
    local = [w for w in o.operands if not re.match(r"^[^/]*:", w)]
    dest = o.operands[-1:] if len(o.operands) >= 2 else []
    sources = [w for w in local if w not in dest]
    writes = ctx.paths(w for w in dest if w in local)
    dry = name == "rsync" and o.has("-n", "--dry-run")
    return acc(name, "inspect" if dry else "act", ctx.paths(sources), [] if dry else writes)


@handles("patch")
def _h_patch(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-p -i -d -o -r -B -D -F -V -Y -z --strip --input --directory --output "
            "--reject-file --prefix --suffix"
        ),
    )
    base = ctx.path_or_cwd(o.values("-d", "--directory"))
    reads = ctx.paths(o.values("-i", "--input") + o.operands[1:2])
    if ctx.stdin_file:
        reads.append(ctx.stdin_file)
    dry = o.has("--dry-run", "-C", "--check")
    sub = dataclasses.replace(ctx, cwd=base)
    writes = sub.paths(o.operands[:1]) or [base]
    writes += ctx.paths(o.values("-o", "--output"))
    return acc(name, "verify" if dry else "act", reads, [] if dry else writes)


@handles("split", "csplit", "rename", "prename", "convert", "magick", "ffmpeg")
def _h_file_tools(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Programs that write new files from old ones; which ones is not worth parsing."""
    return acc(name, "act")
