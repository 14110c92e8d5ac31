"""Every command's help, and bad input: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from terminal_gym.cli import app, main
from tests.cli.helpers import run_cli
from tests.conftest import FIXTURES

TASK = str(FIXTURES / "shell-task")


def _commands(command, path=()):
    """Every (sub)command's path below the root, groups included."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


ALL = sorted(_commands(typer.main.get_command(app)))


def test_the_verbs_are_all_there():
    verbs = {" ".join(p) for p in ALL}
    for verb in (
        "list", "run", "validate", "families", "demo", "images bootstrap", "reap",
        "rollout", "soak", "tasks build", "tasks verify", "egs report", "replay", "report",
        "doctor", "play",
    ):  # fmt: skip
        assert verb in verbs


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "root")
def test_help_has_a_summary_and_ends_with_an_example(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = [ln.strip(" │") for ln in text.splitlines() if ln.strip(" │╭╰─")]
    assert lines[0].startswith("Usage: terminal-gym")
    assert lines[1] and not lines[1].startswith(("╭", "─"))  # the one-line summary
    epilog = " ".join(text[text.rindex("╰") :].split()[1:])  # after the last box
    assert epilog.startswith("Example: terminal-gym"), text


def test_help_in_a_child_process():
    proc = run_cli("validate", "--help")
    assert proc.returncode == 0 and proc.stderr == ""
    assert "Example: terminal-gym validate" in proc.stdout and "--out" in proc.stdout


#: (argv, what the one line says)
BAD = [
    (["list", "--bogus"], "No such option: --bogus"),
    (["validate", TASK, "--image-map", "foo"], "'foo' is not SRC=DST"),
    (["run", "--task", TASK, "--image-map", "=x"], "'=x' is not SRC=DST"),
    (["run", "--task", "no-such-task-anywhere"], "no-such-task-anywhere"),
    (["validate", "/no/such/dir"], "no such task directory"),
    (["list", "family:csv-aggregate", "--seeds", "0"], "Invalid value for '--seeds'"),
    (["list", "family:csv-aggregate", "--difficulty", "extreme"], "difficulty must be one of"),
    (["list", "--difficulty", "2"], "--difficulty applies to family"),
    (["validate", TASK, "--backend", "podman"], "'podman' is not one of"),
    (["run", "--task", TASK, "--agent", "gpt"], "'gpt' is not one of"),
    (["run"], "Missing option '--task'"),
    (["tasks", "verify"], "Missing argument"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["soak", "--episodes", "0"], "Invalid value for '--episodes'"),
]


def _assert_one_line(err: str, message: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0]
    assert lines[0].startswith("terminal-gym")


@pytest.mark.parametrize(
    ("argv", "message"), BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_arguments_via_main(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    _assert_one_line(captured.err, message)
    assert captured.out == ""


@pytest.mark.parametrize(
    ("argv", "message"), BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_arguments_via_cli_runner(argv, message):
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    _assert_one_line(result.stderr, message)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [BAD[0], BAD[1], BAD[3], BAD[5], BAD[6], BAD[-2]],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_arguments_in_a_child_process(argv, message):
    proc = run_cli(*argv)
    assert proc.returncode == 2, proc.stderr
    _assert_one_line(proc.stderr, message)
    assert proc.stdout == ""


def test_no_verb_prints_the_help_and_exits_2():
    proc = run_cli()
    assert proc.returncode == 2
    assert "Usage: terminal-gym" in proc.stdout and "Traceback" not in proc.stderr


def test_an_internal_error_is_one_line_with_a_hint(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke\nover two lines")

    monkeypatch.setattr("terminal_gym.cli.tasks.resolve_tasks", broken)
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    _assert_one_line(err, "internal error: RuntimeError: something inside broke over two lines")
    assert "--debug" in err and "TERMINAL_GYM_DEBUG=1" in err

    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 1 and "internal error" in result.stderr

    with pytest.raises(RuntimeError, match="something inside broke"):
        main(["--debug", "list"])
    monkeypatch.setenv("TERMINAL_GYM_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["list"])
