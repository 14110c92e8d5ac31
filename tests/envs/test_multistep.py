"""Multi-step tasks (Harbor ``[[steps]]``) in TerminalLegoEnv: Docker, the counter fixture."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from terminal_gym import SUBMIT
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.rollout.agents import OracleAgent, run_episode
from terminal_gym.sandbox.health import HealthcheckError
from terminal_gym.tasks import load_task
from terminal_gym.tasks.spec import Healthcheck

pytestmark = pytest.mark.docker
COUNTER = Path(__file__).resolve().parent.parent / "fixtures" / "multistep" / "counter"


@pytest.fixture(scope="module")
def counter():
    return load_task(COUNTER)


def _env(task, backend, **kwargs):
    return TerminalLegoEnv(task, backend=backend, **kwargs)


def _play(env, actions):
    """Step through ``actions``; the step results, up to the episode's end."""
    results = []
    for action in actions:
        results.append(env.step(action))
        if results[-1][2] or results[-1][3]:
            break
    return results


def test_the_oracle_passes_every_step(counter, docker_backend):
    env = _env(counter, docker_backend)
    try:
        result = run_episode(env, OracleAgent())
    finally:
        env.close()
    assert result.reward == 1.0 and result.terminated and not result.env_error
    assert [s["reward"] for s in result.verifier["steps"]] == [1.0, 1.0, 1.0]
    assert result.verifier["reward_strategy"] == "mean"


def test_instructions_rewards_and_step_info_per_step(counter, docker_backend):
    env = _env(counter, docker_backend)
    try:
        obs, info = env.reset()
        assert obs["instruction"] == counter.steps[0].instruction
        assert info["task_step"] == {"index": 0, "name": "create", "count": 3}
        assert info["healthcheck"]["attempts"] == 1
        results = _play(
            env,
            [
                "echo 1 > /app/counter.txt",
                SUBMIT,
                # setup.sh ran before step 2 (the verifier checks its marker too), and
                # step 1's tests are gone.
                "test -f /app/.increment-setup-ran && cat /app/seed.txt && ls /tests | wc -l",
                "echo 2 > /app/counter.txt",
                SUBMIT,
                "cat /app/counter.txt > /app/report.txt",
                SUBMIT,
            ],
        )
    finally:
        env.close()
    rewards = [r for _, r, _, _, _ in results]
    assert rewards == [0.0] * 6 + [1.0]
    (obs1, _, term1, trunc1, info1) = results[1]
    assert not (term1 or trunc1)
    assert obs1["instruction"] == counter.steps[1].instruction
    assert info1["task_step"]["name"] == "increment"
    assert info1["step_result"]["name"] == "create" and info1["step_result"]["reward"] == 1.0
    assert "step_healthcheck" in info1
    assert results[2][0]["output"].split() == ["1", "0"] and results[2][0]["exit_code"] == 0
    assert results[2][4]["task_step"]["index"] == 1
    assert results[4][4]["step_result"]["rewards"] == {"reward": 1.0, "setup_ran": 1.0}
    obs, _, term, trunc, info = results[-1]
    assert term and not trunc and not info["env_error"]
    assert obs["instruction"] == counter.steps[2].instruction
    assert info["step_rewards"] == [
        {"reward": 1.0},
        {"reward": 1.0, "setup_ran": 1.0},
        {"reward": 1.0},
    ]
    assert info["reward"] == 1.0 and info["verifier"]["rewards"] == {
        "reward": 1.0,
        "setup_ran": 1.0 / 3,
    }


def test_per_step_rewards_at_each_boundary(counter, docker_backend):
    env = _env(counter, docker_backend, reward_mode="per_step")
    try:
        env.reset()
        results = _play(
            env,
            [
                "echo 1 > /app/counter.txt",
                SUBMIT,
                SUBMIT,  # increment left undone: 0, but no gate on this step
                "echo 1 > /app/report.txt",
                SUBMIT,
            ],
        )
    finally:
        env.close()
    assert [r for _, r, _, _, _ in results] == [0.0, 1.0, 0.0, 0.0, 0.0]
    info = results[-1][4]
    # The report step expected 2: it fails its min_reward {reward = 0.5} and is last anyway.
    assert [s["reward"] for s in info["step_rewards"]] == [1.0, 0.0, 0.0]
    assert info["reward"] == pytest.approx(1 / 3)


def test_a_failed_gate_ends_the_episode_after_that_step(counter, docker_backend):
    env = _env(counter, docker_backend)
    try:
        env.reset()
        results = _play(env, ["echo 5 > /app/counter.txt", SUBMIT, "echo never"])
    finally:
        env.close()
    assert len(results) == 2
    _, reward, term, trunc, info = results[-1]
    assert term and not trunc and not info["env_error"]
    assert reward == 0.0 and info["step_rewards"] == [{"reward": 0.0}]
    assert info["stopped_by"].startswith("step 'create': reward=0.0 is below min_reward")
    assert info["task_step"]["name"] == "create" and "increment" not in str(info["verifier"])


def test_the_mean_is_over_graded_steps_only(counter, docker_backend):
    # Without the first step's gate, a gate on step 2 ends it: two graded steps, mean 0.5.
    steps = list(counter.steps)
    steps[0] = dataclasses.replace(steps[0], min_reward=None)
    steps[1] = dataclasses.replace(steps[1], min_reward=1.0)
    task = dataclasses.replace(counter, steps=tuple(steps))
    env = _env(task, docker_backend)
    try:
        env.reset()
        results = _play(env, ["echo 1 > /app/counter.txt", SUBMIT, SUBMIT])
    finally:
        env.close()
    _, reward, term, _, info = results[-1]
    assert term and reward == 0.5 and len(info["step_rewards"]) == 2


def test_a_step_that_cannot_be_prepared_counts_as_failed(counter, docker_backend):
    """After the agent has worked in the sandbox, a next step whose healthcheck or setup
    fails is counted 0 (as far as the env can tell the agent broke it), never an env error
    that would discard the episode."""
    steps = list(counter.steps)
    steps[1] = dataclasses.replace(
        steps[1], healthcheck=Healthcheck("echo sick; false", interval_sec=0.05, retries=2)
    )
    env = _env(dataclasses.replace(counter, steps=tuple(steps)), docker_backend)
    try:
        env.reset()
        results = _play(env, ["echo 1 > /app/counter.txt", SUBMIT])
    finally:
        env.close()
    _, reward, term, trunc, info = results[-1]
    assert term and not trunc and not info["env_error"]
    assert "HealthcheckError" in info["stopped_by"] and "sick" in info["stopped_by"]
    assert info["step_rewards"] == [{"reward": 1.0}, {"reward": 0.0}]
    assert reward == info["reward"] == 0.5  # the mean over the two steps, the failed one 0


def test_sabotaging_the_next_step_never_pays(counter, docker_backend):
    """A hostile agent that, in step 1, removes what step 2's healthcheck needs does not
    escape step 2: it scores as if it had failed it."""
    steps = list(counter.steps)
    steps[1] = dataclasses.replace(
        steps[1], healthcheck=Healthcheck("test -d /app/state", interval_sec=0.05, retries=2)
    )
    task = dataclasses.replace(counter, steps=tuple(steps))
    env = _env(task, docker_backend, reward_mode="per_step")
    try:
        env.reset()
        honest = _play(env, ["mkdir -p /app/state; echo 1 > /app/counter.txt", SUBMIT, SUBMIT])
        env.reset()
        sabotage = _play(env, ["rm -rf /app/state; echo 1 > /app/counter.txt", SUBMIT])
    finally:
        env.close()
    honest_return = sum(r[1] for r in honest)
    sabotage_return = sum(r[1] for r in sabotage)
    assert not sabotage[-1][4]["env_error"] and sabotage[-1][2]
    assert sabotage_return <= honest_return and sabotage_return == 1.0


def test_a_failing_task_healthcheck_fails_reset(counter, docker_backend, docker_client):
    environment = dataclasses.replace(
        counter.environment, healthcheck=Healthcheck("echo no service; false", retries=1)
    )
    env = _env(dataclasses.replace(counter, environment=environment), docker_backend)
    try:
        with pytest.raises(HealthcheckError, match="no service"):
            env.reset()
        assert env.sandbox is None  # removed
    finally:
        env.close()


def test_reward_mode_is_validated(counter):
    with pytest.raises(ValueError, match="reward_mode must be 'final' or 'per_step'"):
        TerminalLegoEnv(counter, backend="local", reward_mode="dense")  # type: ignore[arg-type]


def test_check_env(counter, docker_backend):
    env = gym.make("TerminalLego-v0", tasks=counter, backend=docker_backend)
    try:
        check_env(env.unwrapped)
    finally:
        env.close()


def test_a_steps_prior_trajectory_reaches_the_agent(tmp_path, docker_backend):
    import json
    import shutil

    from terminal_gym.errors import TaskFormatError

    task_dir = tmp_path / "counter"
    shutil.copytree(COUNTER, task_dir)
    prior = {"schema_version": "ATIF-v1.4", "steps": [{"step_id": 1, "source": "user"}]}
    (task_dir / "steps" / "increment" / "trajectory.json").write_text(json.dumps(prior))
    env = _env(load_task(task_dir), docker_backend)
    try:
        _, info = env.reset()
        assert "prior_trajectory" not in info
        env.step("echo 1 > /app/counter.txt")
        *_, info = env.step(SUBMIT)
        assert info["task_step"]["name"] == "increment" and info["prior_trajectory"] == prior
    finally:
        env.close()
    (task_dir / "steps" / "increment" / "trajectory.json").write_text("[not json")
    with pytest.raises(TaskFormatError, match=r"trajectory\.json"):
        load_task(task_dir)
