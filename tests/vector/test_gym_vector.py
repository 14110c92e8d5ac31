"""``gym.make_vec("TerminalLego-v0", vectorization_mode="sync" | "async")`` on Docker: every
sub-env's text is its own, across steps and Gymnasium's autoreset, with and without shared
memory, in command and keys mode; building the vector env starts no container."""

from __future__ import annotations

import gymnasium as gym
import pytest

from terminal_gym.sandbox.base import owner_label
from terminal_gym.sandbox.docker import owned_containers
from tests.conftest import FIXTURES

pytestmark = pytest.mark.docker

TASK = str(FIXTURES / "shell-task")
VECTORS = {
    "sync": ("sync", {}),
    "async": ("async", {}),  # shared memory, Gymnasium's default
    "async-no-shared-memory": ("async", {"shared_memory": False}),
}
N = 3


def make_vec(vector: str, **kwargs):
    mode, vector_kwargs = VECTORS[vector]
    return gym.make_vec(
        "TerminalLego-v0",
        num_envs=N,
        vectorization_mode=mode,
        vector_kwargs=vector_kwargs,
        tasks=TASK,
        backend="docker",
        **kwargs,
    )


def assert_own_texts(obs, step: int, *, autoreset: bool) -> None:
    """Sub-env ``i`` shows ``idx-i-step`` (nothing after an autoreset) and no other's."""
    keys = ["output", "screen"] if "screen" in obs else ["output"]
    for key in keys:
        for i, text in enumerate(obs[key]):
            others = [f"idx-{j}-" for j in range(N) if j != i]
            assert not any(other in text for other in others), (key, i, text)
            if autoreset:
                assert f"idx-{i}-{step}" not in text
            else:
                assert f"idx-{i}-{step}" in text, (key, i, text)


@pytest.mark.parametrize("mode", ["command", "keys"])
@pytest.mark.parametrize("vector", VECTORS)
def test_each_sub_env_sees_its_own_text(docker_client, vector, mode):
    envs = make_vec(vector, mode=mode, max_steps=3)
    try:
        assert envs.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
        obs, infos = envs.reset(seed=0)
        assert envs.observation_space.contains(obs) and list(infos["env_error"]) == [False] * N
        for step in range(7):  # three steps, the autoreset, three steps
            enter = "\r" if mode == "keys" else ""
            obs, _, terminated, truncated, infos = envs.step(
                [f"echo idx-{i}-{step}{enter}" for i in range(N)]
            )
            assert envs.observation_space.contains(obs)
            assert_own_texts(obs, step, autoreset=step == 3)
            if mode == "command" and step != 3:
                assert obs["output"] == tuple(f"idx-{i}-{step}\n" for i in range(N))
            assert list(truncated) == [step in (2, 6)] * N and not terminated.any()
            assert not infos["env_error"].any()
    finally:
        envs.close()


@pytest.mark.parametrize("vector", ["sync", "async"])
def test_building_the_vector_env_starts_no_container(docker_client, vector):
    envs = make_vec(vector)
    try:
        owners = [owner_label()]
        if vector == "async":  # the spaces came from a throwaway env in this process
            owners += [owner_label(process.pid) for process in envs.processes]
        assert [owned_containers(docker_client, owner) for owner in owners] == [[]] * len(owners)
        envs.reset(seed=0)
        started = [c for owner in owners for c in owned_containers(docker_client, owner)]
        assert len(started) == N
    finally:
        envs.close()
    assert not [c for owner in owners for c in owned_containers(docker_client, owner)]
