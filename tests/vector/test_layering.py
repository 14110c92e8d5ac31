"""``terminal_gym.vector`` imports Ray only when ``RayVectorEnv`` is used, and nothing above
the env layer (DESIGN section 2)."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym


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


def test_registered_with_a_vector_entry_point():
    spec = gym.spec("TerminalLego-v0")
    assert spec.vector_entry_point == "terminal_gym.vector:RayVectorEnv"
    assert spec.entry_point == "terminal_gym.envs:TerminalLegoEnv"
