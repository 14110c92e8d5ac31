"""The terminal-gym command."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from terminal_gym.cli import main
from tests.conftest import FIXTURES


def test_list_json(capsys, builtin):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == list(builtin.ids)
    assert all(r["difficulty"] and r["category"] for r in rows)


@pytest.mark.docker
def test_run_json(capsys, docker_client):
    assert (
        main(
            [
                "run",
                "--task",
                "fix-broken-json-config",
                "--agent",
                "oracle",
                "--backend",
                "docker",
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["reward"] == 1.0 and result["steps"] == 2 and result["backend"] == "docker"


@pytest.mark.docker
def test_validate_names_the_failing_task(capsys, tmp_path, docker_client):
    good = tmp_path / "good-task"
    shutil.copytree(FIXTURES / "shell-task", good)
    bad = tmp_path / "always-passes"
    shutil.copytree(FIXTURES / "shell-task", bad)
    (bad / "tests" / "test.sh").write_text(
        "#!/bin/bash\nmkdir -p /logs/verifier; echo 1 > /logs/verifier/reward.txt\n"
    )
    assert main(["validate", str(good), str(bad), "--backend", "docker"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"good-task .* 1\.00 .* 0\.00 .* ok", out), out
    assert re.search(r"always-passes .* FAIL", out), out
    assert "FAILED always-passes: doing nothing scored 1, not 0" in out


def test_malformed_task_is_a_clear_error(capsys, tmp_path):
    task = tmp_path / "broken"
    shutil.copytree(FIXTURES / "shell-task", task)
    (task / "task.toml").write_text("[verifier]\ntimeout_sec = 'soon'\n")
    assert main(["list", str(task)]) == 2
    err = capsys.readouterr().err
    assert "task.toml" in err and "timeout_sec" in err
