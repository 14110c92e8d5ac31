"""Run summaries (:mod:`terminal_gym.data.summary`) and ``terminal-gym report``: the
cause classification on crafted records, validation rows old and new, derived task
metadata, malformed and empty directories (no Docker here; the real episodes are in
``test_summary_docker.py``)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from terminal_gym import SUBMIT, Command
from terminal_gym.cli.report import register
from terminal_gym.data import Step, Trajectory, save_trajectories
from terminal_gym.data.summary import (
    ReportError,
    TaskMetadata,
    episode_outcome,
    summarize_dir,
    summarize_rollouts,
    validation_status,
)
from tests.data.samples import obs


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command, so "report" stays a subcommand
        """Another command."""

    return app


def graded(
    reward: float,
    *,
    task_id: str = "task-a",
    tamper: list | None = None,
    verifier_error: str | None = None,
    env_error: bool = False,
    **meta,
) -> Trajectory:
    verifier = {"error": verifier_error, "tamper": tamper or [], "withheld": bool(tamper)}
    steps = [
        Step(Command("echo hi > /app/x"), obs("", 0), t=0.1, duration=0.01),
        Step(
            SUBMIT,
            obs(),
            reward=reward,
            info={"env_error": env_error, "verifier": verifier, "reward": reward},
            terminated=True,
        ),
    ]
    return Trajectory(
        task_id=task_id,
        source="oracle",
        steps=steps,
        reward=None if env_error else reward,
        initial_observation=obs(),
        metadata={"env_error": env_error, "error": None, "llm_error": None, **meta},
        terminated=True,
    )


def crafted() -> dict[str, Trajectory]:
    never = Trajectory(
        task_id="task-a",
        metadata={"env_error": True, "error": "SandboxError: no image", "llm_error": None},
    )
    sandbox_died = graded(0.0, env_error=True)
    sandbox_died.metadata["error"] = "SandboxDiedError: gone"
    llm = graded(0.0)
    llm.reward = None
    llm.metadata["llm_error"] = "endpoint down"
    crashed = graded(0.0)
    crashed.complete = False
    crashed.reward = None
    return {
        "success": graded(1.0),
        "agent": graded(0.0),
        "partial": graded(0.5),
        "tamper": graded(0.0, tamper=[{"path": "/usr/bin/python3", "kind": "replaced"}]),
        "tamper_success": graded(1.0, tamper=[{"path": "/tests", "kind": "created"}]),
        "verifier_error": graded(0.0, verifier_error="reward.txt is empty"),
        "env_error": sandbox_died,
        "never_started": never,
        "llm_error": llm,
        "incomplete": crashed,
    }


def test_cause_classification_of_crafted_records():
    records = crafted()
    got = {name: episode_outcome(t) for name, t in records.items()}
    assert got == {
        "success": "success",
        "agent": "agent",
        "partial": "agent",
        "tamper": "tamper",
        "tamper_success": "success",
        "verifier_error": "verifier_error",
        "env_error": "env_error",
        "never_started": "never_started",
        "llm_error": "llm_error",
        "incomplete": "incomplete",
    }
    summary = summarize_rollouts(list(records.values()))
    assert summary["episodes"] == 10
    assert summary["successes"] == 2
    assert summary["success_rate"] == pytest.approx(0.2)
    # graded: success, agent, partial, tamper, tamper_success
    assert summary["graded"] == 5
    assert summary["mean_reward"] == pytest.approx((1 + 0 + 0.5 + 0 + 1) / 5)
    assert summary["failures"] == {
        "never_started": 1,
        "llm_error": 1,
        "verifier_error": 1,
        "env_error": 1,
        "incomplete": 1,
        "tamper": 1,
        "agent": 2,
    }
    assert summary["tamper_evidence"] == 2
    # the never-started episode has no length, no TOR, no time
    never = next(r for r in summary["episode_list"] if r["outcome"] == "never_started")
    assert never["steps"] is None and never["tor"] is None and never["seconds"] is None
    assert summary["steps"]["n"] == 9


def test_family_ids_and_metadata_derived_without_building():
    lookup = TaskMetadata()
    assert lookup("csv-aggregate-d2-s7") == {
        "category": "data-processing",
        "difficulty": "medium",
        "family": "csv-aggregate",
    }
    assert lookup("fix-broken-json-config") == {
        "category": "system-config",
        "difficulty": "easy",
        "family": None,
    }
    assert lookup("no-such-task-d9") == {"category": None, "difficulty": None, "family": None}
    assert lookup("../etc") == {"category": None, "difficulty": None, "family": None}
    rows = summarize_rollouts(
        [graded(1.0, task_id="find-value-d1-s0"), graded(0.0, task_id="find-value-d3-s4")]
    )["by"]
    assert [(r["family"], r["episodes"], r["successes"]) for r in rows["family"]] == [
        ("find-value", 2, 1)
    ]
    assert [(r["difficulty"], r["success_rate"]) for r in rows["difficulty"]] == [
        ("easy", 1.0),
        ("hard", 0.0),
    ]


def test_a_rerun_episode_counts_once_the_graded_record_winning(tmp_path):
    failed = graded(0.0, env_error=True, episode_key="task-a@0#0")
    retried = graded(1.0, episode_key="task-a@0#0")
    other = graded(0.0, episode_key="task-a@1#0")
    save_trajectories([failed, retried, other], tmp_path / "run.jsonl")
    summary = summarize_dir(tmp_path)["rollout"]
    assert summary["records"] == 3 and summary["superseded"] == 1
    assert summary["episodes"] == 2 and summary["successes"] == 1
    assert summary["failures"]["env_error"] == 0
    # no run.summary.json: episodes/s is over the episodes' own time
    assert summary["wall"]["basis"] == "episodes"


# -- validation ------------------------------------------------------------------------

OLD_ROWS = [
    {
        "task_id": "fix-broken-json-config",
        "verified": True,
        "oracle_reward": 1.0,
        "null_reward": 0.0,
        "oracle_steps": 2,
        "oracle_seconds": 2.5,
        "null_seconds": 1.5,
        "problems": [],
        "skipped": None,
    },
    {
        "task_id": "find-prod-api-key",
        "verified": False,
        "oracle_reward": 0.0,
        "null_reward": 0.0,
        "oracle_steps": 2,
        "oracle_seconds": 2.0,
        "null_seconds": 1.0,
        "problems": ["oracle scored 0, not 1"],
        "skipped": None,
    },
    {
        "task_id": "web-5xx-report",
        "verified": False,
        "oracle_reward": 0.0,
        "null_reward": 0.0,
        "oracle_steps": 0,
        "oracle_seconds": 0.5,
        "null_seconds": 0.5,
        "problems": ["oracle: SandboxError: boom", "do-nothing: SandboxError: boom"],
        "skipped": None,
    },
    {
        "task_id": "gpu-task",
        "verified": False,
        "oracle_reward": 0.0,
        "null_reward": 0.0,
        "oracle_steps": 0,
        "oracle_seconds": 0.0,
        "null_seconds": 0.0,
        "problems": [],
        "skipped": "needs a GPU",
    },
]
NEW_ROWS = [
    {
        "task_id": "csv-aggregate-d2-s7",
        "verified": False,
        "oracle_reward": None,
        "null_reward": None,
        "oracle_error": "ImageBuildError: no base image",
        "null_error": "ImageBuildError: no base image",
        "oracle_steps": 0,
        "oracle_seconds": 0.0,
        "null_seconds": 0.0,
        "build_seconds": 3.25,
        "problems": ["oracle: ImageBuildError: no base image"],
        "skipped": None,
    },
    {
        "task_id": "find-value-d1-s0",
        "verified": False,
        "oracle_reward": 1.0,
        "null_reward": 1.0,
        "oracle_error": None,
        "null_error": None,
        "oracle_steps": 2,
        "oracle_seconds": 1.0,
        "null_seconds": 1.0,
        "build_seconds": 0.0,
        "oracle_solution": "solution/solve.sh",
        "problems": ["doing nothing scored 1, not 0"],
        "skipped": None,
    },
    {
        "task_id": "find-value-d1-s1",
        "verified": True,
        "oracle_reward": 1.0,
        "null_reward": 0.0,
        "oracle_error": None,
        "null_error": None,
        "oracle_steps": 2,
        "oracle_seconds": 1.0,
        "null_seconds": 1.0,
        "build_seconds": 2.0,
        "problems": [],
        "skipped": None,
    },
]


def test_validation_statuses_old_and_new_rows():
    statuses = [validation_status(r) for r in OLD_ROWS + NEW_ROWS]
    assert statuses == [
        "verified",
        "oracle_failed",
        "env_error",
        "skipped",
        "never_started",
        "null_passed",
        "verified",
    ]


def test_validate_json_becomes_table_rows(app, tmp_path):
    (tmp_path / "validate.json").write_text(
        json.dumps({"backend": "docker", "tasks": OLD_ROWS + NEW_ROWS, "seconds": 20.0})
    )
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rollout"] is None
    validation = summary["validation"]
    assert validation["tasks"] == 7 and validation["verified"] == 2
    assert validation["statuses"]["never_started"] == 1
    assert validation["wall"]["tasks_per_s"] == pytest.approx(7 / 20.0)
    rows = {r["task_id"]: r for r in validation["rows"]}
    assert rows["csv-aggregate-d2-s7"]["oracle_reward"] is None
    assert rows["csv-aggregate-d2-s7"]["seconds"] == pytest.approx(3.25)
    assert rows["fix-broken-json-config"]["seconds"] == pytest.approx(4.0)
    assert rows["find-value-d1-s0"]["oracle_solution"] == "solution/solve.sh"
    family = {r["family"]: r for r in validation["by"]["family"]}
    assert family["find-value"]["tasks"] == 2 and family["find-value"]["verified"] == 1
    md = (tmp_path / "report" / "report.md").read_text()
    assert "| fix-broken-json-config | verified | 1.000 | 0.000 | 2 | 4.00 | - |" in md
    assert "| csv-aggregate-d2-s7 | never_started | - | - | 0 | 3.25 |" in md
    assert "| gpu-task | skipped |" in md and "skipped: needs a GPU" in md
    assert "| find-value-d1-s0 | null_passed | 1.000 | 1.000 |" in md
    html = (tmp_path / "report" / "report.html").read_text()
    assert "<td>find-prod-api-key</td><td>oracle_failed</td>" in html
    assert "data:image/png;base64," in html
    for name in ("validation_by_group.png", "validation_statuses.png"):
        assert (tmp_path / "report" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_markup_in_a_row_stays_text_in_the_html(app, tmp_path):
    # Task ids and problems come from task directories and episodes, not from this
    # project: the page must show them, never run them.
    row = {"task_id": "<script>alert(1)</script>", "verified": False, "oracle_reward": 0.0,
           "null_reward": 0.0, "problems": ["<img src=x onerror=alert(2)>"]}  # fmt: skip
    (tmp_path / "validate.json").write_text(json.dumps({"backend": "docker", "tasks": [row]}))
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report" / "report.html").read_text()
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- errors ----------------------------------------------------------------------------


def test_empty_directory_exits_2_with_one_line(app, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here\n")
    (tmp_path / "empty.jsonl").write_text("")
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing to report" in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "report").exists()


def test_missing_directory_exits_2(app, tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"terminal-gym report: error: {tmp_path / 'nope'}: not a directory"
    )


def test_malformed_jsonl_line_exits_2_naming_file_and_line(app, tmp_path):
    good = json.dumps(graded(1.0).to_dict())
    path = tmp_path / "run.jsonl"
    path.write_text(f"{good}\n{good}\n{{not json\n{good}\n")
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"terminal-gym report: error: {path}:3: not JSON"
    ), result.stderr


def test_bad_record_names_its_line_too(tmp_path):
    good = json.dumps(graded(1.0).to_dict())
    bad = graded(1.0).to_dict()
    bad["steps"][0]["reward"] = "lots"  # the loader fails deep inside, without a line
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join([good, good, good, json.dumps(bad), good]) + "\n")
    with pytest.raises(ReportError, match=rf"^{path}:4: "):
        summarize_dir(tmp_path)
    other = dict(graded(1.0).to_dict(), schema="someone-else/1")
    path.write_text("\n".join([good, json.dumps(other)]) + "\n")
    with pytest.raises(ReportError, match=rf"^{path}:2: not a terminal-gym trajectory"):
        summarize_dir(tmp_path)


def test_malformed_validate_json_exits_2(app, tmp_path):
    (tmp_path / "validate.json").write_text('{"tasks": [\n{"task_id": "a",}\n]}')
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"terminal-gym report: error: {tmp_path / 'validate.json'}:2: not JSON"
    )
    (tmp_path / "validate.json").write_text('{"tasks": [{"verified": true}]}')
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "tasks[0]" in result.stderr


def test_help_ends_with_an_example(app):
    result = CliRunner().invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    assert "Example: terminal-gym report" in result.output


def test_without_matplotlib_the_reports_are_written_and_say_so(app, tmp_path, monkeypatch):
    import sys

    save_trajectories([graded(1.0), graded(0.0)], tmp_path / "run.jsonl")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "plots need matplotlib" in result.stderr
    out = tmp_path / "report"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "summary.json"]
    assert "plots need matplotlib" in (out / "report.md").read_text()
    assert "<img" not in (out / "report.html").read_text()
