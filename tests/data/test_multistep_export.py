"""A multi-step episode, recorded and exported to ATIF, keeps its steps and their rewards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terminal_gym.data import Trajectory, save_atif, validate_atif
from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.rollout.agents import EpisodeRecorder, OracleAgent, run_episode
from terminal_gym.tasks import load_task

pytestmark = pytest.mark.docker
COUNTER = Path(__file__).resolve().parent.parent / "fixtures" / "multistep" / "counter"


def test_an_oracle_episode_round_trips_through_atif(docker_backend, tmp_path):
    task = load_task(COUNTER)
    env = TerminalLegoEnv(task, backend=docker_backend)
    recorder = EpisodeRecorder(source="oracle")
    try:
        result = run_episode(env, OracleAgent(), recorder=recorder)
    finally:
        env.close()
    assert result.reward == 1.0
    recorded = recorder.finish()
    saved = Trajectory.load(recorded.save(tmp_path / "episode.jsonl"))
    assert saved.reward == 1.0
    assert [len(r) for r in saved.metadata["step_rewards"]] == [1, 2, 1]
    assert [s.info["step_result"]["name"] for s in saved.steps if "step_result" in s.info] == [
        "create",
        "increment",
        "report",
    ]

    [path] = save_atif([saved], tmp_path / "atif")
    doc = json.loads(path.read_text())
    assert validate_atif(doc) == []
    assert [s["name"] for s in doc["extra"]["step_rewards"]] == ["create", "increment", "report"]
    assert [s["reward"] for s in doc["extra"]["step_rewards"]] == [1.0, 1.0, 1.0]
    assert doc["extra"]["step_rewards"][1]["rewards"] == {"reward": 1.0, "setup_ran": 1.0}
    users = [s for s in doc["steps"] if s["source"] == "user"]
    assert [u["message"] for u in users] == [step.instruction for step in task.steps]
    assert [u["extra"]["task_step"]["name"] for u in users] == ["create", "increment", "report"]
    agents = [s for s in doc["steps"] if s["source"] == "agent"]
    assert {a["extra"]["task_step"]["name"] for a in agents} == {"create", "increment", "report"}
    graded = [a["extra"]["step_result"] for a in agents if "step_result" in a["extra"]]
    assert [g["name"] for g in graded] == ["create", "increment", "report"]
