"""Dependencies point down (DESIGN section 2): ``rollout`` may import the env stack,
``vector``, ``data`` and ``wrappers``; nothing below it imports ``rollout``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import terminal_gym

PACKAGE = Path(terminal_gym.__file__).parent
BELOW = ("actions", "errors", "sandbox", "terminal", "verifier", "tamper", "envs", "vector",
         "wrappers", "data", "egs", "tasks")  # fmt: skip
#: pipeline is the one part of tasks/ above rollout (it round-trips tasks).
ABOVE = ("pipeline",)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_importing_rollout_imports_neither_openai_nor_ray():
    code = (
        "import sys, terminal_gym.rollout\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'openai', 'ray'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
