"""``terminal-gym report`` on a real rollout directory: oracle and do-nothing episodes of
two bundled tasks played on Docker by :func:`terminal_gym.rollout.collect.collect`, the
summary's numbers checked against the episodes themselves."""

from __future__ import annotations

import json
import re
import statistics

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from terminal_gym.cli.report import register
from terminal_gym.data import load_trajectories
from terminal_gym.data.select import metrics
from terminal_gym.data.summary import episode_outcome
from terminal_gym.rollout.collect import collect
from terminal_gym.tasks import TaskSet

pytestmark = pytest.mark.docker

TASKS = ("fix-broken-json-config", "find-prod-api-key")
CATEGORIES = {"fix-broken-json-config": "system-config", "find-prod-api-key": "shell-files"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, docker_client, builtin):
    """``oracle.jsonl`` (2 seeds per task) and ``null.jsonl`` (1 per task), as
    ``terminal-gym rollout`` writes them."""
    root = tmp_path_factory.mktemp("rollouts")
    tasks = TaskSet([builtin[t] for t in TASKS])
    for agent, episodes in (("oracle", 2), ("null", 1)):
        result = collect(
            tasks,
            agent,
            episodes=episodes,
            workers=2,
            out=root / f"{agent}.jsonl",
            use_ray=False,
            env_kwargs={"backend": "docker"},
        )
        assert result.summary["env_errors"] == 0, result.summary
    return root


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:
        """Another command."""

    return app


def test_summary_numbers_match_the_episodes(app, run_dir, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rollout: 6 episodes, 4 succeeded (66.7%)" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    rollout = summary["rollout"]
    episodes = load_trajectories(run_dir)
    assert len(episodes) == 6

    # the real records classify as the agents played them
    for t in episodes:
        assert episode_outcome(t) == ("success" if t.source == "oracle" else "agent")

    rewards = [float(t.reward) for t in episodes]
    assert rollout["files"] == ["null.jsonl", "oracle.jsonl"]
    assert rollout["episodes"] == 6 and rollout["graded"] == 6
    assert rollout["successes"] == sum(r >= 1.0 for r in rewards) == 4
    assert rollout["mean_reward"] == pytest.approx(statistics.fmean(rewards))
    assert rollout["failures"]["agent"] == 2
    assert sum(rollout["failures"].values()) == 2

    by_task = {r["task_id"]: r for r in rollout["by"]["task"]}
    for task in TASKS:
        mine = [t for t in episodes if t.task_id == task]
        row = by_task[task]
        assert row["episodes"] == len(mine) == 3
        assert row["successes"] == sum(t.reward >= 1.0 for t in mine) == 2
        assert row["success_rate"] == pytest.approx(2 / 3)
        assert row["mean_steps"] == pytest.approx(statistics.fmean(len(t.steps) for t in mine))
    by_category = {r["category"]: r for r in rollout["by"]["category"]}
    assert set(by_category) == set(CATEGORIES.values())
    assert [r["difficulty"] for r in rollout["by"]["difficulty"]] == ["easy"]

    # TOR as the EGS report computes it, per trajectory
    tors = [m["tor"] for m in map(metrics, episodes) if m["tor"] is not None]
    assert rollout["tor"]["n"] == len(tors) == 4  # the do-nothing episodes have no act
    assert rollout["tor"]["no_act"] == 2
    assert rollout["tor"]["mean"] == pytest.approx(statistics.fmean(tors))
    assert sum(rollout["tor"]["histogram"]["counts"]) == 4

    steps = sorted(len(t.steps) for t in episodes)
    assert rollout["steps"]["min"] == steps[0] and rollout["steps"]["max"] == steps[-1]
    assert rollout["steps"]["mean"] == pytest.approx(statistics.fmean(steps))
    assert sum(rollout["steps"]["histogram"]["counts"]) == 6

    durations = [t.metadata["duration"] for t in episodes]
    wall = rollout["wall"]
    assert wall["episode_seconds_total"] == pytest.approx(sum(durations))
    assert wall["episode_seconds"]["p50"] == pytest.approx(statistics.median(durations))
    run_seconds = sum(
        json.loads((run_dir / f"{stem}.summary.json").read_text())["seconds"]
        for stem in ("oracle", "null")
    )
    assert wall["basis"] == "run"
    assert wall["run_seconds"] == pytest.approx(run_seconds)
    assert wall["episodes_per_s"] == pytest.approx(6 / run_seconds)


def test_html_is_self_contained_and_plots_are_images(app, run_dir, tmp_path):
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    out = run_dir / "report"
    html = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "<script" not in html
    assert html.count('src="data:image/png;base64,') == 4
    md = (out / "report.md").read_text()
    assert "| fix-broken-json-config | 3 | 2 | 66.7% |" in md
    for name in ("success_by_group", "tor_histogram", "episode_steps", "failure_causes"):
        path = out / f"{name}.png"
        assert f"![{name}]({name}.png)" in md
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG"
        with Image.open(path) as image:
            assert image.size[0] >= 400 and image.size[1] >= 300


def test_json_flag_prints_the_summary_only(app, run_dir, tmp_path):
    result = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["schema"] == "terminal-gym.report/1"
    assert summary["rollout"]["episodes"] == 6
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
