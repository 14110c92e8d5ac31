"""Text editors: opening a file in one writes it (``vim -R`` and ``view`` only read)."""

from __future__ import annotations

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_EDITORS = word_set(
    "vi vim nvim gvim nano pico emacs emacsclient ed ex joe jed micro mcedit gedit "
    "kate code subl kak hx helix ne vis mg"
)


_VIM = frozenset({"vi", "vim", "nvim", "gvim", "view", "ex"})


_EDITOR_VALUES = {
    "vim": word_set("-c --cmd -S -u -U -i -T -w -W -s -t -q"),
    "emacs": word_set("-l --load --eval -f --funcall -L --directory"),
    "code": word_set("-g --goto --diff --user-data-dir --extensions-dir"),
}


@handles(*_EDITORS, "view")
def _h_editor(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    family = "vim" if name in _VIM else "emacs" if name.startswith("emacs") else name
    o = opts(args, _EDITOR_VALUES.get(family, ()))
    files = [w for w in o.operands if not w.startswith("+")]
    readonly = name == "view" or (name in ("vi", "vim", "nvim", "gvim") and o.has("-R"))
    if readonly:
        return acc(name, "inspect", ctx.paths(files))
    return acc(name, "act", writes=ctx.paths(files))
