"""Every bundled task is environment-verified: oracle 1 and do-nothing 0."""

from __future__ import annotations

import gymnasium as gym
import pytest

from terminal_gym.rollout.agents import NullAgent, OracleAgent, run_episode
from terminal_gym.tasks import TaskSet

BUILTIN_IDS = TaskSet.from_source("builtin").ids
#: Bundled tasks the local backend refuses, pinned so a new refusal fails instead of
#: skipping (each says why in its task.toml: ``[metadata] local_backend = false``).
NOT_LOCAL = ("fix-gateway-service-ports",)
LOCAL_IDS = tuple(i for i in BUILTIN_IDS if i not in NOT_LOCAL)


def test_corpus_size_and_spread(builtin):
    assert len(builtin) >= 45
    assert sum(task.is_multi_step for task in builtin) >= 3
    assert len({t.category for t in builtin}) >= 12
    assert {t.difficulty for t in builtin} == {"easy", "medium", "hard"}
    for task in builtin:
        assert task.solution is not None and task.tags


@pytest.fixture(scope="module")
def docker_env(docker_backend):
    env = gym.make("TerminalLego-v0", backend=docker_backend)
    yield env
    env.close()


@pytest.fixture(scope="module")
def local_env(local_backend):
    env = gym.make("TerminalLego-v0", backend=local_backend)
    yield env
    env.close()


def _validate(env, task_id):
    oracle = run_episode(env, OracleAgent(), task=task_id)
    assert not oracle.env_error, oracle.error
    assert oracle.reward == 1.0, oracle.verifier.get("output_tail")
    null = run_episode(env, NullAgent(), task=task_id)
    assert not null.env_error, null.error
    assert null.reward == 0.0, null.verifier.get("output_tail")


@pytest.mark.docker
@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_validates_on_docker(docker_env, task_id):
    _validate(docker_env, task_id)


@pytest.mark.local
@pytest.mark.parametrize("task_id", LOCAL_IDS)
def test_validates_on_local(local_env, local_backend, task_id):
    assert local_backend.unsupported_reason(local_env.unwrapped.tasks[task_id]) is None
    _validate(local_env, task_id)


def test_the_local_backend_refuses_exactly_the_pinned_tasks(builtin, local_backend):
    refused = {t.id for t in builtin if local_backend.unsupported_reason(t) is not None}
    assert refused == set(NOT_LOCAL)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_oracle_is_deterministic(docker_env, task_id):
    rewards = [run_episode(docker_env, OracleAgent(), task=task_id).reward for _ in range(3)]
    assert rewards == [1.0, 1.0, 1.0]
