"""``RayVectorEnv`` on Docker: ``gym.make_vec``'s vector entry point, each sub-env's own text
across steps and the autoreset, no container started to learn the spaces, Gymnasium's
env checker on the sub-envs in their actors."""

from __future__ import annotations

import gymnasium as gym
import pytest

from terminal_gym.sandbox.base import owner_label
from terminal_gym.sandbox.docker import owned_containers
from tests.conftest import FIXTURES
from tests.vector.fake import check_sub_env, ship
from tests.vector.test_gym_vector import TASK, N, assert_own_texts

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def ray_env_class(local_ray):
    ship()
    from terminal_gym.vector import RayVectorEnv

    return RayVectorEnv


def _containers(client, envs) -> list[str]:
    return [
        c
        for actor in envs.actor_info()
        for c in owned_containers(client, owner_label(actor["pid"]))
    ]


@pytest.mark.parametrize("how", ["default", "vector_entry_point"])
@pytest.mark.parametrize("mode", ["command", "keys"])
def test_make_vec_and_own_texts(docker_client, ray_env_class, how, mode):
    extra = {} if how == "default" else {"vectorization_mode": "vector_entry_point"}
    envs = gym.make_vec(
        "TerminalLego-v0",
        num_envs=N,
        envs_per_actor=2,
        tasks=TASK,
        backend="docker",
        mode=mode,
        max_steps=3,
        **extra,
    )
    try:
        assert isinstance(envs, ray_env_class) and envs.spec.id == "TerminalLego-v0"
        assert envs.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
        assert [a["envs"] for a in envs.actor_info()] == [[0, 1], [2]]
        obs, infos = envs.reset(seed=0)
        assert envs.observation_space.contains(obs) and not infos["env_error"].any()
        for step in range(7):
            enter = "\r" if mode == "keys" else ""
            obs, _, terminated, truncated, infos = envs.step(
                [f"echo idx-{i}-{step}{enter}" for i in range(N)]
            )
            assert envs.observation_space.contains(obs)
            assert_own_texts(obs, step, autoreset=step == 3)
            assert list(truncated) == [step in (2, 6)] * N and not terminated.any()
            assert not infos["env_error"].any()
    finally:
        envs.close()


def test_construction_starts_no_container_and_close_removes_them(docker_client, ray_env_class):
    envs = ray_env_class(4, envs_per_actor=2, tasks=TASK, backend="docker")
    try:
        assert _containers(docker_client, envs) == []
        envs.reset(seed=0)
        containers = _containers(docker_client, envs)
        assert len(containers) == 4
    finally:
        envs.close()
    assert all(not docker_client.api.containers(all=True, filters={"id": c}) for c in containers)


def test_env_checker_passes_on_the_sub_envs(docker_client, ray_env_class):
    envs = ray_env_class(2, envs_per_actor=2, tasks=str(FIXTURES / "shell-task"), backend="docker")
    try:
        assert envs.foreach_env(check_sub_env) == [True, True]
        obs, _ = envs.reset(seed=[5, None])
        assert envs.get_attr("np_random_seed")[0] == 5
        assert envs.observation_space.contains(obs)
        assert envs.observation_space.contains(envs.step(envs.action_space.sample())[0])
    finally:
        envs.close()
