"""Frozen reference: the old single-function ``_prepare`` scanner, for one test only.

This is a verbatim copy of ``terminal_gym.egs.parse._prepare`` as it stood before the
scanner was split into ``_Scanner`` methods (the helpers and patterns it calls were not
part of that change and are imported from the module).
``test_prepare_equivalence.py`` runs it beside the current implementation over a large
corpus and requires identical results, so the refactor provably changed no behaviour.
Do not edit it and do not import it from package code.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import re

from terminal_gym.egs.parse import (
    _ASSIGN,
    _BARE,
    _DELIM,
    _HEREDOC_OP,
    _KEEP_CMD_POS,
    _TEST_END,
    _WORD_END,
    _matching_paren,
    _Prepared,
    _translate_test,
)


def prepare_reference(text: str) -> _Prepared:
    out: list[str] = []
    heredocs: dict[int, str] = {}
    cut_at: list[int] = []
    cut_total: list[int] = []
    removed = 0
    pending: list[tuple[str, bool, int]] = []  # (delimiter, strip tabs, op offset)
    stack: list[str] = []  # quoting contexts: ' " ` $( (
    cmd_start = True
    assign_depth = -1  # stack depth of an assignment word being scanned
    last_word = ""
    i, n = 0, len(text)

    def emit(s: str) -> None:
        out.append(s)

    def outlen() -> int:
        return sum(map(len, out))

    while i < n:
        c = text[i]
        ctx = stack[-1] if stack else ""
        if ctx == "'":
            if c == "'":
                stack.pop()
            emit(c)
            i += 1
            continue
        if ctx in ('"', "`"):
            if c == "\\":
                emit(text[i : i + 2])
                i += 2
            elif c == ctx:
                stack.pop()
                emit(c)
                i += 1
            elif c == "$" and text.startswith("$((", i):
                end = _matching_paren(text, i + 1)
                end = n if end < 0 else end
                emit("_" * (end - i))
                i = end
            elif c == "$" and text.startswith("$(", i):
                stack.append("$(")
                emit("$(")
                i += 2
            elif c == "`" and ctx == '"':
                stack.append("`")
                emit(c)
                i += 1
            else:
                emit(c)
                i += 1
            continue
        # top level, or inside $( ... ) / ( ... )
        if c == "\r":
            emit(" ")
            i += 1
        elif c == "\\":
            emit(text[i : i + 2])
            i += 2
            cmd_start = False
        elif c in "'\"`":
            stack.append(c)
            emit(c)
            i += 1
            if assign_depth < 0:
                cmd_start = False
        elif c == "$" and text.startswith("$((", i):
            end = _matching_paren(text, i + 1)
            end = n if end < 0 else end
            emit("_" * (end - i))
            i = end
            cmd_start = False
        elif c == "$" and text.startswith("$(", i):
            stack.append("$(")
            emit("$(")
            i += 2
            cmd_start = True
        elif c == "(" and text.startswith("((", i) and (cmd_start or last_word == "for"):
            end = _matching_paren(text, i)
            end = n if end < 0 else end
            emit(" " * (end - i))  # arithmetic command / C-style for header
            i = end
        elif c == "(":
            stack.append("(")
            emit(c)
            i += 1
            cmd_start = True
        elif c == ")":
            if stack and stack[-1] in ("$(", "("):
                stack.pop()
            emit(c)
            i += 1
            cmd_start = False
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
            end = text.find("\n", i)
            end = n if end < 0 else end
            emit(text[i:end])
            i = end
        elif c == "\n":
            emit(c)
            i += 1
            cmd_start = True
            assign_depth = -1
            for delim, strip, op_at in pending:
                body_start = i
                found = -1
                pos = i
                while pos < n:
                    eol = text.find("\n", pos)
                    eol = n if eol < 0 else eol
                    line = text[pos:eol]
                    if (line.lstrip("\t") if strip else line).rstrip(" \r") == delim:
                        found = pos
                        break
                    pos = eol + 1
                body_end = found if found >= 0 else n
                body = text[body_start:body_end]
                if strip:
                    body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
                heredocs[op_at] = body
                if body_end > body_start:
                    removed += body_end - body_start
                    cut_at.append(outlen())
                    cut_total.append(removed)
                if found >= 0:
                    eol = text.find("\n", found)
                    eol = n if eol < 0 else eol + 1
                    emit(text[found:eol])
                    i = eol
                else:  # unterminated: close it ourselves at the very end
                    i = n
                    emit(("" if not out or out[-1].endswith("\n") else "\n") + delim + "\n")
            pending = []
        elif c == "<" and text.startswith("<<<", i):
            emit("<<<")
            i += 3
        elif c == "<" and text.startswith("<<", i):
            m = _HEREDOC_OP.match(text, i)
            assert m is not None
            op_at = outlen()
            emit(m.group(0))
            i = m.end()
            d = _DELIM.match(text, i)
            if d:
                delim = next(g for g in d.groups() if g is not None)
                raw = d.group(0)
                emit(" " * (len(raw) - len(delim)) + delim if delim in raw else raw)
                i = d.end()
                pending.append((delim, bool(m.group(1)), op_at))
            cmd_start = False
        elif c in ";&|":
            emit(c)
            i += 1
            cmd_start = True
            assign_depth = -1
        elif c in " \t":
            emit(c)
            i += 1
            if assign_depth == len(stack):
                cmd_start = True
                assign_depth = -1
        elif c in "<>":
            emit(c)
            i += 1
        else:
            m = _BARE.match(text, i)
            word = m.group(0) if m else c
            end = i + len(word)
            nxt = text[end] if end < n else " "
            if cmd_start:
                a = _ASSIGN.match(text, i)
                if word == "time" and nxt in _WORD_END:
                    emit("    ")
                    i = end
                    p = re.match(r"[ \t]+-p(?=[ \t\n;]|$)", text[i:])
                    if p:
                        emit(" " * len(p.group(0)))
                        i += len(p.group(0))
                    continue
                if word == "[[" and nxt in " \t\n":
                    t = _TEST_END.search(text, end)
                    if t:
                        emit("[ " + _translate_test(text[end : t.start()]) + " ]")
                        i = t.end()
                        cmd_start = False
                        continue
                if a:
                    emit(a.group(0))
                    i = a.end()
                    if text.startswith("(", i):
                        close = _matching_paren(text, i)
                        close = n if close < 0 else close
                        emit("".join(ch if ch == "\n" else "_" for ch in text[i:close]))
                        i = close
                    assign_depth = len(stack)
                    continue
                cmd_start = word in _KEEP_CMD_POS and nxt in _WORD_END
            emit(word)
            last_word = word
            i = end
    for delim, _strip, op_at in pending:  # heredocs opened on the last line, never closed
        heredocs[op_at] = ""
        emit("\n" + delim + "\n")
    return _Prepared("".join(out), heredocs, cut_at, cut_total)
