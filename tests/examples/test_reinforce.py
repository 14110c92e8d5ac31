"""examples/reinforce_command_menu.py: the numpy policy gradient learns git-history's menu."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.examples.conftest import load_example
from tests.examples.test_examples import run_example

reinforce = load_example("reinforce_command_menu")


def test_group_advantages_are_relative_within_each_group():
    adv = reinforce.group_advantages(np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0]), 3)
    assert adv[:3] == pytest.approx([2**0.5, -(2**0.5) / 2, -(2**0.5) / 2])
    assert adv[3:].tolist() == [0.0, 0.0, 0.0]  # everyone agreed: nothing to learn


def test_the_policy_gradient_learns_a_contextual_choice():
    rng = np.random.default_rng(0)
    policy = reinforce.SoftmaxPolicy(n_features=3, n_actions=4)
    for _ in range(40):
        context = rng.integers(2, size=8)
        x = np.eye(3)[context]
        actions = policy.sample(x, rng)
        rewards = (actions == context + 1).astype(float)
        episodes = [(x[i : i + 1], actions[i : i + 1]) for i in range(8)]
        policy.update(episodes, rewards - rewards.mean(), lr=0.5)
    best = policy.probs(np.eye(3)[:2]).argmax(axis=1)
    assert best.tolist() == [1, 2]


@pytest.mark.local
@pytest.mark.slow
def test_reinforce_learns_the_menu(local_backend, tmp_path):
    out = tmp_path / "curve.json"
    png = tmp_path / "curve.png"
    stdout = run_example(
        "reinforce_command_menu.py",
        "--short",
        "--mode",
        "async",  # sub-envs reset and graded in parallel: about half the sync time
        "--json",
        str(out),
        "--png",
        str(png),
        timeout=600,
    )
    result = json.loads(out.read_text())
    assert "success rate: start" in stdout
    assert result["end"] >= result["start"] + 0.3, stdout
    assert result["end"] >= 0.75, stdout
    assert png.exists() or "matplotlib is missing" in stdout
