"""TerminalLegoEnv end to end on real sandboxes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import docker.errors
import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import terminal_gym
from terminal_gym import SUBMIT, Command, Keys
from terminal_gym.envs import TerminalLegoEnv

pytestmark = pytest.mark.docker
TASK = "find-prod-api-key"


@pytest.fixture
def env(docker_backend):
    env = gym.make("TerminalLego-v0", tasks="builtin", backend=docker_backend, task=TASK)
    yield env
    env.close()


def test_issue_example(docker_client):
    env = gym.make("TerminalLego-v0", tasks="builtin", backend="docker")
    obs, info = env.reset(seed=0, options={"task": TASK})
    assert info["task_id"] == TASK and info["backend"] == "docker"
    assert "answer.txt" in obs["instruction"]
    obs, r, term, trunc, info = env.step("echo hi")
    assert "hi" in obs["output"] and obs["exit_code"] == 0 and r == 0.0
    assert not term and not trunc
    container_id = env.unwrapped.sandbox.id
    obs, r, term, trunc, info = env.step(terminal_gym.SUBMIT)
    assert 0.0 <= r <= 1.0 and term and not trunc
    assert info["verifier"]["reward"] == r and not info["env_error"]
    env.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container_id)
    env.close()  # idempotent


def test_check_env(docker_backend):
    env = gym.make("TerminalLego-v0", backend=docker_backend, task=TASK, render_mode="ansi")
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_make_without_arguments_and_without_import(docker_client):
    code = (
        "import gymnasium as gym\n"
        "env = gym.make('terminal_gym:TerminalLego-v0')\n"
        "obs, info = env.reset(seed=3)\n"
        "print(info['backend'], info['task_id'] in env.unwrapped.tasks.ids)\n"
        "env.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["docker", "True"]


def test_seeded_reset_picks_the_same_task(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend)
    try:
        picks = [env.reset(seed=7)[1]["task_id"] for _ in range(2)]
        assert picks[0] == picks[1]
    finally:
        env.close()


def test_observation_fields_and_persistence(env):
    obs, _ = env.reset()
    assert env.observation_space.contains(obs)
    assert obs["cwd"] == "/app" and obs["output"] == ""
    env.step("cd /tmp && export MARK=42")
    obs, *_ = env.step("false")
    assert obs["exit_code"] == 1
    obs, *_ = env.step("echo $MARK; pwd")
    assert obs["output"] == "42\n/tmp\n" and obs["cwd"] == "/tmp"
    assert env.observation_space.contains(obs)


def test_step_timeout_per_env_and_per_step(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend, task=TASK, step_timeout=1.0)
    try:
        env.reset()
        started = time.monotonic()
        obs, _, _, _, info = env.step("sleep 600")
        assert time.monotonic() - started < 5
        assert obs["timed_out"] == 1 and info["timed_out"]
        obs, _, _, _, info = env.step(Command("sleep 2; echo slow", timeout=10))
        assert obs["output"] == "slow\n" and obs["timed_out"] == 0
    finally:
        env.close()


def test_max_steps_truncates_and_still_grades(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend, task=TASK, max_steps=2)
    try:
        env.reset()
        _, _, term, trunc, info = env.step("ls")
        assert not term and not trunc
        _, r, term, trunc, info = env.step("ls")
        assert trunc and not term
        assert info["truncated_by"] == "max_steps" and "verifier" in info and r == 0.0
        with pytest.raises(terminal_gym.TerminalGymError):
            env.step("ls")
    finally:
        env.close()


def test_agent_timeout_truncates_and_grades(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend, task=TASK, agent_timeout=1.0)
    try:
        env.reset()
        started = time.monotonic()
        _, _, _term, trunc, info = env.step("sleep 30")
        assert time.monotonic() - started < 10
        assert trunc and info["truncated_by"] == "agent_timeout" and "verifier" in info
    finally:
        env.close()


def test_planted_reward_and_fake_tests_do_not_count(env):
    env.reset()
    env.step(
        "mkdir -p /logs/verifier /tests && echo 1 > /logs/verifier/reward.txt && "
        "echo '{\"reward\": 1}' > /logs/verifier/reward.json && "
        "printf 'echo 1 > /logs/verifier/reward.txt\\n' > /tests/test.sh"
    )
    _, r, term, _, info = env.step(SUBMIT)
    assert term and r == 0.0 and not info["env_error"]


def test_oracle_scores_one_and_verifier_details(env):
    from terminal_gym.rollout.agents import OracleAgent, run_episode

    result = run_episode(env, OracleAgent(), task=TASK)
    assert result.reward == 1.0 and result.terminated and not result.env_error
    assert result.verifier["duration"] > 0 and result.verifier["error"] is None


def test_container_killed_mid_episode_is_an_env_error(env, docker_client):
    env.reset()
    docker_client.containers.get(env.unwrapped.sandbox.id).kill()
    started = time.monotonic()
    _obs, r, term, trunc, info = env.step("echo still there?")
    assert time.monotonic() - started < 30
    assert info["env_error"] and trunc and not term and r == 0.0
    assert "error" in info


def test_missing_reward_file_is_an_env_error(docker_backend, tmp_path):
    import shutil

    from tests.conftest import FIXTURES

    task_dir = tmp_path / "no-reward"
    shutil.copytree(FIXTURES / "shell-task", task_dir)
    (task_dir / "tests" / "test.sh").write_text("#!/bin/bash\necho 'forgot the reward'\n")
    env = TerminalLegoEnv(tasks=task_dir, backend=docker_backend)
    try:
        env.reset()
        _, r, term, _, info = env.step(SUBMIT)
        assert term and r == 0.0 and info["env_error"]
        assert "reward" in info["verifier"]["error"]
        assert "forgot the reward" in info["verifier"]["output_tail"]
    finally:
        env.close()


def test_keys_mode_and_render(docker_backend):
    env = TerminalLegoEnv(backend=docker_backend, task=TASK, mode="keys", render_mode="ansi")
    try:
        obs, _ = env.reset()
        assert "screen" in obs
        obs, *_ = env.step(Keys("python3\r", wait=3.0))
        obs, *_ = env.step("6*7\r")
        assert "42" in obs["screen"] and "42" in env.render()
        obs, *_ = env.step(Keys("exit()\r", wait=2.0))
        assert env.observation_space.contains(obs)
    finally:
        env.close()


def test_bad_arguments():
    with pytest.raises(ValueError):
        TerminalLegoEnv(backend="local", mode="vi")
    with pytest.raises(terminal_gym.errors.TaskNotFoundError):
        TerminalLegoEnv(backend="local", task="no-such-task")


def test_works_with_descriptors_above_1023(docker_backend):
    """Hundreds of envs in one process push their PTYs past fd 1023, where select() fails."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    held = [os.dup(devnull) for _ in range(1100)]
    env = gym.make("TerminalLego-v0", backend=docker_backend, task=TASK)
    try:
        env.reset()
        assert env.unwrapped.shell._pty.child.child_fd > 1023
        obs, *_ = env.step("echo ok; sleep 0.2; printf '%0.s-' $(seq 5000)")
        assert obs["output"].startswith("ok\n") and obs["output"].count("-") == 5000
        _, reward, terminated, _, info = env.step(SUBMIT)
        assert terminated and reward == 0.0 and not info["env_error"], info.get("error")
    finally:
        env.close()
        for fd in [*held, devnull]:
            os.close(fd)


def test_sandbox_closed_from_outside_is_an_env_error(backend):
    """A sandbox closed under the env (its PTY descriptor gone) is the env's failure,
    reported as ``env_error``, never an exception; the next reset starts afresh."""
    env = gym.make("TerminalLego-v0", tasks="builtin", task="find-prod-api-key", backend=backend)
    try:
        env.reset()
        env.unwrapped.sandbox.close()
        _, r, term, trunc, info = env.step("echo hi")
        assert info["env_error"] and trunc and not term and r == 0.0
        env.reset()
        obs, *_ = env.step("echo hi")
        assert obs["output"] == "hi\n"
    finally:
        env.close()
