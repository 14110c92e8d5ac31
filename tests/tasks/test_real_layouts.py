"""Regressions found by running real Terminal-Bench 1 and 2 tasks (see docs/offline.md).

The fixtures under ``tests/fixtures/real/`` are synthetic; they mirror the structure of
the real tasks that exposed each problem:

* TB1 ``solution.yaml`` steps are tmux keystrokes, ``append_enter`` defaults to true
  (the harness's ``TerminalCommand``), and only ``block`` steps wait for completion;
  the oracle used to run every step as a shell command to completion.
* Real verifiers fetch uv from astral.sh before running pytest; offline that fails and
  used to look like a plain reward of 0 (Harbor) or a bare "no pytest summary" (TB1).
* Real tasks start ``FROM`` public images (``ghcr.io/laude-institute/t-bench/...``,
  ``ubuntu:24.04``) that cannot be pulled offline.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from terminal_gym.envs import Command, Keys, TerminalLegoEnv
from terminal_gym.errors import TaskFormatError
from terminal_gym.rollout.agents import solution_step_actions, tmux_key
from terminal_gym.rollout.validate import validate_task
from terminal_gym.sandbox.base import ExecResult, StopReport
from terminal_gym.tasks.formats import load_task
from terminal_gym.tasks.spec import TESTS_DIR, VerifierSpec
from terminal_gym.verifier import missing_tooling, verify

REAL = Path(__file__).parent.parent / "fixtures" / "real"


def test_real_layouts_load():
    keys = load_task(REAL / "tb1-keystrokes")
    assert keys.source_format == "tb1"
    assert keys.environment.env == {"TEST_DIR": TESTS_DIR}
    assert keys.verifier.env == {"TEST_DIR": TESTS_DIR}
    assert keys.verifier.reward_source == "pytest"

    tb1 = load_task(REAL / "tb1-uv-verifier")
    assert tb1.solution is not None and tb1.solution.command == "bash /solution/solve.sh"
    assert tb1.verifier.timeout_sec == 300.0

    tb2 = load_task(REAL / "tb2-uv-verifier")
    assert tb2.source_format == "harbor"
    assert tb2.environment.limits.memory_mb == 2048
    assert tb2.verifier.command == "bash /tests/test.sh"


# -- TB1 solution.yaml ----------------------------------------------------------------


def test_solution_yaml_steps_get_the_harness_defaults():
    task = load_task(REAL / "tb1-keystrokes")
    steps = task.metadata["solution_steps"]
    # append_enter defaults to true, like terminal_bench's TerminalCommand
    assert [s["append_enter"] for s in steps] == [True, True, True, False, True]
    assert [s["block"] for s in steps] == [False, False, False, False, True]
    assert steps[0]["min_timeout_sec"] == 0.3
    assert steps[4]["max_timeout_sec"] == 30.0
    assert "max_timeout_sec" not in steps[0]


def test_solution_yaml_bad_max_timeout(tmp_path):
    task_dir = tmp_path / "t"
    task_dir.mkdir()
    for name in ("task.yaml", "Dockerfile", "run-tests.sh"):
        (task_dir / name).write_text((REAL / "tb1-keystrokes" / name).read_text())
    (task_dir / "solution.yaml").write_text("- command: ls\n  max_timeout_sec: soon\n")
    with pytest.raises(TaskFormatError, match=r"\[0\]\.max_timeout_sec"):
        load_task(task_dir)


@pytest.mark.parametrize(
    ("key", "sent"),
    [
        ("C-x", "\x18"),
        ("C-d", "\x04"),
        ("^C", "\x03"),
        ("Enter", "\r"),
        ("C-m", "\r"),
        ("Escape", "\x1b"),
        ("M-x", "\x1bx"),
        ("Up", "\x1b[A"),
        ("F1", "\x1bOP"),
        ("Hello, world!", "Hello, world!"),
        (":wq", ":wq"),
    ],
)
def test_tmux_key_names(key, sent):
    assert tmux_key(key) == sent


def test_solution_steps_become_keystrokes_and_blocking_commands():
    steps = load_task(REAL / "tb1-keystrokes").metadata["solution_steps"]
    actions = solution_step_actions(steps, budget=20.0)
    assert actions == [
        Keys("cat > hello.txt\r", wait=0.3),
        Keys("Hello, world!\r", wait=None),
        Keys("bye\r", wait=None),
        Keys("\x04", wait=0.3),
        # block: run to completion, max_timeout_sec capped by the agent's budget
        Command("test -s hello.txt && touch done.txt", timeout=20.0),
    ]
    # block without Enter does not block (nothing is executed), as in the harness
    assert solution_step_actions([{"command": "vim", "block": True, "append_enter": False}]) == [
        Keys("vim", wait=None)
    ]
    assert solution_step_actions([{"command": "make", "block": True}]) == [
        Command("make", timeout=180.0)
    ]


def test_keystroke_oracle_is_environment_verified(backend):
    env = TerminalLegoEnv(tasks=REAL / "tb1-keystrokes", backend=backend)
    try:
        verdict = validate_task(env, "tb1-keystrokes")
    finally:
        env.close()
    assert verdict.problems == []
    assert verdict.oracle_reward == 1.0 and verdict.null_reward == 0.0
    assert verdict.oracle_steps == 7  # export + 5 steps + submit


# -- verifiers that fetch their tooling -------------------------------------------------


OFFLINE_TB1 = """\
Reading package lists...
curl: (6) Could not resolve host: astral.sh
/tests/run-tests.sh: line 12: /root/.local/bin/env: No such file or directory
/tests/run-tests.sh: line 20: uv: command not found
"""


def test_missing_tooling_names_the_failing_lines():
    message = missing_tooling(OFFLINE_TB1)
    assert message is not None
    assert "Could not resolve host: astral.sh" in message
    assert "/root/.local/bin/env: No such file or directory" in message
    assert missing_tooling("sh: 1: uvx: not found") is not None
    assert missing_tooling("FAILED t.py::test_x - assert 0\n1 failed") is None
    assert missing_tooling("curl: (6) Could not resolve host: example.com") is None


class _FakeSandbox:
    """Just enough of a sandbox for :func:`verify`: canned output and reward file."""

    toolchain = None
    system_path = "/usr/bin:/bin"

    def __init__(self, output: str, reward: bytes | None):
        self.output, self.reward = output, reward

    def exec(self, command, *, timeout=None, env=None, workdir=None, shell="sh"):
        if command != "bash /tests/test.sh":  # grading's own steps
            return ExecResult(0, "", 0.0)
        return ExecResult(0, self.output, 0.1)

    def stop_processes(self):
        return StopReport("kill-all", stopped=0)

    def changes(self):
        return []

    def upload(self, src, dest, *, replace=True):
        pass

    def read_file(self, path, max_bytes=1 << 20):
        return self.reward if path.endswith("reward.txt") else None


def _task(reward_source: str):
    task = load_task(REAL / "tb2-uv-verifier")
    verifier = VerifierSpec(uploads=(), command="bash /tests/test.sh", reward_source=reward_source)
    return dataclasses.replace(task, verifier=verifier)


def test_offline_harbor_verifier_is_an_error_not_a_zero():
    result = verify(_FakeSandbox(OFFLINE_TB1, b"0\n"), _task("file"))
    assert result.reward == 0.0
    assert result.error is not None
    assert "no test ran" in result.error and "astral.sh" in result.error


def test_offline_tb1_verifier_error_says_why():
    result = verify(_FakeSandbox(OFFLINE_TB1, None), _task("pytest"))
    assert result.error is not None
    assert "no pytest -rA summary" in result.error
    assert "Could not resolve host: astral.sh" in result.error


def test_real_zero_with_tests_is_still_a_zero():
    output = OFFLINE_TB1 + "FAILED ../tests/test_outputs.py::test_total - assert 0\n"
    result = verify(_FakeSandbox(output, b"0\n"), _task("file"))
    assert result.error is None and result.reward == 0.0


# -- offline end to end: substitutes + verifier tooling -----------------------------------


@pytest.fixture(scope="module")
def verifier_tools(docker_client):
    from terminal_gym.sandbox.bootstrap import PYTHON_IMAGE
    from terminal_gym.sandbox.ca import find_ca_bundle
    from terminal_gym.sandbox.images import ensure_verifier_tools

    if docker_client.images.list(name=PYTHON_IMAGE) == []:
        pytest.skip(f"{PYTHON_IMAGE} is missing (terminal-gym images bootstrap)")
    tag = ensure_verifier_tools(docker_client, ca_bundle=find_ca_bundle())
    if tag is None:
        pytest.skip("the verifier tooling cannot be built here (no PyPI?)")
    return tag


@pytest.mark.docker
@pytest.mark.parametrize("name", ["tb1-uv-verifier", "tb2-uv-verifier"])
def test_uv_verifiers_run_offline_on_substitutes(name, docker_backend, verifier_tools):
    env = TerminalLegoEnv(tasks=REAL / name, backend=docker_backend)
    try:
        verdict = validate_task(env, name)
    finally:
        env.close()
    assert verdict.problems == []
    assert verdict.oracle_reward == 1.0 and verdict.null_reward == 0.0
