"""The local backend: Dockerfile replay on a bubblewrap root, refusals, teardown."""

from __future__ import annotations

import dataclasses
import os
import random
import tempfile
import time
from pathlib import Path

import pytest

from terminal_gym.errors import UnsupportedTaskError
from terminal_gym.sandbox import local as local_mod
from terminal_gym.tasks import TaskSet
from terminal_gym.terminal.shell import ShellSession

pytestmark = pytest.mark.local

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sandbox"


@pytest.fixture(scope="module")
def replay_task():
    return TaskSet.from_source(FIXTURES / "replay-task")[0]


@pytest.fixture(scope="module")
def replay_sandbox(local_backend, replay_task):
    sb = local_backend.create(replay_task)
    try:
        yield sb
    finally:
        sb.close()


def _pids_with_cmdline(cmdline: bytes) -> list[int]:
    """Live (non-zombie) host processes whose argv is exactly ``cmdline`` (NUL-joined)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read()
            with open(f"/proc/{entry}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if argv == cmdline and state != b"Z":
            found.append(int(entry))
    return found


def _wait_gone(cmdline: bytes, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (pids := _pids_with_cmdline(cmdline)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids


def _task_with_dockerfile(tmp_path: Path, dockerfile: str, task_id: str):
    """A copy of the replay task with another Dockerfile (its files kept)."""
    base = TaskSet.from_source(FIXTURES / "replay-task")[0]
    ctx = tmp_path / "environment"
    ctx.mkdir()
    (ctx / "a.txt").write_text("file a\n")
    (ctx / "Dockerfile").write_text(dockerfile)
    env = dataclasses.replace(base.environment, context_dir=ctx, dockerfile=ctx / "Dockerfile")
    return dataclasses.replace(base, id=task_id, environment=env, path=None)


def test_replay_copies_files(replay_sandbox):
    assert replay_sandbox.backend == "local"
    assert replay_sandbox.isolation == "bwrap"
    r = replay_sandbox.exec(
        "cat /srv/data/top.txt /srv/data/nested/deep.txt /opt/files/a.txt /opt/files/b.txt"
    )
    assert r.exit_code == 0, r.output
    assert r.output == "top data\ndeep data\nfile a\nfile b\n"
    assert replay_sandbox.read_file("/opt/files/bin/run.sh") == b"#!/bin/sh\necho hi\n"
    assert replay_sandbox.exec("/opt/files/bin/run.sh").output == "hi\n"  # exec bit kept
    assert replay_sandbox.host_path("/srv/data/top.txt").read_text() == "top data\n"


def test_replay_workdir_env_and_run(replay_sandbox):
    # WORKDIR /srv then WORKDIR app: relative to the previous one.
    assert replay_sandbox.workdir == "/srv/app"
    assert replay_sandbox.exec("pwd").output == "/srv/app\n"
    r = replay_sandbox.exec('printf "%s|%s|%s\\n" "$MODE" "$OTHER" "$LEGACY"')
    assert r.output == "test|two words|legacy value\n"
    # RUN ran in the WORKDIR with the ENV of the lines before it.
    assert replay_sandbox.read_file("/srv/app/built.txt") == b"built in /srv/app with test\n"
    assert replay_sandbox.read_file("/srv/app/copied.txt") == b"deep data\n"


def test_replay_in_a_shell(replay_sandbox):
    sh = ShellSession(replay_sandbox, timeout=10)
    sh.start()
    try:
        assert sh.cwd == "/srv/app"
        r = sh.run("echo $MODE; cat built.txt; hostname")
        assert r.output == "test\nbuilt in /srv/app with test\nsandbox\n"
    finally:
        sh.close()


def test_system_dirs_are_read_only(replay_sandbox):
    r = replay_sandbox.exec("touch /usr/bin/tg-should-fail")
    assert r.exit_code != 0
    assert not Path("/usr/bin/tg-should-fail").exists()


def test_task_workdir_wins_over_dockerfile_workdir(local_backend, replay_task):
    env = dataclasses.replace(replay_task.environment, workdir="/srv/data")
    sb = local_backend.create(dataclasses.replace(replay_task, environment=env))
    try:
        assert sb.workdir == "/srv/data"
        assert sb.exec("pwd; ls").output == "/srv/data\nnested\ntop.txt\n"
    finally:
        sb.close()


def test_apt_get_task_is_unsupported(local_backend, monkeypatch):
    task = TaskSet.from_source(FIXTURES / "apt-task")[0]
    assert local_backend.unsupported_reason(task) is None  # only replay can tell
    roots: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        roots.append(real_mkdtemp(*args, **kwargs))
        return roots[-1]

    monkeypatch.setattr(local_mod.tempfile, "mkdtemp", recording_mkdtemp)
    started = time.monotonic()
    with pytest.raises(UnsupportedTaskError) as info:
        local_backend.create(task)
    assert time.monotonic() - started < 60
    message = str(info.value)
    assert "RUN apt-get install -y cowsay" in message
    assert "local backend" in message
    assert task.id in message
    # the half-made sandbox was cleaned up
    assert len(roots) == 1
    assert not Path(roots[0]).exists()


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("COPY a.txt /usr/local/bin/a.txt", "/usr/local/bin/a.txt"),
        ("COPY a.txt /etc/", "/etc"),
        ("WORKDIR /usr/src/app", "/usr/src/app"),
    ],
)
def test_writes_into_host_system_dirs_are_unsupported(local_backend, tmp_path, line, where):
    task = _task_with_dockerfile(tmp_path, f"FROM debian\n{line}\n", "sysdir-task")
    reason = local_backend.unsupported_reason(task)
    assert reason is not None
    assert where in reason and "read-only" in reason
    with pytest.raises(UnsupportedTaskError, match="read-only"):
        local_backend.create(task)


def test_other_unsupported_instructions(local_backend, tmp_path):
    cases = {
        "FROM a AS b\nFROM b\n": "multi-stage",
        "COPY --from=builder /x /y\n": "build stage",
        "ADD https://example.com/x /app/x\n": "download",
        "USER nobody\n": "USER nobody",
        "FROM debian\nFROBNICATE x\n": "instruction FROBNICATE",
    }
    for i, (dockerfile, needle) in enumerate(cases.items()):
        path = tmp_path / str(i)
        path.mkdir()
        task = _task_with_dockerfile(path, dockerfile, f"t{i}")
        reason = local_backend.unsupported_reason(task)
        assert reason is not None and needle in reason, (dockerfile, reason)


def test_replay_reads_the_dockerfile_as_docker_does(local_backend, tmp_path):
    text = (
        "FROM debian\n"
        "WORKDIR /srv\n"
        "RUN echo one > a.out && \\\n"
        "# a comment inside the continuation does not end it\n"
        "\n"
        "    echo two >> a.out\n"
        "RUN <<EOF\n"
        "echo from-heredoc > b.out\n"
        "# a comment line of the script, not of the Dockerfile\n"
        "EOF\n"
        'RUN ["sh", "-c", "echo exec-form > c.out"]\n'
    )
    sb = local_backend.create(_task_with_dockerfile(tmp_path, text, "docker-rules"))
    try:
        assert sb.exec("cat a.out b.out c.out").output == "one\ntwo\nfrom-heredoc\nexec-form\n"
    finally:
        sb.close()
    heredoc_copy = tmp_path / "copy"
    heredoc_copy.mkdir()
    task = _task_with_dockerfile(heredoc_copy, "FROM debian\nCOPY <<EOF /srv/x\nx\nEOF\n", "hc")
    assert "heredoc" in (local_backend.unsupported_reason(task) or "")


def test_close_kills_daemons_and_removes_root(local_backend, shell_task):
    sb = local_backend.create(shell_task)
    root = sb.root
    tag = str(random.randrange(10**8, 10**9))
    setsid_cmd = f"sleep {tag}1".encode().replace(b" ", b"\0") + b"\0"
    nohup_cmd = f"sleep {tag}2".encode().replace(b" ", b"\0") + b"\0"
    exec_cmd = f"sleep {tag}3".encode().replace(b" ", b"\0") + b"\0"
    scrubbed_cmd = f"sleep {tag}4".encode().replace(b" ", b"\0") + b"\0"
    sh = ShellSession(sb, timeout=10, workdir="/app")
    try:
        assert root.is_dir()
        assert (root / "app" / "hello.txt").read_text() == "hello from the fixture\n"
        sh.start()
        r = sh.run(
            f"setsid sleep {tag}1 >/dev/null 2>&1 < /dev/null & "
            f"nohup sleep {tag}2 >/dev/null 2>&1 & disown; "
            # no sandbox marker in its environment, in a session of its own
            f"env -i PATH=/usr/bin:/bin setsid sleep {tag}4 >/dev/null 2>&1 < /dev/null & "
            "echo started"
        )
        assert "started" in r.output.splitlines()  # among job-control notices
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
            _pids_with_cmdline(setsid_cmd)
            and _pids_with_cmdline(nohup_cmd)
            and _pids_with_cmdline(scrubbed_cmd)
        ):
            time.sleep(0.05)
        assert _pids_with_cmdline(setsid_cmd), "the setsid daemon did not start"
        assert _pids_with_cmdline(nohup_cmd), "the nohup daemon did not start"
        assert _pids_with_cmdline(scrubbed_cmd), "the scrubbed daemon did not start"
        # A one-off exec runs in a process namespace of its own: its daemons end with it.
        sb.exec(f"setsid sleep {tag}3 >/dev/null 2>&1 < /dev/null &", timeout=10)
        assert _wait_gone(exec_cmd) == []
        sh.close(kill=False)  # leave the killing to the sandbox
    finally:
        sb.close()
    assert _wait_gone(setsid_cmd) == []
    assert _wait_gone(nohup_cmd) == []
    assert _wait_gone(scrubbed_cmd) == []
    assert not root.exists()
    assert not sb.is_alive()
    sb.close()  # idempotent


def test_exec_timeout_kills_children(replay_sandbox):
    tag = str(random.randrange(10**8, 10**9))
    started = time.monotonic()
    r = replay_sandbox.exec(f"echo begun; sleep {tag}", timeout=1)
    assert time.monotonic() - started < 5
    assert r.timed_out
    assert r.exit_code == -1
    assert r.output == "begun\n"
    assert _wait_gone(f"sleep\0{tag}\0".encode()) == []


def test_ctrl_c_works_when_the_host_ignores_sigint(local_backend, shell_task):
    """An ignored signal is inherited and bash cannot undo it: were SIGINT ignored in the
    host process (as a library may leave it), a local sandbox's commands would ignore
    Ctrl-C. The local backend starts them with default signal actions."""
    import signal

    from terminal_gym.terminal.shell import ShellSession

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    sandbox = None
    try:
        sandbox = local_backend.create(shell_task)
        sh = ShellSession(sandbox, timeout=10, workdir=shell_task.environment.workdir)
        sh.start()
        try:
            r = sh.run("sleep 600", timeout=1)
            assert r.interrupted and not r.restarted
            assert sh.run("echo ok").output == "ok\n"
        finally:
            sh.close()
    finally:
        signal.signal(signal.SIGINT, previous)
        if sandbox is not None:
            sandbox.close()
