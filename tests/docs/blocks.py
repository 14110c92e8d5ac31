"""The fenced code blocks of README.md and docs/**/*.md, and how each is checked.

A block's checks follow its language tag and an optional annotation, an HTML comment on
the line before the fence (``<!-- test: dry-run -->``), whose words are:

* ``dry-run``: not run, but checked: Python is compiled and its imports executed; shell
  commands get ``bash -n``, ``make -n TARGET`` for make targets, ``--help`` for
  ``terminal-gym`` verbs and ``shutil.which`` for every other program.
* ``file=PATH``: the block is the repository file ``PATH``, character for character
  (and is otherwise checked as ``dry-run``).
* ``task``: a whole ``task.toml``; it must load with the task loader.

Languages: ``python`` (a page's runnable blocks run in order in one process), ``bash``,
``sh`` and ``console`` (``$ `` lines are the commands), ``toml``, ``json``, ``yaml``,
``dockerfile`` (read with terminal-gym's Dockerfile reader) and ``text`` (non-empty). A
block without a language is an error.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LANGUAGES = frozenset(
    {"python", "bash", "sh", "console", "toml", "json", "yaml", "dockerfile", "text"}
)
SHELL = frozenset({"bash", "sh", "console"})
ANNOTATION_WORDS = frozenset({"dry-run", "task"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_ANNOTATION = re.compile(r"^\s*<!--\s*test:\s*(?P<words>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, annotation words and text."""

    page: str  # relative to the repository root, e.g. "docs/scaling.md"
    line: int  # 1-based line of the opening fence
    lang: str  # "" when the fence has no language
    code: str
    words: frozenset[str] = field(default_factory=frozenset)
    file: str | None = None  # the annotation's file=PATH

    @property
    def id(self) -> str:
        """``page.md:LINE``, the test id."""
        return f"{self.page}:{self.line}"

    @property
    def dry_run(self) -> bool:
        return "dry-run" in self.words or self.file is not None


def pages() -> list[Path]:
    """README.md, then every Markdown page under docs/, sorted."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse_page(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file; raises ``ValueError`` on a bad annotation
    or an unclosed fence."""
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        lang = m["info"].strip().split()[0].lower() if m["info"].strip() else ""
        words, file = _annotation(lines, i, rel)
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            line = lines[j]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            j += 1
        else:
            raise ValueError(f"{rel}:{i + 1}: the code block is never closed")
        code = "\n".join(body) + ("\n" if body else "")
        blocks.append(Block(rel, i + 1, lang, code, words, file))
        i = j + 1
    return blocks


def _annotation(lines: list[str], fence_index: int, rel: str) -> tuple[frozenset[str], str | None]:
    k = fence_index - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    m = _ANNOTATION.match(lines[k]) if k >= 0 else None
    if m is None:
        return frozenset(), None
    words: set[str] = set()
    file = None
    for word in m["words"].split():
        if word.startswith("file="):
            file = word.removeprefix("file=")
        elif word in ANNOTATION_WORDS:
            words.add(word)
        else:
            raise ValueError(f"{rel}:{k + 1}: unknown test annotation word {word!r}")
    return frozenset(words), file


def all_blocks() -> list[Block]:
    return [b for page in pages() for b in parse_page(page)]


def shell_script(block: Block) -> str:
    """The commands of a shell block (for ``console``: the ``$ `` lines, prompt removed)."""
    if block.lang != "console":
        return block.code
    out: list[str] = []
    continuing = False
    for line in block.code.splitlines():
        if line.startswith("$ "):
            out.append(line[2:])
            continuing = line.endswith("\\")
        elif continuing:
            out.append(line)
            continuing = line.endswith("\\")
    return "\n".join(out) + "\n"


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as argv lists (comments, ``VAR=value``
    prefixes and ``sudo`` dropped; split at ``;``, ``&&``, ``||``, ``|``, ``&``)."""
    text = re.sub(r"\\\n", " ", script)
    commands: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        redirect = False
        for token in lexer:
            if token and set(token) <= set(";&|()"):
                commands.append(current)
                current = []
            elif token and set(token) <= set("<>"):
                redirect = True  # the next word is a redirection's target
            elif redirect:
                redirect = False
            else:
                current.append(token)
        commands.append(current)
    result = []
    for argv in commands:
        while argv and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]) or argv[0] == "sudo"):
            argv = argv[1:]
        if argv:
            result.append(argv)
    return result


def cli_verb(argv: list[str]) -> list[str] | None:
    """For a ``terminal-gym`` command, its verb path (``["tasks", "build"]``), else None."""
    if not argv or argv[0] != "terminal-gym":
        return None
    verb: list[str] = []
    for word in argv[1:]:
        if word.startswith("-") or len(verb) == 2:
            break
        if verb and verb[0] not in ("images", "tasks", "egs"):
            break
        verb.append(word)
    return verb
