"""benchmarks/parse_compare.py: the corpus builder and the comparison run (no timings)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bash")

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "parse_compare.py"


def _load():
    spec = importlib.util.spec_from_file_location("parse_compare", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_corpus_is_not_empty():
    pc = _load()
    corpus = pc.build_corpus(families=False)
    sizes = corpus.sizes()
    assert sizes["tests/egs"] > 100
    assert sizes["builtin oracles"] > 50
    assert len(corpus.commands) == len(set(corpus.commands))


def test_split_script_keeps_heredocs_and_continuations_whole():
    pc = _load()
    script = "#!/bin/bash\nset -e\n\ncat > f <<'EOF'\na\nb\nEOF\nls \\\n  -la\n# note\npwd\n"
    assert pc.split_script(script) == [
        "set -e",
        "cat > f <<'EOF'\na\nb\nEOF",
        "ls \\\n  -la",
        "pwd",
    ]


def test_compare_runs_on_five_commands():
    pc = _load()
    commands = [
        "cd /app && ls -la | grep x",
        'echo "$(cat /etc/hostname)" > out.txt',
        "[[ -f a && -d b ]] && echo ok",
        "cat > f <<'EOF'\nx\nEOF",
        'for f in *.py; do wc -l "$f"; done',
    ]
    rows = pc.compare(commands)
    assert len(rows) == 5
    assert all(r.cur_ok and r.ts_ok for r in rows)
    assert rows[0].ts_words == [["cd", "/app"], ["ls", "-la"], ["grep", "x"]]
    assert rows[1].ts_words == [["cat", "/etc/hostname"], ["echo", "$(cat /etc/hostname)"]]
    assert all(r.names_agree for r in rows)
    summary = pc.summarise(rows, {"?": 5})
    assert summary["all"]["commands"] == 5
