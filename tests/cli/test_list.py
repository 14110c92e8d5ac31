"""``terminal-gym list``: every loadable task, then the malformed ones (exit status 1)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from terminal_gym.cli import app, main
from terminal_gym.tasks import TaskSet
from tests.cli.helpers import run_cli
from tests.conftest import FIXTURES


@pytest.fixture
def mixed_dir(tmp_path):
    """Two good tasks and two malformed ones (a required field missing, bad TOML)."""
    root = tmp_path / "tasks"
    for name in ("alpha-task", "beta-task", "missing-field", "bad-toml"):
        shutil.copytree(FIXTURES / "shell-task", root / name)
    toml = root / "missing-field" / "task.toml"
    toml.write_text(toml.read_text() + "\n[environment.healthcheck]\ninterval_sec = 1\n")
    (root / "bad-toml" / "task.toml").write_text("[task\nname = ")
    return root


def test_the_loader_collects_the_malformed_tasks(mixed_dir):
    tasks = TaskSet.from_source(mixed_dir, skip_invalid=True)
    assert tasks.ids == ("alpha-task", "beta-task")
    assert sorted(e.path.parent.name for e in tasks.errors) == ["bad-toml", "missing-field"]


def test_list_reports_malformed_tasks_at_the_end(mixed_dir, capsys):
    assert main(["list", str(mixed_dir)]) == 1
    out, err = capsys.readouterr()
    assert "alpha-task" in out and "beta-task" in out and "2 task(s)" in out
    lines = err.strip().splitlines()
    assert len(lines) == 3 and lines[-1] == "2 malformed task(s) left out"
    by_name = {ln.split()[1].split("/")[-2]: ln for ln in lines[:2]}
    assert "invalid TOML" in by_name["bad-toml"]
    assert (
        "healthcheck.command" in by_name["missing-field"] or "required" in by_name["missing-field"]
    )
    assert "Traceback" not in err


def test_list_json_keeps_stdout_parseable(mixed_dir):
    result = CliRunner().invoke(app, ["list", str(mixed_dir), "--json"])
    assert result.exit_code == 1
    assert [r["id"] for r in json.loads(result.stdout)] == ["alpha-task", "beta-task"]
    assert "malformed" in result.stderr


def test_list_of_good_tasks_exits_0_in_a_child_process(mixed_dir):
    shutil.rmtree(mixed_dir / "bad-toml")
    shutil.rmtree(mixed_dir / "missing-field")
    proc = run_cli("list", str(mixed_dir), "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    assert [r["id"] for r in json.loads(proc.stdout)] == ["alpha-task", "beta-task"]


def test_a_single_malformed_task_named_directly_is_a_usage_error(mixed_dir, capsys):
    assert main(["list", str(mixed_dir / "bad-toml")]) == 2
    err = capsys.readouterr().err
    assert "invalid TOML" in err and len(err.strip().splitlines()) == 1
