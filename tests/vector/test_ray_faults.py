"""Fault isolation in ``RayVectorEnv`` on Docker: a dead actor, a dead container, a hung
step, an actor that does not answer. Each fails only the sub-envs it hits, with
``info["env_error"]`` and a clear ``info["error"]``, as a truncation; those sub-envs are
replaced at their next reset; the other sub-envs' episodes go on (their shell state, step
counts and outputs are untouched). Times to surface are recorded with ``record_property``.

Layout in every test: 4 sub-envs, 2 per actor: actor A hosts 0 and 1, actor B 2 and 3.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import ray

from terminal_gym.sandbox.base import owner_label
from terminal_gym.sandbox.docker import owned_containers
from tests.vector.fake import sandbox_id, ship
from tests.vector.test_gym_vector import TASK

pytestmark = pytest.mark.docker

N = 4


@pytest.fixture(scope="module")
def ray_env_class(local_ray):
    ship()
    from terminal_gym.vector import RayVectorEnv

    return RayVectorEnv


@pytest.fixture
def envs(ray_env_class, request):
    """4 sub-envs under way: each has ``MARK`` set to its index and has taken one step."""
    kwargs = getattr(request, "param", {})
    envs = ray_env_class(N, envs_per_actor=2, tasks=TASK, backend="docker", **kwargs)
    try:
        envs.reset(seed=0)
        obs = envs.step([f"export MARK={i}; echo {i}" for i in range(N)])[0]
        assert obs["output"] == tuple(f"{i}\n" for i in range(N))
        yield envs
    finally:
        envs.close()


def assert_undisturbed(result, survivors, step: int) -> None:
    """The survivors answered ``echo $MARK`` as the ``step``-th step of their episode."""
    obs, rewards, terminated, truncated, infos = result
    for i in survivors:
        assert obs["output"][i] == f"{i}\n" and infos["step"][i] == step
        assert not infos["env_error"][i] and not (terminated[i] or truncated[i])
        assert rewards[i] == 0.0


def assert_failed(result, failed, *words) -> None:
    obs, rewards, terminated, truncated, infos = result
    for i in failed:
        assert infos["env_error"][i] and truncated[i] and not terminated[i] and rewards[i] == 0
        assert all(word in infos["error"][i] for word in words), infos["error"][i]
        assert obs["output"][i].startswith("[terminal-gym]")


def step_all(envs, actions):
    envs.send(range(N), actions)
    return envs.recv(min_ready=N)[1:]


def assert_replaced_and_running(envs, failed, survivors) -> None:
    """The next step resets the failed sub-envs; the one after runs in fresh episodes."""
    obs, _, terminated, truncated, infos = step_all(envs, ["echo $MARK"] * N)
    for i in failed:
        assert not infos["env_error"][i] and infos["task_id"][i] == "shell-task"
        assert obs["output"][i] == "" and not (terminated[i] or truncated[i])
    assert_undisturbed((obs, _, terminated, truncated, infos), survivors, 3)
    obs, _, _, _, infos = step_all(envs, ["echo fresh-$MARK"] * N)
    for i in failed:
        assert obs["output"][i] == "fresh-\n" and infos["step"][i] == 1  # a new episode
    for i in survivors:
        assert obs["output"][i] == f"fresh-{i}\n" and infos["step"][i] == 4


def test_dead_actor(docker_client, envs, record_property):
    actor_a = envs.actor_info()[0]
    owner = owner_label(actor_a["pid"])
    assert len(owned_containers(docker_client, owner)) == 2
    envs.send(range(N), ["sleep 1; echo $MARK"] * N)
    ray.kill(actor_a["handle"], no_restart=True)
    killed = time.monotonic()
    ready, _, _, terminated, truncated, infos = envs.recv(min_ready=2)
    surfaced = time.monotonic() - killed
    record_property("dead_actor_surfaced_s", round(surfaced, 3))
    print(f"\ndead actor: env_error after {surfaced:.3f}s")
    assert ready.tolist() == [0, 1] and surfaced < 5
    assert infos["env_error"].all() and truncated.all() and not terminated.any()
    assert all("actor" in e and "died" in e.lower() for e in infos["error"]), infos["error"]
    rest = envs.recv(min_ready=2)
    assert rest[0].tolist() == [2, 3] and rest[1]["output"] == ("2\n", "3\n")
    assert rest[5]["step"].tolist() == [2, 2] and not rest[5]["env_error"].any()
    assert_replaced_and_running(envs, [0, 1], [2, 3])
    new_actor = envs.actor_info()[0]
    assert new_actor["pid"] != actor_a["pid"]
    # The new actor's Docker backend reaped the dead one's containers.
    assert owned_containers(docker_client, owner) == []


def test_dead_container(docker_client, envs, record_property):
    container = envs.foreach_env(sandbox_id, [1])[0]
    docker_client.containers.get(container).kill()
    killed = time.monotonic()
    result = step_all(envs, ["echo $MARK"] * N)
    surfaced = time.monotonic() - killed
    record_property("dead_container_surfaced_s", round(surfaced, 3))
    print(f"\ndead container: env_error after {surfaced:.3f}s")
    assert_failed(result, [1], "SandboxDiedError")
    assert_undisturbed(result, [0, 2, 3], 2)
    assert surfaced < 10
    assert_replaced_and_running(envs, [1], [0, 2, 3])
    assert envs.foreach_env(sandbox_id, [1])[0] != container


@pytest.mark.parametrize("envs", [{"step_deadline": 3.0, "step_timeout": 30}], indirect=True)
def test_hung_step(docker_client, envs, record_property):
    container = envs.foreach_env(sandbox_id, [0])[0]
    started = time.monotonic()
    result = step_all(envs, ["sleep 60; echo $MARK"] + ["echo $MARK"] * 3)
    surfaced = time.monotonic() - started
    record_property("hung_step_surfaced_s", round(surfaced, 3))
    print(f"\nhung step (step_deadline 3s): env_error after {surfaced:.3f}s")
    assert_failed(result, [0], "did not return within 3s", "hung")
    assert_undisturbed(result, [1, 2, 3], 2)
    assert 3 <= surfaced < 8
    assert_replaced_and_running(envs, [0], [1, 2, 3])
    # The hung env was closed in the background: its container goes.
    for _ in range(60):
        if not docker_client.api.containers(all=True, filters={"id": container}):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the hung sub-env's container {container[:12]} is still there")


@pytest.mark.parametrize("envs", [{"step_timeout": 1}], indirect=True)
def test_a_command_past_the_step_timeout_is_the_agents_own(envs):
    obs, _, _, truncated, infos = step_all(envs, ["sleep 30"] + ["echo $MARK"] * 3)
    assert obs["timed_out"][0] == 1 and not infos["env_error"][0] and not truncated[0]
    assert_undisturbed(step_all(envs, ["echo $MARK"] * N), [0, 1, 2, 3], 3)


@pytest.mark.parametrize("envs", [{"step_deadline": 2.0, "call_grace": 2.0}], indirect=True)
def test_actor_that_does_not_answer(docker_client, envs, record_property):
    actor_b = envs.actor_info()[1]
    os.kill(actor_b["pid"], signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = step_all(envs, ["echo $MARK"] * N)
        surfaced = time.monotonic() - started
    finally:
        try:
            os.kill(actor_b["pid"], signal.SIGCONT)
        except ProcessLookupError:  # killed, as it should be
            pass
    record_property("unresponsive_actor_surfaced_s", round(surfaced, 3))
    print(f"\nunresponsive actor (deadline 2s + grace 2s): env_error after {surfaced:.3f}s")
    assert_failed(result, [2, 3], "did not answer within 4s (2s to run, call_grace)")
    assert_undisturbed(result, [0, 1], 2)
    assert 4 <= surfaced < 9
    assert_replaced_and_running(envs, [2, 3], [0, 1])
    assert envs.actor_info()[1]["pid"] != actor_b["pid"]


def test_step_wait_isolates_a_dead_actor_too(envs):
    envs.step_async(["sleep 1; echo $MARK"] * N)
    ray.kill(envs.actor_info()[1]["handle"], no_restart=True)
    result = envs.step_wait()
    assert_failed(result, [2, 3], "actor")
    assert_undisturbed(result, [0, 1], 2)
    assert np.array_equal(envs.step(["echo $MARK"] * N)[4]["env_error"], [False] * N)
