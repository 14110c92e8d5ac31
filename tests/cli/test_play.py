"""``terminal-gym play``: a human at a PTY plays bundled tasks on Docker.

The PTY tests spawn ``python -m terminal_gym.cli play`` in a pseudo
terminal with pexpect, type at the sandbox's shell, leave it, and read the grade.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
import typer
from typer.testing import CliRunner

from terminal_gym.sandbox.base import LABEL_OWNER
from terminal_gym.tasks import builtin_dir

ROOT = Path(__file__).resolve().parents[2]
PROMPT = r"@sandbox:[^\r\n]*[#$] "
SOLVE_FIND_KEY = (
    "f=$(grep -rlx --include='*.conf' 'service: billing' /app/archive "
    "| xargs grep -lx 'env: prod' | head -n 1); "
    "key=$(sed -n 's/^api_key: *//p' \"$f\" | head -n 1); "
    'printf \'%s\\n%s\\n\' "$f" "$key" > /app/answer.txt'
)


@pytest.fixture
def app() -> typer.Typer:
    from terminal_gym.cli.app import app

    return app


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "LINES": "40"}


def _spawn(*args: str, shell_redirect: str = "") -> pexpect.spawn:
    argv = [sys.executable, "-m", "terminal_gym.cli", "play", *args]
    if shell_redirect:  # stdout to a file, stdin and stderr on the PTY
        command = " ".join(f"'{a}'" for a in argv) + f" > '{shell_redirect}'"
        return pexpect.spawn(
            "bash", ["-c", command], env=_env(), cwd=str(ROOT), timeout=300,
            dimensions=(40, 120), encoding="utf-8",
        )  # fmt: skip
    return pexpect.spawn(
        argv[0], argv[1:], env=_env(), cwd=str(ROOT), timeout=300,
        dimensions=(40, 120), encoding="utf-8",
    )  # fmt: skip


def _containers_of(pid: int, docker_client) -> list[str]:
    """Ids of the containers (running or not) owned by process ``pid`` on this host."""
    prefix = f"{socket.gethostname()}:{pid}:"
    listed = docker_client.api.containers(all=True, filters={"label": LABEL_OWNER})
    return [
        c["Id"] for c in listed if (c.get("Labels") or {}).get(LABEL_OWNER, "").startswith(prefix)
    ]


def _finish(child: pexpect.spawn) -> str:
    """Everything ``child`` prints until it exits; its exit status is then set."""
    child.expect(pexpect.EOF)
    child.close()
    return child.before


def _owner_pid(child: pexpect.spawn, docker_client) -> int:
    """The pid whose containers the played env owns: the python process of the runner
    (``child`` itself, or the child of its bash when stdout is redirected)."""
    if child.name.startswith("<bash"):
        out = subprocess.run(
            ["pgrep", "-P", str(child.pid)], capture_output=True, text=True, check=False
        )
        return int(out.stdout.split()[0]) if out.stdout.split() else child.pid
    return child.pid


@pytest.mark.docker
def test_solving_a_task_scores_one(docker_client):
    child = _spawn("find-prod-api-key", "--backend", "docker")
    child.expect("Find the production API key")
    child.expect(PROMPT)
    # The shell is the agent's: its directory, its user, its sandbox.
    child.sendline("pwd; id -un")
    child.expect(r"/app\r\nroot\r\n")
    child.expect(PROMPT)
    owned = _containers_of(child.pid, docker_client)
    assert len(owned) == 1  # the filter sees the sandbox while it runs
    child.sendline(SOLVE_FIND_KEY)
    child.expect(PROMPT)
    child.sendline("exit")
    output = _finish(child)
    assert "reward 1.000" in output
    assert "verifier output" in output
    assert child.exitstatus == 0, output
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.docker
def test_doing_nothing_scores_zero_and_json_goes_to_stdout(docker_client, tmp_path):
    out = tmp_path / "result.json"
    child = _spawn("find-prod-api-key", "--backend", "docker", "--json", shell_redirect=str(out))
    child.expect(PROMPT)  # the session runs on stderr, stdout is the file
    pid = _owner_pid(child, docker_client)
    child.sendcontrol("d")  # Ctrl-D ends the shell, as `exit` does
    output = _finish(child)
    assert child.exitstatus == 1, output
    result = json.loads(out.read_text())
    assert result["task_id"] == "find-prod-api-key" and result["backend"] == "docker"
    assert result["reward"] == 0.0 and result["solved"] is False
    assert result["env_error"] is False
    assert len(result["steps"]) == 1 and "FAIL" in result["steps"][0]["output_tail"]
    assert "reward 0.000" in output
    assert _containers_of(pid, docker_client) == []


@pytest.mark.docker
def test_a_script_piped_in_is_played_to_its_end(docker_client):
    proc = subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "play",
         "find-prod-api-key", "--backend", "docker", "--json"],
        input=SOLVE_FIND_KEY + "\n", capture_output=True, text=True, timeout=300,
        cwd=ROOT, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # stdout holds the JSON only
    assert result["reward"] == 1.0 and result["solved"] is True
    assert "PASS" in result["steps"][0]["output_tail"]
    assert "graded: reward 1.000" in proc.stderr


@pytest.mark.docker
def test_the_shell_is_the_agents_user_and_directory(docker_client):
    task = ROOT / "tests" / "fixtures" / "isolation" / "users"
    proc = subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "play", str(task),
         "--backend", "docker"],
        input="echo 42 > answer.txt; echo \"who=$(id -un) where=$PWD\"\n",
        capture_output=True, text=True,
        timeout=300, cwd=ROOT, env=_env(),
    )  # fmt: skip
    assert "who=player where=/home/player" in proc.stdout, proc.stdout + proc.stderr
    assert "graded: reward 1.000" in proc.stdout  # the file written as player counts
    assert proc.returncode == 0


@pytest.mark.docker
def test_a_broken_verifier_is_reported_not_solved(docker_client, tmp_path):
    task = tmp_path / "no-reward"
    (task / "environment").mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "environment" / "Dockerfile").write_text("FROM terminal-gym/debian:bookworm\n")
    (task / "instruction.md").write_text("Nothing to do.\n")
    (task / "task.toml").write_text('[verifier]\ntimeout_sec = 30\n[environment]\nworkdir = "/"\n')
    (task / "tests" / "test.sh").write_text("echo the grader broke; exit 3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "play", str(task),
         "--backend", "docker", "--json"],
        input="", capture_output=True, text=True, timeout=300, cwd=ROOT, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert result["solved"] is False and result["reward"] == 0.0
    (step,) = result["steps"]
    assert step["error"] and "the grader broke" in step["output_tail"]
    assert "verifier error" in proc.stderr


@pytest.mark.docker
def test_ctrl_c_reaches_the_sandbox_and_sigint_closes_the_env(docker_client):
    child = _spawn("find-prod-api-key", "--backend", "docker")
    child.expect(PROMPT)
    # Ctrl-C typed in the session interrupts the sandbox's command, not play.
    child.sendline("sleep 60")
    time.sleep(0.5)
    child.sendcontrol("c")
    child.expect(PROMPT, timeout=10)
    child.sendline("echo still-here")
    child.expect("still-here")
    child.expect(PROMPT)
    assert len(_containers_of(child.pid, docker_client)) == 1
    # An interrupt of play itself (the signal, as from a terminal outside the session)
    # ends it and removes the sandbox.
    child.kill(signal.SIGINT)
    output = _finish(child)
    assert child.exitstatus == 130, output
    assert "interrupted" in output and "Traceback" not in output
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.docker
def test_ctrl_c_while_the_sandbox_starts_leaves_no_container(docker_client):
    child = _spawn("find-prod-api-key", "--backend", "docker")
    child.expect("starting find-prod-api-key")
    child.sendcontrol("c")  # the terminal is not in raw mode yet: SIGINT to play
    output = _finish(child)
    assert child.exitstatus == 130, output
    assert "interrupted" in output and "Traceback" not in output
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.docker
def test_sigint_closes_the_env_even_when_play_inherits_it_ignored(docker_client):
    # A non-interactive shell starts background jobs with SIGINT ignored (CI does), and
    # Python then installs no KeyboardInterrupt handler: play installs its own.
    argv = " ".join([sys.executable, "-m", "terminal_gym.cli", "play", "find-prod-api-key"])
    child = pexpect.spawn(
        "bash", ["-c", f"trap '' INT; exec {argv} --backend docker"], env=_env(),
        cwd=str(ROOT), timeout=300, dimensions=(40, 120), encoding="utf-8",
    )  # fmt: skip
    child.expect(PROMPT)
    child.kill(signal.SIGINT)
    output = _finish(child)
    assert child.exitstatus == 130, output
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.docker
def test_sigterm_closes_the_env(docker_client):
    child = _spawn("find-prod-api-key", "--backend", "docker")
    child.expect(PROMPT)
    assert len(_containers_of(child.pid, docker_client)) == 1
    child.kill(signal.SIGTERM)
    output = _finish(child)
    assert child.exitstatus == 130, output
    assert "Traceback" not in output
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.docker
def test_multi_step_task_goes_on_with_the_next_step(docker_client):
    task = builtin_dir() / "etl-pipeline-steps"
    pipeline = (task / "steps" / "parse" / "solution" / "pipeline.py").read_bytes()
    encoded = base64.encodebytes(pipeline).decode()
    child = _spawn("etl-pipeline-steps", "--backend", "docker")
    child.expect(r"step 1/3 \(parse\)")
    child.expect(PROMPT)
    child.sendline("base64 -d > /app/etl/pipeline.py <<'EOF'\n" + encoded + "EOF")
    child.expect(PROMPT)
    child.sendline("python3 /app/etl/pipeline.py >/dev/null && echo parsed-ok")
    child.expect("parsed-ok")
    child.expect(PROMPT)
    child.sendline("exit")
    child.expect("step graded: reward 1.000")
    child.expect(r"step 2/3 \(validate\)")
    child.expect(PROMPT)
    child.sendcontrol("]")  # the escape ends the session too
    child.expect(r"session ended \(escape\)")
    child.expect("step graded: reward 0.000")
    child.expect(r"step 3/3 \(summary\)")
    child.expect(PROMPT)
    child.sendline("exit")
    output = _finish(child)
    assert "episode reward 0.333" in output
    assert child.exitstatus == 1
    assert _containers_of(child.pid, docker_client) == []


@pytest.mark.local
def test_local_backend_follows_the_window_size(local_backend):
    child = _spawn("family:find-value", "--seed", "1", "--backend", "local")
    child.timeout = 60
    child.expect(PROMPT)
    child.sendline("stty size")
    child.expect(r"40 120\r\n")
    child.expect(PROMPT)
    child.setwinsize(30, 90)  # the terminal is resized: play hears SIGWINCH
    time.sleep(0.3)
    child.sendline("stty size")
    child.expect(r"30 90\r\n")
    child.expect(PROMPT)
    child.sendline("exit")
    output = _finish(child)
    assert "graded: reward 0.000" in output and child.exitstatus == 1


def test_unknown_task_is_one_line_and_exit_2(app):
    result = CliRunner().invoke(app, ["play", "no-such-task"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-task" in lines[0] and "TaskNotFoundError" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_task_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "play", "no-such-task"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "no-such-task" in proc.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["find-prod-api-key", "--image-map", "foo"], "SRC=DST"),
        (["family:csv-aggregate", "--difficulty", "9"], "difficulty"),
        (["find-prod-api-key", "--difficulty", "2"], "family:<name>"),
        (["family:no-such-family"], "no-such-family"),
        ([str(builtin_dir())], "name one of them"),
        (["find-prod-api-key", "--backend", "podman"], "podman"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(app, args, words):
    result = CliRunner().invoke(app, ["play", *args])
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_help_ends_with_an_example(app):
    result = CliRunner().invoke(app, ["play", "--help"])
    assert result.exit_code == 0
    assert "Example: terminal-gym play" in result.output
