"""The package's one Dockerfile reader.

:func:`parse` turns Dockerfile text into :class:`Instruction` objects the way BuildKit
reads it, so the image builder, the local backend's replay and the task-construction
review all see the same instructions:

* Parser directives (``# syntax=...``, ``# escape=...``, ``# check=...``) count only at
  the very top, before any comment, blank line or instruction; ``# escape=`` (a
  backtick or a backslash) changes the escape character.
* A line ending in the escape character (trailing blanks allowed) continues on the
  next. Comment lines and blank lines inside a continuation are dropped without
  ending it. The pieces are joined as written: the escape character goes, nothing is
  added (``RUN a\\`` then ``b`` is ``RUN ab``).
* A ``#`` starts a comment only as the first non-blank character of a line.
* ``RUN``, ``COPY`` and ``ADD`` may carry heredocs (``<<EOF``, ``<<-EOF``, ``<<'EOF'``);
  the lines up to each delimiter belong to the instruction (see :class:`Heredoc`), not
  to the instructions that follow.

On top of :func:`parse`: :func:`parse_from` and :func:`stages` read ``FROM`` lines (which
image, which stage name, whether it names an earlier stage), and an :class:`Instruction`
answers its :attr:`~Instruction.words`, :attr:`~Instruction.shell_command` and
:attr:`~Instruction.variables`.

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), and a UTF-8 byte-order
mark is ignored, as Docker does. Nothing here raises on malformed input: an unknown
keyword is an instruction like any other, an unterminated heredoc runs to the end.

Example:
    >>> [(i.line, i.keyword, i.args) for i in parse("FROM x AS y\\nRUN a \\\\\\n # c\\n && b\\n")]
    [(1, 'FROM', 'x AS y'), (2, 'RUN', 'a  && b')]
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "METADATA_KEYWORDS",
    "FromClause",
    "Heredoc",
    "Instruction",
    "Stage",
    "directives",
    "parse",
    "parse_from",
    "stages",
]

#: Instructions that set metadata, build arguments or defaults for containers, and
#: write nothing into the image's filesystem.
METADATA_KEYWORDS = frozenset(
    {
        "ARG",
        "LABEL",
        "CMD",
        "ENTRYPOINT",
        "EXPOSE",
        "SHELL",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "VOLUME",
        "ONBUILD",
        "MAINTAINER",
    }
)

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]+)$")
_BLANKS = re.compile(r"\s+")
_FLAGS = re.compile(r"(?:--\S+\s+)+")


@dataclass(frozen=True)
class Heredoc:
    """A here-document of a ``RUN``, ``COPY`` or ``ADD`` instruction.

    Attributes:
        name: the delimiter (``EOF`` in ``<<EOF``, ``<<-EOF`` or ``<<"EOF"``).
        body: the lines between the instruction and the delimiter, each ending in ``\\n``.
        quoted: the delimiter was quoted, so the body is not expanded.
        chomp: ``<<-``: leading tabs are stripped from the body (and the delimiter).
    """

    name: str
    body: str
    quoted: bool = False
    chomp: bool = False


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction.

    Attributes:
        keyword: the instruction, upper-cased (``RUN``).
        args: everything after the keyword, continuation lines joined, stripped; a
            heredoc's body is not in it (see :attr:`heredocs`).
        line: the 1-based line the instruction starts on.
        raw: the source lines it spans, exactly (comment lines inside a continuation and
            heredoc bodies included), joined by ``\\n``.
        heredocs: its here-documents, in order.
    """

    keyword: str
    args: str
    line: int
    raw: str
    heredocs: tuple[Heredoc, ...] = ()

    @property
    def end_line(self) -> int:
        """The 1-based line the instruction ends on.

        >>> parse("FROM a\\nRUN x \\\\\\n  y\\n")[1].end_line
        3
        """
        return self.line + self.raw.count("\n")

    @property
    def exec_form(self) -> list[str] | None:
        """The arguments of the JSON (exec) form, or ``None`` for the shell form.

        >>> parse('CMD ["python3", "-m", "http.server"]')[0].exec_form
        ['python3', '-m', 'http.server']
        >>> parse("CMD python3 -m http.server")[0].exec_form is None
        True
        """
        return _json_words(self.args)

    @property
    def script(self) -> str:
        """For ``RUN``: the shell text BuildKit runs, heredoc bodies included.

        A heredoc that is the whole command is the script itself; otherwise each body
        follows the command line, closed by its delimiter, as a shell reads it.

        >>> parse("RUN <<EOF\\necho hi\\nEOF\\n")[0].script
        'echo hi\\n'
        >>> parse("RUN cat <<EOF > /x\\nhi\\nEOF\\n")[0].script
        'cat <<EOF > /x\\nhi\\nEOF\\n'
        """
        if not self.heredocs:
            return self.args
        words = _words(self.args)
        if len(words) == 1 and len(self.heredocs) == 1 and _heredoc_of(words[0]):
            doc = self.heredocs[0]
            return _strip_tabs(doc.body) if doc.chomp else doc.body
        return self.args + "\n" + "".join(f"{d.body}{d.name}\n" for d in self.heredocs)

    @property
    def shell_command(self) -> str:
        """For ``RUN``: the command for ``sh -c``: the :attr:`script`, or the exec form quoted.

        >>> parse('RUN ["echo", "a b"]')[0].shell_command
        "echo 'a b'"
        """
        words = self.exec_form
        return self.script if words is None else shlex.join(words)

    @property
    def words(self) -> list[str]:
        """The arguments as words: ``--flag`` words, then the JSON form's items, else the
        arguments split as a shell would, quotes gone.

        Unbalanced quotes do not raise: the arguments are then split on blanks.

        >>> parse('COPY --chown=0 "a b" /app/')[0].words
        ['--chown=0', 'a b', '/app/']
        >>> parse('COPY --chown=0 ["a", "/b"]')[0].words
        ['--chown=0', 'a', '/b']
        """
        flags = _FLAGS.match(self.args)
        rest = self.args[flags.end() :] if flags else self.args
        exec_form = _json_words(rest)
        if exec_form is not None:
            return [*(flags[0].split() if flags else []), *exec_form]
        try:
            return shlex.split(self.args)
        except ValueError:
            return self.args.split()

    @property
    def variables(self) -> dict[str, str]:
        """For ``ENV`` (and ``ARG`` / ``LABEL``): the ``KEY=value`` pairs, quotes removed.

        The legacy ``ENV KEY value`` form sets one variable to the rest of the line.

        >>> parse('ENV A=1 B="two words"')[0].variables
        {'A': '1', 'B': 'two words'}
        >>> parse("ENV PATH /opt/bin:$PATH")[0].variables
        {'PATH': '/opt/bin:$PATH'}
        """
        if "=" not in self.args.split(" ", 1)[0]:
            key, _, value = self.args.partition(" ")
            return {key: value.strip()} if key else {}
        return dict(item.split("=", 1) for item in self.words if "=" in item)


@dataclass(frozen=True)
class FromClause:
    """The parts of a ``FROM`` instruction's arguments.

    Attributes:
        image: the image (or an earlier stage's name).
        alias: the stage name after ``AS``, if any.
        flags: the ``--flag=value`` words before the image (``--platform=...``).
    """

    image: str
    alias: str | None = None
    flags: tuple[str, ...] = ()


def parse_from(args: str) -> FromClause:
    """Split ``FROM`` arguments into flags, image and stage name.

    >>> parse_from("--platform=linux/amd64 python:3.11 AS build")
    FromClause(image='python:3.11', alias='build', flags=('--platform=linux/amd64',))
    >>> parse_from("debian")
    FromClause(image='debian', alias=None, flags=())
    """
    words = args.split()
    flags = []
    while words and words[0].startswith("--"):
        flags.append(words.pop(0))
    image = words[0] if words else ""
    alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return FromClause(image=image, alias=alias, flags=tuple(flags))


@dataclass(frozen=True)
class Stage:
    """A build stage: its ``FROM`` instruction, read.

    Attributes:
        instruction: the ``FROM`` instruction.
        source: its image, stage name and flags.
        from_stage: the image is an earlier stage's name, not an image to fetch.
    """

    instruction: Instruction
    source: FromClause
    from_stage: bool = False


def stages(instructions: Sequence[Instruction]) -> list[Stage]:
    """The build stages of parsed instructions, in order.

    Stage names are compared as Docker does, case-insensitively.

    >>> [(s.source.image, s.from_stage) for s in stages(parse("FROM a AS B\\nFROM b\\n"))]
    [('a', False), ('b', True)]
    """
    names: set[str] = set()
    result = []
    for step in instructions:
        if step.keyword != "FROM":
            continue
        source = parse_from(step.args)
        result.append(Stage(step, source, source.image.lower() in names))
        if source.alias:
            names.add(source.alias.lower())
    return result


def directives(text: str) -> dict[str, str]:
    """The parser directives at the top of a Dockerfile (names lower-cased).

    >>> directives("# syntax=docker/dockerfile:1\\n# escape=`\\nFROM x\\n# escape=\\\\\\n")
    {'syntax': 'docker/dockerfile:1', 'escape': '`'}
    """
    found: dict[str, str] = {}
    for line in _lines(text):
        m = _DIRECTIVE.match(line)
        if m is None or m[1].lower() not in _KNOWN_DIRECTIVES or m[1].lower() in found:
            break
        found[m[1].lower()] = m[2]
    return found


def parse(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, in order (see the module docstring).

    >>> [(i.keyword, i.args) for i in parse("# escape=`\\nFROM x\\nRUN a `\\n\\n  b\\n")]
    [('FROM', 'x'), ('RUN', 'a   b')]
    >>> step = parse("RUN <<EOF\\nFROM not-an-instruction\\nEOF\\nUSER x\\n")
    >>> [(i.keyword, i.line) for i in step], step[0].heredocs[0].body
    ([('RUN', 1), ('USER', 4)], 'FROM not-an-instruction\\n')
    """
    source = _unbom(text).split("\n")
    lines = _lines(text)
    escape = directives(text).get("escape", "\\")
    if escape not in ("\\", "`"):
        escape = "\\"
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    result = []
    i = 0
    while i < len(lines):
        start = i
        line = lines[i].lstrip()
        i += 1
        if not line or line.startswith("#"):
            continue
        joined, ends = _trim(line, continuation)
        while not ends and i < len(lines):
            line = lines[i]
            i += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue  # dropped, and the continuation goes on
            piece, ends = _trim(line, continuation)
            joined += piece
        if not joined.strip():
            continue
        keyword, _, args = _BLANKS.sub(" ", joined.strip(), count=1).partition(" ")
        keyword, args = keyword.upper(), args.strip()
        heredocs = []
        if keyword in _HEREDOC_KEYWORDS:
            for word in _words(args):
                found = _heredoc_of(word)
                if found is None:
                    continue
                name, quoted, chomp = found
                body = []
                while i < len(lines):
                    line = lines[i]
                    i += 1
                    if (line.lstrip("\t") if chomp else line) == name:
                        break
                    body.append(line + "\n")
                heredocs.append(Heredoc(name, "".join(body), quoted, chomp))
        raw = "\n".join(source[start:i])
        result.append(Instruction(keyword, args, start + 1, raw, tuple(heredocs)))
    return result


# -- helpers ---------------------------------------------------------------------------


def _json_words(args: str) -> list[str] | None:
    """The items of a JSON list of strings, or ``None`` (Docker then reads the shell form)."""
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _unbom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _lines(text: str) -> list[str]:
    lines = _unbom(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _trim(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    """The line without its continuation mark, and whether the instruction ends here."""
    trimmed = continuation.sub("", line, count=1)
    return trimmed, trimmed == line


def _words(args: str) -> list[str]:
    """Shell-like words of ``args``, quotes kept, so quoted ``<<`` is not a heredoc."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    escaped = False
    for ch in args:
        if escaped:
            word.append(ch)
            escaped = False
        elif ch == "\\" and quote != "'":
            word.append(ch)
            escaped = True
        elif quote:
            word.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            word.append(ch)
            quote = ch
        elif ch.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        words.append("".join(word))
    return words


def _heredoc_of(word: str) -> tuple[str, bool, bool] | None:
    """``(name, quoted, chomp)`` when ``word`` opens a heredoc (``<<EOF``, ``2<<-'X'``)."""
    m = _HEREDOC_WORD.match(word)
    if m is None:
        return None
    rest = m[3]
    quoted = any(q in rest for q in "'\"")
    name = rest.replace("'", "").replace('"', "")
    if not name:
        return None
    return name, quoted, m[2] == "-"


def _strip_tabs(body: str) -> str:
    return "".join(line.lstrip("\t") for line in body.splitlines(keepends=True))
