"""``terminal-gym rollout``: bad input is one line on stderr and exit status 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from terminal_gym.cli import main
from tests.conftest import FIXTURES
from tests.rollout.fake_llm import require_openai

TASK = str(FIXTURES / "shell-task")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agent", "llm"], "needs --model"),
        (["--agent", "llm", "--model", "m", "--llm-url", "ftp://host/v1"], "http:// or https://"),
        (["--agent", "llm", "--model", "m", "--llm-url", "URL"], "http:// or https://"),
        (["--agent", "null", "--model", "m"], "are for --agent llm"),
        (["--episodes", "0"], "Invalid value for '--episodes'"),
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--task-that-is-not-a-flag"], "No such option: --task-that-is-not-a-flag"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    out = str(tmp_path / "out.jsonl")
    with pytest.raises(SystemExit) as exc_info:
        sys.exit(main(["rollout", TASK, "--out", out, "--no-progress", *argv]))
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unreachable_endpoint_exits_2(tmp_path, capsys):
    require_openai()
    url = f"http://127.0.0.1:{free_port()}/v1"
    argv = ["rollout", TASK, "--agent", "llm", "--model", "m", "--llm-url", url]
    assert main([*argv, "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("terminal-gym: CollectError: cannot reach the LLM endpoint")
    assert len(err.splitlines()) == 1


def test_no_tasks_unknown_task_and_unwritable_output_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["rollout", str(empty), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["rollout", "no-such-task-anywhere", "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "no-such-task-anywhere" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    assert main(["rollout", TASK, "--out", str(tmp_path / "taken")]) == 2
    assert "cannot write the output" in capsys.readouterr().err


def test_unknown_agent_is_a_usage_error():
    proc = subprocess.run(
        [sys.executable, "-m", "terminal_gym.cli", "rollout", TASK, "--agent", "gpt", "--out", "x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "'gpt' is not one of" in proc.stderr and "Traceback" not in proc.stderr
