"""``terminal_gym.vector`` imports Ray only when ``RayVectorEnv`` is used, and nothing above
the env layer (DESIGN section 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gymnasium as gym

import terminal_gym
import terminal_gym.vector

#: What vector/ may import from the package: the layers below it.
ALLOWED = (
    "terminal_gym.envs",
    "terminal_gym.vector",
    "terminal_gym.sandbox",
    "terminal_gym.errors",
    "terminal_gym.tasks",
)


def test_importing_the_package_imports_no_ray():
    code = (
        "import sys, gymnasium as gym, terminal_gym, terminal_gym.vector\n"
        "gym.spec('TerminalLego-v0')\n"
        "assert terminal_gym.vector.EnvGroup\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_vector_imports_nothing_above_the_env_layer():
    for path in Path(terminal_gym.vector.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "terminal_gym" or name.startswith("terminal_gym."):
                    assert name.startswith(ALLOWED), f"{path.name} imports {name}"


def test_registered_with_a_vector_entry_point():
    spec = gym.spec("TerminalLego-v0")
    assert spec.vector_entry_point == "terminal_gym.vector:RayVectorEnv"
    assert spec.entry_point == "terminal_gym.envs:TerminalLegoEnv"
