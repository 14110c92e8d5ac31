"""Stage 3 on real sandboxes: build, oracle must score 1, doing nothing must score 0."""

from __future__ import annotations

import json

import pytest

from terminal_gym.pipeline.roundtrip import REJECTED_FILE, file_task, verify_task_dir
from terminal_gym.tasks import TaskSet
from tests.pipeline.conftest import cli

WRONG_SOLVE = (
    "#!/bin/bash\n# counts every line, not the ERROR ones\n"
    "wc -l < /app/logs/app.log > /app/answer.txt\n"
)
DOCKERFILE = "FROM terminal-gym/python:3-bookworm\nWORKDIR /app\nCOPY app.log /app/logs/app.log\n"


@pytest.mark.docker
def test_a_good_task_is_verified(docker_backend, make_task, tmp_path):
    task_dir = make_task()
    result = verify_task_dir(task_dir, docker_backend)
    assert result.verified, result.reason
    assert (result.reason, result.stage) == (None, "validate")
    assert (result.oracle_reward, result.null_reward) == (1.0, 0.0)
    assert result.build_seconds >= 0 and result.oracle_seconds > 0 and result.null_seconds > 0

    dest = file_task(task_dir, tmp_path / "out", result)
    assert dest == tmp_path / "out" / "tasks" / "count-errors"
    assert not task_dir.exists() and not (dest / REJECTED_FILE).exists()
    assert TaskSet.from_source(tmp_path / "out" / "tasks").ids == ("count-errors",)


@pytest.mark.docker
def test_an_oracle_that_fails_is_the_reason(docker_backend, make_task, tmp_path):
    task_dir = make_task("wrong-oracle", {"solution/solve.sh": WRONG_SOLVE})
    result = verify_task_dir(task_dir, docker_backend)
    assert not result.verified
    assert result.stage == "validate"
    assert result.reason.startswith("oracle scored 0, not 1: verifier: reward 0")
    assert (result.oracle_reward, result.null_reward) == (0.0, 0.0)

    dest = file_task(task_dir, tmp_path / "out", result, move=False)
    assert dest == tmp_path / "out" / "rejected" / "wrong-oracle" and task_dir.exists()
    record = json.loads((dest / REJECTED_FILE).read_text())
    assert record["reason"] == result.reason and record["stage"] == "validate"
    assert record["roundtrip"]["oracle_reward"] == 0.0


@pytest.mark.docker
def test_an_environment_that_already_passes_is_rejected(docker_backend, make_task):
    already = DOCKERFILE + "RUN grep -c ERROR /app/logs/app.log > /app/answer.txt\n"
    task_dir = make_task("already-solved", {"environment/Dockerfile": already})
    result = verify_task_dir(task_dir, docker_backend)
    assert not result.verified
    assert result.reason == "doing nothing scored 1, not 0"
    assert (result.oracle_reward, result.null_reward) == (1.0, 1.0)


@pytest.mark.docker
def test_a_dockerfile_that_does_not_build_is_the_reason(docker_backend, make_task):
    broken = DOCKERFILE + "RUN echo building && exit 3\n"
    task_dir = make_task("no-build", {"environment/Dockerfile": broken})
    result = verify_task_dir(task_dir, docker_backend)
    assert not result.verified
    assert result.stage == "build"
    assert result.reason.startswith("image build failed: ")
    assert "returned a non-zero code: 3" in result.reason or "exit code: 3" in result.reason
    assert result.oracle_reward is None and result.null_reward is None


def test_a_task_that_does_not_load_never_reaches_the_backend(make_task):
    task_dir = make_task("no-tests")
    (task_dir / "tests" / "test.sh").unlink()
    # the backend name is never resolved: no daemon needed
    result = verify_task_dir(task_dir, "no-such-backend")
    assert (result.verified, result.stage) == (False, "load")
    assert "tests/test.sh" in result.reason


@pytest.mark.docker
def test_tasks_verify_files_good_and_bad(docker_client, make_task, tmp_path, capsys):
    good = make_task()
    bad = make_task("wrong-oracle", {"solution/solve.sh": WRONG_SOLVE})
    out = tmp_path / "out"
    assert cli(["tasks", "verify", str(good), str(bad), "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "ok   count-errors" in text
    assert "FAIL wrong-oracle" in text and "[validate] oracle scored 0, not 1" in text
    assert "1/2 environment-verified" in text
    assert (out / "tasks" / "count-errors" / "task.toml").is_file() and good.exists()  # copied
    assert (out / "rejected" / "wrong-oracle" / REJECTED_FILE).is_file()
    # a directory of tasks works too
    assert cli(["tasks", "verify", str(out / "tasks"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"][0]["verified"] is True
