"""MenuAction turns picks into the instance's commands; CatchEnvErrors never raises, so one
failing sub-env of a vector env ends its own episode and no other."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from terminal_gym.rllib import CatchEnvErrors, EncodeObservation, MenuAction, make_menu_env
from terminal_gym.rollout.menu import MenuError, menu_for
from tests.wrappers.fake_env import FakeTerminalEnv

TASK = "git-history-d1-s3"  # a "restore" instance


class _Raising(FakeTerminalEnv):
    """Raises from ``reset`` or ``step`` while told to."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_reset = self.fail_step = False

    def reset(self, *, seed=None, options=None):
        if self.fail_reset:
            raise OSError("no sandbox for you")
        return super().reset(seed=seed, options=options)

    def step(self, action):
        if self.fail_step:
            raise RuntimeError("the shell went away")
        return super().step(action)


def test_a_raising_step_becomes_a_flagged_truncation():
    inner = _Raising()
    env = CatchEnvErrors(EncodeObservation(inner))
    first, _ = env.reset(seed=0)
    inner.fail_step = True
    obs, reward, terminated, truncated, info = env.step("ls")
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert info["env_error"] and info["exception"] == "RuntimeError"
    assert "the shell went away" in info["error"]
    assert np.array_equal(obs, first) and env.observation_space.contains(obs)
    inner.fail_step = False
    env.reset(seed=1)  # the next episode works
    assert env.step("ls")[3] is False


def test_a_raising_reset_gives_a_blank_observation_then_a_truncation():
    inner = _Raising()
    env = CatchEnvErrors(EncodeObservation(inner))
    inner.fail_reset = True
    obs, info = env.reset(seed=0)
    assert info["env_error"] and info["exception"] == "OSError"
    assert env.observation_space.contains(obs) and not obs.any()
    steps_before = inner.steps
    _, reward, terminated, truncated, info = env.step("ls")
    assert truncated and not terminated and reward == 0.0 and info["env_error"]
    assert inner.steps == steps_before  # the broken env was not stepped
    inner.fail_reset = False
    _, info = env.reset(seed=1)
    assert not info["env_error"]


@pytest.mark.local
def test_menu_action_needs_a_family(local_backend):
    env = gym.make("TerminalLego-v0", tasks="builtin", backend=local_backend)
    try:
        with pytest.raises(MenuError, match="family:<name>"):
            MenuAction(env)
    finally:
        env.close()


@pytest.mark.local
def test_menu_action_runs_the_instance_commands(local_backend):
    env = MenuAction(
        gym.make("TerminalLego-v0", tasks="family:git-history", backend=local_backend, task=TASK)
    )
    try:
        assert env.action_space == spaces.Discrete(5)
        env.reset(seed=0)
        task = env.unwrapped.task
        assert env.commands == menu_for(task).commands(task)
        obs, _, _, _, info = env.step(0)
        assert info["menu_pick"] == "show-log" and "Initial import" in obs["output"]
        *_, info = env.step(menu_for(task).index("restore-file"))
        assert obs is not None and info["exit_code"] == 0
        _, reward, terminated, _, info = env.step(menu_for(task).index("submit"))
        assert terminated and reward == 1.0 and info["menu_pick"] == "submit"
    finally:
        env.close()


def _solve_rest(envs, done_index: int) -> float:
    """Play the solution on every sub-env but ``done_index``; the last reward of env 1."""
    menu = menu_for("git-history")
    restore, submit = menu.index("restore-file"), menu.index("submit")
    actions = np.array([restore, restore])
    _, rewards, terminated, truncated, infos = envs.step(actions)
    assert not truncated[1] and not terminated[1]
    _, rewards, terminated, truncated, infos = envs.step(np.array([submit, submit]))
    assert terminated[1] and not infos["env_error"][1]
    return float(rewards[1])


@pytest.mark.parametrize("backend_name", ["docker", "local"])
def test_one_failing_sub_env_leaves_the_others_going(backend_name, request):
    request.getfixturevalue(f"{backend_name}_backend")  # skips (or fails in CI) when absent
    config = {"backend": backend_name, "task": TASK, "max_steps": 4}
    envs = gym.vector.SyncVectorEnv([lambda: make_menu_env(config)] * 2)
    try:
        envs.reset(seed=0)
        obs, *_ = envs.step(np.array([0, 0]))  # both inspect: episodes under way
        sandbox = envs.envs[0].unwrapped.sandbox
        if backend_name == "docker":
            request.getfixturevalue("docker_client").containers.get(sandbox.id).kill()
        else:
            sandbox.close()  # removed from under the shell
        obs, rewards, terminated, truncated, infos = envs.step(np.array([1, 1]))
        assert truncated[0] and infos["env_error"][0] and rewards[0] == 0.0
        assert not truncated[1] and not terminated[1] and not infos["env_error"][1]
        assert envs.observation_space.contains(obs)
        # env 1 finishes its episode as if nothing happened; env 0 was reset meanwhile
        assert _solve_rest(envs, 0) == 1.0
        assert envs.envs[0].unwrapped.sandbox is not sandbox
    finally:
        envs.close()
