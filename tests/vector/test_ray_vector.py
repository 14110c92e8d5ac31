"""``RayVectorEnv``'s semantics on Docker-free sub-envs: batching, seeds, autoreset,
``send``/``recv``, errors of use. (Real containers and faults: ``test_ray_faults.py``.)"""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest
from gymnasium.error import AlreadyPendingCallError, NoAsyncCallError
from gymnasium.vector import AutoresetMode

from tests.vector.fake import make_napping_env, ship


@pytest.fixture(scope="module")
def ray_env_class(local_ray):
    ship()
    from terminal_gym.vector import RayVectorEnv

    return RayVectorEnv


@pytest.fixture
def make(ray_env_class):
    made = []

    def make(num_envs=5, max_steps=3, **kwargs):
        kwargs.setdefault("envs_per_actor", 2)
        env_fn = functools.partial(make_napping_env, max_steps=max_steps)
        made.append(ray_env_class(num_envs, env_fn=env_fn, **kwargs))
        return made[-1]

    yield make
    for envs in made:
        envs.close()


def test_spaces_seeds_and_next_step_autoreset(make):
    envs = make()
    single = make_napping_env()
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    assert [len(actor["envs"]) for actor in envs.actor_info()] == [2, 2, 1]
    obs, infos = envs.reset(seed=10)
    assert envs.observation_space.contains(obs) and list(infos["_task_id"]) == [True] * 5
    assert envs.get_attr("np_random_seed") == (10, 11, 12, 13, 14)
    assert envs.step(["seed"] * 5)[0]["output"] == tuple(f"{10 + i}\n" for i in range(5))
    obs, rewards, terminated, truncated, infos = envs.step([f"echo {i}" for i in range(5)])
    assert obs["output"] == tuple(f"{i}\n" for i in range(5)) and not truncated.any()
    obs, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
    assert truncated.all() and list(infos["step"]) == [3] * 5
    # The next step resets: the action is ignored, the reset's observation and info return.
    obs, rewards, terminated, truncated, infos = envs.step(["echo ignored"] * 5)
    assert obs["output"] == ("",) * 5 and not (terminated | truncated).any()
    assert list(rewards) == [0.0] * 5 and "step" not in infos
    assert envs.step(["echo again"] * 5)[4]["step"].tolist() == [1] * 5


def test_recv_returns_the_ready_without_waiting_for_the_slowest(make):
    envs = make()
    envs.reset(seed=0)
    envs.send([0, 1, 2], ["nap 3", "echo 1", "echo 2"])
    envs.send([4], ["echo 4"])
    started = time.monotonic()
    ready, obs, rewards, terminated, _, infos = envs.recv(min_ready=3)
    assert time.monotonic() - started < 1.5
    assert ready.tolist() == [1, 2, 4] and obs["output"] == ("1\n", "2\n", "4\n")
    assert rewards.shape == terminated.shape == (3,) and infos["step"].tolist() == [1, 1, 1]
    with pytest.raises(AlreadyPendingCallError):
        envs.send([0], ["echo busy"])
    envs.send([1], ["echo 1 again"])  # sub-env 1 is free again
    empty = envs.recv(timeout=0.0, min_ready=2)
    assert empty[0].tolist() in ([], [1])
    rest = envs.recv(min_ready=2) if empty[0].tolist() == [] else envs.recv()
    assert time.monotonic() - started > 2.5
    assert 0 in rest[0].tolist() and "napped\n" in rest[1]["output"]
    if rest[0].tolist() == [0]:
        envs.recv()
    with pytest.raises(NoAsyncCallError):
        envs.recv()


def test_step_wait_timeout_keeps_the_calls(make):
    envs = make(num_envs=2)
    envs.reset()
    envs.step_async(["nap 1.5", "echo fast"])
    with pytest.raises(AlreadyPendingCallError):
        envs.step_async(["echo", "echo"])
    with pytest.raises(TimeoutError):
        envs.step_wait(timeout=0.2)
    obs = envs.step_wait()[0]
    assert obs["output"] == ("napped\n", "fast\n")
    with pytest.raises(NoAsyncCallError):
        envs.step_wait()


def test_disabled_autoreset_and_reset_mask(make):
    envs = make(num_envs=3, autoreset_mode="Disabled")
    assert envs.metadata["autoreset_mode"] == AutoresetMode.DISABLED
    with pytest.raises(ValueError, match="never began"):
        envs.step(["echo"] * 3)
    envs.reset(seed=[1, 2, 3])
    envs.step(["echo a", "echo b", "echo c"])
    assert not envs.step(["echo m"] * 3)[3].any()
    assert envs.step(["echo z"] * 3)[3].all()
    with pytest.raises(ValueError, match="has ended"):
        envs.step(["echo"] * 3)
    mask = np.array([True, False, True])
    options = {"reset_mask": mask}
    obs, infos = envs.reset(seed=7, options=options)
    assert "reset_mask" in options  # the caller's dict is left alone
    assert infos["_task_id"].tolist() == [True, False, True]
    assert obs["output"] == ("", "z\n", "")  # sub-env 1 keeps its latest observation
    assert envs.get_attr("last_seed") == (7, 2, 9)
    with pytest.raises(ValueError, match="has ended"):
        envs.step(["echo"] * 3)
    envs.reset(options={"reset_mask": ~mask})
    assert envs.step(["echo x"] * 3)[0]["output"] == ("x\n",) * 3


def test_bad_use_raises(make, ray_env_class):
    envs = make(num_envs=2)
    envs.reset()
    with pytest.raises(ValueError, match="expected 2 actions"):
        envs.step(["echo"])
    with pytest.raises(TypeError, match="str, Command or Keys"):
        envs.step([1, 2])
    with pytest.raises(ValueError, match="distinct"):
        envs.send([0, 0], ["echo", "echo"])
    with pytest.raises(ValueError, match="NEXT_STEP and DISABLED"):
        ray_env_class(2, env_fn=make_napping_env, autoreset_mode="SameStep")
    with pytest.raises(ValueError, match="envs_per_actor"):
        ray_env_class(2, envs_per_actor=0, env_fn=make_napping_env)
    envs.close()
    envs.close()  # idempotent


def test_send_reset_resets_some_without_waiting_for_others(make):
    envs = make(num_envs=3, max_steps=5, autoreset_mode=AutoresetMode.DISABLED)
    envs.reset(seed=0)
    envs.send([0], ["nap 2"])
    envs.send_reset([1, 2], seeds=[41, 42], options=[{"x": 1}, None])
    started = time.monotonic()
    ready, obs, rewards, terminated, truncated, infos = envs.recv(min_ready=2)
    assert time.monotonic() - started < 1.5  # not held up by sub-env 0's step
    assert ready.tolist() == [1, 2] and obs["output"] == ("", "")
    assert rewards.tolist() == [0.0, 0.0] and not (terminated | truncated).any()
    assert list(infos["task_id"]) == ["fake-task"] * 2  # the resets' infos
    envs.send([1, 2], ["seed", "seed"])  # stepping after a send_reset needs no reset()
    ready, obs, *_ = envs.recv(min_ready=3)
    assert ready.tolist() == [0, 1, 2]
    assert obs["output"] == ("napped\n", "41\n", "42\n")
    with pytest.raises(ValueError, match="indices, 1 seeds"):
        envs.send_reset([0, 1], seeds=[1])
    envs.send_reset([0])
    with pytest.raises(AlreadyPendingCallError):
        envs.send_reset([0])
    assert envs.recv()[0].tolist() == [0]


def test_non_text_action_spaces_take_their_own_actions(ray_env_class):
    """A sub-env with a numeric action space (a command menu's ``Discrete``) is stepped with
    its actions, numpy integers included; actions outside the space are refused."""
    from terminal_gym.vector.group import EnvFactory

    envs = ray_env_class(2, envs_per_actor=2, env_fn=EnvFactory("CartPole-v1"))
    try:
        envs.reset(seed=0)
        obs, rewards, *_ = envs.step(np.array([0, 1]))
        assert obs.shape == (2, 4) and rewards.tolist() == [1.0, 1.0]
        with pytest.raises(ValueError, match="not in Discrete"):
            envs.step([0, 5])
    finally:
        envs.close()
