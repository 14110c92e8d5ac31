"""Differential check: the ``_Scanner``-based ``_prepare`` against the frozen old one.

``_prepare`` rewrites shell text character by character; any drift in its output moves
heredoc bodies, cut offsets or source slices of every parsed command. So the refactored
scanner is held to byte-for-byte equality with the frozen copy of the old single-function
implementation (``_prepare_reference.py``) over a corpus of real and random shell text:

- every string literal in the tests of this package (the cases people thought of);
- every line, and every whole file, of the bundled tasks' ``solve.sh`` and ``test.sh``;
- a few thousand seeded random fragments built from the tokens the scanner treats
  specially (quotes, ``$(``, ``((``, heredoc operators, ``[[``, ``time -p``, ``\\r``,
  comments, backslashes, array assignments, newlines).
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from terminal_gym.egs.parse import _prepare
from tests.egs._prepare_reference import prepare_reference

_ROOT = Path(__file__).resolve().parents[2]
_TEST_DIR = Path(__file__).resolve().parent
_SKIP = {"_prepare_reference.py", Path(__file__).name}
_BUILTIN = _ROOT / "terminal_gym" / "tasks" / "builtin"

RANDOM_SEED = 20240611
RANDOM_FRAGMENTS = 4000

# Tokens the scanner reacts to, plus plain words and separators to put them in context.
_TOKENS = (
    *("'", '"', "`", "\\", "\\\n", "\\'", '\\"', "$", "$(", "$((", "((", "))", "(", ")"),
    *("<<EOF", "<<-'X'", '<<"E"', "<< EOF", "<<\\EOF", "<<-X", "<<<", "<<", "<", ">"),
    *("EOF", "X", "\tX", "E", "EOF \r", "[[", "]]", "time", "time -p", "-p", "\r", "#"),
    *("\n", "\n", "\n", " ", " ", " ", "\t", ";", "&&", "||", "|", "&", "{", "}", "!"),
    *("a=(1 2)", "a[1]=(x y)", "b+=(z)", "x=1", "y=", "for", "if", "then", "do", "done"),
    *("fi", "echo", "cat", "$x", "${y}", "==", "-n", "=", "a", "1", "foo.txt", "in"),
)


def _string_literals() -> list[str]:
    literals: list[str] = []
    for path in sorted(_TEST_DIR.glob("*.py")):
        if path.name in _SKIP:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.append(node.value)
    return literals


def _task_scripts() -> list[str]:
    paths = [
        *sorted(_BUILTIN.glob("*/solution/solve.sh")),
        *sorted(_BUILTIN.glob("*/tests/test.sh")),
    ]
    return [text for path in paths for text in _whole_and_lines(path)]


def _whole_and_lines(path: Path) -> list[str]:
    whole = path.read_text(encoding="utf-8", errors="replace")
    return [whole, *whole.split("\n")]


def _random_fragments() -> list[str]:
    rng = random.Random(RANDOM_SEED)
    fragments: list[str] = []
    for _ in range(RANDOM_FRAGMENTS):
        tokens = rng.choices(_TOKENS, k=rng.randint(1, 30))
        joiner = rng.choice(("", " ", " ", "\n"))
        fragments.append(joiner.join(tokens))
    return fragments


def _corpus() -> list[str]:
    return list(dict.fromkeys(_string_literals() + _task_scripts() + _random_fragments()))


def _outcome(prepare, text: str) -> object:
    """The fields of the result, or the exception type: both must agree."""
    try:
        prep = prepare(text)
    except Exception as exc:  # the caller catches scanner errors; they must match too
        return ("raised", type(exc))
    return (prep.text, prep.heredocs, prep.cut_at, prep.cut_total)


def test_corpus_covers_every_source():
    assert len(_string_literals()) > 500
    assert len(_task_scripts()) > 1000
    assert len(_corpus()) > 5000


@pytest.mark.parametrize("source", ["literals", "scripts", "random"])
def test_prepare_matches_frozen_reference(source):
    texts = {
        "literals": _string_literals,
        "scripts": _task_scripts,
        "random": _random_fragments,
    }[source]()
    mismatches = [
        text for text in texts if _outcome(_prepare, text) != _outcome(prepare_reference, text)
    ]
    assert not mismatches, f"{len(mismatches)} differ, first: {mismatches[0]!r}"
