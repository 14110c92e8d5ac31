"""validate's rows say why a task failed: the solution's exit status and output, the
verifier's reason, a failed build's log (once, without colour codes, not built twice),
rewards that are ``None`` for runs that never happened, and the build's duration."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from terminal_gym.envs import TerminalLegoEnv
from terminal_gym.rollout.validate import validate_task
from terminal_gym.sandbox import images
from terminal_gym.sandbox.bootstrap import DEBIAN_IMAGE
from terminal_gym.tasks import load_task

pytestmark = pytest.mark.docker


DONE = "[ -f /tmp/done ]"


def write_task(root: Path, solve: str, dockerfile: str | None = None, check: str = DONE) -> Path:
    """A Harbor task on the Debian base: the verifier wants ``check`` (/tmp/done) true."""
    marker = uuid.uuid4().hex[:8]  # a fresh image per test
    (root / "environment").mkdir(parents=True)
    (root / "solution").mkdir()
    (root / "tests").mkdir()
    (root / "task.toml").write_text('[metadata]\ndifficulty = "easy"\n')
    (root / "instruction.md").write_text("Create the file /tmp/done.\n")
    (root / "environment" / "Dockerfile").write_text(
        dockerfile or f"FROM {DEBIAN_IMAGE}\nRUN echo {marker}\n"
    )
    (root / "solution" / "solve.sh").write_text("#!/bin/bash\n" + solve)
    (root / "tests" / "test.sh").write_text(
        "#!/bin/bash\nmkdir -p /logs/verifier\n"
        f"{check} && echo 1 > /logs/verifier/reward.txt "
        "|| echo 0 > /logs/verifier/reward.txt\n"
    )
    return root


def validate(backend, root: Path) -> dict:
    task = load_task(root)
    env = TerminalLegoEnv(task, backend=backend)
    try:
        return validate_task(env, task.id).to_dict()
    finally:
        env.close()
        image = backend.image_info(task)
        if image is not None:
            backend.client.images.remove(image.image, force=True)


def test_a_healthy_task_reports_build_time_and_the_solution(docker_backend, tmp_path):
    row = validate(docker_backend, write_task(tmp_path / "ok", "echo solving; touch /tmp/done\n"))
    assert row["verified"], row["problems"]
    assert row["oracle_reward"] == 1.0 and row["null_reward"] == 0.0
    assert row["oracle_error"] is None and row["null_error"] is None
    assert isinstance(row["build_seconds"], float) and row["build_seconds"] > 0
    assert row["build_log"] is None and row["substitution"] == []
    assert row["oracle_solution"]["exit_code"] == 0
    assert "solving" in row["oracle_solution"]["output_tail"]
    # the keys current consumers read are all there
    for key in ("problems", "skipped", "oracle_steps", "oracle_seconds", "null_seconds"):
        assert key in row


def test_a_solution_that_exits_127_is_named(docker_backend, tmp_path):
    solve = "echo before-the-failure\nno-such-program-tg --flag\n"
    row = validate(docker_backend, write_task(tmp_path / "s127", solve))
    assert not row["verified"]
    assert row["oracle_reward"] == 0.0 and row["oracle_error"] is None  # it ran: a real 0
    assert row["oracle_solution"]["exit_code"] == 127
    tail = row["oracle_solution"]["output_tail"]
    assert "before-the-failure" in tail and "no-such-program-tg" in tail
    assert len(tail.splitlines()) <= 30
    [problem] = row["problems"]
    assert problem.startswith("oracle scored 0, not 1: solution exited 127: ")
    assert "no-such-program-tg" in problem and "\n" not in problem


def test_a_verifier_failure_is_told_apart_from_the_solution(docker_backend, tmp_path):
    row = validate(docker_backend, write_task(tmp_path / "wrong", "echo done-nothing\n"))
    assert row["oracle_solution"]["exit_code"] == 0
    [problem] = row["problems"]
    assert problem.startswith("oracle scored 0, not 1: verifier: reward 0, tests exited 0")


def test_a_failed_build_is_reported_once_and_not_retried(docker_backend, tmp_path, monkeypatch):
    builds = []
    real = images._build_task_image

    def counting(*args, **kwargs):
        builds.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(images, "_build_task_image", counting)
    marker = uuid.uuid4().hex[:8]
    dockerfile = (
        f"FROM {DEBIAN_IMAGE}\n"
        f"RUN m=red; printf '\\033[31m%s-failure-{marker}\\033[0m\\n' \"$m\" && exit 3\n"
    )
    row = validate(docker_backend, write_task(tmp_path / "broken", "true\n", dockerfile))
    assert len(builds) == 1  # the do-nothing run did not build again
    assert not row["verified"]
    assert row["oracle_reward"] is None and row["null_reward"] is None
    assert row["oracle_error"].startswith("ImageBuildError: building task")
    assert "\n" not in row["oracle_error"]
    assert row["null_error"] == row["oracle_error"]
    log = row["build_log"]
    assert log.count(f"red-failure-{marker}") == 1
    assert "\x1b" not in log
    assert isinstance(row["build_seconds"], float)
    assert row["oracle_solution"] is None
    [problem] = row["problems"]  # said once, for the oracle
    assert problem.startswith("oracle: ImageBuildError")


def test_an_oracle_that_needs_its_service_running_is_told_what_to_declare(docker_backend, tmp_path):
    # The solution leaves a service running and the tests look for it, as many public
    # tasks do; grading stops the agent's processes by default, so the oracle fails,
    # and the row says which declaration makes it pass (kept running, it scores 1).
    solve = "setsid nohup sleep 4242 >/dev/null 2>&1 < /dev/null &\n"
    check = "grep -qs 4242 /proc/[0-9]*/cmdline"
    row = validate(docker_backend, write_task(tmp_path / "svc", solve, check=check))
    assert row["oracle_reward"] == 0.0 and not row["verified"]
    (problem,) = row["problems"]
    assert 'declare agent_processes = "keep" under [metadata.grading]' in problem, problem


def test_no_process_hint_when_the_solution_is_simply_wrong(docker_backend, tmp_path):
    row = validate(docker_backend, write_task(tmp_path / "wrong", "touch /tmp/not-done\n"))
    (problem,) = row["problems"]
    assert "agent_processes" not in problem and "verifier:" in problem, problem


def test_a_task_named_like_a_digest_builds(docker_backend, tmp_path):
    # docker-py's images.build took the image id from any log line ending in
    # "sha256:<hex>", such as the "Successfully tagged task-x-sha256:<hash>" of this task.
    row = validate(docker_backend, write_task(tmp_path / "tool-sha256", "touch /tmp/done\n"))
    assert row["verified"], row["problems"]


def test_a_reward_written_elsewhere_is_named(docker_backend, tmp_path):
    root = write_task(tmp_path / "elsewhere", "touch /tmp/done\n")
    (root / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /app/reward.txt\n")
    row = validate(docker_backend, root)
    assert row["oracle_reward"] is None and not row["verified"]
    assert (
        "test.sh writes /app/reward.txt, but rewards are read from /logs/verifier/"
        in (row["oracle_error"])
    )
