"""The layer contract of DESIGN section 2 (``[tool.importlinter]`` in pyproject.toml):
dependencies point down, never up or in a circle, and reading a trajectory file does
not load the env stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_layer_contract_is_kept():
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    out = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "BROKEN" not in out.stdout


def test_reading_trajectories_does_not_load_the_env_stack():
    code = (
        "import sys, terminal_gym.data\n"
        "heavy = ('terminal_gym.envs', 'terminal_gym.sandbox', 'terminal_gym.terminal',"
        " 'terminal_gym.wrappers', 'pexpect', 'docker')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_the_package_root_loads_the_env_on_first_use():
    code = (
        "import sys, terminal_gym\n"
        "assert 'terminal_gym.envs' not in sys.modules\n"
        "assert terminal_gym.TerminalLegoEnv.__name__ == 'TerminalLegoEnv'\n"
        "assert terminal_gym.SUBMIT == '<|submit|>' and 'TaskSet' in dir(terminal_gym)\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "ok", out.stdout + out.stderr
