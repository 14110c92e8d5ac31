"""Validation of a multi-step task: every step's oracle, and doing nothing fails step one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.rollout.validate import validate_task
from terminal_gym.tasks import load_task

pytestmark = pytest.mark.docker
COUNTER = Path(__file__).resolve().parent.parent / "fixtures" / "multistep" / "counter"


def test_the_counter_task_is_environment_verified(docker_backend):
    task = load_task(COUNTER)
    env = TerminalLegoEnv(task, backend=docker_backend)
    try:
        row = validate_task(env, task.id).to_dict()
    finally:
        env.close()
    assert row["verified"], row["problems"]
    assert row["oracle_step_rewards"] == [("create", 1.0), ("increment", 1.0), ("report", 1.0)]
    assert row["null_step_rewards"] == [("create", 0.0)]  # its min_reward ended the episode
    assert row["oracle_reward"] == 1.0 and row["null_reward"] == 0.0


def test_a_step_whose_oracle_fails_is_reported(docker_backend):
    task = load_task(COUNTER)
    steps = list(task.steps)
    report = steps[2].verifier
    steps[2] = dataclasses.replace(
        steps[2], verifier=dataclasses.replace(report, env={"EXPECTED": "3"})
    )
    task = dataclasses.replace(task, steps=tuple(steps))
    env = TerminalLegoEnv(task, backend=docker_backend)
    try:
        row = validate_task(env, task.id).to_dict()
    finally:
        env.close()
    assert not row["verified"]
    [problem] = row["problems"]
    assert problem.startswith("oracle scored 0 on step 'report', not 1: verifier: reward 0")
    assert row["oracle_step_rewards"][-1] == ("report", 0.0)
