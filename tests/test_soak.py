"""A short soak (slow tier): oracle, do-nothing and hostile episodes across parallel envs,
then every episode accounted for, nothing leaked (``terminal_gym.rollout.soak``;
``benchmarks/soak.py`` runs 1,000)."""

from __future__ import annotations

import gymnasium as gym
import pytest

from terminal_gym.rollout.hostile import HOSTILE_ACTIONS, NEEDS_LIMITS, actions_for
from terminal_gym.rollout.soak import plan, run_soak

#: Small tasks with quick oracles.
TASKS = ["find-prod-api-key", "fix-broken-json-config", "sqlite-region-revenue", "web-5xx-report"]


def test_plan_covers_every_action_and_is_reproducible():
    episodes = plan(TASKS, 120, seed=3)
    assert episodes == plan(TASKS, 120, seed=3)
    assert {a for _, kind, a in episodes if kind == "hostile"} == set(HOSTILE_ACTIONS)
    assert {kind for _, kind, _ in episodes} == {"oracle", "null", "hostile"}
    assert not NEEDS_LIMITS & set(actions_for("local"))


@pytest.mark.slow
@pytest.mark.docker
def test_soak_on_docker(docker_backend, tmp_path):
    out = tmp_path / "episodes.jsonl"
    report = run_soak(
        lambda: gym.make("TerminalLego-v0", backend="docker", step_timeout=10),
        TASKS,
        episodes=48,
        parallel=3,
        out=out,
    )
    assert report.problems() == [], report.failures
    assert report.episodes == 48 == len(out.read_text().splitlines())
    assert sum(report.outcomes.values()) == 48
    assert report.outcomes.get("ok", 0) + report.outcomes.get("env-error", 0) == 48


@pytest.mark.slow
@pytest.mark.local
def test_soak_on_the_local_backend(local_backend):
    report = run_soak(
        lambda: gym.make("TerminalLego-v0", backend="local", step_timeout=10),
        TASKS,
        episodes=24,
        parallel=2,
    )
    assert report.problems() == [], report.failures
