"""``EnvGroup``, the body of a Ray actor, without Ray: concurrency, the watchdog, failures."""

from __future__ import annotations

import shutil
import time

import pytest

from terminal_gym.sandbox.docker import owned_containers
from terminal_gym.vector.group import EnvFactory, EnvGroup
from tests.conftest import FIXTURES, IN_CI
from tests.vector.fake import make_napping_env


def _obs_outputs(outcomes):
    return [result[0]["output"] for result, _ in outcomes]


@pytest.fixture
def group():
    group = EnvGroup(make_napping_env, size=3)
    group.run([(slot, "reset", (slot, None), 5.0) for slot in range(3)])
    yield group
    group.close()


def test_steps_run_concurrently(group):
    started = time.monotonic()
    outcomes = group.run([(slot, "step", "nap 1", 5.0) for slot in range(3)])
    assert time.monotonic() - started < 1.8
    assert _obs_outputs(outcomes) == ["napped\n"] * 3


def test_a_step_past_its_deadline_fails_that_slot_alone(group):
    started = time.monotonic()
    hung, fine = group.run([(0, "step", "nap 30", 0.5), (1, "step", "echo one", 5.0)])
    assert time.monotonic() - started < 2
    obs, reward, terminated, truncated, info = hung[0]
    assert info["env_error"] and "did not return within 0.5s" in info["error"]
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert obs["output"].startswith("[terminal-gym] step did not return")
    assert obs["exit_code"] == -1 and obs["instruction"]  # the rest of the last observation
    assert fine[0][0]["output"] == "one\n" and not fine[0][4]["env_error"]
    # Until it is reset, the slot answers with the error; its next reset builds a new env.
    again = group.run([(0, "step", "echo x", 5.0)])[0][0]
    assert again[4]["env_error"] and "reset it first" in again[4]["error"]
    old = group.apply([0], id)[0]
    obs, info = group.run([(0, "reset", (None, None), 5.0)])[0][0]
    assert not info["env_error"] and group.apply([0], id)[0] != old
    assert group.run([(0, "step", "echo back", 5.0)])[0][0][0]["output"] == "back\n"
    assert group.apply([1], lambda env: env.steps) == [1]  # slot 1's episode went on


def test_an_exception_becomes_env_error(group):
    ((result, budget),) = group.run([(2, "step", "crash", 5.0)])
    assert result[4]["env_error"] and result[4]["error"] == (
        "step raised RuntimeError: the env crashed"
    )
    assert budget == (30.0, 600.0)
    _, info = group.run([(2, "reset", (None, None), 5.0)])[0][0]
    assert not info["env_error"]


def test_describe_and_spaces_start_nothing():
    group = EnvGroup(make_napping_env, size=2)
    assert group.describe()["pid"] > 0
    described = group.spaces()
    assert described["observation_space"] == make_napping_env().observation_space
    assert described["budget"] == (30.0, 600.0)
    group.close()


@pytest.mark.local
def test_hung_shell_step_on_the_local_backend():
    if shutil.which("bwrap") is None:
        if IN_CI:
            pytest.fail("CI=true but bubblewrap (bwrap) is not installed")
        pytest.skip("bubblewrap is not installed")
    factory = EnvFactory(
        "TerminalLego-v0",
        {"tasks": str(FIXTURES / "shell-task"), "backend": "local", "step_timeout": 20},
    )
    group = EnvGroup(factory, size=2)
    try:
        outcomes = group.run([(slot, "reset", (slot, None), 60.0) for slot in range(2)])
        assert all(not result[1]["env_error"] for result, _ in outcomes)
        started = time.monotonic()
        hung, fine = group.run([(0, "step", "sleep 15", 1.0), (1, "step", "echo $GREETING", 20)])
        assert time.monotonic() - started < 5
        assert hung[0][4]["env_error"] and fine[0][0]["output"] == "hello\n"
        assert group.run([(0, "reset", (None, None), 60.0)])[0][0][1]["env_error"] is False
        assert group.run([(0, "step", "pwd", 20.0)])[0][0][0]["output"] == "/app\n"
    finally:
        group.close()


@pytest.mark.docker
def test_a_group_shares_one_backend_and_one_pool(docker_client):
    """Envs of one group (one Ray actor) share a Docker backend and, with ``pool=``, a warm
    pool sized for all of them: after the first resets, every reset takes a ready sandbox."""
    factory = EnvFactory(
        "TerminalLego-v0",
        {"tasks": str(FIXTURES / "shell-task"), "backend": "docker", "pool": 1},
    )
    before = set(owned_containers(docker_client))
    group = EnvGroup(factory, size=2)
    try:
        first = group.run([(slot, "reset", (slot, None), 120.0) for slot in range(2)])
        assert all(not result[1]["env_error"] for result, _ in first)
        backends = group.apply([0, 1], lambda env: env.unwrapped.backend)
        pools = group.apply([0, 1], lambda env: env.unwrapped._pool)
        assert backends[0] is backends[1] and pools[0] is pools[1] and pools[0] is not None
        assert pools[0].size == 2
        assert pools[0].wait_ready(timeout=60)
        again = group.run([(slot, "reset", (None, None), 120.0) for slot in range(2)])
        assert [result[1]["pooled"] for result, _ in again] == [True, True]
        outputs = group.run([(slot, "step", "echo $GREETING", 20.0) for slot in range(2)])
        assert [result[0]["output"] for result, _ in outputs] == ["hello\n", "hello\n"]
    finally:
        group.close()
    assert pools[0].closed
    assert set(owned_containers(docker_client)) <= before  # nothing left behind
