"""``--json`` documents parse (stdout holds nothing else); the validation table."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from terminal_gym.cli import main
from terminal_gym.cli.tasks import render_validation
from tests.cli.helpers import CONTROL_CHARS, run_cli
from tests.conftest import FIXTURES

TASK = str(FIXTURES / "shell-task")


def test_families_and_list_json_in_a_child_process():
    proc = run_cli("families", "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    assert {r["name"] for r in json.loads(proc.stdout)} >= {"csv-aggregate", "git-history"}
    proc = run_cli("list", "family:csv-aggregate", "--seeds", "2", "--difficulty", "hard", "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    rows = json.loads(proc.stdout)
    assert [r["id"] for r in rows] == ["csv-aggregate-d3-s0", "csv-aggregate-d3-s1"]


def test_egs_report_json(tmp_path, capsys):
    assert main(["egs", "report", "--oracle", "--no-plot", "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["source"] == "oracle" and "table" in data["paths"]


def _row(task_id, **fields):
    row = {
        "task_id": task_id,
        "verified": False,
        "oracle_reward": 1.0,
        "null_reward": 0.0,
        "oracle_steps": 2,
        "oracle_seconds": 1.25,
        "null_seconds": 0.5,
        "problems": [],
        "skipped": None,
    }
    row.update(fields)
    return row


def test_the_validation_table_before_and_after_richer_rows(capsys):
    log = "Step 1/3 : FROM nowhere\nERROR: pull access denied"
    rows = [
        _row("good-one", verified=True, build_seconds=3.5),
        _row("passes-anyway", null_reward=1.0, problems=["doing nothing scored 1, not 0"]),
        _row(
            "never-built",
            oracle_reward=None,
            null_reward=None,
            oracle_error="ImageBuildError: build failed",
            null_error="ImageBuildError: build failed",
            problems=["oracle: ImageBuildError: build failed"],
            build_log=log,
            substitution=[
                {
                    "original": "python:3.11-slim",
                    "substitute": "terminal-gym/python:3-bookworm",
                    "by": "default",
                    "differences": ["not slim"],
                }
            ],
        ),
        _row(
            "bad-solution",
            oracle_reward=0.0,
            problems=["the oracle scored 0, not 1"],
            oracle_solution={"exit_code": 3, "output_tail": "doing it\nsolve.sh: oops\n"},
        ),
        _row("needs-docker", skipped="the local backend cannot build Dockerfiles"),
    ]
    render_validation(rows)
    out = capsys.readouterr().out
    assert re.search(r"good-one .* 1\.00 .* 0\.00 .* 2 .* 1\.8s .* 3\.5s .* ok", out), out
    assert re.search(r"passes-anyway .* FAIL", out)
    assert re.search(r"never-built .* error .* error .* error", out)  # not 0.00
    assert re.search(r"needs-docker .* skip", out)
    assert "FAILED passes-anyway: doing nothing scored 1, not 0" in out
    assert "FAILED never-built: oracle: ImageBuildError: build failed" in out
    assert (
        "FAILED bad-solution: the oracle scored 0, not 1; solution exited 3: solve.sh: oops" in out
    )
    assert out.count("ERROR: pull access denied") == 1
    assert (
        "never-built: terminal-gym/python:3-bookworm stands in for python:3.11-slim (not slim)"
        in out
    )
    assert "skipped needs-docker: the local backend cannot build Dockerfiles" in out


# -- on the local backend (bubblewrap): quick real runs -----------------------------------


@pytest.mark.local
def test_validate_json_and_out_on_the_local_backend(tmp_path, local_backend):
    bad = tmp_path / "always-passes"
    shutil.copytree(FIXTURES / "shell-task", bad)
    (bad / "tests" / "test.sh").write_text(
        "#!/bin/bash\nmkdir -p /logs/verifier; echo 1 > /logs/verifier/reward.txt\n"
    )
    out_dir = tmp_path / "results"
    proc = run_cli(
        "validate", TASK, str(bad), "--backend", "local", "--json", "--out", str(out_dir)
    )
    assert proc.returncode == 1, proc.stderr  # a failing task
    document = json.loads(proc.stdout)
    assert document == json.loads((out_dir / "validate.json").read_text())
    assert document["backend"] == "local" and document["seconds"] > 0
    verdicts = {r["task_id"]: r["verified"] for r in document["tasks"]}
    assert verdicts == {"shell-task": True, "always-passes": False}
    assert not any(c in proc.stderr for c in CONTROL_CHARS)

    proc = run_cli("validate", TASK, "--backend", "local")  # a table, no bar off a terminal
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"shell-task .* ok", proc.stdout) and "1/1 environment-verified" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.local
def test_rollout_json_on_the_local_backend(tmp_path, local_backend):
    out = tmp_path / "oracle.jsonl"
    argv = ["rollout", TASK, "--backend", "local", "--no-ray", "--episodes", "2", "--json"]
    proc = run_cli(*argv, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["finished"] == 2 and summary["reward_mean"] == 1.0
    assert len(out.read_text().splitlines()) == 2
    assert not any(c in proc.stderr for c in CONTROL_CHARS)


@pytest.mark.local
def test_soak_json_on_the_local_backend(tmp_path, local_backend):
    report = tmp_path / "soak.json"
    argv = ["soak", TASK, "--backend", "local", "--episodes", "3", "--parallel", "1", "--json"]
    proc = run_cli(*argv, "--out", str(report), "--episodes-out", str(tmp_path / "ep.jsonl"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["episodes"] == 3 and result["problems"] == [] and result["outcomes"] == {"ok": 3}
    assert json.loads(report.read_text())["episodes"] == 3
    assert len((tmp_path / "ep.jsonl").read_text().splitlines()) == 3
    assert not any(c in proc.stderr for c in CONTROL_CHARS)


# -- on Docker: few and quick --------------------------------------------------------


@pytest.mark.docker
def test_validate_and_run_a_bundled_task_on_docker(tmp_path, docker_client):
    out_dir = tmp_path / "v"
    argv = ["validate", "fix-broken-json-config", "--backend", "docker", "--out", str(out_dir)]
    proc = run_cli(*argv)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"fix-broken-json-config .* 1\.00 .* 0\.00 .* ok", proc.stdout)
    assert "1/1 environment-verified" in proc.stdout
    assert not any(c in proc.stderr for c in CONTROL_CHARS)
    (row,) = json.loads((out_dir / "validate.json").read_text())["tasks"]
    assert row["verified"] and row["task_id"] == "fix-broken-json-config"

    proc = run_cli("run", "--task", "fix-broken-json-config", "--backend", "docker", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["reward"] == 1.0 and result["backend"] == "docker"


@pytest.mark.docker
def test_images_bootstrap_json_when_present(docker_client):
    proc = run_cli("images", "bootstrap", "--json")
    assert proc.returncode == 0, proc.stderr
    images = json.loads(proc.stdout)["images"]
    assert images["terminal-gym/debian:bookworm"] == "present"
