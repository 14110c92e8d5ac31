"""Version control: ``git``.

Reading subcommands (``status``, ``log``, ``diff``, ``show``...) inspect the paths
they name, or the repository (the cwd); ``git diff --check`` and ``git apply --check``
verify; everything else acts, on the paths it names or on the repository as a whole.
Branch and ref names are not paths.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

from terminal_gym.egs.classify.core import Acc, Ctx, Kind, Opts, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_GIT_VALUES = word_set(
    "-m -F -b -B -n --author --format --pretty --date --since --until "
    "--after --before --grep -S -G -U --depth --branch -o --origin -X "
    "--strategy --onto --message --file --reference --template --sort "
    "--contains --merged --no-merged --points-at --max-count --skip "
    "--author-date-order -L --diff-filter --abbrev --upload-pack "
    "--separate-git-dir --shallow-since -e"
)


_GIT_INSPECT = word_set(
    "status log diff show blame annotate grep ls-files ls-tree ls-remote rev-parse describe"
    " shortlog cat-file whatchanged show-ref for-each-ref count-objects fsck name-rev rev-list"
    " cherry merge-base check-ignore check-attr var help version show-branch range-diff"
    " difftool verify-commit verify-tag"
)


_REVISION = re.compile(r"^(?:[0-9a-f]{7,40}|HEAD.*|@.*|.*\.\..*|.*[~^].*|origin/.*|upstream/.*)$")


# subcommands whose operands may be paths; for the others (merge, rebase, branch, tag,
# for-each-ref ...) they are refs or names, and the command reads or writes the repository
_GIT_PATHSPEC = word_set(
    "status log diff show blame annotate grep ls-files ls-tree whatchanged difftool checkout "
    "reset restore commit stash clean add rm mv stage apply am"
)


_GIT_REFS_FIRST = word_set("checkout reset commit stash")


@handles("git")
def _h_git(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args, word_set("-C -c --git-dir --work-tree --namespace --exec-path"), stop_at_operand=True
    )
    for d in o.values("-C"):
        ctx = dataclasses.replace(ctx, cwd=ctx.path(d) or ctx.cwd)
    if not o.operands:
        return acc(name, "inspect" if o.has("--version", "--help", "-v", "-h") else "unknown")
    sub, rest = o.operands[0], o.operands[1:]
    label = f"git {sub}"
    so = opts(rest, _GIT_VALUES)
    after_dashdash = rest[rest.index("--") + 1 :] if "--" in rest else None
    paths: list[str] = []
    if sub in _GIT_PATHSPEC:
        candidates = (
            [w for w in after_dashdash if not w.startswith("-")]
            if after_dashdash is not None
            else [p for p in map(_git_pathlike, so.operands) if p]
        )
        if sub in _GIT_REFS_FIRST and after_dashdash is None:  # `checkout feature/x`: a ref
            candidates = [w for w in candidates if re.search(r"\.\w{1,8}$", w) or w == "."]
        paths = ctx.paths(candidates)
    kind = _git_kind(sub, so, rest)
    if kind in ("inspect", "verify"):
        return acc(label, kind, paths or [ctx.cwd])
    if sub in word_set("add rm mv restore stage"):
        return acc(label, "act", writes=ctx.paths(so.operands) or [ctx.cwd])
    if sub == "clone":
        ops = so.operands
        if len(ops) >= 2:
            return acc(label, "act", writes=ctx.paths(ops[1:2]))
        if ops:
            repo = posixpath.basename(ops[0].rstrip("/"))
            return acc(label, "act", writes=ctx.paths([repo.removesuffix(".git")]))
        return acc(label, "act")
    if sub in ("apply", "am"):
        patches = ctx.paths(so.operands)
        return acc(label, "act", patches, [ctx.cwd])
    if sub == "init":
        return acc(label, "act", writes=ctx.paths(so.operands[:1]) or [ctx.cwd])
    if sub == "push":
        return acc(label, "act")
    return acc(label, "act", writes=paths or [ctx.cwd])


def _git_pathlike(word: str) -> str | None:
    if ":" in word and not word.startswith(":"):
        _rev, _, path = word.partition(":")
        return path or None
    if _REVISION.match(word) or word.startswith("-"):
        return None
    if "/" in word or re.search(r"\.\w{1,8}$", word) or word == ".":
        return word
    return None


def _git_kind(sub: str, so: Opts, rest: list[str]) -> Kind:
    first = so.operands[0] if so.operands else None
    if sub == "diff" and so.has("--check", "--exit-code", "--quiet"):
        return "verify"
    if sub in _GIT_INSPECT:
        return "inspect"
    if sub == "branch":
        changing = so.has(
            "-d",
            "-D",
            "-m",
            "-M",
            "-c",
            "-C",
            "--delete",
            "--move",
            "--copy",
            "-u",
            "--set-upstream-to",
            "--unset-upstream",
            "-f",
            "--force",
        )
        return "act" if changing or (first and not so.has("--contains", "--merged")) else "inspect"
    if sub == "tag":
        return "inspect" if not so.operands or so.has("-l", "--list", "-n", "-v") else "act"
    if sub == "remote":
        return "inspect" if first in (None, "show", "get-url") else "act"
    if sub == "stash":
        return "inspect" if first in ("list", "show") else "act"
    if sub == "config":
        reading = so.has("--get", "--get-all", "--list", "-l", "--get-regexp", "--show-origin")
        return "inspect" if reading or len(so.operands) <= 1 else "act"
    if sub in word_set("worktree submodule notes reflog sparse-checkout lfs"):
        return "inspect" if first in (None, "list", "status", "show", "ls-files") else "act"
    if sub == "apply" and so.has("--check", "--stat", "--numstat", "--summary"):
        return "verify" if so.has("--check") else "inspect"
    if sub == "bisect" and first in ("log", "view", "visualize"):
        return "inspect"
    return "act"
