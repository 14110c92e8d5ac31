"""Bash parsing: one action (a string a shell would run) -> its simple commands.

This module holds the shell-level half of EGS command analysis; it knows bash syntax
and nothing about what programs do (that is :mod:`terminal_gym.egs.classify`).

- :class:`Redirect`, :class:`SimpleCommand`, :class:`ParsedAction`: the result types
  (frozen, hashable, safe to cache and share).
- :func:`parse`: text -> :class:`ParsedAction`, cached per string.

How a string is parsed:

1. A light scanner (:func:`_prepare`) rewrites the few constructs bashlex 0.18 cannot
   read, always keeping every character position of the rest of the text (so each
   simple command's source text can be sliced out of the original):

   - heredoc bodies are cut out and kept aside (bashlex rejects quoted delimiters such
     as ``<<'EOF'``, and a 50 kB body costs it tens of milliseconds); the quotes of the
     delimiter become spaces; an unterminated heredoc takes the rest of the text;
   - the ``time`` keyword (and its ``-p``) in command position becomes spaces;
   - ``[[ expr ]]`` becomes ``[ expr' ]`` (``&&``/``||`` -> ``-a``/``-o``, bare
     ``( ) < > |`` neutralised), so it reads as a ``[`` test;
   - ``$(( arithmetic ))`` and array values ``a=(1 2 3)`` become runs of ``_``;
   - ``\\r`` becomes a space.

2. bashlex parses the prepared text. The walk visits lists (``&&``, ``||``, ``;``,
   ``&``, newlines), pipelines, subshells ``( )``, groups ``{ }``, ``if``/``for``/
   ``while``/``until`` bodies, command and process substitutions (emitted *before* the
   command that contains them, since they run first) and redirections (a group's or
   loop's redirections apply to every command inside it). A function definition emits
   nothing (its body does not run when defined); a later call to it *in the same
   action* emits the body's commands in place of the call. Comments vanish.

3. If bashlex raises (it does not implement ``case``, ``for ((;;))``, ``coproc`` and
   a few more), a fallback tokenises with :mod:`shlex` (``punctuation_chars``) and
   splits simple commands at ``&& || ; | & ( )`` and newlines, reading redirections
   word-wise. Subshell scopes are lost in the fallback.

4. If the fallback fails too (an unclosed quote, say), the action is a parse error:
   ``ParsedAction(commands=(), error=True)``. Nothing here ever raises.

Blank input and comment-only input parse to no commands, without error.

Each :class:`SimpleCommand` carries a ``scope``: the ids of the subshells it runs in
(``(...)``, ``$(...)``, ``<(...)``, every part of a multi-part pipeline), so a ``cd``
inside a subshell does not leak into the commands after it.
"""

from __future__ import annotations

import bisect
import re
import shlex
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import bashlex

__all__ = ["ParsedAction", "Redirect", "SimpleCommand", "parse"]


@dataclass(frozen=True)
class Redirect:
    """One redirection of a simple command.

    Attributes:
        op: the operator as bash spells it: ``>``, ``>>``, ``>|``, ``&>``, ``&>>``,
            ``<``, ``<>``, ``<<``, ``<<-``, ``<<<``, ``>&``, ``<&``.
        target: the file word (unquoted, unexpanded); ``None`` for fd duplications
            (``2>&1``) and heredocs.
        text: heredoc body or here-string text, else ``None``.
    """

    op: str
    target: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command: words, assignments and redirections.

    Attributes:
        words: argv as bash would see it before expansion (quotes removed,
            ``$VARS`` and globs kept as text).
        assignments: leading ``NAME=value`` words.
        redirects: its redirections, then those inherited from an enclosing group or
            loop.
        text: its source text in the original action.
        scope: ids of the enclosing subshells, outermost first; ``()`` at top level.
        pipeline: ``(pipeline id, position)`` when it is a part of a multi-part
            pipeline, else ``None``.
    """

    words: tuple[str, ...]
    assignments: tuple[str, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    text: str = ""
    scope: tuple[int, ...] = ()
    pipeline: tuple[int, int] | None = None


@dataclass(frozen=True)
class ParsedAction:
    """The parse of one action.

    Attributes:
        commands: its simple commands in execution order.
        error: nothing could be parsed (bashlex and the fallback both failed).
        fallback: bashlex failed and the shlex fallback produced ``commands``.
    """

    commands: tuple[SimpleCommand, ...]
    error: bool = False
    fallback: bool = False


# --------------------------------------------------------------------------- prepare


@dataclass
class _Prepared:
    text: str
    heredocs: dict[int, str]  # prepared offset of the `<<` operator -> body
    cut_at: list[int]  # prepared offsets where text was removed ...
    cut_total: list[int]  # ... and the total removed up to and including that cut

    def orig(self, pos: int) -> int:
        """Map an offset in the prepared text back to the original text."""
        i = bisect.bisect_right(self.cut_at, pos)
        return pos + (self.cut_total[i - 1] if i else 0)


_NEEDS_PREP = re.compile(r"<<|\btime\b|\[\[|\(\(|=\(|\r")
_BARE = re.compile(r"[^\s;&|()<>'\"`\\$]+")
_ASSIGN = re.compile(r"[A-Za-z_]\w*(?:\[[^\]\s]*\])?\+?=")
_HEREDOC_OP = re.compile(r"<<(-?)([ \t]*)")
_DELIM = re.compile(r"""(?:'([^'\n]*)'|"([^"\n]*)"|\\?([^\s;&|()<>'"]+))""")
_TEST_END = re.compile(r"(?<=\s)\]\](?=\s|$|[;&|)])")
_KEEP_CMD_POS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "{", "!"})
_WORD_END = frozenset(" \t\n;&|()<>")


def _matching_paren(text: str, start: int) -> int:
    """Index just past the ``)`` matching the ``(`` at ``start`` (quote-aware)."""
    depth, i, n = 0, start, len(text)
    quote = ""
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 2
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _translate_test(inner: str) -> str:
    """Make the inside of ``[[ ... ]]`` acceptable inside ``[ ... ]``, same length."""
    out: list[str] = []
    i, n, quote, depth = 0, len(inner), "", 0
    while i < n:
        c = inner[i]
        if quote:
            if c == quote:
                quote = ""
            out.append(c)
        elif depth:
            depth += (c == "(") - (c == ")")
            out.append(c)
        elif c in "'\"":
            quote = c
            out.append(c)
        elif inner.startswith("$(", i):
            depth = 1
            out.append("$(")
            i += 2
            continue
        elif inner.startswith("&&", i) or inner.startswith("||", i):
            out.append("-a" if c == "&" else "-o")
            i += 2
            continue
        elif c in "()":
            out.append(" ")
        elif c in "<>|&;":
            out.append("_")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _find_delimiter_line(text: str, start: int, delimiter: str, strip_tabs: bool) -> int:
    """Offset of the line closing a heredoc whose body starts at ``start``; -1 if none.

    Bash compares the whole line; ``<<-`` ignores leading tabs, and trailing blanks or
    ``\\r`` are tolerated because agents' editors and terminals leave them behind.
    """
    pos, n = start, len(text)
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol < 0 else eol
        line = text[pos:eol]
        if (line.lstrip("\t") if strip_tabs else line).rstrip(" \r") == delimiter:
            return pos
        pos = eol + 1
    return -1


def _strip_leading_tabs(body: str) -> str:
    """A ``<<-`` body as bash delivers it: leading tabs removed from every line."""
    return "\n".join(line.lstrip("\t") for line in body.split("\n"))


class _PendingHeredoc(NamedTuple):
    """A heredoc operator seen on the current line; its body starts after the newline."""

    delimiter: str
    strip_tabs: bool  # `<<-`
    op_at: int  # prepared offset of the `<<` operator


_TIME_POSIX_FLAG = re.compile(r"[ \t]+-p(?=[ \t\n;]|$)")


class _Scanner:
    """One left-to-right pass of :func:`_prepare` over ``text``.

    The rewrites depend on shared state (the quoting context, whether the next word is
    in command position, heredocs waiting for the end of their line), so the state lives
    here and each construct gets a method that consumes it from ``self.i`` onwards.
    Every method emits exactly as many characters as it consumes, except where a heredoc
    body is cut out (recorded in ``cut_at``/``cut_total``) or an unterminated heredoc is
    closed at the very end.
    """

    __slots__ = (
        "assign_depth",
        "cmd_start",
        "cut_at",
        "cut_total",
        "heredocs",
        "i",
        "last_word",
        "n",
        "out",
        "out_len",
        "pending",
        "removed",
        "stack",
        "text",
    )

    def __init__(self, text: str):
        self.text = text
        self.n = len(text)
        self.i = 0
        self.out: list[str] = []
        self.out_len = 0  # running len("".join(out)): heredoc offsets are read often
        self.heredocs: dict[int, str] = {}
        self.cut_at: list[int] = []
        self.cut_total: list[int] = []
        self.removed = 0
        self.pending: list[_PendingHeredoc] = []
        self.stack: list[str] = []  # quoting contexts: ' " ` $( (
        self.cmd_start = True  # the next word is in command position
        self.assign_depth = -1  # stack depth of an assignment word being scanned
        self.last_word = ""

    def scan(self) -> _Prepared:
        """Rewrite the whole text and return it with its heredocs and cut map."""
        while self.i < self.n:
            self._step()
        self._close_unterminated_heredocs()
        return _Prepared("".join(self.out), self.heredocs, self.cut_at, self.cut_total)

    def _step(self) -> None:
        c = self.text[self.i]
        context = self.stack[-1] if self.stack else ""
        if context == "'":
            self._in_single_quotes(c)
        elif context in ('"', "`"):
            self._in_double_quotes_or_backticks(c, context)
        else:  # top level, or inside $( ... ) / ( ... )
            self._top_level(c)

    # ------------------------------------------------------------------ output

    def _emit(self, s: str) -> None:
        self.out.append(s)
        self.out_len += len(s)

    def _copy_to(self, end: int) -> None:
        """Emit the original text up to ``end`` unchanged."""
        self._emit(self.text[self.i : end])
        self.i = end

    def _copy(self, count: int) -> None:
        """Emit the next ``count`` characters unchanged (the hot path: kept inline)."""
        s = self.text[self.i : self.i + count]
        self.out.append(s)
        self.out_len += len(s)
        self.i += count

    def _at(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.i)

    def _paren_end(self, start: int) -> int:
        """Past the ``)`` matching the ``(`` at ``start``; an unclosed one runs to the end."""
        end = _matching_paren(self.text, start)
        return self.n if end < 0 else end

    # ------------------------------------------------------------------ quoted text

    def _in_single_quotes(self, c: str) -> None:
        if c == "'":
            self.stack.pop()
        self._copy(1)

    def _in_double_quotes_or_backticks(self, c: str, context: str) -> None:
        """Inside ``"`` or a backquote only escapes, the closer and expansions matter."""
        if c == "\\":
            self._copy(2)
        elif c == context:
            self.stack.pop()
            self._copy(1)
        elif c == "$" and self._at("$(("):
            self._blank_arithmetic_expansion()
        elif c == "$" and self._at("$("):
            self._open_command_substitution()
        elif c == "`" and context == '"':
            self.stack.append("`")
            self._copy(1)
        else:
            self._copy(1)

    def _blank_arithmetic_expansion(self) -> None:
        """``$(( ... ))`` -> ``_`` run: one word to bashlex, which cannot parse it."""
        end = self._paren_end(self.i + 1)
        self._emit("_" * (end - self.i))
        self.i = end

    def _open_command_substitution(self) -> None:
        self.stack.append("$(")
        self._copy(2)

    # ------------------------------------------------------------------ top level

    def _top_level(self, c: str) -> None:
        """One construct outside quotes, chosen by the character that starts it."""
        if c == "\r":
            self._emit(" ")
            self.i += 1
        elif c == "\\":
            self._copy(2)
            self.cmd_start = False
        elif c in "'\"`":
            self._open_quote(c)
        elif c == "$" and self._at("$(("):
            self._blank_arithmetic_expansion()
            self.cmd_start = False
        elif c == "$" and self._at("$("):
            self._open_command_substitution()
            self.cmd_start = True
        elif c == "(":
            self._open_paren()
        elif c == ")":
            self._close_paren()
        elif c == "#" and (self.i == 0 or self.text[self.i - 1] in " \t\n;&|()"):
            self._comment()
        elif c == "\n":
            self._newline()
        elif c == "<" and self._at("<<"):
            self._here_operator()
        elif c in ";&|":
            self._separator()
        elif c in " \t":
            self._blank()
        elif c in "<>":
            self._copy(1)
        else:
            self._word(c)

    def _open_quote(self, c: str) -> None:
        self.stack.append(c)
        self._copy(1)
        if self.assign_depth < 0:  # a quoted value keeps the assignment's command position
            self.cmd_start = False

    def _open_paren(self) -> None:
        """``((`` arithmetic (or a C-style ``for`` header) -> blanks; else a subshell."""
        if self._at("((") and (self.cmd_start or self.last_word == "for"):
            end = self._paren_end(self.i)
            self._emit(" " * (end - self.i))
            self.i = end
            return
        self.stack.append("(")
        self._copy(1)
        self.cmd_start = True

    def _close_paren(self) -> None:
        if self.stack and self.stack[-1] in ("$(", "("):
            self.stack.pop()
        self._copy(1)
        self.cmd_start = False

    def _comment(self) -> None:
        """Copied whole, so a quote or ``<<`` in a comment opens nothing."""
        end = self.text.find("\n", self.i)
        self._copy_to(self.n if end < 0 else end)

    def _separator(self) -> None:
        self._copy(1)
        self.cmd_start = True
        self.assign_depth = -1

    def _blank(self) -> None:
        """A blank ending an assignment word puts the next word in command position."""
        self._copy(1)
        if self.assign_depth == len(self.stack):
            self.cmd_start = True
            self.assign_depth = -1

    # ------------------------------------------------------------------ heredocs

    def _here_operator(self) -> None:
        """``<<<`` is copied; ``<<`` / ``<<-`` queue a heredoc for the end of the line.

        The delimiter's quotes become spaces (bashlex rejects quoted delimiters).
        """
        if self._at("<<<"):
            self._copy(3)
            return
        operator = _HEREDOC_OP.match(self.text, self.i)
        assert operator is not None
        op_at = self.out_len
        self._copy_to(operator.end())
        word = _DELIM.match(self.text, self.i)
        if word:
            delimiter = next(g for g in word.groups() if g is not None)
            raw = word.group(0)
            unquoted = " " * (len(raw) - len(delimiter)) + delimiter
            self._emit(unquoted if delimiter in raw else raw)
            self.i = word.end()
            self.pending.append(_PendingHeredoc(delimiter, bool(operator.group(1)), op_at))
        self.cmd_start = False

    def _newline(self) -> None:
        """End of a line: the next word is a command, and queued heredoc bodies follow."""
        self._copy(1)
        self.cmd_start = True
        self.assign_depth = -1
        for heredoc in self.pending:
            self._read_heredoc_body(heredoc)
        self.pending = []

    def _read_heredoc_body(self, heredoc: _PendingHeredoc) -> None:
        """Cut the body out (recording it), keep the delimiter line."""
        delimiter, strip_tabs, op_at = heredoc
        body_start = self.i
        found = _find_delimiter_line(self.text, body_start, delimiter, strip_tabs)
        body_end = found if found >= 0 else self.n
        body = self.text[body_start:body_end]
        self.heredocs[op_at] = _strip_leading_tabs(body) if strip_tabs else body
        self._record_cut(body_end - body_start)
        if found >= 0:
            eol = self.text.find("\n", found)
            self.i = found
            self._copy_to(self.n if eol < 0 else eol + 1)
        else:  # unterminated: close it ourselves at the very end
            self.i = self.n
            newline = "" if not self.out or self.out[-1].endswith("\n") else "\n"
            self._emit(newline + delimiter + "\n")

    def _record_cut(self, length: int) -> None:
        """Note ``length`` characters removed here, for :meth:`_Prepared.orig`."""
        if length > 0:
            self.removed += length
            self.cut_at.append(self.out_len)
            self.cut_total.append(self.removed)

    def _close_unterminated_heredocs(self) -> None:
        """Heredocs opened on the last line, never closed: empty bodies."""
        for delimiter, _strip_tabs, op_at in self.pending:
            self.heredocs[op_at] = ""
            self._emit("\n" + delimiter + "\n")

    # ------------------------------------------------------------------ words

    def _word(self, c: str) -> None:
        """An unquoted word; in command position it may be a construct to rewrite."""
        bare = _BARE.match(self.text, self.i)
        word = bare.group(0) if bare else c
        end = self.i + len(word)
        after = self.text[end] if end < self.n else " "
        if self.cmd_start and self._rewrite_command_word(word, end, after):
            return
        self._emit(word)
        self.last_word = word
        self.i = end

    def _rewrite_command_word(self, word: str, end: int, after: str) -> bool:
        """Rewrite ``time``, ``[[`` or an assignment at ``self.i``; false if none applies.

        Otherwise decides whether the word after this one is still in command position.
        """
        if word == "time" and after in _WORD_END:
            self._drop_time(end)
            return True
        if word == "[[" and after in " \t\n" and self._translate_double_bracket(end):
            return True
        if self._assignment():
            return True
        self.cmd_start = word in _KEEP_CMD_POS and after in _WORD_END
        return False

    def _drop_time(self, end: int) -> None:
        """The ``time`` keyword (and its ``-p``) -> spaces; the timed command follows."""
        self._emit("    ")
        self.i = end
        flag = _TIME_POSIX_FLAG.match(self.text, self.i)
        if flag:
            self._emit(" " * len(flag.group(0)))
            self.i = flag.end()

    def _translate_double_bracket(self, end: int) -> bool:
        """``[[ expr ]]`` -> ``[ expr' ]`` of equal length; false without a closing ``]]``."""
        close = _TEST_END.search(self.text, end)
        if not close:
            return False
        self._emit("[ " + _translate_test(self.text[end : close.start()]) + " ]")
        self.i = close.end()
        self.cmd_start = False
        return True

    def _assignment(self) -> bool:
        """Copy ``NAME=`` (an array value ``(...)`` -> ``_``, newlines kept); false if none."""
        name = _ASSIGN.match(self.text, self.i)
        if not name:
            return False
        self._copy_to(name.end())
        if self._at("("):
            close = self._paren_end(self.i)
            value = self.text[self.i : close]
            self._emit("".join(ch if ch == "\n" else "_" for ch in value))
            self.i = close
        self.assign_depth = len(self.stack)
        return True


def _prepare(text: str) -> _Prepared:
    """Rewrite ``text`` so bashlex can parse it (see the module docstring)."""
    return _Scanner(text).scan()


# --------------------------------------------------------------------------- bashlex walk

_BASHLEX_LOCK = threading.Lock()  # bashlex drives one module-global PLY parser
_WALK_INTO = frozenset(
    {"list", "pipeline", "compound", "if", "for", "while", "until", "command", "function"}
)


class _Walker:
    def __init__(self, original: str, prep: _Prepared):
        self.original = original
        self.prep = prep
        self.out: list[SimpleCommand] = []
        self.next_id = 0
        self.functions: dict[str, object] = {}  # defined in this action: name -> body
        self.calling: set[str] = set()  # functions being expanded (recursion guard)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def source(self, pos: tuple[int, int]) -> str:
        return self.original[self.prep.orig(pos[0]) : self.prep.orig(pos[1])].strip()

    def substitutions(self, node, scope: tuple[int, ...]) -> None:
        """Walk the command/process substitutions inside a word."""
        for part in getattr(node, "parts", None) or ():
            if part.kind in ("commandsubstitution", "processsubstitution"):
                self.walk(part.command, (*scope, self.new_id()), ())
            else:
                self.substitutions(part, scope)

    def redirect(self, node, scope: tuple[int, ...]) -> Redirect:
        op = node.type
        target = node.output
        if op in ("<<", "<<-"):
            lo, hi = node.pos
            body = next((b for at, b in self.prep.heredocs.items() if lo <= at <= hi), "")
            return Redirect(op, None, body)
        if hasattr(target, "kind"):
            self.substitutions(target, scope)
            if op == "<<<":
                return Redirect(op, None, target.word)
            if op in (">&", "<&") and target.word.isdigit():
                return Redirect(op, None)
            return Redirect(op, target.word)
        return Redirect(op, None)

    def walk(
        self,
        node,
        scope: tuple[int, ...],
        inherited: tuple[Redirect, ...],
        pipeline: tuple[int, int] | None = None,
    ) -> None:
        kind = node.kind
        if kind == "command":
            words: list[str] = []
            assigns: list[str] = []
            redirects: list[Redirect] = []
            for part in node.parts:
                if part.kind == "word":
                    self.substitutions(part, scope)
                    words.append(part.word)
                elif part.kind == "assignment":
                    self.substitutions(part, scope)
                    assigns.append(part.word)
                elif part.kind == "redirect":
                    redirects.append(self.redirect(part, scope))
            name = words[0] if words else ""
            if name in self.functions and name not in self.calling:
                # calling a function defined earlier in this action runs its body
                self.calling.add(name)
                self.walk(self.functions[name], scope, (*redirects, *inherited))
                self.calling.discard(name)
            elif words or redirects:
                self.out.append(
                    SimpleCommand(
                        tuple(words),
                        tuple(assigns),
                        (*redirects, *inherited),
                        self.source(node.pos),
                        scope,
                        pipeline,
                    )
                )
        elif kind == "pipeline":
            parts = [p for p in node.parts if p.kind not in ("pipe", "reservedword")]
            pid = self.new_id() if len(parts) > 1 else 0
            for idx, part in enumerate(parts):
                if len(parts) > 1:
                    self.walk(part, (*scope, self.new_id()), inherited, (pid, idx))
                else:
                    self.walk(part, scope, inherited)
        elif kind == "list":
            for part in node.parts:
                if part.kind in _WALK_INTO:
                    self.walk(part, scope, inherited)
        elif kind == "compound":
            own = tuple(self.redirect(r, scope) for r in getattr(node, "redirects", None) or ())
            items = node.list
            is_subshell = bool(items) and items[0].kind == "reservedword" and items[0].word == "("
            inner_scope = (*scope, self.new_id()) if is_subshell else scope
            for item in items:
                if item.kind in _WALK_INTO:
                    self.walk(item, inner_scope, (*own, *inherited))
        elif kind in ("if", "while", "until", "for"):
            in_items = False
            for part in node.parts:
                if part.kind in _WALK_INTO:
                    self.walk(part, scope, inherited)
                elif kind == "for" and part.kind == "reservedword":
                    in_items = part.word == "in"
                elif in_items and part.kind == "word":
                    self.substitutions(part, scope)
        elif kind == "function":  # defining runs nothing; a later call runs the body
            self.functions[node.name.word] = node.body


def _bashlex_commands(text: str, prep: _Prepared) -> tuple[SimpleCommand, ...]:
    with _BASHLEX_LOCK:
        trees = bashlex.parse(prep.text)
    walker = _Walker(text, prep)
    for tree in trees:
        walker.walk(tree, (), ())
    return tuple(walker.out)


# --------------------------------------------------------------------------- fast path

# Most actions are plain words joined by `&& || ; | &` with simple redirections. For those
# (no quotes, expansions, escapes, comments, grouping or keywords) a regex tokenizer gives
# exactly what the bashlex walk gives, ten times faster; tests hold the two to equality.
_FAST_CHARS = re.compile(r"[A-Za-z0-9_./~@%+=:,*?^\[\] \t<>|&;-]*")
_FAST_TOKEN = re.compile(r"\d*>>|\d*>&\d*|&>>?|\d*>\|?|\d*<|&&|\|\||[|;&]|[^\s<>|&;]+")
_FAST_OPERATORS = frozenset({"&&", "||", ";", "&", "|"})
_RESERVED_WORDS = "if then else elif fi do done for while until case esac select function time"
_RESERVED = frozenset([*_RESERVED_WORDS.split(), "coproc", "in", "!", "{", "}", "[[", "]]"])


def _fast_commands(text: str) -> tuple[SimpleCommand, ...] | None:
    """Parse a plain action without bashlex; ``None`` when it is not plain."""
    if not _FAST_CHARS.fullmatch(text) or "|&" in text or "<<" in text:
        return None
    tokens = [(m.group(0), m.start(), m.end()) for m in _FAST_TOKEN.finditer(text)]
    # group into lists (split at && || ; &) of pipelines (split at |)
    lists: list[list[list[tuple[str, int, int]]]] = [[[]]]
    for tok in tokens:
        if tok[0] == "|":
            lists[-1].append([])
        elif tok[0] in _FAST_OPERATORS:
            lists.append([[]])
        else:
            lists[-1][-1].append(tok)
    if lists[-1] == [[]] and len(lists) > 1 and tokens[-1][0] in (";", "&"):
        lists.pop()  # a trailing `;` or `&` ends the last command
    out: list[SimpleCommand] = []
    next_id = 0
    for pipeline in lists:
        if any(not part for part in pipeline):
            return None  # `ls &&`, `| grep`: let bashlex judge
        pid = 0
        if len(pipeline) > 1:
            next_id += 1
            pid = next_id
        for idx, part in enumerate(pipeline):
            words: list[str] = []
            assigns: list[str] = []
            redirects: list[Redirect] = []
            i = 0
            while i < len(part):
                word: str = part[i][0]
                op = word.lstrip("0123456789")
                if op[:1] in "<>&" and op:
                    if re.fullmatch(r">&\d+", op):
                        redirects.append(Redirect(">&", None))
                        i += 1
                        continue
                    if i + 1 >= len(part) or part[i + 1][0][:1] in "<>&":
                        return None
                    redirects.append(Redirect(op, part[i + 1][0]))
                    i += 2
                    continue
                if not words and _ASSIGN.match(word):
                    assigns.append(word)
                elif not words and word in _RESERVED:
                    return None
                else:
                    words.append(word)
                i += 1
            scope: tuple[int, ...] = ()
            if len(pipeline) > 1:
                next_id += 1
                scope = (next_id,)
            if words or redirects:
                out.append(
                    SimpleCommand(
                        tuple(words),
                        tuple(assigns),
                        tuple(redirects),
                        text[part[0][1] : part[-1][2]].strip(),
                        scope,
                        (pid, idx) if len(pipeline) > 1 else None,
                    )
                )
    return tuple(out)


# --------------------------------------------------------------------------- fallback

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "|&", ";;", "(", ")", "\n", ";&", ";;&"})
_REDIR_OPS = frozenset({">", ">>", ">|", "<", "<>", "&>", "&>>", ">&", "<&", "<<", "<<-", "<<<"})
_LEADING_RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time"}
)
_OPERATOR_CHARS = frozenset("();<>|&\n")


def _split_operator(tok: str) -> list[str]:
    """Split a run of punctuation (``;\\n``, ``|&``...) into bash operators."""
    ops = sorted(_SEPARATORS | _REDIR_OPS, key=len, reverse=True)
    out: list[str] = []
    i = 0
    while i < len(tok):
        for op in ops:
            if tok.startswith(op, i):
                out.append(op)
                i += len(op)
                break
        else:
            out.append(tok[i])
            i += 1
    return out


def _fallback_commands(text: str, prep: _Prepared) -> tuple[SimpleCommand, ...]:
    lex = shlex.shlex(prep.text, posix=True, punctuation_chars="();<>|&\n")
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    tokens = list(lex)  # raises ValueError on an unclosed quote
    bodies = [prep.heredocs[k] for k in sorted(prep.heredocs)]
    commands: list[SimpleCommand] = []
    words: list[str] = []
    redirects: list[Redirect] = []

    def flush() -> None:
        nonlocal words, redirects
        while words and words[0] in _LEADING_RESERVED:
            words.pop(0)
        if words and words[0] in ("for", "select", "case", "esac", "in", "function"):
            words = []
        assigns = []
        while words and _ASSIGN.match(words[0]):
            assigns.append(words.pop(0))
        if words or redirects:
            commands.append(
                SimpleCommand(tuple(words), tuple(assigns), tuple(redirects), " ".join(words))
            )
        words, redirects = [], []

    stream: list[str] = []
    for tok in tokens:
        stream.extend(_split_operator(tok) if set(tok) <= _OPERATOR_CHARS else [tok])
    i = 0
    while i < len(stream):
        tok = stream[i]
        if tok in _SEPARATORS:
            flush()
        elif tok in _REDIR_OPS:
            if words and words[-1].isdigit():
                words.pop()
            target = stream[i + 1] if i + 1 < len(stream) else None
            if target is not None and (target in _SEPARATORS or target in _REDIR_OPS):
                target = None
            i += target is not None
            if tok in ("<<", "<<-"):
                redirects.append(Redirect(tok, None, bodies.pop(0) if bodies else ""))
            elif tok == "<<<":
                redirects.append(Redirect(tok, None, target))
            elif tok in (">&", "<&") and (target is None or target.isdigit() or target == "-"):
                redirects.append(Redirect(tok, None))
            else:
                redirects.append(Redirect(tok, target))
        else:
            words.append(tok)
        i += 1
    flush()
    return tuple(commands)


# --------------------------------------------------------------------------- entry point


def _is_blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


# Bounded memory: a few thousand short actions are cached (the same `ls`, `cd /app`,
# `pytest -q` recur across steps and trajectories); long ones (heredocs) never are.
CACHE_SIZE = 4096
CACHE_MAX_CHARS = 1000


def parse(text: str) -> ParsedAction:
    """Parse one action into its simple commands. Never raises.

    Args:
        text: what was typed, possibly several lines (heredocs included).

    Returns:
        A :class:`ParsedAction`; ``error`` is true only when neither bashlex nor the
        shlex fallback could read ``text``. Results for short texts are cached.

    Example:
        >>> [c.words for c in parse("cd /app && ls -la | grep x").commands]
        [('cd', '/app'), ('ls', '-la'), ('grep', 'x')]
    """
    if isinstance(text, str) and len(text) <= CACHE_MAX_CHARS:
        return _parse_cached(text)
    return _parse(text)


@lru_cache(maxsize=CACHE_SIZE)
def _parse_cached(text: str) -> ParsedAction:
    return _parse(text)


def _parse(text: str) -> ParsedAction:
    if not isinstance(text, str) or _is_blank(text):
        return ParsedAction(())
    fast = _fast_commands(text)
    if fast is not None:
        return ParsedAction(fast)
    try:
        prep = _prepare(text) if _NEEDS_PREP.search(text) else _Prepared(text, {}, [], [])
    except Exception:  # a scanner bug must not cost the whole analysis
        prep = _Prepared(text, {}, [], [])
    try:
        return ParsedAction(_bashlex_commands(text, prep))
    except Exception:
        pass
    try:
        return ParsedAction(_fallback_commands(text, prep), fallback=True)
    except Exception:
        return ParsedAction((), error=True)
