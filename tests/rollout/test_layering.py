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
#: tasks/pipeline is the one part of tasks/ above rollout (it round-trips tasks).
ABOVE = ("tasks/pipeline",)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_nothing_below_rollout_imports_it():
    for layer in BELOW:
        root = PACKAGE / layer
        files = [root.with_suffix(".py")] if not root.is_dir() else sorted(root.rglob("*.py"))
        for path in files:
            if not path.exists() or any(str(path).find(f"/{a}/") >= 0 for a in ABOVE):
                continue
            bad = [n for n in imported(path) if n.startswith("terminal_gym.rollout")]
            assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_rollout_imports_only_layers_below_it():
    allowed = (*(f"terminal_gym.{layer}" for layer in BELOW), "terminal_gym.rollout")
    for path in (PACKAGE / "rollout").glob("*.py"):
        for name in imported(path):
            if name.startswith("terminal_gym."):
                assert name.startswith(allowed), f"rollout/{path.name} imports {name}"
                assert not name.startswith("terminal_gym.tasks.pipeline"), name


def test_importing_rollout_imports_neither_openai_nor_ray():
    code = (
        "import sys, terminal_gym.rollout\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'openai', 'ray'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
