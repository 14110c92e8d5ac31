"""``collect()`` and ``terminal-gym rollout`` on real containers: both engines (Ray's
``send``/``recv`` and the thread pool), the oracle and the LLM agent (a fake
OpenAI-compatible server), groups, slow turns, failed environments, a crash and resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from terminal_gym.data import load_trajectories
from terminal_gym.rollout import collect, load_rollouts
from terminal_gym.tasks import TaskSet
from tests.conftest import FIXTURES
from tests.rollout.fake_llm import FakeLLMServer, require_openai, solver, terminus
from tests.vector.conftest import RAY_INIT, local_ray, require_ray  # noqa: F401

pytestmark = pytest.mark.docker
COMMAND = "echo done > /app/result.txt"
ROOT = Path(__file__).resolve().parents[2]


def task_copy(tmp_path: Path, name: str, dockerfile_extra: str = "") -> Path:
    task_dir = tmp_path / name
    shutil.copytree(FIXTURES / "shell-task", task_dir)
    toml = task_dir / "task.toml"
    toml.write_text(toml.read_text().replace("terminal-gym/shell-task", f"terminal-gym/{name}"))
    if dockerfile_extra:
        dockerfile = task_dir / "environment" / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text() + dockerfile_extra)
    return task_dir


def llm_options(server: FakeLLMServer) -> dict:
    return {"model": "fake", "base_url": server.url, "max_retries": 1}


ENGINES = [
    pytest.param({"use_ray": False}, id="threads"),
    pytest.param({"use_ray": True}, id="ray"),
]


@pytest.fixture
def engine(request, docker_client):
    options = dict(request.param)
    if options["use_ray"]:
        require_ray()
        request.getfixturevalue("local_ray")
        options.update(envs_per_actor=2, ray_options={"ray_init": RAY_INIT})
    return options


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_llm_groups_on_real_containers(engine, tmp_path):
    require_openai()
    out = tmp_path / "runs.jsonl"
    with FakeLLMServer(default=solver(COMMAND)) as server:
        result = collect(
            TaskSet.from_source(FIXTURES / "shell-task"),
            "llm",
            episodes=2,
            group=2,
            workers=4,
            out=out,
            agent_options=llm_options(server),
            env_kwargs={"backend": "docker"},
            **engine,
        )
    assert result.summary["finished"] == 4, result.summary
    assert result.summary["reward_mean"] == 1.0
    assert set(result.summary["groups"]) == {"shell-task@0", "shell-task@1"}
    for t in load_rollouts(out):
        assert t.reward == 1.0 and len(t.steps) == 3
        assert t.steps[0].commands == [COMMAND]
        assert t.steps[0].llm["completion_token_ids"] and t.steps[0].llm["logprobs"]
        assert t.metadata["group_reward_mean"] == 1.0 and t.metadata["group_reward_std"] == 0.0
        assert t.metadata["env_error"] is False and t.metadata["llm_error"] is None


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_oracle_and_a_failed_environment(engine, tmp_path):
    tasks = tmp_path / "tasks"
    task_copy(tasks, "good-task")
    task_copy(tasks, "bad-build", "RUN echo no && exit 3\n")
    out = tmp_path / "runs.jsonl"
    result = collect(
        TaskSet.from_source(tasks),
        "oracle",
        group=2,
        workers=4,
        out=out,
        env_kwargs={"backend": "docker"},
        rerun_env_errors=1,
        **engine,
    )
    assert result.summary["finished"] == 2 and result.summary["remaining_failed"] == 2
    records = load_trajectories(out)
    failed = [t for t in records if t.metadata["task"] == "bad-build"]
    assert len(failed) == 4  # two members, each tried twice
    assert all(t.metadata["env_error"] and t.reward is None for t in failed)
    assert all("ImageBuildError" in t.metadata["error"] for t in failed)
    assert {t.metadata["attempt"] for t in failed} == {0, 1}
    assert [t.reward for t in load_rollouts(out)] == [1.0, 1.0]
    assert result.summary["groups"]["bad-build@0"]["n"] == 0


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_a_slow_model_turn_holds_up_only_its_own_episode(engine, tmp_path):
    require_openai()
    slow = {"delay": 6.0, "content": terminus([COMMAND])}
    out = tmp_path / "runs.jsonl"
    with FakeLLMServer([slow], default=solver(COMMAND)) as server:
        collect(
            TaskSet.from_source(FIXTURES / "shell-task"),
            "llm",
            group=2,
            workers=2,
            out=out,
            agent_options={**llm_options(server), "timeout": 30},
            env_kwargs={"backend": "docker"},
            **engine,
        )
    first, second = load_trajectories(out)
    assert first.reward == second.reward == 1.0
    assert first.metadata["duration"] < 6.0 <= second.metadata["duration"]


def test_cli_resumes_after_a_kill_without_redoing_finished_episodes(docker_client, tmp_path):
    require_openai()
    out = tmp_path / "runs.jsonl"
    task = str(FIXTURES / "shell-task")
    with FakeLLMServer(default=solver(COMMAND)) as server:
        argv = [
            sys.executable, "-m", "terminal_gym.cli", "rollout", task, "--agent", "llm",
            "--llm-url", server.url, "--model", "fake", "--episodes", "4", "--workers", "1",
            "--no-ray", "--no-progress", "--backend", "docker", "--out", str(out),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_text().count("\n") >= 1:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        before = load_trajectories(out)
        assert 1 <= len(before) < 4
        done = {t.metadata["episode_key"] for t in before}
        resumed = subprocess.run(
            [*argv, "--json"], env=env, capture_output=True, text=True, timeout=300
        )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == len(done) and summary["finished"] == 4 - len(done)
    keys = [t.metadata["episode_key"] for t in load_trajectories(out)]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 4
    assert [t.reward for t in load_rollouts(out)] == [1.0] * 4
