"""The examples run, in a short setting, so none rots: each as a script, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vector.conftest import require_ray

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def run_example(script: str, *args: str, timeout: float = 600) -> str:
    """Run ``examples/<script>`` with this interpreter; its output, or fail with it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.docker
def test_quickstart(docker_client):
    out = run_example("quickstart.py", "--backend", "docker")
    assert "submitted without solving: reward 0.0" in out
    assert "oracle: reward 1.0" in out


@pytest.mark.docker
def test_vector_envs(docker_client):
    require_ray()
    out = run_example("vector_envs.py", "--envs", "3", "--backend", "docker")
    assert "sync outputs: ['env 0', 'env 1', 'env 2']" in out
    assert "ready [0]: ['slow']" in out


@pytest.mark.docker
def test_custom_task_validates(docker_client):
    out = run_example("custom_task/validate.py", "--backend", "docker")
    assert "word-count-report: verified (oracle 1" in out


@pytest.mark.docker
def test_a_broken_custom_task_is_not_verified(docker_client, tmp_path):
    """The validator catches a task whose untouched environment already passes."""
    import shutil

    task = tmp_path / "word-count-report"
    shutil.copytree(EXAMPLES / "custom_task" / "word-count-report", task)
    test = task / "tests" / "test.sh"
    test.write_text("#!/bin/bash\nmkdir -p /logs/verifier\necho 1 > /logs/verifier/reward.txt\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_task" / "validate.py"), str(task)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "doing nothing scored 1, not 0" in proc.stdout


def test_every_example_is_run_by_a_test():
    """A new example needs a test here that runs it (its path, quoted, in a test file)."""
    scripts = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")}
    tests = [p.read_text() for p in Path(__file__).parent.glob("test_*.py")]
    untested = {s for s in scripts if not any(f'"{s}"' in text for text in tests)}
    assert untested == set(), f"examples no test runs: {sorted(untested)}"
