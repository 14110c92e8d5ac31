"""Record a real episode on Docker with RecordTrajectory, then replay it."""

from __future__ import annotations

import io

import pytest

from terminal_gym.data import load_trajectories
from terminal_gym.data.replay import parse_cast, play, to_cast, to_html
from tests.data.replay_episode import ACTIONS, TASK, record_episode

pytestmark = pytest.mark.docker


def test_a_recorded_docker_episode_replays(docker_backend, tmp_path):
    path = record_episode(tmp_path / "episode.jsonl", backend=docker_backend)
    (trajectory,) = load_trajectories(path)
    assert trajectory.task_id == TASK and trajectory.complete
    assert trajectory.reward == 1.0 and len(trajectory.steps) == len(ACTIONS)

    header, events = parse_cast(to_cast(trajectory))
    assert header["title"] == TASK
    out = io.StringIO()
    play(trajectory, out, instant=True)
    text = out.getvalue()
    assert "".join(e[2] for e in events) == text
    assert "$ head -n 6 data/payments.csv\r\npayment_id,customer,amount" in text
    assert "2024-01,DE,10,6,5669.42" in text and "verifier: reward 1" in text

    page = to_html(trajectory)
    assert "cat out/unmatched.txt" in page and "P5033" in page
    assert "PASS: both outputs are correct" in page
